import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import { decodeBatch } from '../../functions/detect/decode-records.ts';
import { record } from './kinesis-records.ts';

/** Everything on a stream, shard by shard from the start, as the detector decodes it. */
export interface StreamContents {
  readonly events: MeasurementEvent[];
  /** Kinesis records read (fewer than events when aggregated). */
  readonly records: number;
  /** Partition key of each event's record, in the order of `events`. */
  readonly keys: string[];
  /** Records the detector's decoder would refuse. */
  readonly rejected: number;
}

/** Reads every record of every shard of `streamName` (kinesis-mock) from TRIM_HORIZON. */
export async function readStream(client: KinesisClient, streamName: string): Promise<StreamContents> {
  const shards = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const events: MeasurementEvent[] = [];
  const keys: string[] = [];
  let records = 0;
  let rejected = 0;
  for (const shard of shards) {
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const got = page.Records ?? [];
      records += got.length;
      const decoded = decodeBatch(
        got.map((r, i) => record(Buffer.from(r.Data as Uint8Array), r.PartitionKey as string, i)),
      );
      rejected += decoded.rejected.length;
      for (const a of decoded.accepted) {
        events.push(a.event);
        keys.push(got[a.recordIndex]?.PartitionKey ?? '');
      }
      iterator = got.length === 0 ? undefined : page.NextShardIterator;
    }
  }
  return { events, records, keys, rejected };
}
