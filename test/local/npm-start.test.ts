import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StackInfo } from '../../local/stack-info.ts';
import { processExists, waitUntil } from '../support/wait-until.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** True while any process of the group led by `pgid` exists. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('npm start and npx seismo replay (the README story)', () => {
  let stack: ChildProcess | undefined;
  let dir: string | undefined;

  afterAll(async () => {
    // Only if the test failed half-way: end the group it started.
    if (stack?.pid && groupExists(stack.pid)) process.kill(-stack.pid, 'SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('alerts on the sample spike, then Ctrl-C leaves no process and no stack file', async () => {
    // Prepare: its own process group, like a terminal's foreground job; its own stack file.
    dir = await mkdtemp(join(tmpdir(), 'seismo-start-'));
    const stackFile = join(dir, 'local.json');
    const env = { ...process.env, SEISMO_STACK_FILE: stackFile, FORCE_COLOR: '0' };
    stack = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    stack.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    stack.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitUntil('the banner', () => output.includes('Ctrl-C stops everything'), 30_000);
    const info = JSON.parse(await readFile(stackFile, 'utf8')) as StackInfo;

    // Act
    const started = Date.now();
    const replay = spawn('npx', ['seismo', 'replay', 'local/samples/cpu-spike.csv', '--series', 'demo'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let replayErr = '';
    replay.stderr?.on('data', (chunk: Buffer) => {
      replayErr += chunk.toString();
    });
    const [replayCode] = (await once(replay, 'exit')) as [number];
    await waitUntil('the alert', () => /OPENED +demo/.test(output), 30_000);
    const alertAfterMs = Date.now() - started;
    process.kill(-(stack.pid as number), 'SIGINT');
    // npm itself dies of the SIGINT at once, as in a terminal; node keeps the pipes open until it has stopped.
    await once(stack, 'close');

    // Assess
    expect(replayCode, replayErr).toBe(0);
    expect(replayErr).toContain('replayed 2,000 of 2,000 rows as series "demo"');
    expect(alertAfterMs).toBeLessThan(60_000);
    expect(output).toContain('SIGINT: stopping the local stack');
    expect(output).toContain('stopped.');
    await waitUntil('the whole group to exit', () => !groupExists(stack?.pid as number), 5_000);
    expect(processExists(info.emulatorPids.kinesis) || processExists(info.emulatorPids.dynamodb)).toBe(false);
    expect(existsSync(stackFile)).toBe(false);
  });
});
