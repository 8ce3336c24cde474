import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import { ObjectStoreArchive } from '../../adapters/archive-reader.ts';
import { createArchiveSink } from '../../adapters/archive-sink.ts';
import { REGISTRY_KEYS } from '../../adapters/dynamodb-registry-index.ts';
import { s3Registry } from '../../adapters/model-registry.ts';
import { S3ObjectStore } from '../../adapters/s3-object-store.ts';
import { type FeedbackLabel, MemoryLabelSource } from '../../core/learning/labels.ts';
import type { ObjectStore } from '../../core/learning/object-store.ts';
import type { WatchFigures, WatchSource } from '../../core/learning/watch.ts';
import { DEFAULT_SETTINGS, type RetrainDeps, type RetrainSettings } from '../../functions/retrain/deps.ts';
import { DEFAULT_MODEL_DIR } from '../../models/model-store.ts';
import { generateCorpus } from '../../models/synthetic-data.ts';
import { createKeyedTable, type DynamoDbLocal } from '../support/dynamodb-local.ts';

/** The end of the holdout window of the test runs: 16 days after the corpus starts (14 training, 2 holdout). */
export const AT = Date.UTC(2024, 0, 17);
export const DAY = 86_400_000;

/** Twelve synthetic series (two of each kind), 16 days at five minutes, as the detector would have archived them. */
export async function seedArchive(store: ObjectStore, seed = 11, at = AT): Promise<string[]> {
  const corpus = generateCorpus({ seed, seriesPerKind: 2, length: 4_700, anomaliesPerSeries: 0 });
  const shift = at - AT;
  const records: KinesisStreamRecord[] = [];
  let seq = 0;
  for (const s of corpus) {
    for (let i = 0; i < s.values.length; i++) {
      const timestamp = (s.timestamps[i] as number) + shift;
      const data = Buffer.from(JSON.stringify({ series: s.name, timestamp, value: s.values[i] })).toString(
        'base64',
      );
      seq += 1;
      records.push({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: s.name,
          sequenceNumber: String(seq),
          data,
          approximateArrivalTimestamp: (timestamp + 1_000) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${seq}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/firehose',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/events',
      });
    }
  }
  records.sort((a, b) => a.kinesis.approximateArrivalTimestamp - b.kinesis.approximateArrivalTimestamp);
  const sink = createArchiveSink(store);
  for (let i = 0; i < records.length; i += 5_000) await sink(records.slice(i, i + 5_000));
  return corpus.map((s) => s.name);
}

/** A confirmed anomaly and a false alarm inside the training window. */
export const LABELS: FeedbackLabel[] = [
  {
    episodeId: 'e-confirmed',
    series: 'seasonal-0',
    channel: 'value',
    from: Date.UTC(2024, 0, 5, 10),
    to: Date.UTC(2024, 0, 5, 11),
    who: 'alice',
    at: Date.UTC(2024, 0, 5, 12),
    verdict: 'anomaly',
  },
  {
    episodeId: 'e-normal',
    series: 'counts-1',
    channel: 'value',
    from: Date.UTC(2024, 0, 6, 10),
    to: Date.UTC(2024, 0, 6, 11),
    who: 'bob',
    at: Date.UTC(2024, 0, 6, 12),
    verdict: 'not-anomaly',
  },
];

/**
 * A watch source answering fixed figures: calm by default; with `storm`, an episode storm in the period that
 * starts where the previous one ended (the one after promotion), calm before it.
 */
export class FakeWatch implements WatchSource {
  storm = false;
  private lastTo = Number.NaN;
  async figures(from: number, to: number): Promise<WatchFigures> {
    // The watch asks for the shadow period [shadowFrom, promotedAt), then for [promotedAt, now).
    const afterPromotion = from === this.lastTo;
    this.lastTo = to;
    return {
      points: 100_000,
      episodes: this.storm && afterPromotion ? 500 : 5,
      invocations: 1_000,
      errors: 0,
    };
  }
}

/** Gate margins that let any candidate through, for runs that test what happens after the gate. */
export const LENIENT = {
  injectedRecall: 1,
  medianDelayPoints: 10_000,
  labelRecall: 1,
  labelPrecision: 1,
  p90EpisodesFactor: 1e6,
};
/** Gate margins no candidate can meet: it would have to catch 100% more injected anomalies than the champion. */
export const IMPOSSIBLE = { injectedRecall: -1 };

/** The retraining deps of a test: one fake bucket, DynamoDB Local for the registry, fast settings. */
export async function testDeps(
  s3: S3Client,
  ddb: DynamoDbLocal,
  table: string,
  settings: Partial<RetrainSettings> = {},
  objects: ObjectStore = new S3ObjectStore(s3, 'learning'),
): Promise<RetrainDeps & { watch: FakeWatch }> {
  await createKeyedTable(ddb.client, table, REGISTRY_KEYS.partition, REGISTRY_KEYS.sort);
  return {
    objects,
    archive: new ObjectStoreArchive(objects),
    labels: new MemoryLabelSource(LABELS),
    registry: s3Registry({ s3, dynamodb: ddb.client, bucket: 'learning', table }),
    watch: new FakeWatch(),
    fallbackModelDir: DEFAULT_MODEL_DIR,
    settings: {
      ...DEFAULT_SETTINGS,
      autoencoderMaxRows: 3_000,
      shadowSeconds: 0,
      watchSeconds: 0,
      ...settings,
    },
    gitRevision: 'test',
    trainerVersion: 'test',
    now: Date.now,
  };
}

/** A scratch directory. */
export const scratch = () => mkdtempSync(join(tmpdir(), 'seismo-retrain-'));
