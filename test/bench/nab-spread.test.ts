import { describe, expect, it } from 'vitest';
import { parseSeeds, summary } from '../../bench/nab-spread.ts';

describe('bench:nab-spread options and summary', () => {
  it('reads a range or a list of seeds, and refuses anything else', () => {
    // Prepare, Act, Assess
    expect(parseSeeds('1-4')).toEqual([1, 2, 3, 4]);
    expect(parseSeeds('7, 20261125')).toEqual([7, 20261125]);
    expect(() => parseSeeds('1.5')).toThrow(/--seeds/);
    expect(() => parseSeeds('a-b')).toThrow(/--seeds/);
  });

  it('summarises scores with the sample standard deviation', () => {
    // Prepare
    const scores = [55, 57, 59];
    // Act
    const s = summary(scores);
    // Assess
    expect(s).toEqual({ mean: 57, sd: 2, min: 55, max: 59 });
  });
});
