import * as tf from '@tensorflow/tfjs';
import { Random } from '../random.ts';

/**
 * One dense layer of a trained autoencoder, as plain numbers so the model serialises to JSON.
 * `weights` is row-major `[inputSize][outputSize]` (the layout of ONNX Gemm's `B` with `transB = 0`).
 */
export interface DenseLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly weights: number[];
  readonly bias: number[];
  readonly activation: 'relu' | 'linear';
}

/** The settings a model was trained with; recorded so a model card can state them. */
export interface AutoencoderHyperparameters {
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Encoder widths; the decoder mirrors them, e.g. `[16, 4]` gives F→16→4→16→F. */
  readonly hidden: number[];
}

/**
 * A trained dense autoencoder: its own input standardisation (training mean and standard deviation per
 * feature) and its layers. Every number is a float32 value held in a plain array, so the object round-trips
 * through JSON and exports to ONNX bit for bit.
 */
export interface Autoencoder {
  readonly featureCount: number;
  readonly mean: number[];
  readonly std: number[];
  readonly layers: DenseLayer[];
  readonly hyperparameters: AutoencoderHyperparameters;
  readonly trainingRows: number;
  /** Mean of {@link scoreSamples} over the training rows after training. */
  readonly trainingLoss: number;
}

/** Options of {@link trainAutoencoder}; only `seed` is required. */
export interface TrainAutoencoderOptions {
  readonly seed: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly hidden?: number[];
}

/** Raised when training rows or a model do not fit the shape or value rules; the message names the rule. */
export class AutoencoderInputError extends Error {
  override readonly name = 'AutoencoderInputError';
}

const DEFAULTS = { epochs: 30, batchSize: 64, learningRate: 0.01, hidden: [16, 4] } as const;
/** Below this standard deviation a feature is treated as constant and only centred (divisor 1). */
const MIN_STD = 1e-6;

/**
 * Trains a dense autoencoder on `rows` (flat row-major float32, `N * featureCount` values) with tfjs on its
 * CPU backend. The same rows, feature count and options always give the same weights: initialisers are
 * seeded, batches come from a seeded shuffle, epochs and batch size are fixed, and the CPU backend is
 * single-threaded.
 */
