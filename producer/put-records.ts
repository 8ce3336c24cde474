import { type KinesisClient, PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { isRetryableAwsError } from '../adapters/aws-errors.ts';
import { type BackoffOptions, backoffDelay } from '../adapters/backoff.ts';
import type { StreamRecord } from './event-record.ts';

/**
 * One PutRecords call's worth of records, sent until every record is accepted or the attempts run out.
 * Kinesis answers 200 with `FailedRecordCount` when some records fail (throttling, an internal error): only
 * those are sent again, after a jittered backoff. A call that fails as a whole is retried the same way when
 * the error is worth retrying (throttling, 5xx, a broken connection); a missing stream or a refused permission
 * is not, and ends the attempt at once.
 */

/** A record the stream did not take, with the last error Kinesis gave for it. */
export interface RefusedRecord<T extends StreamRecord = StreamRecord> {
  readonly record: T;
  /** Kinesis' error code (`ProvisionedThroughputExceededException`, `InternalFailure`) or the SDK error's name. */
  readonly code: string;
  readonly message: string;
}

/** What sending one chunk did. */
export interface ChunkOutcome<T extends StreamRecord = StreamRecord> {
  readonly refused: RefusedRecord<T>[];
  /** Events (inside records) that needed more than one attempt, accepted in the end or not. */
  readonly retried: number;
  readonly calls: number;
  /**
   * Set when a call failed in a way no retry can fix (missing stream, access denied, bad credentials): the
   * caller should stop sending, since every later call would fail the same way.
   */
  readonly fatal?: { readonly code: string; readonly message: string };
}

/** Sends `records` (at most one call's worth) to `streamName`, retrying only what was refused. */
export async function putChunk<T extends StreamRecord>(
  client: KinesisClient,
  streamName: string,
  records: readonly T[],
  backoff: BackoffOptions,
): Promise<ChunkOutcome<T>> {
  let todo: readonly T[] = records;
  let refused: RefusedRecord<T>[] = [];
  const retriedRecords = new Set<T>();
  let calls = 0;
  for (let attempt = 0; attempt < backoff.maxAttempts && todo.length > 0; attempt += 1) {
    if (attempt > 0) {
      for (const record of todo) retriedRecords.add(record);
      await backoff.sleep(backoffDelay(attempt - 1, backoff));
    }
    let response: PutRecordsCommandOutput;
    calls += 1;
    try {
      response = await client.send(
        new PutRecordsCommand({
          StreamName: streamName,
          Records: todo.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
        }),
      );
    } catch (error) {
      const code = (error as Error).name || 'Error';
      const message = describeCallError(error, streamName);
      refused = todo.map((record) => ({ record, code, message }));
      if (!isRetryableAwsError(error) && !isConnectionError(error)) {
        return { refused, retried: eventsIn(retriedRecords), calls, fatal: { code, message } };
      }
      continue;
    }
    const results = response.Records ?? [];
    const next: T[] = [];
    refused = [];
    todo.forEach((record, i) => {
      const result = results[i];
      if (result?.ErrorCode || !result) {
        next.push(record);
        refused.push({
          record,
          code: result?.ErrorCode ?? 'NoResult',
          message: result?.ErrorMessage ?? 'no result for this record in the PutRecords response',
        });
      }
    });
    todo = next;
  }
  return { refused: todo.length === 0 ? [] : refused, retried: eventsIn(retriedRecords), calls };
}

function eventsIn(records: ReadonlySet<StreamRecord>): number {
  let n = 0;
  for (const record of records) n += record.events.length;
  return n;
}

/** A connection refused, reset or timed out: no HTTP status came back, so another attempt may get through. */
export function isConnectionError(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined && !/Credential|Token|Signature/i.test((error as Error).name ?? '');
}

function describeCallError(error: unknown, streamName: string): string {
  const name = (error as Error).name;
  const code = (error as { code?: string }).code;
  if (name === 'ResourceNotFoundException') return `stream ${streamName} does not exist (or is not ACTIVE)`;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') {
    return `cannot reach the Kinesis endpoint (${code}): ${(error as Error).message}`;
  }
  return (error as Error).message || String(error);
}
