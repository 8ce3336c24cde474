import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localRegistry } from '../../adapters/model-registry.ts';
import { registryModelReader } from '../../adapters/registry-model-reader.ts';
import { type Emulators, startEmulators } from '../../local/emulators.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { DEFAULT_MODEL_DIR } from '../../models/model-store.ts';
import { waitUntil } from '../support/wait-until.ts';

const onnx = new Uint8Array(readFileSync(join(DEFAULT_MODEL_DIR, 'model.onnx')));
const shippedCard = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8')) as Record<
  string,
  unknown
>;

/** The shipped model's bytes under another version name: a "retrained" model the scorer accepts. */
function version(name: string): { onnx: Uint8Array; cardJson: string } {
  return { onnx, cardJson: JSON.stringify({ ...shippedCard, version: name }) };
}

const who = { who: 'test', reason: 'hot reload' };

describe('registryModelReader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-reader-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('names the challenger, then the champion, and opens a version as a verified scorer', async () => {
    // Prepare
    const registry = localRegistry(join(dir, 'a'));
    const reader = registryModelReader(registry);
    expect(await reader.pointers()).toEqual({});
    await registry.register(version('2.0.0'));

    // Act
    await registry.setChallenger(1, who);
    const shadow = await reader.pointers();
    await registry.promote(1, { ...who, expectedChampion: null });
    const promoted = await reader.pointers();
    const champion = await reader.load(promoted.champion as never);

    // Assess
    expect(shadow).toEqual({ challenger: { version: 'registry v1', sha256: shippedCard.sha256 } });
    expect(promoted).toEqual({ champion: { version: 'registry v1', sha256: shippedCard.sha256 } });
    expect(champion.modelVersion).toBe(`${shippedCard.name}@2.0.0`);
    expect((await champion.score(new Float32Array(5), 1)).length).toBe(1);
  });

  it('refuses a version whose pointer and card disagree on the checksum', async () => {
    // Prepare
    const registry = localRegistry(join(dir, 'b'));
    await registry.register(version('2.0.0'));
    const reader = registryModelReader(registry);

    // Act / Assess
    await expect(reader.load({ version: 'registry v1', sha256: '0'.repeat(64) })).rejects.toThrow(
      /states sha256 .* refusing registry v1/,
    );
    await expect(reader.load({ version: 'v1', sha256: '0'.repeat(64) })).rejects.toThrow(
      /does not name a registry version/,
    );
  });
});

describe('local stack following the registry', () => {
  let emulators: Emulators;
  let stack: LocalStack;
  let dir: string;
  const out = new PassThrough();
  const printed: Buffer[] = [];
  out.on('data', (c: Buffer) => printed.push(c));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-learning-'));
    emulators = await startEmulators({ dynalite: { createTableMs: 50 } });
    const run = `${process.pid}`;
    stack = await startLocalStack({
      emulators,
      streamName: `reload-events-${run}`,
      stateTable: `reload-state-${run}`,
      ledgerTable: `reload-published-${run}`,
      ingest: { seriesTable: `reload-series-${run}` },
      out,
      color: false,
      learning: { dir, refreshMs: 500 },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await emulators?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function send(series: string, from: number, count: number): Promise<void> {
    const records = Array.from({ length: count }, (_, i) => ({
      PartitionKey: series,
      Data: new TextEncoder().encode(
        JSON.stringify({ series, timestamp: from + i * 60_000, value: 10 + Math.sin(i) }),
      ),
    }));
    await stack.kinesis.send(new PutRecordsCommand({ StreamName: stack.streamName, Records: records }));
  }

  it('archives what it scores, then serves a promoted version within the refresh interval, with no deploy', async () => {
    // Prepare: scored by the shipped model, and archived.
    const t0 = Date.now() - 3_600_000;
    await send('reload', t0, 20);
    await waitUntil('the first points scored', () => stack.scores.query('reload').length === 20, 30_000);
    expect(new Set(stack.scores.query('reload').map((p) => p.modelVersion))).toEqual(
      new Set([`${shippedCard.name}@${shippedCard.version}`]),
    );
    expect((await readdir(join(dir, 'archive'))).length).toBeGreaterThan(0);

    // Act: promote a registered version while the stack runs.
    const registry = localRegistry(dir);
    await registry.register(version('9.9.9'));
    const promotedAt = Date.now();
    await registry.promote(1, { ...who, expectedChampion: null });
    await send('reload', t0 + 20 * 60_000, 5);
    await waitUntil(
      'a point scored by the promoted model',
      () => stack.scores.query('reload').some((p) => p.modelVersion.endsWith('@9.9.9')),
      30_000,
    );
    const servingAfterMs = Date.now() - promotedAt;

    // Assess
    expect(stack.detector.modelSet.champion.modelVersion).toBe(`${shippedCard.name}@9.9.9`);
    expect(stack.scores.query('reload')).toHaveLength(25);
    expect(Buffer.concat(printed).toString()).toContain(`models: now serving ${shippedCard.name}@9.9.9`);
    console.info(`promotion → first point scored by the new champion: ${servingAfterMs} ms (refresh 500 ms)`);
  });
});
