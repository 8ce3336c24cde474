import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxScorer } from '../core/scoring/onnx-scorer.ts';
import { type ModelCard, ModelCardSchema } from './model-card.ts';

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

/** Loads a model directory into a verified, ready scorer (checksum and feature list checked). */
export async function loadModel(
  dir: string = DEFAULT_MODEL_DIR,
): Promise<{ card: ModelCard; scorer: OnnxScorer }> {
  const card = await readModelCard(dir);
  const bytes = await readFile(join(dir, card.onnxFile));
  const scorer = await OnnxScorer.load(card, bytes);
  return { card, scorer };
}
