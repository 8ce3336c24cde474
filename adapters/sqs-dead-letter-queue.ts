import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterSink } from '../core/ports.ts';
import { type BackoffOptions, backoffDelay, resolveBackoff } from './backoff.ts';

/** SQS's limit on entries per SendMessageBatch call. */
export const SQS_MAX_BATCH = 10;

/** SQS's limit on the total payload of one SendMessageBatch call (256 KiB). */
export const SQS_MAX_BATCH_BYTES = 256 * 1024;

/** Queue and retry behaviour of the dead-letter sink. */
export interface SqsDeadLetterQueueOptions {
  readonly queueUrl: string;
  /** Retries of entries SQS reported as failed; 3 attempts by default. */
  readonly backoff?: Partial<BackoffOptions>;
  /** Epoch ms stamped as `receivedAt`; `Date.now` by default. */
  readonly now?: () => number;
}

/** The JSON body of each dead-letter message. */
export interface DeadLetterMessage extends DeadLetter {
  /** Epoch ms when the detector rejected the record. */
  readonly receivedAt: number;
}

/** Thrown when dead letters are still failing after every attempt; names each record and SQS's reason. */
export class DeadLetterSendError extends Error {
  override readonly name = 'DeadLetterSendError';
  constructor(
    readonly queueUrl: string,
    readonly failed: readonly {
      readonly sequenceNumber: string;
      readonly code: string;
      readonly message: string;
    }[],
  ) {
    const shown = failed.map((f) => `${f.sequenceNumber} (${f.code}: ${f.message})`).join(', ');
    super(`${failed.length} dead letter(s) not accepted by ${queueUrl}: ${shown}`);
  }
}

/**
 * {@link DeadLetterSink} on SQS SendMessageBatch: at most ten messages (and 256 KiB) per call, entries SQS
 * reports as failed retried with backoff, then a {@link DeadLetterSendError} naming those still failing.
 */
export class SqsDeadLetterQueue implements DeadLetterSink {
  private readonly backoff: BackoffOptions;
  private readonly now: () => number;

  constructor(
    private readonly client: SQSClient,
    private readonly options: SqsDeadLetterQueueOptions,
  ) {
    this.backoff = resolveBackoff({ maxAttempts: 3, ...options.backoff });
    this.now = options.now ?? Date.now;
  }

  async send(entries: readonly DeadLetter[]): Promise<void> {
    const receivedAt = this.now();
    const bodies = entries.map(({ reason, data, sequenceNumber, partitionKey }) =>
      JSON.stringify({ reason, data, sequenceNumber, partitionKey, receivedAt } satisfies DeadLetterMessage),
    );
    const failed: { sequenceNumber: string; code: string; message: string }[] = [];
    for (const chunk of chunks(bodies)) {
      const stillFailing = await this.sendChunk(
        chunk.map((i) => ({ Id: `m${i}`, MessageBody: bodies[i] as string })),
      );
      for (const f of stillFailing) {
        const index = Number(f.id.slice(1));
        failed.push({
          sequenceNumber: entries[index]?.sequenceNumber ?? f.id,
          code: f.code,
          message: f.message,
        });
      }
    }
    if (failed.length > 0) throw new DeadLetterSendError(this.options.queueUrl, failed);
  }

  /** Sends one batch, retrying the entries SQS failed; returns those still failing after the last attempt. */
  private async sendChunk(
    entries: SendMessageBatchRequestEntry[],
  ): Promise<{ id: string; code: string; message: string }[]> {
    let pending = entries;
    const permanent: { id: string; code: string; message: string }[] = [];
    let retryable: { id: string; code: string; message: string }[] = [];
    for (let attempt = 0; attempt < this.backoff.maxAttempts; attempt++) {
      if (attempt > 0) await this.backoff.sleep(backoffDelay(attempt - 1, this.backoff));
      const output = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: pending }),
      );
      retryable = [];
      for (const f of output.Failed ?? []) {
        const failure = { id: f.Id ?? '', code: f.Code ?? 'Unknown', message: f.Message ?? '' };
        // Sender faults (a malformed entry) fail the same way every time: no point retrying them.
        (f.SenderFault ? permanent : retryable).push(failure);
      }
      if (retryable.length === 0) break;
      const ids = new Set(retryable.map((f) => f.id));
      pending = pending.filter((e) => ids.has(e.Id ?? ''));
    }
    return [...permanent, ...retryable];
  }
}

/** Indexes of `bodies` grouped into batches within SQS's count and size limits. */
function* chunks(bodies: readonly string[]): Generator<number[]> {
  let current: number[] = [];
  let bytes = 0;
  for (let i = 0; i < bodies.length; i++) {
    const size = Buffer.byteLength(bodies[i] as string);
    if (current.length === SQS_MAX_BATCH || (current.length > 0 && bytes + size > SQS_MAX_BATCH_BYTES)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  }
  if (current.length > 0) yield current;
}
