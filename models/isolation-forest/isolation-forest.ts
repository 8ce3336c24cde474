import { z } from 'zod';
import { Random } from '../random.ts';

/**
 * One isolation tree as plain JSON, struct-of-arrays over its nodes in pre-order (node 0 is the root).
 * A split node sends a row left when `row[feature] < threshold`, else right; a leaf has `feature` -1.
 */
export const IsolationTreeSchema = z.object({
  /** Feature index of a split node, -1 at a leaf. */
  feature: z.array(z.number().int().min(-1)),
  /** Split value, exactly representable in float32 so that ONNX compares it the same way; 0 at a leaf. */
  threshold: z.array(z.number()),
  /** Node id of the left (`<`) child, -1 at a leaf. */
  left: z.array(z.number().int().min(-1)),
  /** Node id of the right (`>=`) child, -1 at a leaf. */
  right: z.array(z.number().int().min(-1)),
  /** At a leaf, depth + c(leaf size) rounded to float32 (the ONNX leaf weight); 0 at a split node. */
  pathLength: z.array(z.number()),
  /** Number of training samples that reached the node. */
  size: z.array(z.number().int().nonnegative()),
});

/** One isolation tree; see {@link IsolationTreeSchema}. */
export type IsolationTree = z.infer<typeof IsolationTreeSchema>;

/** A trained isolation forest as plain JSON: what it was trained with and its trees. */
export const IsolationForestSchema = z.object({
  featureCount: z.number().int().positive(),
  /** ψ actually used: the requested subsample size, capped at the number of training rows. */
  sampleSize: z.number().int().min(2),
  maxDepth: z.number().int().positive(),
  seed: z.number().int(),
  trainingRows: z.number().int().min(2),
  trees: z.array(IsolationTreeSchema).min(1),
});

/** A trained isolation forest; see {@link IsolationForestSchema}. Round-trips through JSON unchanged. */
export type IsolationForest = z.infer<typeof IsolationForestSchema>;

/** Options of {@link trainIsolationForest}; the defaults are those of Liu et al. (2008). */
export interface IsolationForestOptions {
  /** Number of trees (default 100). */
  readonly trees?: number;
  /** Subsample size ψ drawn without replacement for each tree (default 256). */
  readonly sampleSize?: number;
  /** Seed of the pseudo-random generator: the same seed and rows give the same forest. */
  readonly seed: number;
}

/** Thrown when training or scoring input cannot be used; the message names the field and the rule. */
export class IsolationForestInputError extends Error {
  override readonly name = 'IsolationForestInputError';
}

const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n items, used to
 * normalise path lengths (as in scikit-learn: 0 for n ≤ 1, 1 for n = 2).
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

function checkRows(rows: Float32Array, featureCount: number): number {
  if (!Number.isInteger(featureCount) || featureCount <= 0) {
    throw new IsolationForestInputError(`featureCount must be a positive integer, got ${featureCount}`);
  }
  if (rows.length % featureCount !== 0) {
    throw new IsolationForestInputError(
      `rows must hold N × featureCount values (row-major); ${rows.length} is not a multiple of ${featureCount}`,
    );
  }
  return rows.length / featureCount;
}

