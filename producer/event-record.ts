import { type MeasurementEvent, SINGLE_CHANNEL } from '../core/events/event-schema.ts';

/**
 * How one validated event travels on the stream: compact JSON in the shape the detector parses, the series as
 * partition key (one series stays in order on one shard).
 */

/** Kinesis' limits on one PutRecords call and one record. */
export const KINESIS_LIMITS = {
  /** Records per PutRecords call. */
  recordsPerCall: 500,
  /** Bytes per PutRecords call, data and partition keys counted together. */
  bytesPerCall: 5 * 1024 * 1024,
  /** Bytes of one record, data and partition key counted together. */
  bytesPerRecord: 1024 * 1024,
} as const;

/** One record ready for PutRecords, with the indexes of the events it carries (several when aggregated). */
export interface StreamRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** Indexes, in the caller's input, of the events inside this record. */
  readonly events: readonly number[];
}

/**
 * The wire JSON of a validated event: `value` for a single-value event, `values` for channels, dimensions and
 * kind only when they say something. Parsing it again gives back the same event.
 */
export function encodeEvent(event: MeasurementEvent): string {
  const channels = Object.keys(event.values);
  const single = channels.length === 1 && channels[0] === SINGLE_CHANNEL;
  const wire: Record<string, unknown> = { series: event.series, timestamp: event.timestamp };
  if (single) wire.value = event.values[SINGLE_CHANNEL];
  else wire.values = event.values;
  if (Object.keys(event.dimensions).length > 0) wire.dimensions = event.dimensions;
  if (event.kind === 'counter') wire.kind = event.kind;
  return JSON.stringify(wire);
}

/** A plain (not aggregated) record of one event. */
export function eventRecord(event: MeasurementEvent, index: number): StreamRecord {
  return { partitionKey: event.series, data: Buffer.from(encodeEvent(event)), events: [index] };
}

/** What a record counts against PutRecords' 5 MiB: its data and its partition key, in bytes. */
export function recordBytes(record: Pick<StreamRecord, 'partitionKey' | 'data'>): number {
  return record.data.byteLength + Buffer.byteLength(record.partitionKey);
}

/** Consecutive runs of records within one PutRecords call's limits (500 records, 5 MiB), in order. */
export function* putRecordsChunks<T extends StreamRecord>(records: readonly T[]): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (
      chunk.length > 0 &&
      (chunk.length === KINESIS_LIMITS.recordsPerCall || bytes + size > KINESIS_LIMITS.bytesPerCall)
    ) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}