export async function trainAutoencoder(
  rows: Float32Array,
  featureCount: number,
  options: TrainAutoencoderOptions,
): Promise<Autoencoder> {
  const n = checkRows(rows, featureCount);
  const hp: AutoencoderHyperparameters = {
    seed: options.seed,
    epochs: options.epochs ?? DEFAULTS.epochs,
    batchSize: options.batchSize ?? DEFAULTS.batchSize,
    learningRate: options.learningRate ?? DEFAULTS.learningRate,
    hidden: [...(options.hidden ?? DEFAULTS.hidden)],
  };
  checkHyperparameters(hp);

  const { mean, std } = standardisation(rows, n, featureCount);
  const standardised = standardise(rows, featureCount, mean, std);
  const widths = [featureCount, ...hp.hidden, ...hp.hidden.slice(0, -1).reverse(), featureCount];

  await tf.setBackend('cpu');
  await tf.ready();
  const model = tf.sequential();
  for (let i = 1; i < widths.length; i++) {
    model.add(
      tf.layers.dense({
        units: widths[i] as number,
        inputShape: i === 1 ? [featureCount] : undefined,
        activation: i === widths.length - 1 ? 'linear' : 'relu',
        // A distinct seed per layer: equal seeds would give same-shaped layers identical weights.
        kernelInitializer: tf.initializers.glorotUniform({ seed: hp.seed * 1000 + i }),
        biasInitializer: 'zeros',
      }),
    );
  }
  const optimizer = tf.train.adam(hp.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const random = new Random(hp.seed);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const batch = new Float32Array(Math.min(hp.batchSize, n) * featureCount);

  try {
    for (let epoch = 0; epoch < hp.epochs; epoch++) {
      shuffle(order, random);
      for (let start = 0; start < n; start += hp.batchSize) {
        const size = Math.min(hp.batchSize, n - start);
        for (let r = 0; r < size; r++) {
          const src = (order[start + r] as number) * featureCount;
          batch.set(standardised.subarray(src, src + featureCount), r * featureCount);
        }
        tf.tidy(() => {
          const x = tf.tensor2d(batch.subarray(0, size * featureCount), [size, featureCount]);
          optimizer.minimize(
            () => tf.losses.meanSquaredError(x, model.apply(x) as tf.Tensor2D) as tf.Scalar,
            false,
            variables,
          );
        });
      }
    }
    const layers = model.layers.map((layer, i): DenseLayer => {
      const [kernel, bias] = layer.getWeights();
      if (kernel === undefined || bias === undefined) {
        throw new Error(`trainAutoencoder: layer ${i} has no kernel or bias`);
      }
      return {
        inputSize: widths[i] as number,
        outputSize: widths[i + 1] as number,
        weights: Array.from(kernel.dataSync()),
        bias: Array.from(bias.dataSync()),
        activation: i === model.layers.length - 1 ? 'linear' : 'relu',
      };
    });
    const partial = { featureCount, mean, std, layers };
    const scores = scoreStandardised(partial, standardised, n);
    const trainingLoss = Math.fround(scores.reduce((sum, s) => sum + s, 0) / n);
    return { ...partial, hyperparameters: hp, trainingRows: n, trainingLoss };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/**
 * Scores rows (flat row-major float32, `N * model.featureCount` values) in plain TypeScript from the
 * model's weights: the mean squared reconstruction error over the standardised features, higher = more
 * anomalous. It mirrors the exported ONNX graph step by step in float32, and is what parity is checked against.
 */
export function scoreSamples(model: Autoencoder, rows: Float32Array): Float32Array {
  const n = checkRows(rows, model.featureCount, true);
  return scoreStandardised(model, standardise(rows, model.featureCount, model.mean, model.std), n);
}

type Scorable = Pick<Autoencoder, 'featureCount' | 'mean' | 'std' | 'layers'>;

function scoreStandardised(model: Scorable, z: Float32Array, n: number): Float32Array {
  const f = model.featureCount;
  const widest = Math.max(f, ...model.layers.map((l) => l.outputSize));
  let input = new Float32Array(widest);
  let output = new Float32Array(widest);
  const scores = new Float32Array(n);
  for (let row = 0; row < n; row++) {
    input.set(z.subarray(row * f, row * f + f));
    for (const layer of model.layers) {
      for (let o = 0; o < layer.outputSize; o++) {
        // Accumulate in double, round once: closest to the exact dot product, which any float32 Gemm approximates.
        let sum = 0;
        for (let i = 0; i < layer.inputSize; i++) {
          sum += (input[i] as number) * (layer.weights[i * layer.outputSize + o] as number);
        }
        const value = Math.fround(Math.fround(sum) + (layer.bias[o] as number));
        output[o] = layer.activation === 'relu' && value < 0 ? 0 : value;
      }
      [input, output] = [output, input];
    }
    let sum = 0;
    for (let j = 0; j < f; j++) {
      const d = Math.fround((input[j] as number) - (z[row * f + j] as number));
      sum += Math.fround(d * d);
    }
    scores[row] = sum / f;
  }
  return scores;
}

function standardisation(rows: Float32Array, n: number, f: number): { mean: number[]; std: number[] } {
  const mean = new Array<number>(f).fill(0);
  const variance = new Array<number>(f).fill(0);
  for (let row = 0; row < n; row++) {
    for (let j = 0; j < f; j++) mean[j] = (mean[j] as number) + (rows[row * f + j] as number);
  }
  for (let j = 0; j < f; j++) mean[j] = (mean[j] as number) / n;
  for (let row = 0; row < n; row++) {
    for (let j = 0; j < f; j++) {
      const d = (rows[row * f + j] as number) - (mean[j] as number);
      variance[j] = (variance[j] as number) + d * d;
    }
  }
  return {
    mean: mean.map((m) => Math.fround(m)),
    std: variance.map((v) => {
      const s = Math.sqrt(v / n);
      return s < MIN_STD ? 1 : Math.fround(s);
    }),
  };
}

/** `(x - mean) / std` per feature, rounded to float32 after each operation as the ONNX Sub and Div are. */
function standardise(rows: Float32Array, f: number, mean: number[], std: number[]): Float32Array {
  const z = new Float32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const j = k % f;
    z[k] = Math.fround((rows[k] as number) - (mean[j] as number)) / (std[j] as number);
  }
  return z;
}

function shuffle(order: Uint32Array, random: Random): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
}

function checkRows(rows: Float32Array, featureCount: number, allowEmpty = false): number {
  if (!Number.isInteger(featureCount) || featureCount < 1) {
    throw new AutoencoderInputError(`featureCount must be a positive integer, got ${featureCount}`);
  }
  if (rows.length % featureCount !== 0) {
    throw new AutoencoderInputError(
      `rows must hold N * featureCount values, got ${rows.length} values for ${featureCount} features`,
    );
  }
  const n = rows.length / featureCount;
  if (n === 0 && !allowEmpty) throw new AutoencoderInputError('rows must hold at least one row to train on');
  const bad = rows.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new AutoencoderInputError(
      `rows must be finite; row ${Math.floor(bad / featureCount)}, feature ${bad % featureCount} is ${rows[bad]}`,
    );
  }
  return n;
}

function checkHyperparameters(hp: AutoencoderHyperparameters): void {
  const positive = { epochs: hp.epochs, batchSize: hp.batchSize };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new AutoencoderInputError(`${name} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isInteger(hp.seed)) throw new AutoencoderInputError(`seed must be an integer, got ${hp.seed}`);
  if (!(hp.learningRate > 0)) {
    throw new AutoencoderInputError(`learningRate must be positive, got ${hp.learningRate}`);
  }
  if (hp.hidden.length === 0 || hp.hidden.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new AutoencoderInputError(
      `hidden must be a non-empty list of positive integers, got [${hp.hidden}]`,
    );
  }
}
