import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { localDynamoDbClient, localKinesisClient, startEmulators } from '../../local/emulators.ts';
import { CAN_READ_SOCKETS, listeningSockets } from '../support/listening-sockets.ts';
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

  it.runIf(CAN_READ_SOCKETS)(
    'listen on 127.0.0.1 only, kinesis-mock included (it asks for 0.0.0.0)',
    async () => {
      // Prepare
      const emulators = await startEmulators();

      // Act
      const sockets = {
        kinesis: await listeningSockets(emulators.kinesis.pid),
        dynamodb: await listeningSockets(emulators.dynamodb.pid),
      };
      await emulators.stop();

      // Assess: kinesis-mock listens twice (plain and TLS), dynalite once; every socket on loopback.
      expect(sockets.kinesis).toHaveLength(2);
      expect(sockets.dynamodb).toHaveLength(1);
      for (const [name, list] of Object.entries(sockets)) {
        expect(
          list.map((s) => s.address),
          name,
        ).toEqual(list.map(() => '127.0.0.1'));
      }
      expect(sockets.kinesis.map((s) => s.port)).toContain(Number(new URL(emulators.kinesis.endpoint).port));
    },
  );

  it('cannot be reached through any other address of this machine', async () => {
    // Prepare
    const emulators = await startEmulators();
    const ports = [emulators.kinesis.endpoint, emulators.dynamodb.endpoint].map((e) =>
      Number(new URL(e).port),
    );
    // Link-local IPv6 addresses need their interface (scope) to be reachable at all.
    const others = Object.values(networkInterfaces())
      .flat()
      .flatMap((i) => (i && !i.internal ? [i.scopeid ? `${i.address}%${i.scopeid}` : i.address] : []));

    // Act
    const outcomes = await Promise.all(
      others.flatMap((address) =>
        ports.map(async (port) => `${address} port ${port}: ${await tryConnect(address, port)}`),
      ),
    );
    const reachedOnLoopback = await Promise.all(ports.map((port) => tryConnect('127.0.0.1', port)));
    await emulators.stop();

    // Assess
    expect(reachedOnLoopback).toEqual(ports.map(() => 'connected'));
    expect(outcomes.filter((o) => o.endsWith(': connected'))).toEqual([]);
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

/** 'connected' if a TCP connection to `address`:`port` opens, else the error code. */
function tryConnect(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
