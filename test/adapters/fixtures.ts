import type { BackoffOptions } from '../../adapters/backoff.ts';
import type { EpisodeTransition, ScoredPoint } from '../../core/detection-types.ts';

/** A scored point with plausible defaults; override what the test is about. */
export function point(overrides: Partial<ScoredPoint> = {}): ScoredPoint {
  return {
    series: 'api/latency',
    channel: 'value',
    timestamp: 1_700_000_000_000,
    value: 42.5,
    dimensions: { region: 'eu-west-1' },
    rawScore: 0.61,
    probability: 0.93,
    anomalous: true,
    modelVersion: 'if-2026-01-01',
    ...overrides,
  };
}

/** `n` points of one series, one second apart. */
export function points(n: number, overrides: Partial<ScoredPoint> = {}): ScoredPoint[] {
  return Array.from({ length: n }, (_, i) =>
    point({ timestamp: 1_700_000_000_000 + i * 1_000, ...overrides }),
  );
}

/** An episode transition with plausible defaults. */
export function transition(overrides: Partial<EpisodeTransition> = {}): EpisodeTransition {
  return {
    kind: 'opened',
    episodeId: '5f1c0e0b9a3d4c2e8f7a6b5c4d3e2f10',
    series: 'api/latency',
    channel: 'value',
    dimensions: { tenant: 'acme', region: 'eu-west-1' },
    severity: 'critical',
    startedAt: 1_700_000_000_000,
    lastSeenAt: 1_700_000_300_000,
    peakProbability: 0.994,
    value: 812.25,
    expected: { low: 90.5, high: 210.125 },
    topFeatures: [{ name: 'zscore', value: 7.1 }],
    modelVersion: 'if-2026-01-01',
    ...overrides,
  };
}

/** Backoff that records the requested delays instead of sleeping. */
export function recordingBackoff(maxAttempts = 4): { backoff: Partial<BackoffOptions>; sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    backoff: {
      maxAttempts,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  };
}
