import { createHash } from 'node:crypto';
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

/**
 * SQS's limit on one message (256 KiB, the default and the most a queue could take before 2025; a queue's
 * MaximumMessageSize may be set lower, never below what Seismo's dead letters need if left at its default).
 */
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;

/** Most bytes a cut-down reason keeps: the first issues are what an operator acts on. */
export const DEAD_LETTER_REASON_BYTES = 16 * 1024;

/** Most bytes kept of a partition key or sequence number (Kinesis allows 256 characters and 128 digits). */
const DEAD_LETTER_ID_BYTES = 1024;

/** Queue and retry behaviour of the dead-letter sink. */
export interface SqsDeadLetterQueueOptions {
  readonly queueUrl: string;
  /** Retries of entries SQS reported as failed; 3 attempts by default. */
  readonly backoff?: Partial<BackoffOptions>;
  /** Epoch ms stamped as `receivedAt`; `Date.now` by default. */
  readonly now?: () => number;
}

/** The JSON body of each dead-letter message; see {@link SqsDeadLetterQueue} for the format. */
export interface DeadLetterMessage extends DeadLetter {
  /** Epoch ms when the detector rejected the record. */
  readonly receivedAt: number;
  /** Present (true) when the letter was cut to fit SQS: `reason` and/or `data` keep a prefix only. */
  readonly truncated?: true;
  /** Byte length of the whole original data (base64-decoded), when truncated. */
  readonly originalBytes?: number;
  /** Hex SHA-256 of the whole original data (base64-decoded), when truncated: match it to the stream record. */
  readonly sha256?: string;
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
 *
 * Every dead letter fits the queue, so a bad record can never make its own dead letter fail (and with it the
 * batch, on every retry). A message body is the JSON of a {@link DeadLetterMessage}:
 *
 * ```json
 * {"reason": "...", "data": "<base64>", "sequenceNumber": "...", "partitionKey": "...", "receivedAt": 1700000000000}
 * ```
 *
 * as it is when that is at most {@link SQS_MAX_MESSAGE_BYTES} (UTF-8 bytes, as SQS counts). A larger letter
 * is cut down, in this order, until it fits, and then carries `"truncated": true`, `"originalBytes"` (the
 * whole data's length) and `"sha256"` (hex, of the whole data) so an operator can find the original record:
 * - `reason` beyond {@link DEAD_LETTER_REASON_BYTES} keeps its first issues (`; `-separated) and ends with
 *   `… and N more issues` (a reason of one huge issue keeps its start and ends `… (N more bytes)`);
 * - `data` keeps the longest base64 prefix (whole 4-character groups, so it decodes to a byte prefix) that
 *   fits in what is left;
 * - a partition key or sequence number over 1 KiB (impossible from Kinesis) is cut like a long reason.
 * U+FFFE and U+FFFF, which SQS refuses in a body, are written as JSON `\u` escapes.
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
    const bodies = entries.map((entry) => deadLetterBody(entry, receivedAt));
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

/** The message body of `entry`: its JSON, cut down as {@link SqsDeadLetterQueue} describes when too large. */
export function deadLetterBody(entry: DeadLetter, receivedAt: number): string {
  const { reason, data, sequenceNumber, partitionKey } = entry;
  const whole = sqsJson({
    reason,
    data,
    sequenceNumber,
    partitionKey,
    receivedAt,
  } satisfies DeadLetterMessage);
  if (Buffer.byteLength(whole) <= SQS_MAX_MESSAGE_BYTES) return whole;

  const original = Buffer.from(data, 'base64');
  const shortened = {
    reason: shorten(reason, DEAD_LETTER_REASON_BYTES),
    data: '',
    sequenceNumber: cut(sequenceNumber, DEAD_LETTER_ID_BYTES),
    partitionKey: cut(partitionKey, DEAD_LETTER_ID_BYTES),
    receivedAt,
    truncated: true,
    originalBytes: original.length,
    sha256: createHash('sha256').update(original).digest('hex'),
  } satisfies DeadLetterMessage;
  // base64 is ASCII and needs no JSON escaping: one byte per character.
  const room = SQS_MAX_MESSAGE_BYTES - Buffer.byteLength(sqsJson(shortened));
  const kept = room >= data.length ? data : data.slice(0, Math.max(0, room - (room % 4)));
  return sqsJson({ ...shortened, data: kept });
}

/** JSON that SQS accepts as a body: U+FFFE and U+FFFF, outside SQS's character set, become escapes. */
function sqsJson(message: DeadLetterMessage): string {
  return JSON.stringify(message).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Bytes `text` takes inside a body (JSON-escaped, UTF-8), without the quotes. */
function encodedBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2 + 3 * (text.match(/[\uFFFE\uFFFF]/g)?.length ?? 0);
}

/**
 * A reason within `budget` encoded bytes: as it is if it fits; else its first `; `-separated issues and
 * "… and N more issues"; else (one issue too long) cut as {@link cut} does.
 */
function shorten(reason: string, budget: number): string {
  if (encodedBytes(reason) <= budget) return reason;
  const issues = reason.split('; ');
  let kept = 0;
  let bytes = 0;
  for (const issue of issues) {
    const next = bytes + (kept > 0 ? 2 : 0) + encodedBytes(issue);
    // The note with the larger count and the plural is the longest it can be.
    if (next + encodedBytes(` … and ${issues.length - kept - 1} more issues`) > budget) break;
    bytes = next;
    kept++;
  }
  const rest = issues.length - kept;
  if (kept === 0 || rest === 0) return cut(reason, budget);
  return `${issues.slice(0, kept).join('; ')} … and ${rest} more issue${rest === 1 ? '' : 's'}`;
}

/** `text` within `budget` encoded bytes: its start and "… (N more bytes)"; never splits a character. */
function cut(text: string, budget: number): string {
  if (encodedBytes(text) <= budget) return text;
  const total = Buffer.byteLength(text);
  const room = budget - encodedBytes(` … (${total} more bytes)`);
  let encoded = 0;
  let raw = 0;
  let end = 0;
  // Code point by code point, so a surrogate pair is kept or dropped whole.
  for (const char of text) {
    encoded += encodedBytes(char);
    if (encoded > room) break;
    raw += Buffer.byteLength(char);
    end += char.length;
  }
  return `${text.slice(0, end)} … (${total - raw} more bytes)`;
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
