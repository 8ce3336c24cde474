/**
 * `seismo/producer`: put events on a Seismo stream from your own Node.js code.
 *
 * ```ts
 * import { SeismoProducer } from 'seismo/producer';
 * ```
 */
export type { EventInput, MeasurementEvent } from '../core/events/event-schema.ts';
export { encodeEvent, KINESIS_LIMITS } from './event-record.ts';
export {
  type FailedEvent,
  type InvalidEvent,
  MAX_FUTURE_MS,
  PRODUCER_BACKOFF,
  SeismoProducer,
  type SeismoProducerOptions,
  type SendReport,
} from './seismo-producer.ts';
