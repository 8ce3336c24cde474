import type { LambdaKafkaEvent, LambdaKafkaRecord } from '../../core/kafka/kafka-records.ts';
import type { KafkaBatchResponse } from '../../core/kafka/partial-failures.ts';

/**
 * Kafka events exactly as Lambda's MSK and self-managed Kafka event source mappings deliver them (no broker
 * runs here): records grouped by `topic-partition`, key and value base64, headers as arrays of bytes with
 * Java's signed values, and a small simulator of the mapping's redelivery after a partial batch response.
 */

/** A record to put on a topic: value as text or bytes, optional key and headers (text). */
export interface TopicRecord {
  readonly value: string | Buffer | null;
  readonly key?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Java's signed bytes, as Lambda serializes a header value. */
export function javaBytes(text: string): number[] {
  return [...Buffer.from(text)].map((b) => (b > 127 ? b - 256 : b));
}

/** One Lambda Kafka record at `offset`. */
export function kafkaRecord(
  topic: string,
  partition: number,
  offset: number,
  r: TopicRecord,
): LambdaKafkaRecord {
  const value =
    r.value === null
      ? null
      : (typeof r.value === 'string' ? Buffer.from(r.value) : r.value).toString('base64');
  return {
    topic,
    partition,
    offset,
    timestamp: 1_764_547_200_000 + offset,
    timestampType: 'CREATE_TIME',
    key: r.key === undefined ? null : Buffer.from(r.key).toString('base64'),
    value,
    headers: Object.entries(r.headers ?? {}).map(([name, text]) => ({ [name]: javaBytes(text) })),
  };
}

/** An MSK event (`aws:kafka`) holding the given records of each `topic-partition`. */
export function mskEvent(
  partitions: Readonly<Record<string, readonly LambdaKafkaRecord[]>>,
): LambdaKafkaEvent {
  return {
    eventSource: 'aws:kafka',
    eventSourceArn:
      'arn:aws:kafka:eu-west-1:123456789012:cluster/metrics/abcd1234-ab12-cd34-ef56-abcdef123456-2',
    bootstrapServers: 'b-1.metrics.abc123.c2.kafka.eu-west-1.amazonaws.com:9098',
    records: partitions,
  };
}

/** A self-managed Kafka event (`SelfManagedKafka`). */
export function selfManagedEvent(
  partitions: Readonly<Record<string, readonly LambdaKafkaRecord[]>>,
): LambdaKafkaEvent {
  return { eventSource: 'SelfManagedKafka', bootstrapServers: 'kafka-1.internal:9092', records: partitions };
}

/**
 * The event source mapping's loop over in-memory topic partitions: batches of up to `batchSize` records per
 * partition from each committed offset; after a response, each partition named in it resumes from the named
 * offset, the others commit the whole batch. A thrown handler retries the same batch. Stops when all is
 * committed or after `maxInvocations`.
 */
export async function runMapping(
  partitions: Readonly<Record<string, readonly TopicRecord[]>>,
  handler: (event: LambdaKafkaEvent) => Promise<KafkaBatchResponse>,
  options: { readonly batchSize?: number; readonly maxInvocations?: number } = {},
): Promise<{ invocations: number; committed: Map<string, number> }> {
  const batchSize = options.batchSize ?? 50;
  const committed = new Map(Object.keys(partitions).map((k) => [k, 0]));
  let invocations = 0;
  const pending = () => [...committed].some(([k, offset]) => offset < (partitions[k]?.length ?? 0));
  while (pending()) {
    if (++invocations > (options.maxInvocations ?? 1000)) throw new Error('mapping did not finish');
    const event: Record<string, LambdaKafkaRecord[]> = {};
    for (const [key, records] of Object.entries(partitions)) {
      const from = committed.get(key) ?? 0;
      const [topic, partition] = splitKey(key);
      const slice = records
        .slice(from, from + batchSize)
        .map((r, i) => kafkaRecord(topic, partition, from + i, r));
      if (slice.length > 0) event[key] = slice;
    }
    let response: KafkaBatchResponse;
    try {
      response = await handler(mskEvent(event));
    } catch {
      continue;
    }
    const resume = new Map(
      response.batchItemFailures.map((f) => [f.itemIdentifier.partition, f.itemIdentifier.offset]),
    );
    for (const [key, slice] of Object.entries(event)) {
      const last = slice.at(-1)?.offset ?? 0;
      committed.set(key, resume.get(key) ?? last + 1);
    }
  }
  return { invocations, committed };
}

function splitKey(key: string): [string, number] {
  const dash = key.lastIndexOf('-');
  return [key.slice(0, dash), Number(key.slice(dash + 1))];
}
