import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  MAX_RETRY_DELAY_MS,
  parseRetryAfter,
  type RetryPolicy,
  retryDelayMs,
  retryLater,
} from '../../../adapters/alerting/delivery.ts';

const policy = (random: number): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, random: () => random });

describe('retryDelayMs', () => {
  it('backs off exponentially with full jitter by attempt, never under the minimum nor over 15 minutes', () => {
    // Prepare
    const top = policy(0.9999999999);

    // Act
    const ceilings = [1, 2, 3, 4, 12].map((attempt) => retryDelayMs(attempt, undefined, top));
    const floor = retryDelayMs(1, undefined, policy(0));

    // Assess
    expect(ceilings).toEqual([2_000, 4_000, 8_000, 16_000, MAX_RETRY_DELAY_MS]);
    expect(floor).toBe(DEFAULT_RETRY_POLICY.minDelayMs);
  });

  it('waits at least Retry-After, with at most 10% (and 1 s) of jitter on top, whatever the attempt', () => {
    // Prepare, Act
    const short = retryDelayMs(7, 5_000, policy(0.999999));
    const long = retryDelayMs(1, 120_000, policy(0.999999));
    const exact = retryDelayMs(3, 30_000, policy(0));
    const huge = retryDelayMs(1, 3_600_000, policy(0));

    // Assess
    expect(short).toBe(5_500);
    expect(long).toBe(121_000);
    expect(exact).toBe(30_000);
    expect(huge).toBe(MAX_RETRY_DELAY_MS);
  });
});

describe('retryLater', () => {
  it('keeps the provider-asked delay beside the computed one, and leaves out absent fields', () => {
    // Prepare, Act
    const withAfter = retryLater(
      { code: 'http-429', reason: 'busy', maybeDelivered: false, retryAfterMs: 2_000, status: 429 },
      { attempt: 1 },
      policy(0),
    );
    const without = retryLater(
      { code: 'timeout', reason: 'slow', maybeDelivered: true },
      { attempt: 2 },
      policy(0.5),
    );

    // Assess
    expect(withAfter).toEqual({
      kind: 'retry-later',
      code: 'http-429',
      reason: 'busy',
      maybeDelivered: false,
      delayMs: 2_000,
      retryAfterMs: 2_000,
      status: 429,
    });
    expect(without).toEqual({
      kind: 'retry-later',
      code: 'timeout',
      reason: 'slow',
      maybeDelivered: true,
      delayMs: 2_000,
    });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates, and ignores what it cannot read', () => {
    // Prepare
    const now = Date.parse('2026-11-22T14:00:00Z');

    // Act, Assess
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(['7'], now)).toBe(7_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 14:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 13:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
