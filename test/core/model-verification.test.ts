import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../core/features/feature-schema.ts';
import {
  ModelChecksumMismatch,
  ModelSchemaMismatch,
  sha256Hex,
  verifyModel,
} from '../../core/scoring/model-verification.ts';
import type { ModelCard } from '../../models/model-card.ts';
import { DEFAULT_MODEL_DIR, loadModel, ModelCardError, readModelCard } from '../../models/model-store.ts';

/** The message without its two bracketed feature lists: what remains must explain the difference itself. */
function explanation(error: Error): string {
  return error.message.replace(/\[[^\]]*\]/g, '[…]');
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the model to be refused, but it loaded');
}

async function rewriteCard(dir: string, change: (card: ModelCard) => ModelCard): Promise<void> {
  const path = join(dir, 'model.json');
  const card = JSON.parse(await readFile(path, 'utf8')) as ModelCard;
  await writeFile(path, JSON.stringify(change(card)));
}

describe('model verification', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-model-'));
    await cp(DEFAULT_MODEL_DIR, dir, { recursive: true });
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the default model into a scorer that scores one value per row', async () => {
    // Prepare
    const rows = new Float32Array(3 * FEATURE_COUNT).fill(0.5);
    // Act
    const { card, scorer } = await loadModel();
    const scores = await scorer.score(rows, 3);
    // Assess
    expect(card.featureNames).toEqual([...FEATURE_NAMES]);
    expect(scorer.modelVersion).toBe(`${card.name}@${card.version}`);
    expect(scores).toHaveLength(3);
    expect(Array.from(scores).every(Number.isFinite)).toBe(true);
  });

  it('refuses a card whose features are reordered, naming the feature that differs', async () => {
    // Prepare
    const swapped: string[] = [...FEATURE_NAMES];
    [swapped[0], swapped[1]] = [swapped[1] as string, swapped[0] as string];
    await rewriteCard(dir, (card) => ({ ...card, featureNames: swapped }));
    // Act
    const loading = loadModel(dir);
    // Assess
    const error = await rejection(loading);
    expect(error).toBeInstanceOf(ModelSchemaMismatch);
    expect(explanation(error)).toContain(`"${FEATURE_NAMES[0]}"`);
    expect(explanation(error)).toContain(`"${FEATURE_NAMES[1]}"`);
  });

  it('refuses a card missing one feature, naming the missing feature', async () => {
    // Prepare
    const missing = FEATURE_NAMES[FEATURE_COUNT - 2] as string;
    await rewriteCard(dir, (card) => ({ ...card, featureNames: FEATURE_NAMES.filter((n) => n !== missing) }));
    // Act
    const loading = loadModel(dir);
    // Assess
    const error = await rejection(loading);
    expect(error).toBeInstanceOf(ModelSchemaMismatch);
    expect(explanation(error)).toContain(missing);
  });

  it('refuses tampered model bytes with ModelChecksumMismatch naming both checksums', async () => {
    // Prepare
    const card = await readModelCard(dir);
    const bytes = await readFile(join(dir, card.onnxFile));
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0x01;
    await writeFile(join(dir, card.onnxFile), bytes);
    // Act
    const loading = loadModel(dir);
    // Assess
    const error = await rejection(loading);
    expect(error).toBeInstanceOf(ModelChecksumMismatch);
    expect(error.message).toContain(card.sha256);
    expect(error.message).toContain(sha256Hex(bytes));
  });

  it('checks the checksum before the feature list', async () => {
    // Prepare
    const card = await readModelCard(dir);
    const tampered = new Uint8Array([1, 2, 3]);
    // Act
    const verify = () => verifyModel({ ...card, featureNames: ['other'] }, tampered);
    // Assess
    expect(verify).toThrow(ModelChecksumMismatch);
  });

  it('refuses a missing model directory with a ModelCardError naming the card path', async () => {
    // Prepare
    const missingDir = join(dir, 'no-such-model');
    // Act
    const loading = loadModel(missingDir);
    // Assess
    const error = await rejection(loading);
    expect(error).toBeInstanceOf(ModelCardError);
    expect(error.message).toContain(join(missingDir, 'model.json'));
  });

  it('refuses a card that breaks the card schema with a ModelCardError naming the field', async () => {
    // Prepare
    await rewriteCard(dir, (card) => ({ ...card, sha256: 'not-a-checksum' }));
    // Act
    const loading = loadModel(dir);
    // Assess
    const error = await rejection(loading);
    expect(error).toBeInstanceOf(ModelCardError);
    expect(error.message).toContain('sha256');
  });

  it('refuses a card that is not JSON with a ModelCardError naming the card path', async () => {
    // Prepare
    await writeFile(join(dir, 'model.json'), '{ "name": "truncated');
    // Act
    const loading = loadModel(dir);
    // Assess
    const error = await rejection(loading);
    expect(error).toBeInstanceOf(ModelCardError);
    expect(error.message).toContain(join(dir, 'model.json'));
  });
});
