import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type BackoffOptions, resolveBackoff } from '../adapters/backoff.ts';
import { type MeasurementEvent, parseEvent, type TimeWindow } from '../core/events/event-schema.ts';
import { eventRecord, putRecordsChunks, type StreamRecord } from './event-record.ts';
import { aggregateBySeries } from './kpl-aggregate.ts';
import { putChunk } from './put-records.ts';

/** How far ahead of the sender's clock a timestamp may be: what the detector accepts (5 minutes). */
export const MAX_FUTURE_MS = 5 * 60_000;

/** Eight attempts, 100 ms doubling to 5 s with full jitter: rides out a throttled shard for about 15 s. */
export const PRODUCER_BACKOFF: Partial<BackoffOptions> = {
  maxAttempts: 8,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
};

/** Options of {@link SeismoProducer}. */
export interface SeismoProducerOptions {
  /** The Seismo stream (the stack's `stream-name` output). */
  readonly streamName: string;
  /** A Kinesis client of your own (credentials, region, retries); else one is made from `region`/`endpoint`. */
  readonly client?: KinesisClient;
  /** AWS region of the stream; default: the SDK's (AWS_REGION, the profile). */
  readonly region?: string;
  /**
   * A Kinesis endpoint other than AWS's (kinesis-mock, LocalStack): the client then speaks HTTP/1.1, which
   * emulators need. Give `credentials` too, unless the default chain finds some.
   */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Pack each series' events into KPL aggregated records (fewer, larger records). Default false. */
  readonly aggregate?: boolean;
  /** Retries of refused records; {@link PRODUCER_BACKOFF} by default. */
  readonly backoff?: Partial<BackoffOptions>;
  /** The sender's clock, epoch ms, for the "not too far ahead" rule; `Date.now` by default. */
  readonly now?: () => number;
}

/** An input the schema refused: never sent. */
export interface InvalidEvent {
  /** Index in the array given to {@link SeismoProducer.send}. */
  readonly index: number;
  /** Each broken field and rule, as the detector would report them. */
  readonly reason: string;
}

/** A valid event the stream did not take after every retry. */
export interface FailedEvent {
  readonly index: number;
  /** Kinesis' error code, e.g. `ProvisionedThroughputExceededException`, or the SDK error's name. */
  readonly code: string;
  readonly message: string;
}

/** What one {@link SeismoProducer.send} did: every input is counted in exactly one of sent, invalid, failed. */
export interface SendReport {
  /** Events the stream accepted. */
  readonly sent: number;
  readonly invalid: readonly InvalidEvent[];
  readonly failed: readonly FailedEvent[];
  /** Kinesis records written (fewer than `sent` when aggregating). */
  readonly records: number;
  /** Events that needed more than one attempt. */
  readonly retried: number;
  /** PutRecords calls made. */
  readonly calls: number;
  /**
   * Set when a call failed in a way no retry fixes (missing stream, access denied): the events after it were
   * not attempted and are in `failed` with this code. Sending more will fail the same way.
   */
  readonly stopped?: { readonly code: string; readonly message: string };
}

/**
 * Puts Seismo events on the stream the way Seismo wants them: each validated exactly as the detector will
 * (invalid ones are reported, never sent), partition key = series, PutRecords calls of at most 500 records
 * and 5 MiB, only refused records retried with jittered backoff, optionally KPL-aggregated per series.
 *
 * ```ts
 * import { SeismoProducer } from 'seismo/producer';
 * const producer = new SeismoProducer({ streamName: 'seismo-prod-events', region: 'eu-west-1' });
 * const report = await producer.send([{ series: 'checkout-latency', timestamp: Date.now(), value: 182.5 }]);
 * if (report.invalid.length + report.failed.length > 0) console.error(report);
 * producer.destroy();
 * ```
 *
 * A record retried after a later record of its series was accepted arrives out of order; the detector scores
 * such a late point without letting it move the series' state. Events of one `send` go out in order, one call
 * at a time.
 */
export class SeismoProducer {
  private readonly client: KinesisClient;
  private readonly ownsClient: boolean;
  private readonly backoff: BackoffOptions;
  private readonly now: () => number;

  constructor(private readonly options: SeismoProducerOptions) {
    if (!options.streamName) throw new TypeError('SeismoProducer: streamName is required');
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? makeClient(options);
    this.backoff = resolveBackoff({ ...PRODUCER_BACKOFF, ...options.backoff });
    this.now = options.now ?? Date.now;
  }

  /** Validates and sends `events`; resolves with what happened to each (it throws only for programming errors). */
  async send(events: readonly unknown[]): Promise<SendReport> {
    const window: TimeWindow = { now: this.now(), maxFutureMs: MAX_FUTURE_MS };
    const valid: { event: MeasurementEvent; index: number }[] = [];
    const invalid: InvalidEvent[] = [];
    events.forEach((input, index) => {
      const parsed = parseEvent(input, window);
      if (parsed.ok) valid.push({ event: parsed.event, index });
      else invalid.push({ index, reason: parsed.error.message });
    });
    const report = await this.sendValidated(valid);
    return { ...report, invalid };
  }

  /**
   * Sends events already validated with `parseEvent` (a poller or a translator that validated them itself);
   * `index` is echoed back in failures.
   */
  async sendValidated(
    events: readonly { readonly event: MeasurementEvent; readonly index: number }[],
  ): Promise<Omit<SendReport, 'invalid'>> {
    const records: StreamRecord[] = this.options.aggregate
      ? aggregateBySeries(events)
      : events.map(({ event, index }) => eventRecord(event, index));
    const failed: FailedEvent[] = [];
    let sent = 0;
    let written = 0;
    let retried = 0;
    let calls = 0;
    let stopped: { code: string; message: string } | undefined;
    for (const chunk of putRecordsChunks(records)) {
      if (stopped) {
        const message = `not attempted: ${stopped.message}`;
        for (const record of chunk)
          for (const index of record.events) failed.push({ index, code: stopped.code, message });
        continue;
      }
      const outcome = await putChunk(this.client, this.options.streamName, chunk, this.backoff);
      calls += outcome.calls;
      const refused = new Set(outcome.refused.map((r) => r.record));
      for (const record of chunk) {
        if (refused.has(record)) continue;
        sent += record.events.length;
        written += 1;
      }
      for (const r of outcome.refused) {
        for (const index of r.record.events) failed.push({ index, code: r.code, message: r.message });
      }
      retried += outcome.retried;
      if (outcome.fatal) stopped = outcome.fatal;
    }
    failed.sort((a, b) => a.index - b.index);
    return { sent, failed, records: written, retried, calls, ...(stopped ? { stopped } : {}) };
  }

  /** Closes the client's sockets if this producer made the client. */
  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }
}

function makeClient(options: SeismoProducerOptions): KinesisClient {
  return new KinesisClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Emulators speak HTTP/1.1 over plain HTTP; the SDK's default HTTP/2 handler fails against them.
    ...(options.endpoint ? { endpoint: options.endpoint, requestHandler: new NodeHttpHandler() } : {}),
  });
}
