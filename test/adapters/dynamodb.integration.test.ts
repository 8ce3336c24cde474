import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../adapters/dynamodb-state-store.ts';
import { DynamoDbPublishLedger } from '../../adapters/publish-ledger.ts';
import { freePort } from '../../local/emulators.ts';

const run = `${process.pid}-${Date.now()}`;
const stateTable = `seismo-state-${run}`;
const ledgerTable = `seismo-published-${run}`;

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dynalite exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`dynalite did not listen on ${port} within 15 s`);
}

async function createTable(client: DynamoDBClient, name: string, key: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: name });
}

describe('DynamoDB adapters against dynalite', () => {
  let dynalite: ChildProcess;
  let client: DynamoDBClient;

  beforeAll(async () => {
    const port = await freePort();
    const cli = createRequire(import.meta.url).resolve('dynalite/cli.js');
    dynalite = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', String(port)], {
      stdio: 'ignore',
    });
    await waitForPort(port, dynalite);
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await Promise.all([createTable(client, stateTable, 'pk'), createTable(client, ledgerTable, 'id')]);
  });

  afterAll(async () => {
    client?.destroy();
    if (dynalite && dynalite.exitCode === null) {
      const exited = new Promise((resolve) => dynalite.once('exit', resolve));
      dynalite.kill('SIGTERM');
      await exited;
    }
  });

  it('saves and loads state with optimistic concurrency', async () => {
    // Prepare
    const store = new DynamoDbStateStore(client, { tableName: stateTable, ttlSeconds: 86_400 });

    // Act
    const created = await store.save([{ key: 'cpu', version: 0, state: { mean: 1.5, n: 3 } }]);
    const raceOnCreate = await store.save([{ key: 'cpu', version: 0, state: { other: true } }]);
    const loaded = await store.load(['cpu', 'never-written']);
    const updated = await store.save([{ key: 'cpu', version: 1, state: { mean: 2, n: 4 } }]);
    const stale = await store.save([{ key: 'cpu', version: 1, state: { stale: true } }]);
    const reloaded = await store.load(['cpu']);

    // Assess
    expect(created.conflicts).toEqual([]);
    expect(raceOnCreate.conflicts).toEqual(['cpu']);
    expect([...loaded.values()]).toEqual([{ key: 'cpu', version: 1, state: { mean: 1.5, n: 3 } }]);
    expect(updated.conflicts).toEqual([]);
    expect(stale.conflicts).toEqual(['cpu']);
    expect(reloaded.get('cpu')).toEqual({ key: 'cpu', version: 2, state: { mean: 2, n: 4 } });
    const raw = await client.send(new GetItemCommand({ TableName: stateTable, Key: { pk: { S: 'cpu' } } }));
    expect(Number(raw.Item?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1_000);
  });

  it('keeps a binary checkpoint as a binary attribute, byte for byte', async () => {
    // Prepare
    const store = new DynamoDbStateStore(client, { tableName: stateTable });
    const bytes = Uint8Array.from({ length: 1024 }, (_, i) => (i * 37) % 256);

    // Act
    await store.save([{ key: 'binary', version: 0, state: bytes }]);
    const loaded = await store.load(['binary']);
    const raw = await client.send(
      new GetItemCommand({ TableName: stateTable, Key: { pk: { S: 'binary' } } }),
    );

    // Assess
    expect(loaded.get('binary')?.state).toEqual(bytes);
    expect(raw.Item?.state?.B).toBeInstanceOf(Uint8Array);
  });

  it('loads more keys than one BatchGetItem carries', async () => {
    // Prepare
    const store = new DynamoDbStateStore(client, { tableName: stateTable });
    const keys = Array.from({ length: 130 }, (_, i) => `series-${i}`);
    await store.save(keys.map((key, i) => ({ key, version: 0, state: { i } })));

    // Act
    const loaded = await store.load(keys);

    // Assess
    expect(loaded.size).toBe(130);
    expect(loaded.get('series-129')).toEqual({ key: 'series-129', version: 1, state: { i: 129 } });
  });

  it('ledger skips only transitions marked sent', async () => {
    // Prepare
    const ledger = new DynamoDbPublishLedger(client, { tableName: ledgerTable });

    // Act
    const first = await ledger.claim('ep-1#opened');
    const whilePending = await ledger.claim('ep-1#opened');
    await ledger.markSent('ep-1#opened');
    const afterSent = await ledger.claim('ep-1#opened');
    const otherKind = await ledger.claim('ep-1#resolved');

    // Assess
    expect([first, whilePending, afterSent, otherKind]).toEqual([true, true, false, true]);
    const raw = await client.send(
      new GetItemCommand({ TableName: ledgerTable, Key: { id: { S: 'ep-1#opened' } } }),
    );
    expect(raw.Item?.status?.S).toBe('sent');
  });
});
