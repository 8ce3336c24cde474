import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../core/features/feature-schema.ts';
import { sha256Hex } from '../core/scoring/model-verification.ts';
import { OnnxScorer } from '../core/scoring/onnx-scorer.ts';
import { scoreSamples as autoencoderScores, trainAutoencoder } from './autoencoder/autoencoder.ts';
import { exportAutoencoderOnnx } from './autoencoder/export-onnx.ts';
import { modelScoreReference } from './drift-reference.ts';
import { evaluateEpisodes } from './episode-evaluation.ts';
import { featureMatrix, rocAuc } from './feature-matrix.ts';
import { FOREST_HYPERPARAMETERS, TAILS, trainForest } from './forest-recipe.ts';
import { exportIsolationForestOnnx } from './isolation-forest/export-onnx.ts';
import { scoreSamples as forestScores } from './isolation-forest/isolation-forest.ts';
import type { ModelCard } from './model-card.ts';
import { DEFAULT_MODEL_DIR, SCORE_REFERENCE_FILE } from './model-store.ts';
import { generateCorpus, type SyntheticSeries } from './synthetic-data.ts';

/**
 * `npm run train`: trains the default model from the project's own synthetic corpus and writes
 * `model.onnx` and `model.json` (its card). Deterministic: the same seed gives the same sha256.
 */

const WARM_UP_POINTS = 64;
const MODEL_VERSION = '1.0.0';

/** Rows of normal behaviour (labelled anomalies left out) after warm-up, from every series of a corpus. */
export function normalRows(corpus: readonly SyntheticSeries[]): Float32Array {
  const parts: Float32Array[] = [];
  for (const series of corpus) {
    const matrix = featureMatrix(series.timestamps, series.values);
    for (let i = WARM_UP_POINTS; i < series.values.length; i++) {
      if (series.labels[i] === 0) parts.push(matrix.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    }
  }
  const rows = new Float32Array(parts.length * FEATURE_COUNT);
  for (const [i, row] of parts.entries()) rows.set(row, i * FEATURE_COUNT);
  return rows;
}

/** Every row after warm-up of a held-out corpus, with its label, for the card's metrics. */
function labelledRows(corpus: readonly SyntheticSeries[]): { rows: Float32Array; labels: Uint8Array } {
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  for (const series of corpus) {
    const matrix = featureMatrix(series.timestamps, series.values);
    rows.push(matrix.subarray(WARM_UP_POINTS * FEATURE_COUNT));
    for (let i = WARM_UP_POINTS; i < series.values.length; i++) labels.push(series.labels[i] as number);
  }
  const flat = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const r of rows) {
    flat.set(r, offset);
    offset += r.length;
  }
  return { rows: flat, labels: Uint8Array.from(labels) };
}

