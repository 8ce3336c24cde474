/**
 * `npm run bench:gate`: a whole retrain on the synthetic corpus, locally, as `seismo retrain --local` runs it:
 * 36 series (six kinds, three injected anomalies each) archived over 16 days; every injected anomaly is a
 * confirmed label (as operators would have confirmed the incidents; left out of training, as `npm run train`
 * leaves labelled points out), and one quiet hour per kind is marked "not an anomaly". Prints the gate's report; the registered model lands in `--out` (default .bench-out/retrain),
 * ready for `npm run bench:nab -- --model <out>/registry/default/v1`.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { KinesisStreamRecord } from 'aws-lambda';
import { createArchiveSink } from '../adapters/archive-sink.ts';
import { LocalObjectStore } from '../adapters/local-object-store.ts';
import { type FeedbackLabel, MemoryLabelSource } from '../core/learning/labels.ts';
import { getText } from '../core/learning/object-store.ts';
import { localRetrainDeps, runRetrainLocally } from '../local/retrain.ts';
import { generateCorpus } from '../models/synthetic-data.ts';

const AT = Date.UTC(2024, 0, 17);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: '.bench-out/retrain' },
      seed: { type: 'string', default: '20261125' },
    },
  });
  const out = values.out ?? '.bench-out/retrain';
  rmSync(out, { recursive: true, force: true });
  const store = new LocalObjectStore(out);
  const corpus = generateCorpus({ seed: Number(values.seed), length: 4_700 });
  const labels: FeedbackLabel[] = [];
  const records: KinesisStreamRecord[] = [];
  for (const s of corpus) {
    s.anomalies.forEach((a, k) => {
      // Every injected anomaly was confirmed.
      const from = s.timestamps[a.start] as number;
      const to = s.timestamps[Math.min(s.values.length - 1, a.start + a.length)] as number;
      labels.push({
        episodeId: `${s.name}-${k}`,
        series: s.name,
        channel: 'value',
        from,
        to,
        who: 'bench',
        at: to,
        verdict: 'anomaly',
      });
    });
    const quiet = s.timestamps[200] as number;
    if (s.name.endsWith('-0')) {
      labels.push({
        episodeId: `${s.name}-fp`,
        series: s.name,
        channel: 'value',
        from: quiet,
        to: quiet + 3_600_000,
        who: 'bench',
        at: quiet,
        verdict: 'not-anomaly',
      });
    }
    for (let i = 0; i < s.values.length; i++) {
      const timestamp = s.timestamps[i] as number;
      records.push({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: s.name,
          sequenceNumber: String(records.length),
          data: Buffer.from(JSON.stringify({ series: s.name, timestamp, value: s.values[i] })).toString(
            'base64',
          ),
          approximateArrivalTimestamp: timestamp / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${records.length}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: '',
        awsRegion: 'local',
        eventSourceARN: '',
      });
    }
  }
  records.sort((a, b) => a.kinesis.approximateArrivalTimestamp - b.kinesis.approximateArrivalTimestamp);
  const sink = createArchiveSink(store);
  for (let i = 0; i < records.length; i += 10_000) await sink(records.slice(i, i + 10_000));
  const deps = { ...localRetrainDeps(out), labels: new MemoryLabelSource(labels) };
  const started = performance.now();
  const result = await runRetrainLocally(
    deps,
    { runId: 'bench-gate', at: new Date(AT).toISOString(), requestedBy: 'bench' },
    (m) => process.stderr.write(`  ${m}\n`),
  );
  process.stdout.write(await getText(deps.objects, result.evaluation.reportKey.replace(/\.json$/, '.txt')));
  process.stdout.write(
    `\n${labels.length} labels; retrain took ${((performance.now() - started) / 1000).toFixed(1)} s; ${result.promoted ? `registered v${result.version} in ${out}/registry/default/v${result.version}` : 'nothing registered'}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:gate failed: ${(error as Error).stack}\n`);
  process.exitCode = 1;
});
