/**
 * `npm run bench:nab-spread`: how much of the NAB score is the forest's seed. Grows the shipped model's forest
 * (models/forest-recipe.ts) on the shipped model's training rows (synthetic corpus of `--corpus-seed`, default
 * the shipped seed) once per forest seed, scores each on NAB as `npm run bench:nab` does, and prints each
 * seed's scores, their mean, standard deviation and range, beside the shipped model's. A retrained model's
 * NAB score is one draw from such a spread: compare it with the spread, not with one other draw.
 *
 * Options: `--seeds 1-10` (a range or a comma list), `--corpus-seed N`, `--nab DIR`, `--out DIR` (the models;
 * default .bench-out/nab-spread), `--json` (last stdout line: the standard scores' summary as JSON).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FEATURE_COUNT } from '../core/features/feature-schema.ts';
import { sha256Hex } from '../core/scoring/model-verification.ts';
import { FOREST_HYPERPARAMETERS, trainForest } from '../models/forest-recipe.ts';
import { exportIsolationForestOnnx } from '../models/isolation-forest/export-onnx.ts';
import { DEFAULT_MODEL_DIR, readModelCard } from '../models/model-store.ts';
import { generateCorpus } from '../models/synthetic-data.ts';
import { DEFAULT_SEED, normalRows } from '../models/train-default.ts';
import { loadNabCorpus, PROFILE_NAMES, type ProfileName } from './nab/corpus.ts';
import { runNab } from './nab/run.ts';

/** `1-10` or `1,2,5` → the seeds. */
export function parseSeeds(text: string): number[] {
  const range = /^(-?\d+)-(-?\d+)$/.exec(text.trim());
  const seeds = range
    ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i)
    : text.split(',').map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s))) {
    throw new Error(`--seeds must be a range like 1-10 or a list like 1,2,5, got ${text}`);
  }
  return seeds;
}

/** Mean, sample standard deviation, minimum and maximum. */
export function summary(xs: readonly number[]): { mean: number; sd: number; min: number; max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}

const LABEL: Record<ProfileName, string> = {
  standard: 'standard',
  reward_low_FP_rate: 'low FP',
  reward_low_FN_rate: 'low FN',
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1-10' },
      'corpus-seed': { type: 'string', default: DEFAULT_SEED },
      nab: { type: 'string' },
      out: { type: 'string', default: '.bench-out/nab-spread' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const seeds = parseSeeds(values.seeds);
  const corpusSeed = Number(values['corpus-seed']);
  if (!Number.isInteger(corpusSeed)) throw new Error(`--corpus-seed must be an integer, got ${corpusSeed}`);
  const out = values.out ?? '.bench-out/nab-spread';
  const nab = await loadNabCorpus(values.nab);
  const rows = normalRows(generateCorpus({ seed: corpusSeed }));
  const shippedCard = await readModelCard(DEFAULT_MODEL_DIR);
  const score = async (model: string) => {
    const { results } = await runNab({ corpus: nab, model });
    return PROFILE_NAMES.map((p) => results[p].normalised);
  };
  const line = (name: string, s: readonly number[]) =>
    `${name.padEnd(26)}${s.map((x) => x.toFixed(2).padStart(10)).join('')}`;
  const lines = [
    `Forest recipe: ${JSON.stringify(FOREST_HYPERPARAMETERS)}; ${rows.length / FEATURE_COUNT} training rows (synthetic corpus, seed ${corpusSeed}); NAB: ${nab.files.length} files`,
    '',
    `${''.padEnd(26)}${PROFILE_NAMES.map((p) => LABEL[p].padStart(10)).join('')}`,
  ];
  const shipped = await score(DEFAULT_MODEL_DIR);
  lines.push(line(`shipped (seed ${shippedCard.training.seed})`, shipped));
  const all: number[][] = [];
  for (const seed of seeds) {
    const forest = trainForest(rows, seed);
    const bytes = exportIsolationForestOnnx(forest, { producerVersion: shippedCard.version });
    const dir = join(out, `seed-${seed}`);
    const card = {
      ...shippedCard,
      version: `seed-${seed}`,
      sha256: sha256Hex(bytes),
      training: { ...shippedCard.training, seed },
      createdBy: 'npm run bench:nab-spread',
    };
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, card.onnxFile), bytes);
    await writeFile(join(dir, 'model.json'), `${JSON.stringify(card, null, 2)}\n`);
    const s = await score(dir);
    all.push(s);
    const text = line(`forest seed ${seed}`, s);
    process.stderr.write(`${text}\n`);
    lines.push(text);
  }
  const stats = PROFILE_NAMES.map((_, i) => summary(all.map((s) => s[i] as number)));
  lines.push('');
  lines.push(
    line(
      `mean of ${seeds.length} seeds`,
      stats.map((s) => s.mean),
    ),
  );
  lines.push(
    line(
      'standard deviation',
      stats.map((s) => s.sd),
    ),
  );
  lines.push(
    line(
      'min',
      stats.map((s) => s.min),
    ),
  );
  lines.push(
    line(
      'max',
      stats.map((s) => s.max),
    ),
  );
  const below = all.filter((s) => (s[0] as number) < (shipped[0] as number)).length;
  lines.push('');
  lines.push(
    `${below} of ${seeds.length} seeds score below the shipped model's standard ${shipped[0]?.toFixed(2)}.`,
  );
  if (values.json) {
    const s = stats[0] as ReturnType<typeof summary>;
    lines.push(
      JSON.stringify({
        seeds: seeds.length,
        mean: Number(s.mean.toFixed(2)),
        sd: Number(s.sd.toFixed(2)),
        min: Number(s.min.toFixed(2)),
        max: Number(s.max.toFixed(2)),
      }),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:nab-spread failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
