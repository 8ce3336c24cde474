import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT } from '../../core/features/feature-schema.ts';
import { exportIsolationForestOnnx } from '../../models/isolation-forest/export-onnx.ts';
import {
  averagePathLength,
  IsolationForestInputError,
  IsolationForestSchema,
  scoreSamples,
  trainIsolationForest,
} from '../../models/isolation-forest/isolation-forest.ts';
import {
  ElemType,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  serialize,
} from '../../models/onnx/graph-builder.ts';
import { Random } from '../../models/random.ts';

const F = FEATURE_COUNT;

/** N rows of F standard-normal features, row-major. */
function gaussianBlob(n: number, seed: number, shift = 0): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: n * F }, () => random.normal(shift));
}

/** N rows far from the blob: each feature ±(5..8), sign at random. */
function outliers(n: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: n * F }, () => (random.next() < 0.5 ? -1 : 1) * (5 + 3 * random.next()));
}

async function scoreOnnx(bytes: Uint8Array, rows: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const n = rows.length / F;
  const out = await session.run({ features: new ort.Tensor('float32', rows, [n, F]) });
  const score = out.score;
  if (!score) throw new Error('model has no output named score');
  expect(score.dims).toEqual([n, 1]);
  return score.data as Float32Array;
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('Random', () => {
  it('repeats its sequence for a seed and stays in range', () => {
    // Prepare
    const a = new Random(7);
    const b = new Random(7);
    // Act
    const seqA = Array.from({ length: 1000 }, () => a.next());
    const seqB = Array.from({ length: 1000 }, () => b.next());
    const ints = Array.from({ length: 1000 }, () => a.nextInt(5));
    // Assess
    expect(seqA).toEqual(seqB);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(new Random(8).next()).not.toBe(seqA[0]);
  });

  it('draws standard normals', () => {
    // Prepare
    const random = new Random(3);
    // Act
    const xs = Array.from({ length: 20_000 }, () => random.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    // Assess
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe('graph-builder', () => {
  it('builds a general graph (Gemm, Relu, ReduceMean) with a symbolic batch that onnxruntime runs', async () => {
    // Prepare
    const model = makeModel({
      graphName: 'tiny',
      nodes: [
        makeNode('Gemm', ['x', 'w', 'b'], ['h'], { transB: { int: 1 } }),
        makeNode('Relu', ['h'], ['r']),
        makeNode('ReduceMean', ['r'], ['y'], { axes: { ints: [1] }, keepdims: { int: 1 } }),
      ],
      inputs: [makeValueInfo('x', ElemType.FLOAT, ['N', 2])],
      outputs: [makeValueInfo('y', ElemType.FLOAT, ['N', 1])],
      initializers: [makeTensor('w', [2, 2], [1, 0, 0, -1]), makeTensor('b', [2], [0.5, 0])],
    });
    // Act
    const session = await ort.InferenceSession.create(serialize(model));
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from([1, 2, -3, -4]), [2, 2]),
    });
    // Assess: rows [1.5, -2] → relu → mean 0.75 and [-2.5, 4] → 2.
    expect(Array.from(out.y?.data as Float32Array)).toEqual([0.75, 2]);
  });

  it('refuses a tensor whose dims do not match its values', () => {
    expect(() => makeTensor('w', [2, 3], [1, 2, 3])).toThrow(/dims \[2, 3\] need 6 values, got 3/);
  });
});

describe('isolation forest', () => {
  const training = gaussianBlob(4000, 1);

  it('is deterministic: the same seed gives identical ONNX bytes; another seed does not', () => {
    // Act
    const first = exportIsolationForestOnnx(trainIsolationForest(training, F, { seed: 42 }));
    const second = exportIsolationForestOnnx(trainIsolationForest(training, F, { seed: 42 }));
    const other = exportIsolationForestOnnx(trainIsolationForest(training, F, { seed: 43 }));
    // Assess
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    expect(sha256(second)).toBe(sha256(first));
    expect(sha256(other)).not.toBe(sha256(first));
  });

  it('round-trips through JSON to the same model', () => {
    // Prepare
    const forest = trainIsolationForest(training, F, { seed: 5, trees: 20 });
    // Act
    const reloaded = IsolationForestSchema.parse(JSON.parse(JSON.stringify(forest)));
    // Assess
    expect(reloaded).toEqual(forest);
    expect(sha256(exportIsolationForestOnnx(reloaded))).toBe(sha256(exportIsolationForestOnnx(forest)));
  });

  it('builds trees within the depth limit whose leaves hold depth + c(size)', () => {
    // Act
    const forest = trainIsolationForest(training, F, { seed: 9, trees: 10, sampleSize: 64 });
    // Assess
    expect(forest).toMatchObject({ sampleSize: 64, maxDepth: 6, trainingRows: 4000 });
    for (const tree of forest.trees) {
      expect(tree.size[0]).toBe(64);
      const leafSizes = tree.feature.flatMap((f, k) => (f < 0 ? [tree.size[k] ?? 0] : []));
      expect(leafSizes.reduce((a, b) => a + b, 0)).toBe(64);
      const depth = (k: number): number => {
        const parent = tree.left.indexOf(k) >= 0 ? tree.left.indexOf(k) : tree.right.indexOf(k);
        return parent < 0 ? 0 : 1 + depth(parent);
      };
      tree.feature.forEach((f, k) => {
        if (f >= 0) return;
        expect(depth(k)).toBeLessThanOrEqual(6);
        expect(tree.pathLength[k]).toBe(Math.fround(depth(k) + averagePathLength(tree.size[k] ?? 0)));
      });
    }
  });

  it('gives the same scores in ONNX as in process, within 1e-5, on inliers, outliers and split points', async () => {
    // Prepare: rows that sit exactly on split thresholds check that both sides send ties the same way.
    const forest = trainIsolationForest(training, F, { seed: 11 });
    const onSplits = gaussianBlob(200, 12);
    forest.trees.slice(0, 200).forEach((tree, i) => {
      const split = tree.feature.findIndex((f) => f >= 0);
      onSplits[i * F + (tree.feature[split] ?? 0)] = tree.threshold[split] ?? 0;
    });
    const rows = concat(gaussianBlob(1000, 2), outliers(200, 3), onSplits);
    // Act
    const inProcess = scoreSamples(forest, rows);
    const onnx = await scoreOnnx(exportIsolationForestOnnx(forest), rows);
    // Assess
    expect(onnx.length).toBe(1400);
    let worst = 0;
    for (let i = 0; i < onnx.length; i++)
      worst = Math.max(worst, Math.abs((onnx[i] ?? 0) - (inProcess[i] ?? 0)));
    expect(worst).toBeLessThan(1e-5);
  });

  it('scores outliers above the inliers of a Gaussian blob', () => {
    // Prepare
    const forest = trainIsolationForest(training, F, { seed: 21 });
    // Act
    const inliers = Array.from(scoreSamples(forest, gaussianBlob(1000, 22))).sort((a, b) => a - b);
    const outlying = Array.from(scoreSamples(forest, outliers(100, 23)));
    // Assess
    const p99 = inliers[Math.floor(0.99 * inliers.length)] ?? 1;
    expect(Math.min(...outlying)).toBeGreaterThan(p99);
    expect(Math.min(...outlying)).toBeGreaterThan(0.6);
    expect(inliers[500]).toBeLessThan(0.5);
  });

  it('scores 0.5 everywhere when every training row is the same', async () => {
    // Prepare
    const forest = trainIsolationForest(new Float32Array(100 * F).fill(1), F, { seed: 1, trees: 5 });
    const rows = concat(new Float32Array(F).fill(1), outliers(3, 4));
    // Act
    const inProcess = scoreSamples(forest, rows);
    const onnx = await scoreOnnx(exportIsolationForestOnnx(forest), rows);
    // Assess
    expect(forest.trees.every((t) => t.feature.length === 1)).toBe(true);
    for (let i = 0; i < 4; i++) {
      expect(inProcess[i]).toBeCloseTo(0.5, 6); // leaf path lengths are float32
      expect(onnx[i]).toBeCloseTo(0.5, 6);
    }
  });

  it('trains 100 trees on 8 features in well under a second', () => {
    // Prepare
    const rows = gaussianBlob(100_000, 31);
    // Act
    const started = performance.now();
    const forest = trainIsolationForest(rows, F, { seed: 1, trees: 100 });
    const elapsed = performance.now() - started;
    // Assess
    expect(forest.trees).toHaveLength(100);
    expect(elapsed).toBeLessThan(1000);
  });

  it('refuses rows it cannot use, naming the rule', () => {
    expect(() => trainIsolationForest(new Float32Array(F * 3 + 1), F, { seed: 1 })).toThrow(
      IsolationForestInputError,
    );
    expect(() => trainIsolationForest(new Float32Array(F), F, { seed: 1 })).toThrow(/at least 2 rows/);
    const withNaN = gaussianBlob(10, 1);
    withNaN[2 * F + 3] = Number.NaN;
    expect(() => trainIsolationForest(withNaN, F, { seed: 1 })).toThrow(/row 2, feature 3 is NaN/);
    expect(() => trainIsolationForest(gaussianBlob(10, 1), F, { seed: 1, trees: 0 })).toThrow(/trees/);
  });
});
