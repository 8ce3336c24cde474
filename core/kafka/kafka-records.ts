/**
 * Lambda's Kafka event (Amazon MSK and self-managed Apache Kafka share one shape): records grouped by
 * `topic-partition`, key and value base64, headers as a list of one-key objects whose value is the header's
 * bytes as an array of numbers (signed, Java's `byte`, for values over 127). Here they become a flat list in
 * delivery order with the bytes decoded.
 */

/** One Kafka record as Lambda delivers it. */
export interface LambdaKafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType?: string;
  /** Base64; absent (or null) for a record without a key. */
  readonly key?: string | null;
  /** Base64; absent (or null) for a tombstone. */
  readonly value?: string | null;
  readonly headers?: readonly Readonly<Record<string, readonly number[]>>[];
}

/** Lambda's Kafka event: `aws:kafka` (MSK) or `SelfManagedKafka`. */
export interface LambdaKafkaEvent {
  readonly eventSource: string;
  readonly eventSourceArn?: string;
  readonly bootstrapServers?: string;
  /** Records by `topic-partition` (e.g. `metrics-0`), each list in offset order. */
  readonly records: Readonly<Record<string, readonly LambdaKafkaRecord[]>>;
}

/** A record with its bytes decoded and its place in the batch. */
export interface KafkaRecordView {
  /** The `topic-partition` key Lambda grouped it under: what a partial batch response names. */
  readonly partitionKey: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Epoch ms Kafka stamped on the record. */
  readonly timestamp: number;
  readonly key?: Buffer;
  readonly value?: Buffer;
  /** The value as Lambda sent it (base64), for dead letters. */
  readonly valueBase64: string;
  /** Headers by name; a repeated header keeps its last value. */
  readonly headers: ReadonlyMap<string, Buffer>;
}

/** Thrown when the event is not Lambda's Kafka shape (wrong trigger, a test payload); names what is missing. */
export class KafkaEventShapeError extends Error {
  override readonly name = 'KafkaEventShapeError';
}

/** The records of a Kafka event, partition by partition, each partition in offset order. */
export function kafkaRecords(event: LambdaKafkaEvent): KafkaRecordView[] {
  if (event === null || typeof event !== 'object' || typeof event.records !== 'object' || !event.records) {
    throw new KafkaEventShapeError('not a Lambda Kafka event: "records" (by topic-partition) is missing');
  }
  const views: KafkaRecordView[] = [];
  for (const [partitionKey, records] of Object.entries(event.records)) {
    if (!Array.isArray(records)) {
      throw new KafkaEventShapeError(`records["${partitionKey}"] must be a list of Kafka records`);
    }
    const sorted = [...records].sort((a, b) => a.offset - b.offset);
    for (const record of sorted) {
      views.push({
        partitionKey,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp,
        ...(record.key ? { key: Buffer.from(record.key, 'base64') } : {}),
        ...(record.value ? { value: Buffer.from(record.value, 'base64') } : {}),
        valueBase64: record.value ?? '',
        headers: decodeHeaders(record.headers ?? []),
      });
    }
  }
  return views;
}

/** Header bytes: each number is a byte, signed (-128..127, as Java sends them) or unsigned (0..255). */
export function decodeHeaders(
  headers: readonly Readonly<Record<string, readonly number[]>>[],
): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const header of headers) {
    for (const [name, bytes] of Object.entries(header)) {
      out.set(name, Buffer.from(bytes.map((b) => b & 0xff)));
    }
  }
  return out;
}
