/**
 * `npm run bench:memory`: how much memory a detector container needs for its warm series, measured on the real
 * detect handler. Batches of Kinesis records for N series (default 50,000, the handler's warm-cache limit) go
 * through `createDetectHandler` with stores that keep nothing (the state store records each checkpoint's size
 * instead of holding it), half an hour apart over 30 hours so every series has a full hour-of-day profile.
 * Prints the resident set size before and after, per series, and the checkpoint size DynamoDB would store.
 *
 * Options: `--series N`, `--rounds R` (default 60), `--batch B` (default 1000). Run it with
 * `node --expose-gc` (the npm script does) for RSS after a full collection.
 */

import { parseArgs } from 'node:util';
import type { KinesisStreamEvent } from 'aws-lambda';
import { Detector } from '../core/detector.ts';
import type { FeatureStateStore, VersionedState } from '../core/ports.ts';
import { createDetectHandler } from '../functions/detect/detect-handler.ts';
import { loadModel } from '../models/model-store.ts';
import { Random } from '../models/random.ts';

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '60' },
    batch: { type: 'string', default: '1000' },
  },
});
const SERIES = Number(values.series);
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);
const STEP_MS = 30 * 60_000;
const START = Date.UTC(2026, 10, 1);

/** Remembers nothing but the size of each checkpoint it is asked to save (as DynamoDB's `state` attribute). */
class SizeRecordingStateStore implements FeatureStateStore {
  readonly sizes: number[] = [];
  async load(): Promise<Map<string, VersionedState>> {
    return new Map();
  }
  async save(entries: readonly VersionedState[]) {
    for (const entry of entries) {
      if (!(entry.state instanceof Uint8Array))
        throw new Error('the handler saved a checkpoint that is not bytes');
      this.sizes.push(entry.state.byteLength);
    }
    return { conflicts: [] };
  }
  async quarantine(): Promise<void> {}
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const collect = () => (globalThis as { gc?: () => void }).gc?.();

let sequence = 49_000_000_000n;
function kinesisEvent(payloads: readonly string[]): KinesisStreamEvent {
  return {
    Records: payloads.map((data) => {
      sequence += 1n;
      return {
        eventID: `shardId-000000000000:${sequence}`,
        eventName: 'aws:kinesis:record',
        eventSource: 'aws:kinesis',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/seismo-bench',
        eventVersion: '1.0',
        awsRegion: 'us-east-1',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/bench',
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: 'bench',
          sequenceNumber: String(sequence),
          data: Buffer.from(data).toString('base64'),
          approximateArrivalTimestamp: 0,
        },
      };
    }),
  };
}

const { scorer } = await loadModel();
const stateStore = new SizeRecordingStateStore();
const handler = createDetectHandler({
  detector: new Detector(scorer),
  stateStore,
  timeSeries: { write: async () => ({ rejected: [] }) },
  alerts: { publish: async () => {} },
  deadLetters: { send: async () => {} },
  maxCachedSeries: SERIES,
  clock: { now: () => START + ROUNDS * STEP_MS },
  maxFutureMs: Number.MAX_SAFE_INTEGER,
});
collect();
const before = process.memoryUsage();
const random = new Random(11);
const level = Array.from({ length: SERIES }, () => 50 + random.next() * 50);
const started = performance.now();
for (let round = 0; round < ROUNDS; round++) {
  const timestamp = START + round * STEP_MS;
  for (let first = 0; first < SERIES; first += BATCH) {
    const payloads: string[] = [];
    for (let s = first; s < Math.min(first + BATCH, SERIES); s++) {
      const value = (level[s] as number) + random.normal(0, 2);
      payloads.push(JSON.stringify({ series: `host-${s}.cpu`, timestamp, value }));
    }
    const response = await handler(kinesisEvent(payloads));
    if (response.batchItemFailures.length > 0) throw new Error('the handler reported failures');
  }
}
const seconds = (performance.now() - started) / 1000;
collect();
const after = process.memoryUsage();
const recent = stateStore.sizes.slice(-SERIES).sort((a, b) => a - b);
const median = recent[Math.floor(recent.length / 2)] ?? 0;
const max = recent[recent.length - 1] ?? 0;
const report = {
  series: SERIES,
  events: SERIES * ROUNDS,
  seconds: Number(seconds.toFixed(1)),
  rssBeforeMb: mb(before.rss),
  rssAfterMb: mb(after.rss),
  heapUsedAfterMb: mb(after.heapUsed),
  externalAfterMb: mb(after.external),
  bytesPerWarmSeries: Math.round((after.rss - before.rss) / SERIES),
  checkpointMedianBytes: median,
  checkpointMaxBytes: max,
};
for (const [key, value] of Object.entries(report)) console.log(`${key.padEnd(22)} ${value}`);
console.log(JSON.stringify(report));
