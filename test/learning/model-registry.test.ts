import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbRegistryIndex, REGISTRY_KEYS } from '../../adapters/dynamodb-registry-index.ts';
import { localRegistry, type StoreModelRegistry, s3Registry } from '../../adapters/model-registry.ts';
import { PromotionConflict, RegistryError } from '../../core/learning/registry.ts';
import {
  createKeyedTable,
  type DynamoDbLocal,
  javaAvailable,
  startDynamoDbLocal,
} from '../support/dynamodb-local.ts';
import { fakeS3 } from '../support/s3-fake.ts';
import { fakeVersion } from './registry-fixtures.ts';

/** The same behaviour is asked of the deployed registry and of the local one. */
function registryContract(name: string, make: (now: () => number) => Promise<StoreModelRegistry>) {
  describe(name, () => {
    let clock = Date.parse('2026-11-01T00:00:00Z');
    const now = () => clock;

    it('registers versions create-only and returns the same version for the same bytes', async () => {
      // Prepare
      const registry = await make(now);

      // Act
      const v1 = await registry.register(fakeVersion(1));
      const again = await registry.register(fakeVersion(1));
      const v2 = await registry.register(fakeVersion(2));

      // Assess
      expect(v1.version).toBe(1);
      expect(again).toEqual(v1);
      expect(v2.version).toBe(2);
      expect(v1.uri).toMatch(/registry\/default\/v1$/);
      const artifact = await registry.fetchArtifact(2);
      expect(artifact.onnx).toEqual(fakeVersion(2).onnx);
      expect(JSON.parse(artifact.cardJson).sha256).toBe(v2.sha256);
      expect(await registry.report(2)).toBe('{"verdict":"accept"}');
    });

    it('refuses a card whose sha256 is not the bytes', async () => {
      // Prepare
      const registry = await make(now);
      const bad = { ...fakeVersion(3), onnx: new Uint8Array([1, 2, 3]) };

      // Act / Assess
      await expect(registry.register(bad)).rejects.toThrow(RegistryError);
      expect(await registry.versions()).toEqual([]);
    });

    it('moves pointers, logs every move and answers which model was live at T', async () => {
      // Prepare
      const registry = await make(now);
      const [v1, v2] = [await registry.register(fakeVersion(1)), await registry.register(fakeVersion(2))];
      const who = { who: 'test', reason: 'because' };

      // Act
      clock = Date.parse('2026-11-02T00:00:00Z');
      await registry.promote(1, { ...who, expectedChampion: null });
      clock = Date.parse('2026-11-03T00:00:00Z');
      await registry.setChallenger(2, who);
      expect(await registry.challengerPointer()).toEqual(v2);
      clock = Date.parse('2026-11-04T00:00:00Z');
      await registry.promote(2, { ...who, expectedChampion: 1, report: 's3://b/report.json' });
      clock = Date.parse('2026-11-05T00:00:00Z');
      const rolledBack = await registry.rollback({ ...who, expectedChampion: 2 });

      // Assess
      expect(rolledBack).toEqual({ champion: v1, revision: 4 });
      expect(await registry.championPointer()).toEqual(v1);
      const log = await registry.history();
      expect(log.map((e) => [e.action, e.from, e.to, e.revision])).toEqual([
        ['promote', undefined, 1, 1],
        ['challenger', undefined, 2, 2],
        ['promote', 1, 2, 3],
        ['rollback', 2, 1, 4],
      ]);
      expect(log[2]?.report).toBe('s3://b/report.json');
      expect(await registry.liveAt(Date.parse('2026-11-01T12:00:00Z'))).toBeUndefined();
      expect(await registry.liveAt(Date.parse('2026-11-03T12:00:00Z'))).toEqual(v1);
      expect(await registry.liveAt(Date.parse('2026-11-04T00:00:00Z'))).toEqual(v2);
      expect(await registry.liveAt(Date.parse('2026-11-06T00:00:00Z'))).toEqual(v1);
      expect((await registry.versions()).map((v) => v.roles)).toEqual([['champion'], []]);
    });

    it('lets one of two racing promotions win and changes nothing for the other', async () => {
      // Prepare
      const registry = await make(now);
      await registry.register(fakeVersion(1));
      await registry.register(fakeVersion(2));
      await registry.register(fakeVersion(3));
      await registry.promote(1, { who: 'test', reason: 'first', expectedChampion: null });
      const who = { who: 'race', reason: 'race', expectedChampion: 1 };

      // Act
      const outcomes = await Promise.allSettled([registry.promote(2, who), registry.promote(3, who)]);

      // Assess
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o) => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(PromotionConflict);
      const log = await registry.history();
      expect(log).toHaveLength(2);
      expect((await registry.pointers()).previous?.version).toBe(1);
    });

    it('decides a move again when another one landed in between, instead of failing it', async () => {
      // Prepare
      const registry = await make(now);
      for (const seed of [1, 2, 3]) await registry.register(fakeVersion(seed));
      await registry.promote(1, { who: 't', reason: 'r' });

      // Act: two challengers named at once; neither pins a revision.
      const [a, b] = await Promise.allSettled([
        registry.setChallenger(2, { who: 'a', reason: 'r' }),
        registry.setChallenger(3, { who: 'b', reason: 'r' }),
      ]);

      // Assess
      expect([a.status, b.status]).toEqual(['fulfilled', 'fulfilled']);
      const log = await registry.history();
      expect(log.filter((e) => e.action === 'challenger')).toHaveLength(2);
      expect([2, 3]).toContain((await registry.pointers()).challenger?.version);
      expect(log.map((e) => e.revision)).toEqual([1, 2, 3]);
    });

    it('refuses a rollback without a previous champion and a stale expected champion', async () => {
      // Prepare
      const registry = await make(now);
      await registry.register(fakeVersion(1));
      await registry.promote(1, { who: 't', reason: 'r' });

      // Act / Assess
      await expect(registry.rollback({ who: 't', reason: 'r' })).rejects.toThrow(/no previous champion/);
      await expect(registry.rollback({ who: 't', reason: 'r', expectedChampion: 7 })).rejects.toThrow(
        PromotionConflict,
      );
      await expect(registry.promote(9, { who: 't', reason: 'r' })).rejects.toThrow(/no version v9/);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'seismo-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
registryContract('local registry (directory and JSON index)', async (now) =>
  localRegistry(join(dir, `r${++n}`), 'default', now),
);

const hasJava = javaAvailable();
if (!hasJava)
  console.warn('DynamoDB Local needs a Java runtime (apt-get install default-jre-headless): skipped');

describe.runIf(hasJava)('deployed registry (S3 create-only, DynamoDB Local transactions)', () => {
  let ddb: DynamoDbLocal;
  const s3 = fakeS3();
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await ddb?.stop();
  });
  afterEach(() => s3.objects.clear());

  registryContract('contract', async (now) => {
    const table = `registry-${++n}`;
    await createKeyedTable(ddb.client, table, REGISTRY_KEYS.partition, REGISTRY_KEYS.sort);
    return s3Registry({ s3: s3.client, dynamodb: ddb.client, bucket: 'learning', table, now });
  });

  it('moves pointers in one transaction conditioned on the revision read', async () => {
    // Prepare
    const table = `registry-${++n}`;
    await createKeyedTable(ddb.client, table, REGISTRY_KEYS.partition, REGISTRY_KEYS.sort);
    const index = new DynamoDbRegistryIndex(ddb.client, table);
    const pointer = { version: 1, uri: 's3://b/registry/default/v1', sha256: 'a'.repeat(64) };
    const entry = {
      action: 'promote' as const,
      to: 1,
      who: 't',
      reason: 'r',
      at: '2026-11-01T00:00:00.000Z',
    };

    // Act: two writers both read revision 0.
    const first = await index.move('default', 0, { champion: pointer }, entry);
    const second = index.move('default', 0, { champion: { ...pointer, version: 2 } }, { ...entry, to: 2 });

    // Assess
    expect(first.revision).toBe(1);
    await expect(second).rejects.toThrow(PromotionConflict);
    expect(await index.read('default')).toEqual({ champion: pointer, revision: 1 });
    expect(await index.log('default')).toHaveLength(1);
  });

  it('writes every artifact with If-None-Match and never overwrites one', async () => {
    // Prepare
    const table = `registry-${++n}`;
    await createKeyedTable(ddb.client, table, REGISTRY_KEYS.partition, REGISTRY_KEYS.sort);
    const registry = s3Registry({ s3: s3.client, dynamodb: ddb.client, bucket: 'learning', table });
    s3.objects.set('registry/default/v1/model.onnx', new Uint8Array([9]));

    // Act: the counter hands out v1, whose key a stray object already holds.
    const attempt = registry.register(fakeVersion(4));

    // Assess
    await expect(attempt).rejects.toThrow(/already exists; versions are immutable/);
    expect(s3.writes.filter((w) => w.outcome === 'overwritten')).toEqual([]);
    expect(s3.writes.every((w) => w.ifNoneMatch)).toBe(true);
    expect(s3.objects.get('registry/default/v1/model.onnx')).toEqual(new Uint8Array([9]));
  });
});
