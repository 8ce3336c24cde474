import { describe, expect, it } from 'vitest';
import { compact, probabilityText } from '../../core/probability-text.ts';

describe('probabilityText', () => {
  it.each([
    [0.5, '0.500'],
    [0.97349, '0.973'],
    [0.999, '0.9990 (1 in 1k)'],
    [0.9999999971, '0.9999999971 (1 in 345M)'],
    [1 - 1e-13, '≈1 (1 in >1T)'],
    [1, '≈1 (1 in >1T)'],
  ])('writes %s as %s', (p, text) => {
    // Act / Assess
    expect(probabilityText(p)).toBe(text);
  });

  it('never reads like an arrow', () => {
    // Act / Assess
    for (let n = 1; n <= 16; n++) expect(probabilityText(1 - 10 ** -n)).not.toMatch(/=>|->/);
  });

  it('compacts counts with k, M, B, T', () => {
    // Act / Assess
    expect([compact(12), compact(1_500), compact(345_000_000), compact(2e12)]).toEqual(['12', '1.5k', '345M', '2T']);
  });
});