/** Trains one model and writes it with its card into `outDir`; returns the card. */
export async function trainDefaultModel(options: {
  algorithm: ModelCard['algorithm'];
  seed: number;
  outDir: string;
}): Promise<ModelCard> {
  const corpus = generateCorpus({ seed: options.seed });
  const train = normalRows(corpus);
  const trainRows = train.length / FEATURE_COUNT;
  const evaluate = labelledRows(generateCorpus({ seed: options.seed + 1 }));
  let bytes: Uint8Array;
  let evalScores: ArrayLike<number>;
  let hyperparameters: ModelCard['hyperparameters'];
  if (options.algorithm === 'isolation-forest') {
    // The same code path as a retrain's forest (models/forest-recipe.ts): only the rows differ.
    const forest = trainForest(train, options.seed);
    bytes = exportIsolationForestOnnx(forest, { producerVersion: MODEL_VERSION });
    evalScores = forestScores(forest, evaluate.rows);
    hyperparameters = FOREST_HYPERPARAMETERS;
  } else {
    const model = await trainAutoencoder(train, FEATURE_COUNT, { seed: options.seed, epochs: 20 });
    bytes = exportAutoencoderOnnx(model, { featureNames: FEATURE_NAMES });
    evalScores = autoencoderScores(model, evaluate.rows);
    hyperparameters = { hidden: model.hyperparameters.hidden, epochs: 20 };
  }
  const onnxFile = 'model.onnx';
  const first = corpus[0];
  const name = `seismo-${options.algorithm}`;
  const sha256 = sha256Hex(bytes);
  const scorer = await OnnxScorer.load(
    { name, version: MODEL_VERSION, featureNames: FEATURE_NAMES, sha256 },
    bytes,
  );
  const episodes = await evaluateEpisodes(scorer, options.seed + 2);
  const card: ModelCard = {
    name,
    version: MODEL_VERSION,
    algorithm: options.algorithm,
    featureNames: [...FEATURE_NAMES],
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    input: { name: 'features', shape: ['N', FEATURE_COUNT] },
    output: { name: 'score', shape: ['N', 1] },
    hyperparameters,
    training: {
      description: `synthetic corpus (models/synthetic-data.ts, seed ${options.seed}): ${corpus.length} series of 6 kinds (seasonal, mean-reverting, random-walk, counts, sensor, regimes) with injected spikes, dips, level shifts, noise bursts, stuck values and drifts; normal points only (labelled anomalies left out) after ${WARM_UP_POINTS} warm-up points; the isolation forest also gets ${TAILS.fraction * 100}% tail rows (augmentTails); ROC AUC on a held-out corpus (seed ${options.seed + 1}); episode metrics through the full detector on clean and anomalous held-out corpora (seeds ${options.seed + 2}, ${options.seed + 3})`,
      rows: trainRows,
      seed: options.seed,
      window: first
        ? {
            from: new Date(first.timestamps[0] as number).toISOString(),
            to: new Date(first.timestamps[first.timestamps.length - 1] as number).toISOString(),
          }
        : undefined,
    },
    metrics: {
      evaluationRows: evaluate.labels.length,
      evaluationAnomalousRows: evaluate.labels.reduce((a, b) => a + b, 0),
      rocAuc: Number(rocAuc(evalScores, evaluate.labels).toFixed(4)),
      ...episodes,
    },
    onnxFile,
    sha256,
    createdBy: 'npm run train',
  };
  await mkdir(options.outDir, { recursive: true });
  await writeFile(join(options.outDir, onnxFile), bytes);
  await writeFile(join(options.outDir, 'model.json'), `${JSON.stringify(card, null, 2)}\n`);
  await writeFile(
    join(options.outDir, SCORE_REFERENCE_FILE),
    `${JSON.stringify(await modelScoreReference(card, scorer))}\n`,
  );
  return card;
}

/** The seed the shipped model was trained with: training again with it gives the same bytes. */
export const DEFAULT_SEED = '20261125';

/** `npm run train -- --help`. */
export const TRAIN_USAGE = `Usage: npm run train -- [options]

Trains a model on the project's synthetic corpus (models/synthetic-data.ts) and writes model.onnx and its
card model.json. Deterministic: the same algorithm and seed give the same sha256.

Options:
  --algorithm NAME  isolation-forest (the shipped default) or autoencoder; default: isolation-forest
  --seed N          corpus and training seed (an integer); default: ${DEFAULT_SEED}
  --out DIR         where to write the model; default: ${DEFAULT_MODEL_DIR} (the shipped model)
  -h, --help        show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      algorithm: { type: 'string', default: 'isolation-forest' },
      seed: { type: 'string', default: DEFAULT_SEED },
      out: { type: 'string', default: DEFAULT_MODEL_DIR },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(TRAIN_USAGE);
    return;
  }
  const algorithm = values.algorithm;
  if (algorithm !== 'isolation-forest' && algorithm !== 'autoencoder') {
    throw new Error(`--algorithm must be isolation-forest or autoencoder, got ${algorithm}`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const started = performance.now();
  const card = await trainDefaultModel({ algorithm, seed, outDir: values.out });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${card.name}@${card.version} trained on ${card.training.rows} rows in ${seconds}s`);
  const m = card.metrics;
  console.log(`evaluation: ROC AUC ${m.rocAuc} on ${m.evaluationRows} rows (raw scores, point by point)`);
  console.log(
    `episodes: ${m.anomaliesDetected} of ${m.anomaliesInjected} injected anomalies caught (median delay ${m.medianDelayPoints} points), ${m.falseEpisodesPer10kPoints} false episodes per 10,000 clean points`,
  );
  console.log(`sha256 ${card.sha256} → ${values.out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(`${(error as Error).message}\n\n${TRAIN_USAGE}`);
    process.exit(1);
  });
}
