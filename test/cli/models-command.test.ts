import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../adapters/local-object-store.ts';
import { main } from '../../cli/main.ts';
import { DEFAULT_MODEL_DIR } from '../../models/model-store.ts';
import { LENIENT, scratch, seedArchive } from '../functions/retrain-fixtures.ts';
import { memoryIo } from './support.ts';

const dir = scratch();

async function seismo(...args: string[]) {
  const { io, stdout, stderr } = memoryIo();
  const code = await main(args, io);
  return { code, out: stdout(), err: stderr() };
}

describe('seismo retrain --local and seismo models', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    await seedArchive(new LocalObjectStore(dir));
    process.env.RETRAIN_SETTINGS = JSON.stringify({ autoencoderMaxRows: 2_000, gateMargins: LENIENT });
  });
  afterAll(() => {
    delete process.env.RETRAIN_SETTINGS;
    rmSync(dir, { recursive: true, force: true });
  });

  it('retrains from the local archive, prints the gate report and promotes', async () => {
    // Act
    const run = await seismo('retrain', '--dir', dir, '--at', '2024-01-17T00:00:00Z');

    // Assess
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/plan: 12 series/);
    expect(run.out).toMatch(/Retraining manual-202401170000: ACCEPT/);
    expect(run.out).toMatch(/rolling z-score \(baseline\)/);
    expect(run.out).toMatch(/v1 is the champion/);
  });

  it('lists, shows and answers which model was live when', async () => {
    // Act
    const list = await seismo('models', 'list', '--dir', dir);
    const show = await seismo('models', 'show', 'v1', '--dir', dir, '--json');
    const before = await seismo('models', 'history', '--at', '2000-01-01T00:00:00Z', '--dir', dir);
    const now = await seismo('models', 'history', '--at', new Date().toISOString(), '--dir', dir);
    const history = await seismo('models', 'history', '--dir', dir);

    // Assess
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/champion v1, challenger -, previous -/);
    expect(JSON.parse(show.out).card.lineage.series.count).toBe(12);
    expect(JSON.parse(show.out).report.verdict).toBe('accept');
    expect(before.out).toMatch(/no registered model was live/);
    expect(now.out).toMatch(/^v1 was live at/);
    expect(history.out).toMatch(/challenger - → v1 .* by retraining:manual-202401170000/);
    expect(history.out).toMatch(/promote - → v1/);
  });

  it('refuses what cannot be done with exit 1 and a wrong command line with exit 2', async () => {
    const unknown = await seismo('models', 'promote', '9', '--dir', dir);
    const noPrevious = await seismo('models', 'rollback', '--dir', dir);
    const usage = await seismo('models', 'promote', '--dir', dir);
    const mixed = await seismo('models', 'list', '--dir', dir, '--bucket', 'b', '--table', 't');
    expect([unknown.code, noPrevious.code, usage.code, mixed.code]).toEqual([1, 1, 2, 2]);
    expect(unknown.err).toMatch(/no version v9/);
    expect(noPrevious.err).toMatch(/no previous champion/);
  });

  it("registers a model directory after verifying it, and refuses one whose bytes are not its card's", async () => {
    // Prepare: the shipped model as trained by hand, and a copy whose card lies about its bytes.
    const bad = join(dir, 'tampered');
    mkdirSync(bad);
    cpSync(join(DEFAULT_MODEL_DIR, 'model.onnx'), join(bad, 'model.onnx'));
    const card = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    writeFileSync(join(bad, 'model.json'), JSON.stringify({ ...card, sha256: '0'.repeat(64) }));
    const other = join(scratch(), 'registry');

    // Act
    const registered = await seismo('models', 'register', DEFAULT_MODEL_DIR, '--dir', other);
    const refused = await seismo('models', 'register', bad, '--dir', other);
    const listed = await seismo('models', 'list', '--dir', other);

    // Assess
    expect(registered.code).toBe(0);
    expect(registered.out).toMatch(/registered seismo-isolation-forest@1\.0\.0 as v1/);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/sha256/);
    expect(listed.out).toMatch(/^v1 /m);
    expect(listed.out).not.toMatch(/^v2 /m);
    rmSync(other, { recursive: true, force: true });
  });

  it('promotes by hand and rolls back, logging who and why', async () => {
    // Prepare: a second version from a later window.
    await seismo('retrain', '--dir', dir, '--at', '2024-01-16T00:00:00Z');

    // Act
    const promoted = await seismo('models', 'list', '--dir', dir);
    const back = await seismo('models', 'rollback', '--dir', dir, '--who', 'alice', '--reason', 'too noisy');
    const history = await seismo('models', 'history', '--dir', dir);

    // Assess
    expect(promoted.out).toMatch(/champion v2, challenger -, previous v1/);
    expect(back.code).toBe(0);
    expect(back.out).toMatch(/v1 is the champion again/);
    expect(history.out).toMatch(/rollback v2 → v1 .* by alice: too noisy/);
  });
});
