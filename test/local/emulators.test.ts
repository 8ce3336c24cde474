import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { localDynamoDbClient, localKinesisClient, startEmulators } from '../../local/emulators.ts';
import { processExists, waitUntil } from '../support/wait-until.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('emulators', () => {
  it('start on free loopback ports, answer the SDK clients, and leave no process after stop()', async () => {
    // Prepare
    const emulators = await startEmulators();
    const kinesis = localKinesisClient(emulators.kinesis.endpoint);
    const dynamodb = localDynamoDbClient(emulators.dynamodb.endpoint);

    // Act
    const streams = await kinesis.send(new ListStreamsCommand({}));
    const tables = await dynamodb.send(new ListTablesCommand({}));
    kinesis.destroy();
    dynamodb.destroy();
    await emulators.stop();

    // Assess
    expect(emulators.kinesis.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulators.kinesis.endpoint).not.toBe(emulators.dynamodb.endpoint);
    expect(streams.StreamNames).toEqual([]);
    expect(tables.TableNames).toEqual([]);
    expect(processExists(emulators.kinesis.pid)).toBe(false);
    expect(processExists(emulators.dynamodb.pid)).toBe(false);
  });

  it('exit by themselves when their parent is killed with SIGKILL', async () => {
    // Prepare
    // One process (tsx as a loader, not its CLI, which would put a second node between us and the emulators).
    const parent = spawn(process.execPath, ['--import', 'tsx', 'test/support/emulator-parent.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const pids = JSON.parse(line.toString()) as { kinesis: number; dynamodb: number };
    expect(processExists(pids.kinesis) && processExists(pids.dynamodb)).toBe(true);

    // Act
    parent.kill('SIGKILL');

    // Assess
    await waitUntil(
      'the emulators to exit',
      () => !processExists(pids.kinesis) && !processExists(pids.dynamodb),
      10_000,
    );
  });
});
