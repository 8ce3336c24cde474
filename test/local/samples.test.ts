import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CPU_SPIKE_CSV, CPU_SPIKE_ROWS, cpuSpikeCsv } from '../../local/samples/cpu-spike.ts';

describe('local/samples/cpu-spike.csv', () => {
  it('is exactly what its generator writes (regenerate with `npx tsx local/samples/cpu-spike.ts`)', async () => {
    // Prepare
    const shipped = await readFile(CPU_SPIKE_CSV, 'utf8');

    // Act
    const generated = cpuSpikeCsv();

    // Assess
    expect(shipped).toBe(generated);
    expect(shipped.trimEnd().split('\n')).toHaveLength(CPU_SPIKE_ROWS + 1);
  });
});
