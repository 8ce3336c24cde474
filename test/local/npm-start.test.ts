import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StackInfo } from '../../local/stack-info.ts';
import { processExists, waitUntil } from '../support/wait-until.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** True while any process of the group led by `pgid` exists. */
function groupExists(pgid: number): boolean {
  return processExists(-pgid);
}

/** A command started in a process group of its own (as a terminal or a process manager would), and its output. */
interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stackFile: string;
  readonly env: NodeJS.ProcessEnv;
  output(): string;
}

describe('npm start and npx seismo replay (the README story)', { timeout: 150_000 }, () => {
  const groups: number[] = [];
  let dir: string | undefined;

  /** Starts `command` in its own group with its own stack file and waits for the banner. */
  async function start(command: string, args: readonly string[]): Promise<Started & { info: StackInfo }> {
    dir ??= await mkdtemp(join(tmpdir(), 'seismo-start-'));
    const stackFile = join(dir, `local-${groups.length}.json`);
    const env = { ...process.env, SEISMO_STACK_FILE: stackFile, FORCE_COLOR: '0' };
    const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid as number;
    groups.push(pid);
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // "See it work in a minute": on a loaded machine (the full suite runs two files at once, each with its
    // emulators) the banner has taken over 30 s, so the wait is the minute the README promises.
    await waitUntil('the banner', () => output.includes('Ctrl-C stops everything'), 60_000);
    const info = JSON.parse(await readFile(stackFile, 'utf8')) as StackInfo;
    return { child, pid, stackFile, env, info, output: () => output };
  }

  /** Asserts the stack stopped cleanly: said so, no process of its group left, no stack file. */
  async function expectStoppedCleanly(started: Started & { info: StackInfo }, why: string): Promise<void> {
    await waitUntil('every process of the group to exit', () => !groupExists(started.pid), 15_000);
    expect(started.output()).toContain(`${why}: stopping the local stack`);
    expect(started.output()).toContain('stopped.');
    expect(processExists(started.info.pid)).toBe(false);
    expect(processExists(started.info.emulatorPids.kinesis)).toBe(false);
    expect(processExists(started.info.emulatorPids.dynamodb)).toBe(false);
    expect(existsSync(started.stackFile)).toBe(false);
  }

  afterEach(() => {
    // Only if a test failed half-way: end the groups it started.
    for (const pgid of groups.splice(0)) if (groupExists(pgid)) process.kill(-pgid, 'SIGKILL');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('alerts on the sample spike, then Ctrl-C leaves no process and no stack file', async () => {
    // Prepare: like a terminal's foreground job.
    const stack = await start('npm', ['start']);

    // Act
    const started = Date.now();
    const replay = spawn('npx', ['seismo', 'replay', 'local/samples/cpu-spike.csv', '--series', 'demo'], {
      cwd: ROOT,
      env: stack.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let replayErr = '';
    replay.stderr?.on('data', (chunk: Buffer) => {
      replayErr += chunk.toString();
    });
    const [replayCode] = (await once(replay, 'exit')) as [number];
    await waitUntil('the alert', () => /OPENED +demo/.test(stack.output()), 30_000);
    const alertAfterMs = Date.now() - started;
    // Ctrl-C: SIGINT to the whole group. Node gets it twice (from the "terminal" and forwarded by npm).
    process.kill(-stack.pid, 'SIGINT');

    // Assess
    expect(replayCode, replayErr).toBe(0);
    expect(replayErr).toContain('replayed 2,000 of 2,000 rows as series "demo"');
    expect(alertAfterMs).toBeLessThan(60_000);
    await expectStoppedCleanly(stack, 'SIGINT');
    expect(stack.output()).not.toContain('again: exiting now');
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops cleanly on %s sent to the npm process alone, as a process manager sends it',
    async (signal) => {
      // Prepare
      const stack = await start('npm', ['start']);

      // Act
      process.kill(stack.pid, signal);
      const exited = () => stack.child.exitCode !== null || stack.child.signalCode !== null;
      await waitUntil('npm to exit', exited, 20_000);

      // Assess: npm waited for the stack to stop, then exited; nothing is left behind.
      expect(processExists(stack.info.pid)).toBe(false);
      await expectStoppedCleanly(stack, signal);
      expect(stack.child.exitCode).toBe(0);
    },
  );

  it('stops by itself when a shell between it and npm dies instead of passing the signal on', async () => {
    // Prepare: a shell that cannot exec node (a command follows), as `sh -c` without exec runs a script.
    const main = `'${process.execPath}' --import tsx local/main.ts; exit $?`;
    const stack = await start('sh', ['-c', main]);
    expect(stack.info.pid).not.toBe(stack.pid);

    // Act: the shell dies of the signal; node never gets one.
    process.kill(stack.pid, 'SIGKILL');

    // Assess
    await expectStoppedCleanly(stack, `parent process ${stack.pid} exited`);
  });
});
