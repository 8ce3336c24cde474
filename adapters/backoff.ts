/**
 * Bounded exponential backoff with full jitter, shared by the adapters that retry throttled or failed calls.
 * `sleep` and `random` are injectable so tests run instantly and deterministically.
 */

/** How an adapter retries: attempt count, delay bounds, and the sleep and randomness it uses. */
export interface BackoffOptions {
  /** Total attempts including the first; 1 means no retry. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1); `Math.random` by default. */
  readonly random: () => number;
}

/** Real-time sleep, the default outside tests. */
export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Five attempts, 100 ms base doubling up to 5 s, full jitter: about 1.5 s of waiting on average at most. */
export const DEFAULT_BACKOFF: BackoffOptions = {
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  sleep: realSleep,
  random: Math.random,
};

/** Fills unset fields from {@link DEFAULT_BACKOFF} and rejects nonsensical bounds. */
export function resolveBackoff(options: Partial<BackoffOptions> = {}): BackoffOptions {
  const resolved = { ...DEFAULT_BACKOFF, ...options };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError(`backoff.maxAttempts must be an integer >= 1, got ${resolved.maxAttempts}`);
  }
  return resolved;
}

/** Delay before retry number `retry` (0 for the first retry): uniform in [0, min(max, base * 2^retry)]. */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.round(options.random() * ceiling);
}
