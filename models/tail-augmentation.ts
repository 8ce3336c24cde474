import { Random } from './random.ts';

/**
 * Widens a training set's tails: appends a fraction of rows copied from the data and scaled by a random
 * factor in [1, maxFactor]. An isolation forest only grades what its training data spans; without these
 * rows every point beyond the normal range isolates at the same shallow depth, so a 6-sigma and a
 * 20-sigma deviation would score alike. The sparse scaled rows give the far range structure to split.
 */
export function augmentTails(
  rows: Float32Array,
  featureCount: number,
  options: { fraction: number; maxFactor: number; limit: number; seed: number },
): Float32Array {
  const random = new Random(options.seed);
  const n = rows.length / featureCount;
  const extra = Math.floor(n * options.fraction);
  const out = new Float32Array(rows.length + extra * featureCount);
  out.set(rows);
  const logMax = Math.log(options.maxFactor);
  for (let k = 0; k < extra; k++) {
    const source = random.nextInt(n) * featureCount;
    const factor = Math.exp(random.next() * logMax);
    const target = rows.length + k * featureCount;
    for (let j = 0; j < featureCount; j++) {
      const scaled = (rows[source + j] as number) * factor;
      out[target + j] = Math.max(-options.limit, Math.min(options.limit, scaled));
    }
  }
  return out;
}
