import { describe, expect, it } from 'vitest';
import {
  describeFeature,
  FEATURE_GLOSSARY,
  formatDuration,
  formatProbability,
  formatValue,
  oneLine,
  truncate,
} from '../../../../core/alerting/render/format.ts';
import { FEATURE_NAMES } from '../../../../core/features/feature-schema.ts';

describe('formatProbability', () => {
  it.each([
    [0.873, 'p = 0.87'],
    [0.999, '1 in 1,000'],
    [0.99997, '1 in 33,000'],
    [0.999999, '1 in 1 million'],
    [0.9999999971, '1 in 340 million'],
    [0.9999999995, '1 in 2 billion'],
    [0.999999999999, 'beyond 1 in a trillion'],
    [1, 'beyond 1 in a trillion'],
    [Number.NaN, 'n/a'],
  ])('%s reads as %s', (p, text) => {
    expect(formatProbability(p)).toBe(text);
  });
});

describe('formatValue', () => {
  it.each([
    [92.6134, '92.61'],
    [5, '5'],
    [123456.7, '123,457'],
    [-0.01234, '-0.01234'],
    [0.00001234, '1.23e-5'],
    [3.2e12, '3.20e12'],
    [null, 'n/a'],
  ])('%s reads as %s', (x, text) => {
    expect(formatValue(x)).toBe(text);
  });
});

describe('features', () => {
  it('explains every feature the detector can name', () => {
    for (const name of [...FEATURE_NAMES, 'stuck_run'])
      expect(Object.hasOwn(FEATURE_GLOSSARY, name), name).toBe(true);
  });

  it('describes a feature with its value and meaning', () => {
    expect(describeFeature({ name: 'seasonal_z', value: 16.49 })).toBe(
      'seasonal_z 16.5 (unusual for this hour of the day)',
    );
    expect(describeFeature({ name: 'stuck_run', value: 48 })).toBe(
      'stuck_run 48 (the same value repeated this many times)',
    );
    expect(describeFeature({ name: 'new_feature', value: 2 })).toBe('new_feature 2.0 (new_feature)');
  });
});

describe('text helpers', () => {
  it('formats durations as people say them', () => {
    expect([45_000, 12 * 60_000, 185 * 60_000, 52 * 3_600_000].map(formatDuration)).toEqual([
      '45 s',
      '12 min',
      '3 h 5 min',
      '2 d 4 h',
    ]);
  });

  it('truncates by code point and flattens control characters', () => {
    expect(truncate('😀😀😀', 2)).toBe('😀…');
    expect(oneLine('a\r\nBcc: x@y\u2028z')).toBe('a Bcc: x@y z');
  });
});
