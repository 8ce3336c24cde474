import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { memoryIo } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('seismo', () => {
  it('prints its package version with --version and -V', async () => {
    // Prepare
    const long = memoryIo();
    const short = memoryIo();
    // Act
    const codes = [await main(['--version'], long.io), await main(['-V'], short.io)];
    // Assess
    expect(codes).toEqual([0, 0]);
    expect(long.stdout()).toBe(`seismo ${VERSION}\n`);
    expect(short.stdout()).toBe(long.stdout());
  });

  it('lists --version in its help', async () => {
    // Prepare
    const memory = memoryIo();
    // Act
    await main(['--help'], memory.io);
    // Assess
    expect(memory.stdout()).toContain('--version');
  });
});

describe('npm run train -- --help', () => {
  it('prints the options and trains nothing', () => {
    // Act
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'models/train-default.ts', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: npm run train -- [options]');
    for (const option of ['--algorithm', '--seed', '--out']) expect(run.stdout).toContain(option);
    expect(run.stdout).not.toContain('trained on');
  });
});
