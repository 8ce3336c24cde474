import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoDbStateStore,
  QUARANTINE_PREFIX,
  STATE_KEY_ATTRIBUTE,
} from '../../adapters/dynamodb-state-store.ts';
import { DynamoDbPublishLedger, LEDGER_KEY_ATTRIBUTE } from '../../adapters/publish-ledger.ts';
import { type Emulator, localDynamoDbClient, startDynalite } from '../../local/emulators.ts';
import { createTable } from '../../local/stack.ts';

const run = `${process.pid}-${Date.now()}`;
const stateTable = `seismo-state-${run}`;
const ledgerTable = `seismo-published-${run}`;

describe('DynamoDB adapters against dynalite', () => {
  let dynalite: Emulator;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynalite = await startDynalite();
    client = localDynamoDbClient(dynalite.endpoint);
    await Promise.all([
      createTable(client, stateTable, STATE_KEY_ATTRIBUTE),
      createTable(client, ledgerTable, LEDGER_KEY_ATTRIBUTE),
    ]);
  });

  afterAll(async () => {
    client?.destroy();
    await dynalite?.stop();
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

  it('replaces an item without a readable version only while it has none, after keeping it aside', async () => {
    // Prepare: items no detector writes (edited by hand, or by an old tool)
    const store = new DynamoDbStateStore(client, { tableName: stateTable });
    const put = (key: string, extra: Record<string, { N: string } | { S: string }>) =>
      client.send(
        new PutItemCommand({
          TableName: stateTable,
          Item: { pk: { S: key }, state: { S: '"x"' }, ...extra },
        }),
      );
    await put('no-version', {});
    await put('text-version', { version: { S: 'seven' } });
    await put('zero-version', { version: { N: '0' } });
    const loaded = await store.load(['no-version', 'text-version', 'zero-version']);

    // Act
    await store.quarantine([...loaded.values()].map((v) => ({ ...v, reason: 'no readable version' })));
    const first = await store.save([...loaded.values()].map((v) => ({ ...v, state: Uint8Array.of(1) })));
    const second = await store.save([...loaded.values()].map((v) => ({ ...v, state: Uint8Array.of(2) })));
    const after = await store.load(['no-version', 'text-version', 'zero-version']);

    // Assess
    expect([...loaded.values()].map((v) => v.version)).toEqual([-1, -1, -1]);
    expect(first.conflicts).toEqual([]);
    expect([...second.conflicts].sort()).toEqual(['no-version', 'text-version', 'zero-version']);
    expect([...after.values()].map((v) => [v.version, v.state])).toEqual([
      [1, Uint8Array.of(1)],
      [1, Uint8Array.of(1)],
      [1, Uint8Array.of(1)],
    ]);
    const kept = await store.load([`${QUARANTINE_PREFIX}no-version`]);
    expect(kept.size).toBe(0); // kept under its own timestamped key, never read as a series
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
