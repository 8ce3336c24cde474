import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../core/features/feature-schema.ts';
import { sha256Hex } from '../../core/scoring/model-verification.ts';
import { featureMatrix } from '../../models/feature-matrix.ts';
import { exportIsolationForestOnnx } from '../../models/isolation-forest/export-onnx.ts';
import { type IsolationForest, scoreSamples } from '../../models/isolation-forest/isolation-forest.ts';
import type { ModelCard } from '../../models/model-card.ts';
import { DEFAULT_MODEL_DIR, loadModel, readModelCard } from '../../models/model-store.ts';
import { generateCorpus } from '../../models/synthetic-data.ts';
import { trainDefaultModel } from '../../models/train-default.ts';

/** Every forest the trainer grows, kept so the test can score in process with exactly the shipped forest. */
const grown = vi.hoisted(() => [] as IsolationForest[]);

vi.mock('../../models/isolation-forest/isolation-forest.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../models/isolation-forest/isolation-forest.ts')>();
  return {
    ...original,
    trainIsolationForest: (...args: Parameters<typeof original.trainIsolationForest>) => {
      const forest = original.trainIsolationForest(...args);
      grown.push(forest);
      return forest;
    },
  };
});

describe('default model', () => {
  let shipped: ModelCard;
  let dirs: string[];
  let retrained: ModelCard[];

  beforeAll(async () => {
    shipped = await readModelCard(DEFAULT_MODEL_DIR);
    dirs = await Promise.all([1, 2].map(() => mkdtemp(join(tmpdir(), 'seismo-train-'))));
    retrained = [];
    for (const outDir of dirs) {
      retrained.push(
        await trainDefaultModel({ algorithm: shipped.algorithm, seed: shipped.training.seed, outDir }),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('trains to the same bytes twice with the same seed', async () => {
    // Prepare: two training runs above
    const [a, b] = dirs as [string, string];
    // Act
    const bytes = await Promise.all([a, b].map((dir) => readFile(join(dir, 'model.onnx'))));
    // Assess
    expect(retrained[0]?.sha256).toBe(retrained[1]?.sha256);
    expect(sha256Hex(bytes[0] as Buffer)).toBe(retrained[0]?.sha256);
    expect(sha256Hex(bytes[1] as Buffer)).toBe(retrained[1]?.sha256);
  });

  it('is the shipped model: retraining with the card seed reproduces models/default byte for byte', async () => {
    // Prepare
    const shippedBytes = await readFile(join(DEFAULT_MODEL_DIR, shipped.onnxFile));
    // Act
    const retrainedSha = retrained[0]?.sha256;
    // Assess
    expect(sha256Hex(shippedBytes)).toBe(shipped.sha256);
    expect(retrainedSha, 'models/default is stale: retrain it with npm run train').toBe(shipped.sha256);
  });

  it('lists exactly FEATURE_NAMES, in order, on the shipped card', () => {
    // Prepare, Act: the shipped card
    // Assess
    expect(shipped.featureNames).toEqual([...FEATURE_NAMES]);
    expect(shipped.input.shape).toEqual(['N', FEATURE_COUNT]);
  });

  it('scores like the in-process isolation forest, within 1e-5, on a synthetic series', async () => {
    // Prepare
    const forest = grown[0];
    if (!forest) throw new Error('the trainer grew no isolation forest');
    expect(sha256Hex(exportIsolationForestOnnx(forest, { producerVersion: shipped.version }))).toBe(
      shipped.sha256,
    );
    const corpus = generateCorpus({ seed: 424242, seriesPerKind: 1, length: 700 });
    const parts = corpus.map((series) => featureMatrix(series.timestamps, series.values));
    const rows = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      rows.set(part, offset);
      offset += part.length;
    }
    const n = rows.length / FEATURE_COUNT;
    const { scorer } = await loadModel();
    // Act
    const onnx = await scorer.score(rows, n);
    const inProcess = scoreSamples(forest, rows);
    // Assess
    expect(onnx).toHaveLength(n);
    let worst = 0;
    for (let i = 0; i < n; i++)
      worst = Math.max(worst, Math.abs((onnx[i] as number) - (inProcess[i] as number)));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...inProcess) - Math.min(...inProcess)).toBeGreaterThan(0.1);
  });
});
