/**
 * `npm run bench:train`: training time and peak memory of each algorithm at retraining sizes, each
 * measurement in a child process of its own (so peak RSS is that run's alone), on one core.
 *
 *   npm run bench:train                       the table: both algorithms at 100 and 1,000 series × 10,000 points
 *   npm run bench:train -- --series 100 --points 10000 --algorithm autoencoder [--epochs 1] [--max-rows N]
 *
 * `--json` prints the results as JSON last. The autoencoder's full-data figures at 1,000 series are measured
 * over `--epochs` epochs (default 1 for that size) and extrapolated to the recipe's 20, as the report says.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { FEATURE_COUNT } from '../core/features/feature-schema.ts';
import { featureMatrix } from '../models/feature-matrix.ts';
import { generateCorpus } from '../models/synthetic-data.ts';
import { type Algorithm, AUTOENCODER_EPOCHS, trainCandidate } from '../models/training-recipe.ts';

const WARM_UP = 64;

interface Measurement {
  readonly algorithm: Algorithm;
  readonly series: number;
  readonly points: number;
  readonly rows: number;
  readonly trainedRows: number;
  readonly epochs?: number;
  readonly featureSeconds: number;
  readonly trainSeconds: number;
  /** trainSeconds scaled to the recipe's epochs when fewer were run. */
  readonly trainSecondsFullRecipe: number;
  readonly peakRssMiB: number;
}

async function measure(
  algorithm: Algorithm,
  series: number,
  points: number,
  epochs?: number,
  maxRows?: number,
): Promise<Measurement> {
  const t0 = performance.now();
  const corpus = generateCorpus({
    seed: 7,
    seriesPerKind: Math.ceil(series / 6),
    length: points,
    anomaliesPerSeries: 0,
  }).slice(0, series);
  const rows = new Float32Array(corpus.length * (points - WARM_UP) * FEATURE_COUNT);
  let offset = 0;
  for (const s of corpus) {
    const m = featureMatrix(s.timestamps, s.values);
    rows.set(m.subarray(WARM_UP * FEATURE_COUNT), offset);
    offset += m.length - WARM_UP * FEATURE_COUNT;
  }
  corpus.length = 0;
  const featureSeconds = (performance.now() - t0) / 1000;
  const lineage = {
    runId: 'bench',
    featureFingerprint: 'bench',
    trainingWindow: { from: '', to: '' },
    holdoutWindow: { from: '', to: '' },
    series: { count: series, sha256: '' },
    excludedEpisodes: [],
    seed: 1,
    trainer: { name: 'bench', version: '0' },
    gitRevision: 'bench',
  };
  const candidate = await trainCandidate(algorithm, rows, lineage, {
    seed: 1,
    ...(epochs ? { epochs } : {}),
    ...(maxRows ? { autoencoderMaxRows: maxRows } : {}),
  });
  const ran = algorithm === 'autoencoder' ? (epochs ?? AUTOENCODER_EPOCHS) : undefined;
  return {
    algorithm,
    series,
    points,
    rows: rows.length / FEATURE_COUNT,
    trainedRows: candidate.card.training.rows,
    ...(ran ? { epochs: ran } : {}),
    featureSeconds: Number(featureSeconds.toFixed(1)),
    trainSeconds: Number(candidate.trainSeconds.toFixed(1)),
    trainSecondsFullRecipe: Number(
      ((candidate.trainSeconds * AUTOENCODER_EPOCHS) / (ran ?? AUTOENCODER_EPOCHS)).toFixed(1),
    ),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

const PLAN: { algorithm: Algorithm; series: number; epochs?: number; maxRows?: number }[] = [
  { algorithm: 'isolation-forest', series: 100 },
  { algorithm: 'isolation-forest', series: 1000 },
  { algorithm: 'autoencoder', series: 100, maxRows: 200_000 },
  { algorithm: 'autoencoder', series: 1000, maxRows: 200_000 },
  { algorithm: 'autoencoder', series: 100, epochs: 2 },
  { algorithm: 'autoencoder', series: 1000, epochs: 1 },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: 'string' },
      points: { type: 'string', default: '10000' },
      algorithm: { type: 'string' },
      epochs: { type: 'string' },
      'max-rows': { type: 'string' },
      json: { type: 'boolean', default: false },
      child: { type: 'boolean', default: false },
    },
  });
  const points = Number(values.points);
  if (values.series && values.algorithm) {
    const m = await measure(
      values.algorithm as Algorithm,
      Number(values.series),
      points,
      values.epochs ? Number(values.epochs) : undefined,
      values['max-rows'] ? Number(values['max-rows']) : undefined,
    );
    process.stdout.write(`${values.child ? JSON.stringify(m) : formatRow(m)}\n`);
    return;
  }
  const results: Measurement[] = [];
  process.stdout.write(`${HEADER}\n`);
  for (const p of PLAN) {
    const args = [
      '--import',
      'tsx',
      process.argv[1] as string,
      '--child',
      '--series',
      String(p.series),
      '--points',
      String(points),
      '--algorithm',
      p.algorithm,
    ];
    if (p.epochs) args.push('--epochs', String(p.epochs));
    if (p.maxRows) args.push('--max-rows', String(p.maxRows));
    const out = execFileSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = JSON.parse(out.trim().split('\n').pop() as string) as Measurement;
    results.push(m);
    process.stdout.write(`${formatRow(m)}\n`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
}

const HEADER = `${'algorithm'.padEnd(17)}${'series'.padStart(7)}${'rows'.padStart(12)}${'trained on'.padStart(12)}${'epochs'.padStart(8)}${'features s'.padStart(12)}${'train s'.padStart(10)}${'train s (20 ep)'.padStart(17)}${'peak RSS MiB'.padStart(14)}`;

function formatRow(m: Measurement): string {
  return `${m.algorithm.padEnd(17)}${String(m.series).padStart(7)}${m.rows.toLocaleString('en-US').padStart(12)}${m.trainedRows.toLocaleString('en-US').padStart(12)}${String(m.epochs ?? '-').padStart(8)}${String(m.featureSeconds).padStart(12)}${String(m.trainSeconds).padStart(10)}${String(m.trainSecondsFullRecipe).padStart(17)}${String(m.peakRssMiB).padStart(14)}`;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:train failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
