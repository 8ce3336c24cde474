import { beforeAll, describe, expect, it } from 'vitest';
import { loadNabCorpus, type NabFile } from '../../bench/nab/corpus.ts';
import { createNabDetector } from '../../bench/nab/detector.ts';

describe('NAB detector', () => {
  let files: readonly NabFile[];
  beforeAll(async () => {
    files = (await loadNabCorpus()).files;
  });

  function file(key: string): NabFile {
    const found = files.find((f) => f.key === key);
    if (!found) throw new Error(`${key} is not in the NAB corpus`);
    return found;
  }

  // Both files repeat timestamps (re-deliveries to the detector); the first also has a row out of order.
  it.each([
    'realKnownCause/machine_temperature_system_failure.csv',
    'realAdExchange/exchange-2_cpc_results.csv',
  ])(
    'has no look-ahead on %s: the first k scores are the same whether it sees k rows or the file',
    async (key) => {
      // Prepare
      const rows = file(key).rows.map((r) => ({ timestamp: r.timestamp, value: r.value }));
      const whole = await createNabDetector()(rows);

      for (const k of [1, 999, 1000, 1001, 2500, Math.floor(rows.length * 0.7)]) {
        // Act
        const prefix = await createNabDetector()(rows.slice(0, k));
        // Assess
        expect(Array.from(prefix)).toEqual(Array.from(whole.subarray(0, k)));
      }
      expect(whole.some((s) => s > 0)).toBe(true);
    },
  );

  it('scores every row in [0, 1] and fires only where an episode opens', async () => {
    // Prepare
    const rows = file('realKnownCause/machine_temperature_system_failure.csv').rows;
    // Act
    const scores = await createNabDetector()(rows.map((r) => ({ timestamp: r.timestamp, value: r.value })));
    // Assess
    expect(scores).toHaveLength(rows.length);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    const fired = scores.filter((s) => s > 0).length;
    expect(fired).toBeGreaterThan(0);
    expect(fired).toBeLessThan(rows.length / 100);
  });
});