function positiveInt(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new IsolationForestInputError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/**
 * Trains an isolation forest on `rows`, a row-major Float32Array of N × `featureCount` values. Each tree
 * isolates a subsample of ψ rows by random axis-parallel splits down to depth ceil(log2 ψ); a node becomes
 * a leaf when one row is left, the depth limit is reached, or all its rows are equal.
 */
export function trainIsolationForest(
  rows: Float32Array,
  featureCount: number,
  options: IsolationForestOptions,
): IsolationForest {
  const n = checkRows(rows, featureCount);
  if (n < 2) throw new IsolationForestInputError(`rows must hold at least 2 rows, got ${n}`);
  for (let i = 0; i < rows.length; i++) {
    if (!Number.isFinite(rows[i])) {
      const at = `row ${Math.floor(i / featureCount)}, feature ${i % featureCount}`;
      throw new IsolationForestInputError(`rows must be finite; ${at} is ${rows[i]}`);
    }
  }
  const treeCount = positiveInt('trees', options.trees ?? 100, 1);
  const sampleSize = Math.min(positiveInt('sampleSize', options.sampleSize ?? 256, 2), n);
  const maxDepth = Math.ceil(Math.log2(sampleSize));
  const random = new Random(options.seed);

  // A partial Fisher–Yates shuffle of one running permutation draws each subsample in O(ψ).
  const permutation = Int32Array.from({ length: n }, (_, i) => i);
  const trees: IsolationTree[] = [];
  for (let t = 0; t < treeCount; t++) {
    for (let i = 0; i < sampleSize; i++) {
      const j = i + random.nextInt(n - i);
      const swap = permutation[i] ?? 0;
      permutation[i] = permutation[j] ?? 0;
      permutation[j] = swap;
    }
    trees.push(growTree(rows, featureCount, permutation.slice(0, sampleSize), maxDepth, random));
  }
  return { featureCount, sampleSize, maxDepth, seed: options.seed, trainingRows: n, trees };
}

function growTree(
  rows: Float32Array,
  featureCount: number,
  sample: Int32Array,
  maxDepth: number,
  random: Random,
): IsolationTree {
  const tree: IsolationTree = { feature: [], threshold: [], left: [], right: [], pathLength: [], size: [] };
  const mins = new Float64Array(featureCount);
  const maxs = new Float64Array(featureCount);
  const splittable: number[] = [];

  const grow = (lo: number, hi: number, depth: number): number => {
    const id = tree.feature.length;
    const size = hi - lo;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.pathLength.push(Math.fround(depth + averagePathLength(size)));
    tree.size.push(size);
    if (size <= 1 || depth >= maxDepth) return id;

    mins.fill(Number.POSITIVE_INFINITY);
    maxs.fill(Number.NEGATIVE_INFINITY);
    for (let k = lo; k < hi; k++) {
      const base = (sample[k] ?? 0) * featureCount;
      for (let f = 0; f < featureCount; f++) {
        const v = rows[base + f] ?? 0;
        if (v < (mins[f] ?? 0)) mins[f] = v;
        if (v > (maxs[f] ?? 0)) maxs[f] = v;
      }
    }
    splittable.length = 0;
    for (let f = 0; f < featureCount; f++) if ((maxs[f] ?? 0) > (mins[f] ?? 0)) splittable.push(f);
    if (splittable.length === 0) return id; // all rows equal: nothing can isolate them

    const feature = splittable[random.nextInt(splittable.length)] ?? 0;
    const min = mins[feature] ?? 0;
    const max = maxs[feature] ?? 0;
    // Rounded to float32 so the ONNX model compares against exactly this value; a split equal to the
    // minimum would leave the left side empty, so it moves to the maximum instead.
    let threshold = Math.fround(min + random.next() * (max - min));
    if (threshold <= min) threshold = max;

    let mid = lo;
    for (let k = lo; k < hi; k++) {
      const index = sample[k] ?? 0;
      if ((rows[index * featureCount + feature] ?? 0) < threshold) {
        sample[k] = sample[mid] ?? 0;
        sample[mid] = index;
        mid++;
      }
    }
    tree.feature[id] = feature;
    tree.threshold[id] = threshold;
    tree.pathLength[id] = 0;
    tree.left[id] = grow(lo, mid, depth + 1);
    tree.right[id] = grow(mid, hi, depth + 1);
    return id;
  };

  grow(0, sample.length, 0);
  return tree;
}

/**
 * Scores row-major Float32Array rows (N × featureCount) in process with the standard anomaly score
 * s(x) = 2^(−E[h(x)] / c(ψ)), in (0, 1], higher = more anomalous; h(x) is the depth of the leaf x reaches
 * plus c(leaf size), as in scikit-learn. The exported ONNX model computes the same numbers.
 */
export function scoreSamples(forest: IsolationForest, rows: Float32Array): Float64Array {
  const { featureCount, trees } = forest;
  const n = checkRows(rows, featureCount);
  const scale = 1 / (trees.length * averagePathLength(forest.sampleSize));
  const scores = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const base = r * featureCount;
    let total = 0;
    for (const tree of trees) {
      const { feature, threshold, left, right } = tree;
      let node = 0;
      let f = feature[0] ?? -1;
      while (f >= 0) {
        // NaN compares false and goes right, as in the ONNX model.
        node = ((rows[base + f] ?? 0) < (threshold[node] ?? 0) ? left[node] : right[node]) ?? 0;
        f = feature[node] ?? -1;
      }
      total += tree.pathLength[node] ?? 0;
    }
    scores[r] = 2 ** (-total * scale);
  }
  return scores;
}
