import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScoreReference } from '../core/learning/drift.ts';
import { OnnxScorer } from '../core/scoring/onnx-scorer.ts';
import { type ModelCard, ModelCardSchema, ScoreReferenceSchema } from './model-card.ts';

/** The shipped default model: `models/default/` beside this file (and `/opt/models/default` in the layer). */
export const DEFAULT_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'default');

/** A model directory is missing its card or its card is malformed. */
export class ModelCardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelCardError';
  }
}

/** Reads and validates `model.json` in `dir`. */
export async function readModelCard(dir: string): Promise<ModelCard> {
  const path = join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ModelCardError(
      `no model card at ${path}: a model directory holds model.json and its .onnx file (${(error as Error).message})`,
    );
  }
  return parseModelCard(text, path);
}

/** Parses and validates a model card's text; `where` names its origin in errors (a path or an S3 URI). */
export function parseModelCard(text: string, where: string): ModelCard {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelCardError(`model card ${where} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ModelCardSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ModelCardError(`model card ${where} is invalid: ${issues}`);
  }
  return parsed.data;
}

/**
 * Where the shipped model keeps its drift reference: its card predates `lineage.scoreReference`, and
 * computing the reference takes a second of scoring, too long for a cold start (`npm run train` writes it,
 * a test checks it against the model).
 */
export const SCORE_REFERENCE_FILE = 'score-reference.json';

/** Loads a model directory into a verified, ready scorer (checksum and feature list checked). */
export async function loadModel(
  dir: string = DEFAULT_MODEL_DIR,
): Promise<{ card: ModelCard; scorer: OnnxScorer }> {
  const card = await readModelCard(dir);
  const bytes = await readFile(join(dir, card.onnxFile));
  const scorer = await OnnxScorer.load(
    card,
    bytes,
    card.lineage?.scoreReference ?? (await fileReference(dir)),
  );
  return { card, scorer };
}

async function fileReference(dir: string): Promise<ScoreReference | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, SCORE_REFERENCE_FILE), 'utf8');
  } catch {
    return undefined; // no reference: the detector measures no drift for this model, and says so
  }
  const parsed = ScoreReferenceSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new ModelCardError(`${join(dir, SCORE_REFERENCE_FILE)} is not a score reference`);
  return parsed.data;
}
