/**
 * A small seeded pseudo-random generator (mulberry32) shared by the trainers, so that the same seed always
 * yields the same model, byte for byte. Not for cryptography.
 */
export class Random {
  private state: number;
  private spareNormal: number | undefined;

  /** Starts a sequence from `seed` (any integer; only its low 32 bits are used). */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) {
      throw new RangeError(`Random: seed must be an integer, got ${seed}`);
    }
    this.state = seed >>> 0;
  }

  /** Next value uniformly in [0, 1), with 32 bits of resolution. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Next integer uniformly in [0, n); `n` must be a positive integer of at most 2^32. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new RangeError(`Random.nextInt: n must be an integer in [1, 2^32], got ${n}`);
    }
    return Math.floor(this.next() * n);
  }

  /** Next draw from a normal distribution (Box–Muller), standard unless `mean` and `sd` are given. */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    const u = 1 - this.next(); // in (0, 1], so the log is finite
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }
}
