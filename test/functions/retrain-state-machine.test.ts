import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../adapters/s3-object-store.ts';
import type { ObjectStore } from '../../core/learning/object-store.ts';
import type { RetrainDeps } from '../../functions/retrain/deps.ts';
import { createRetrainSteps } from '../../functions/retrain/steps.ts';
import { DEFAULT_MODEL_DIR, parseModelCard, readModelCard } from '../../models/model-store.ts';
import { synthSeismo } from '../infra/support.ts';
import { type DynamoDbLocal, javaAvailable, startDynamoDbLocal } from '../support/dynamodb-local.ts';
import { allStates, type LocalRun, resolvedDefinition, runLocally } from '../support/local-state-machine.ts';
import { fakeS3 } from '../support/s3-fake.ts';
import { AT, DAY, IMPOSSIBLE, LENIENT, scratch, seedArchive, testDeps } from './retrain-fixtures.ts';

const hasJava = javaAvailable();
if (!hasJava)
  console.warn('the retraining state machine tests need DynamoDB Local, which needs Java: skipped');

const input = (at = AT) => ({ trigger: 'manual', at: new Date(at).toISOString(), requestedBy: 'test' });

describe.runIf(hasJava)(
  'retraining state machine, run locally against the real handlers',
  { timeout: 240_000 },
  () => {
    const s3 = fakeS3(1000);
    let ddb: DynamoDbLocal;
    let definition: Record<string, unknown>;
    let table = 0;
    let notifications: { state: string; message: Record<string, unknown> }[];
    void scratch;

    beforeAll(async () => {
      ddb = await startDynamoDbLocal();
      definition = resolvedDefinition(synthSeismo().template);
      await seedArchive(new S3ObjectStore(s3.client, 'learning'));
    });
    afterAll(async () => {
      await ddb?.stop();
    });
    beforeEach(() => {
      notifications = [];
      for (const key of [...s3.objects.keys()])
        if (key.startsWith('runs/') || key.startsWith('registry/')) s3.objects.delete(key);
    });

    /** Binds every Lambda task to the real step dispatcher and every SNS task to a recorder. */
    function handlers(
      deps: RetrainDeps,
      wrap: Record<string, (input: unknown, real: (i: unknown) => Promise<unknown>) => Promise<unknown>> = {},
    ) {
      const steps = createRetrainSteps(deps);
      const bound: Record<string, (input: unknown) => Promise<unknown>> = {};
      for (const [name, state] of allStates(definition)) {
        if (state.Type !== 'Task') continue;
        const resource = String(state.Resource);
        const real = resource.includes(':sns:')
          ? async (i: unknown) => {
              notifications.push({
                state: name,
                message: (i as { Message: Record<string, unknown> }).Message,
              });
              return {};
            }
          : (i: unknown) => steps.dispatch(i as Record<string, unknown>);
        const wrapper = wrap[name];
        bound[name] = wrapper ? (i) => wrapper(i, real) : real;
      }
      return bound;
    }

    const deps = (settings: Parameters<typeof testDeps>[3] = {}, objects?: ObjectStore) =>
      testDeps(s3.client, ddb, `registry-${++table}`, settings, objects);

    it('happy path: plans, extracts, trains both, gates, registers, shadows, promotes and watches', async () => {
      // Prepare
      const d = await deps({ gateMargins: LENIENT });

      // Act
      const run = await runLocally(definition, 'manual-202401170000', input(), handlers(d));

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.states).toEqual(
        expect.arrayContaining([
          'plan',
          'extract-shard',
          'train-candidate',
          'evaluate',
          'gate',
          'register',
          'set-challenger',
          'shadow',
          'promote',
          'watch',
          'done',
        ]),
      );
      const champion = await d.registry.championPointer();
      expect(champion?.version).toBe(1);
      const card = parseModelCard((await d.registry.fetchArtifact(1)).cardJson, 'v1');
      expect(card.lineage?.series.count).toBe(12);
      expect(card.lineage?.trainingWindow).toEqual({
        from: new Date(AT - 16 * DAY).toISOString(),
        to: new Date(AT - 2 * DAY).toISOString(),
      });
      expect(card.lineage?.excludedEpisodes.map((e) => e.episodeId)).toEqual(['e-confirmed']);
      expect(JSON.parse((await d.registry.report(1)) ?? '{}').verdict).toBe('accept');
      expect((await d.registry.history()).map((e) => [e.action, e.to, e.who])).toEqual([
        ['challenger', 1, 'retraining:manual-202401170000'],
        ['promote', 1, 'retraining:manual-202401170000'],
      ]);
      expect(notifications.map((n) => n.state)).toEqual(['notify-promoted']);
    });

    it('gate rejects: nothing is registered and the rejection is notified with the reasons', async () => {
      // Prepare
      const d = await deps({ gateMargins: IMPOSSIBLE });

      // Act
      const run = await runLocally(definition, 'manual-reject', input(), handlers(d));

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.states).toContain('rejected');
      expect(run.states).not.toContain('register');
      expect(await d.registry.versions()).toEqual([]);
      expect(notifications.map((n) => n.state)).toEqual(['notify-rejected']);
      expect(String(notifications[0]?.message.summary)).toMatch(/rejected: .*injected recall vs champion/);
      expect(s3.objects.has('runs/manual-reject/report.txt')).toBe(true);
    });

    it('training throws: the Catch notifies and the run fails', async () => {
      // Prepare: no window holds a billion rows, so both trainers throw NotEnoughHistory.
      const d = await deps({ minTrainingRows: 1e9 });

      // Act
      const run = await runLocally(definition, 'manual-throws', input(), handlers(d));

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.states.filter((s) => s === 'train-failed')).toHaveLength(2);
      expect(notifications.map((n) => n.state)).toEqual(['notify-failure']);
      expect(notifications[0]?.message.error).toBe('NoCandidate');
      expect(String(notifications[0]?.message.cause)).toMatch(/NotEnoughHistory|1000000000 are needed/);
      expect(await d.registry.versions()).toEqual([]);
    });

    it('some series fail: their shard is left out and the run goes on with the rest', async () => {
      // Prepare: reading one shard's events fails every time.
      const store = new S3ObjectStore(s3.client, 'learning');
      let failing: string | undefined;
      const flaky: ObjectStore = {
        uri: (k) => store.uri(k),
        put: (k, b) => store.put(k, b),
        putIfAbsent: (k, b) => store.putIfAbsent(k, b),
        list: (p) => store.list(p),
        get: async (k) => {
          const shard = /runs\/[^/]+\/shards\/(\d+)\//.exec(k)?.[1];
          failing ??= shard;
          if (shard !== undefined && shard === failing) throw new Error(`disk on fire reading ${k}`);
          return store.get(k);
        },
      };
      const d = await deps({ gateMargins: LENIENT }, flaky);

      // Act
      const run = await runLocally(definition, 'manual-partial', input(), handlers(d));

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.states.filter((s) => s === 'shard-failed')).toHaveLength(1);
      const card = parseModelCard((await d.registry.fetchArtifact(1)).cardJson, 'v1');
      expect(card.lineage?.series.count).toBeGreaterThan(0);
      expect(card.lineage?.series.count).toBeLessThan(12);
    });

    it('rolls back when the watch after promotion breaches', async () => {
      // Prepare: the default model is champion v1; the episode rate storms after the new promotion.
      const d = await deps({ gateMargins: LENIENT });
      const shipped = await readModelCard(DEFAULT_MODEL_DIR);
      await d.registry.register({
        onnx: new Uint8Array(await readFile(join(DEFAULT_MODEL_DIR, shipped.onnxFile))),
        cardJson: JSON.stringify(shipped),
      });
      await d.registry.promote(1, { who: 'test', reason: 'initial' });
      d.watch.storm = true;

      // Act
      const run = await runLocally(definition, 'manual-rollback', input(), handlers(d));

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('Seismo.RolledBack');
      expect((await d.registry.championPointer())?.version).toBe(1);
      expect((await d.registry.history()).map((e) => [e.action, e.from, e.to])).toEqual([
        ['promote', undefined, 1],
        ['challenger', undefined, 2],
        ['promote', 1, 2],
        ['rollback', 2, 1],
      ]);
      expect(notifications.map((n) => n.state)).toEqual(['notify-promoted', 'notify-rolled-back']);
      expect(String(notifications[1]?.message.reason)).toMatch(/episodes per million points/);
    });

    it('a duplicate trigger of the same run changes nothing: same version, no new pointer moves', async () => {
      // Prepare
      const d = await deps({ gateMargins: LENIENT });
      await runLocally(definition, 'weekly-2024-W03', input(), handlers(d));
      const before = await d.registry.history();

      // Act: the same execution (same name, same input) runs again.
      const again = await runLocally(definition, 'weekly-2024-W03', input(), handlers(d));

      // Assess
      expect(again.status).toBe('SUCCEEDED');
      expect((await d.registry.versions()).map((v) => v.version)).toEqual([1]);
      expect(await d.registry.history()).toEqual(before);
    });

    it('two concurrent promotions: one transaction wins, the other fails and notifies', async () => {
      // Prepare: two runs over different windows (different models), both judged against champion v1,
      // held at promote until both are there.
      const d = await deps({ gateMargins: LENIENT });
      const shipped = await readModelCard(DEFAULT_MODEL_DIR);
      await d.registry.register({
        onnx: new Uint8Array(await readFile(join(DEFAULT_MODEL_DIR, shipped.onnxFile))),
        cardJson: JSON.stringify(shipped),
      });
      await d.registry.promote(1, { who: 'test', reason: 'initial' });
      let arrived = 0;
      let release: () => void = () => {};
      // Released when both runs are there (or after 60 s, so a run that never comes cannot hang the test).
      const barrier = new Promise<void>((r) => {
        release = r;
        setTimeout(r, 60_000).unref();
      });
      const wrap = {
        promote: async (i: unknown, real: (i: unknown) => Promise<unknown>) => {
          arrived += 1;
          if (arrived === 2) release();
          await barrier;
          return real(i);
        },
      };

      // Act
      const [a, b] = await Promise.all([
        runLocally(definition, 'drift-2024-01-17', input(AT), handlers(d, wrap)),
        runLocally(definition, 'drift-2024-01-16', input(AT - DAY), handlers(d, wrap)),
      ]);

      // Assess
      const outcomes = [a, b].map((r: LocalRun) => r.status).sort();
      expect(outcomes).toEqual(['FAILED', 'SUCCEEDED']);
      const failedNotice = notifications.find((n) => n.state === 'notify-failure');
      expect(failedNotice?.message.error).toBe('PromotionConflict');
      const promotions = (await d.registry.history()).filter((e) => e.action === 'promote');
      expect(promotions.map((e) => e.from)).toEqual([undefined, 1]);
    });
  },
);
