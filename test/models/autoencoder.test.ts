import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../core/features/feature-schema.ts';
import {
  type Autoencoder,
  AutoencoderInputError,
  scoreSamples,
  trainAutoencoder,
} from '../../models/autoencoder/autoencoder.ts';
import { exportAutoencoderOnnx } from '../../models/autoencoder/export-onnx.ts';
import { Random } from '../../models/random.ts';

const F = FEATURE_COUNT;
const TRAIN_OPTIONS = { seed: 42, epochs: 15 } as const;

/** Rows driven by two latent factors, so every feature is strongly correlated with others. */
function correlatedRows(n: number, seed: number): Float32Array {
  const random = new Random(seed);
  const rows = new Float32Array(n * F);
  for (let r = 0; r < n; r++) {
    const a = random.normal();
    const b = random.normal();
    for (let j = 0; j < F; j++) {
      const latent = j % 2 === 0 ? a : a * 0.5 + b;
      rows[r * F + j] = latent * (1 + j * 0.5) + j + 0.05 * random.normal();
    }
  }
  return rows;
}

/** Rows with the same per-feature distribution but each feature drawn from a different row: correlation broken. */
function decorrelatedRows(source: Float32Array, n: number, seed: number): Float32Array {
  const random = new Random(seed);
  const sourceRows = source.length / F;
  const rows = new Float32Array(n * F);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < F; j++) rows[r * F + j] = source[random.nextInt(sourceRows) * F + j] as number;
  }
  return rows;
}

async function onnxScores(
  bytes: Uint8Array,
  rows: Float32Array,
): Promise<{ data: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ features: new ort.Tensor('float32', rows, [rows.length / F, F]) });
    const score = out.score;
    if (!score) throw new Error('no score output');
    return { data: score.data as Float32Array, dims: [...score.dims] };
  } finally {
    await session.release();
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function median(values: Float32Array): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.floor(sorted.length / 2)] as number;
}

describe('autoencoder', () => {
  const training = correlatedRows(2000, 1);
  let model: Autoencoder;
  let bytes: Uint8Array;
  let trainingMs: number;

  beforeAll(async () => {
    const started = performance.now();
    model = await trainAutoencoder(training, F, TRAIN_OPTIONS);
    trainingMs = performance.now() - started;
    bytes = exportAutoencoderOnnx(model, { featureNames: FEATURE_NAMES });
  });

  it('trains a small model in seconds', () => {
    // Assess
    expect(trainingMs).toBeLessThan(15_000);
    expect(model.layers.map((l) => [l.inputSize, l.outputSize])).toEqual([
      [F, 16],
      [16, 4],
      [4, 16],
      [16, F],
    ]);
    expect(model.trainingLoss).toBeLessThan(0.5);
  });

  it('follows the model contract: features [N, F] in, score [N, 1] out, any N', async () => {
    // Prepare
    const session = await ort.InferenceSession.create(bytes);
    await session.release();

    // Act
    const one = await onnxScores(bytes, training.subarray(0, F));
    const many = await onnxScores(bytes, training.subarray(0, 37 * F));

    // Assess
    expect(session.inputNames).toEqual(['features']);
    expect(session.outputNames).toEqual(['score']);
    expect(one.dims).toEqual([1, 1]);
    expect(many.dims).toEqual([37, 1]);
  });

  it('scores the same in ONNX as in process, to 1e-5', async () => {
    // Prepare: normal rows, correlation-breaking rows and far-out values
    const normal = correlatedRows(400, 2);
    const broken = decorrelatedRows(normal, 200, 3);
    const extreme = correlatedRows(50, 4).map((v, k) => (k % 3 === 0 ? v * 40 : v - 25));
    const rows = new Float32Array([...normal, ...broken, ...extreme]);

    // Act
    const expected = scoreSamples(model, rows);
    const actual = (await onnxScores(bytes, rows)).data;

    // Assess
    expect(actual.length).toBe(650);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i] as number;
      worst = Math.max(worst, Math.abs((actual[i] as number) - e) / Math.max(1, Math.abs(e)));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('scores rows that break the correlation higher than normal rows', () => {
    // Prepare
    const normal = correlatedRows(500, 5);
    const broken = decorrelatedRows(normal, 500, 6);

    // Act
    const normalScores = scoreSamples(model, normal);
    const brokenScores = scoreSamples(model, broken);

    // Assess
    expect(median(brokenScores)).toBeGreaterThan(10 * median(normalScores));
    const caught = brokenScores.filter((s) => s > median(normalScores) * 3).length;
    expect(caught / brokenScores.length).toBeGreaterThan(0.9);
  });

  it('gives identical ONNX bytes when trained twice with the same seed, different ones with another', async () => {
    // Act
    const again = exportAutoencoderOnnx(await trainAutoencoder(training, F, TRAIN_OPTIONS), {
      featureNames: FEATURE_NAMES,
    });
    const otherSeed = exportAutoencoderOnnx(
      await trainAutoencoder(training, F, { ...TRAIN_OPTIONS, seed: 43 }),
      {
        featureNames: FEATURE_NAMES,
      },
    );

    // Assess
    expect(sha256(again)).toBe(sha256(bytes));
    expect(sha256(otherSeed)).not.toBe(sha256(bytes));
  });

  it('round-trips through JSON without changing a bit', () => {
    // Act
    const copy = JSON.parse(JSON.stringify(model)) as Autoencoder;

    // Assess
    expect(sha256(exportAutoencoderOnnx(copy, { featureNames: FEATURE_NAMES }))).toBe(sha256(bytes));
  });

  it('refuses malformed input with a message naming the rule', async () => {
    // Act + Assess
    await expect(trainAutoencoder(new Float32Array(F + 1), F, { seed: 1 })).rejects.toThrow(
      AutoencoderInputError,
    );
    await expect(
      trainAutoencoder(new Float32Array([Number.NaN, ...new Array(F - 1).fill(0)]), F, { seed: 1 }),
    ).rejects.toThrow(/finite; row 0, feature 0/);
    await expect(trainAutoencoder(training, F, { seed: 1, hidden: [] })).rejects.toThrow(/hidden/);
    expect(() => exportAutoencoderOnnx(model, { featureNames: ['a'] })).toThrow(/featureNames/);
  });
});
