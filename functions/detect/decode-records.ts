import { deaggregate } from 'aws-kinesis-agg';
import type { KinesisStreamRecord } from 'aws-lambda';
import { type MeasurementEvent, parseEvent, type TimeWindow } from '../../core/events/event-schema.ts';
import type { DeadLetter } from '../../core/ports.ts';

/** Largest user record accepted, in bytes: anything bigger is rejected before JSON parsing. */
export const MAX_RECORD_BYTES = 64 * 1024;

export type { DeadLetter, DeadLetterSink } from '../../core/ports.ts';

/** Category of a rejection, safe to log (it carries no values). */
export type RejectionKind = 'oversized' | 'malformed-json' | 'schema' | 'aggregate';

/** A rejected record with the Kinesis record it came from. */
export interface Rejected extends DeadLetter {
  readonly kind: RejectionKind;
  /** Index of the enclosing Kinesis record in the batch. */
  readonly recordIndex: number;
  /** Fields named by a schema violation (empty for other kinds). */
  readonly fields: readonly string[];
}

/** A valid event with the Kinesis record it came from. */
export interface Accepted {
  readonly event: MeasurementEvent;
  readonly recordIndex: number;
  readonly sequenceNumber: string;
  /** The shard the record was read from: sequence numbers are only comparable within one. */
  readonly shard: string;
}

/** The shard of a Lambda Kinesis record, from its `eventID` (`shardId-000000000000:<sequence number>`). */
export function shardOf(record: Pick<KinesisStreamRecord, 'eventID'>): string {
  const id = record.eventID ?? '';
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : '';
}

/** The outcome of decoding a batch, in record order. */
export interface DecodedBatch {
  readonly accepted: Accepted[];
  readonly rejected: Rejected[];
}

interface UserRecord {
  readonly data: string;
  readonly partitionKey: string;
}

/**
 * Decodes a Kinesis batch: KPL aggregates (magic bytes F3 89 9A C2) are split into their user records, each
 * user record is size-checked, JSON-parsed and validated (against `window`, the receiving clock's, when
 * given). Never throws for bad input; every user record ends accepted or rejected, never dropped.
 */
export function decodeBatch(records: readonly KinesisStreamRecord[], window?: TimeWindow): DecodedBatch {
  const accepted: Accepted[] = [];
  const rejected: Rejected[] = [];
  for (let recordIndex = 0; recordIndex < records.length; recordIndex++) {
    const record = records[recordIndex] as KinesisStreamRecord;
    const { sequenceNumber, partitionKey, data } = record.kinesis;
    const shard = shardOf(record);
    const bytes = Buffer.from(data, 'base64');
    if (!isAggregate(bytes)) {
      // The common case: one plain record, decoded once (the KPL library would decode and re-encode it).
      const outcome = decodeUserBytes(bytes, data, window);
      if ('event' in outcome) accepted.push({ event: outcome.event, recordIndex, sequenceNumber, shard });
      else
        rejected.push({
          ...reject(outcome.kind, outcome.reason, outcome.data ?? data, record, recordIndex),
          fields: outcome.fields ?? [],
        });
      continue;
    }
    const users = deaggregateRecord(record);
    if (users instanceof Error || users.length === 0) {
      const reason =
        users instanceof Error
          ? `invalid KPL aggregate: ${users.message}`
          : 'KPL aggregate holds no user records';
      rejected.push(reject('aggregate', reason, data, record, recordIndex));
      continue;
    }
    for (const user of users) {
      const outcome = decodeUserRecord(user.data, window);
      if ('event' in outcome) {
        accepted.push({ event: outcome.event, recordIndex, sequenceNumber, shard });
      } else {
        const dead = { ...record.kinesis, partitionKey: user.partitionKey || partitionKey };
        rejected.push({
          ...reject(outcome.kind, outcome.reason, outcome.data ?? user.data, { kinesis: dead }, recordIndex),
          fields: outcome.fields ?? [],
        });
      }
    }
  }
  return { accepted, rejected };
}

function reject(
  kind: RejectionKind,
  reason: string,
  data: string,
  record: Pick<KinesisStreamRecord, 'kinesis'>,
  recordIndex: number,
): Rejected {
  const { sequenceNumber, partitionKey } = record.kinesis;
  return { kind, reason, data, sequenceNumber, partitionKey, recordIndex, fields: [] };
}

/** The user records of one Kinesis record (itself when not aggregated), or the error that broke the aggregate. */
function deaggregateRecord(record: KinesisStreamRecord): UserRecord[] | Error {
  const users: UserRecord[] = [];
  let failure: Error | undefined;
  // The library's callbacks run synchronously, so everything is collected when deaggregate returns.
  deaggregate(
    record.kinesis,
    true,
    (error, user) => {
      if (error) failure ??= error;
      else if (user) users.push({ data: user.data, partitionKey: user.partitionKey });
    },
    (error) => {
      if (error) failure ??= error;
    },
  );
  return failure ?? users;
}

type UserOutcome =
  | { event: MeasurementEvent }
  | { kind: RejectionKind; reason: string; data?: string; fields?: readonly string[] };

/** KPL aggregated records start with the magic bytes F3 89 9A C2. */
function isAggregate(bytes: Buffer): boolean {
  return bytes.length > 4 && bytes[0] === 0xf3 && bytes[1] === 0x89 && bytes[2] === 0x9a && bytes[3] === 0xc2;
}

function decodeUserRecord(base64: string, window: TimeWindow | undefined): UserOutcome {
  return decodeUserBytes(Buffer.from(base64, 'base64'), base64, window);
}

function decodeUserBytes(bytes: Buffer, base64: string, window: TimeWindow | undefined): UserOutcome {
  if (bytes.length > MAX_RECORD_BYTES) {
    // The whole record goes to the dead-letter sink, which fits it into a message (a prefix, the original
    // size and the sha256 of all of it), so an operator can match the letter to what was sent.
    return {
      kind: 'oversized',
      reason: `record is ${bytes.length} bytes, over the limit of ${MAX_RECORD_BYTES}`,
      data: base64,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { kind: 'malformed-json', reason: `malformed JSON: ${(error as Error).message}` };
  }
  const parsed = parseEvent(json, window);
  if (parsed.ok) return { event: parsed.event };
  return { kind: 'schema', reason: parsed.error.message, fields: parsed.error.issues.map((i) => i.field) };
}
