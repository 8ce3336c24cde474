import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoDbSeriesRegistry,
  SERIES_KEY_ATTRIBUTE,
} from '../../../adapters/ingest/dynamodb-series-registry.ts';
import { type Emulator, localDynamoDbClient, startDynalite } from '../../../local/emulators.ts';
import { createTable } from '../../../local/stack.ts';

describe('DynamoDbSeriesRegistry against dynalite', () => {
  let dynalite: Emulator;
  let client: DynamoDBClient;
  const table = `seismo-series-${process.pid}-${Date.now()}`;
  const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  beforeAll(async () => {
    dynalite = await startDynalite({ createTableMs: 0 });
    client = localDynamoDbClient(dynalite.endpoint);
    await createTable(client, table, SERIES_KEY_ATTRIBUTE);
  });
  afterAll(async () => {
    client?.destroy();
    await dynalite?.stop();
  });

  it('admits new series up to the cap, refuses the rest, and keeps known series flowing', async () => {
    // Prepare
    const registry = new DynamoDbSeriesRegistry(client, { tableName: table, defaultCap: 5 });

    // Act
    const first = await registry.admit('t1', keys('a', 3));
    const second = await registry.admit('t1', [...keys('a', 3), ...keys('b', 4)]);
    const third = await registry.admit('t1', [...keys('a', 3), 'b0', 'b1', 'c0']);

    // Assess
    expect([...first.refused]).toEqual([]);
    expect([...second.refused]).toEqual(['b2', 'b3']);
    expect(second.cap).toBe(5);
    expect([...third.refused]).toEqual(['c0']);
    expect(await registry.count('t1')).toBe(5);
  });

  it('shares the cap between containers: each sees the series the other registered, none passes the cap', async () => {
    // Prepare: two containers (two registries, two caches) of one tenant, racing.
    const a = new DynamoDbSeriesRegistry(client, { tableName: table, defaultCap: 50 });
    const b = new DynamoDbSeriesRegistry(client, { tableName: table, defaultCap: 50 });

    // Act
    const [ra, rb] = await Promise.all([a.admit('t2', keys('s', 40)), b.admit('t2', keys('s', 60))]);
    const again = await a.admit('t2', keys('s', 60));

    // Assess: 50 distinct series in all; what one admitted the other knows; the count is exact.
    const admitted = new Set([
      ...keys('s', 40).filter((k) => !ra.refused.has(k)),
      ...keys('s', 60).filter((k) => !rb.refused.has(k)),
    ]);
    expect(admitted.size).toBe(50);
    expect(await a.count('t2')).toBe(50);
    expect(keys('s', 60).filter((k) => !again.refused.has(k))).toHaveLength(50);
  });

  it('keeps tenants apart and honours per-tenant caps', async () => {
    // Prepare
    const registry = new DynamoDbSeriesRegistry(client, {
      tableName: table,
      defaultCap: 2,
      caps: { big: 4 },
    });

    // Act
    const small = await registry.admit('small', keys('x', 4));
    const big = await registry.admit('big', keys('x', 4));

    // Assess
    expect(small.refused.size).toBe(2);
    expect(big.refused.size).toBe(0);
  });

  it('remembers a refusal for a minute, then asks again (a slot may have been freed)', async () => {
    // Prepare
    let now = 1_000_000;
    const registry = new DynamoDbSeriesRegistry(client, {
      tableName: table,
      defaultCap: 1,
      clock: () => now,
    });
    await registry.admit('t3', ['first']);

    // Act
    const refused = await registry.admit('t3', ['second']);
    const remembered = await registry.admit('t3', ['second']);
    now += 61_000;
    const askedAgain = await registry.admit('t3', ['second']);

    // Assess
    expect([...refused.refused, ...remembered.refused, ...askedAgain.refused]).toEqual([
      'second',
      'second',
      'second',
    ]);
    expect(await registry.count('t3')).toBe(1);
  });
});
