import { aggregate } from 'aws-kinesis-agg';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** Kinesis records as Lambda hands them to the detector, for tests. */

/** Arrival time stamped on every test record. */
export const ARRIVAL_SECONDS = Date.UTC(2024, 0, 1) / 1000;

/** One Kinesis record of `shard` carrying `data` (a string is sent as UTF-8; a Buffer as is). */
export function record(
  data: string | Buffer,
  partitionKey: string,
  seq: number,
  shard = 'shardId-000000000000',
): KinesisStreamRecord {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const sequenceNumber = String(49_000_000 + seq);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey,
      sequenceNumber,
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: ARRIVAL_SECONDS,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shard}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/detect',
    awsRegion: 'eu-west-1',
    eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events',
  };
}

/** A batch of one record per event, in order, partition key = series. */
export function batch(events: readonly object[], firstSeq = 0, shard?: string): KinesisStreamEvent {
  return {
    Records: events.map((e, i) =>
      record(JSON.stringify(e), String((e as { series?: string }).series), firstSeq + i, shard),
    ),
  };
}

/** What Lambda re-delivers after a partial failure: the batch from the lowest failed sequence number on. */
export function retryOf(event: KinesisStreamEvent, response: KinesisStreamBatchResponse): KinesisStreamEvent {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const first = event.Records.findIndex((r) => failed.has(r.kinesis.sequenceNumber));
  return { Records: first < 0 ? [] : event.Records.slice(first) };
}

/** Builds one KPL-aggregated record from user records, with aws-kinesis-agg's own encoder. */
export async function aggregated(
  users: { partitionKey: string; data: string }[],
  seq: number,
): Promise<KinesisStreamRecord> {
  const encoded: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    aggregate(
      users,
      (rec, done) => {
        encoded.push(rec.data);
        done();
      },
      () => resolve(),
      (error) => reject(error),
    );
  });
  if (encoded.length !== 1) throw new Error(`expected one aggregated record, got ${encoded.length}`);
  return record(encoded[0] as Buffer, users[0]?.partitionKey ?? 'x', seq);
}
