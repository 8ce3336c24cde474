import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import type { EventWriter, FailedWrite } from '../../core/ingest/ingest.ts';
import { isRetryableAwsError } from '../aws-errors.ts';
import { type BackoffOptions, backoffDelay, resolveBackoff } from '../backoff.ts';

/**
 * {@link EventWriter} on Kinesis: PutRecords in chunks of at most 500 records and 5 MiB (Kinesis' limits), the
 * partition key = the series (one series stays in order on one shard), one JSON event per record (what the
 * detector decodes). Kinesis answers 200 with `FailedRecordCount` when some records fail; only those are sent
 * again, with jittered backoff, and what still fails after the last attempt is returned with its error code.
 * A chunk whose whole call fails is retried the same way; its events are returned as failed at the end.
 */

/** Kinesis' PutRecords limits. */
export const PUT_RECORDS_LIMITS = { records: 500, bytes: 5 * 1024 * 1024 } as const;

/** Options of {@link KinesisEventWriter}. */
export interface KinesisEventWriterOptions {
  readonly streamName: string;
  readonly backoff?: Partial<BackoffOptions>;
}

interface Pending {
  readonly index: number;
  readonly entry: PutRecordsRequestEntry;
  readonly bytes: number;
}

/** Writes events to one Kinesis stream. */
export class KinesisEventWriter implements EventWriter {
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly client: KinesisClient,
    private readonly options: KinesisEventWriterOptions,
  ) {
    this.backoff = resolveBackoff(options.backoff);
  }

  async write(events: readonly MeasurementEvent[]): Promise<readonly FailedWrite[]> {
    const pending: Pending[] = events.map((event, index) => {
      const data = Buffer.from(JSON.stringify(event));
      return {
        index,
        entry: { Data: data, PartitionKey: event.series },
        // PutRecords counts data and partition key bytes against its 5 MiB.
        bytes: data.length + Buffer.byteLength(event.series),
      };
    });
    const failed: FailedWrite[] = [];
    for (const chunk of chunks(pending)) failed.push(...(await this.putWithRetries(chunk)));
    return failed.sort((a, b) => a.index - b.index);
  }

  private async putWithRetries(chunk: readonly Pending[]): Promise<FailedWrite[]> {
    let todo = chunk;
    let reasons = new Map<number, string>();
    for (let attempt = 0; attempt < this.backoff.maxAttempts && todo.length > 0; attempt += 1) {
      if (attempt > 0) await this.backoff.sleep(backoffDelay(attempt - 1, this.backoff));
      reasons = new Map();
      try {
        const response = await this.client.send(
          new PutRecordsCommand({ StreamName: this.options.streamName, Records: todo.map((p) => p.entry) }),
        );
        const results = response.Records ?? [];
        const next: Pending[] = [];
        todo.forEach((p, i) => {
          const result = results[i];
          if (result?.ErrorCode) {
            reasons.set(p.index, `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`.trim());
            next.push(p);
          } else if (!result) {
            reasons.set(p.index, 'no result for this record in the PutRecords response');
            next.push(p);
          }
        });
        todo = next;
      } catch (error) {
        const reason = `${(error as Error).name}: ${(error as Error).message}`;
        for (const p of todo) reasons.set(p.index, reason);
        // A missing stream or a refused permission fails the same way on every attempt.
        if (!isRetryableAwsError(error) && !isNetworkError(error)) break;
      }
    }
    return todo.map((p) => ({ index: p.index, reason: reasons.get(p.index) ?? 'not written' }));
  }
}

/** A connection that broke or was refused (no HTTP status): worth another attempt. */
function isNetworkError(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined;
}

/** Consecutive runs of at most 500 records and 5 MiB, in order. */
function* chunks(pending: readonly Pending[]): Generator<Pending[]> {
  let chunk: Pending[] = [];
  let bytes = 0;
  for (const p of pending) {
    if (chunk.length === PUT_RECORDS_LIMITS.records || bytes + p.bytes > PUT_RECORDS_LIMITS.bytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(p);
    bytes += p.bytes;
  }
  if (chunk.length > 0) yield chunk;
}
