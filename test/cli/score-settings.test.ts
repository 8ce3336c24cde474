import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { memoryIo } from './support.ts';

const SAMPLE = 'local/samples/cpu-spike.csv';

/** Rows flagged anomalous in a scored CSV. */
async function anomalous(file: string): Promise<number> {
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  return lines.slice(1).filter((line) => line.endsWith(',1')).length;
}

describe('seismo score with detection settings', () => {
  it('takes a sensitivity and a settings file, and a mute override silences the series', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'seismo-settings-'));
    const mute = join(dir, 'mute.json');
    await writeFile(mute, JSON.stringify({ overrides: [{ match: { series: 'cpu-spike' }, mute: true }] }));
    const run = async (...flags: string[]) => {
      const out = join(dir, `${flags.join('_').replace(/\W/g, '')}.csv`);
      const { io } = memoryIo();
      const code = await main(['score', SAMPLE, '--out', out, ...flags], io);
      return { code, rows: await anomalous(out) };
    };
    // Act
    const medium = await run();
    const low = await run('--sensitivity', 'low');
    const muted = await run('--settings', mute);
    // Assess
    expect([medium.code, low.code, muted.code]).toEqual([0, 0, 0]);
    expect(medium.rows).toBeGreaterThan(0);
    expect(low.rows).toBeGreaterThan(0);
    expect(low.rows).toBeLessThanOrEqual(medium.rows);
    expect(muted.rows).toBe(0);
  });

  it('refuses an unknown sensitivity (usage, exit 2) and invalid settings naming the path (exit 1)', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'seismo-settings-'));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ openAbove: 0.9, stayAbove: 0.95 }));
    const usage = memoryIo();
    const invalid = memoryIo();
    // Act
    const usageCode = await main(['score', SAMPLE, '--sensitivity', 'extreme'], usage.io);
    const invalidCode = await main(['score', SAMPLE, '--settings', bad], invalid.io);
    // Assess
    expect(usageCode).toBe(2);
    expect(usage.stderr()).toMatch(/--sensitivity must be low, medium or high, got "extreme"/);
    expect(invalidCode).toBe(1);
    expect(invalid.stderr()).toMatch(
      /bad\.json: stayAbove: stayAbove \(0\.95\) must not be above openAbove \(0\.9\)/,
    );
  });
});
