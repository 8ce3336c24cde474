import { createHash } from 'node:crypto';
import { FEATURE_NAMES } from '../features/feature-schema.ts';

/** The parts of a model card the detector checks before it trusts a model. */
export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
  readonly featureNames: readonly string[];
  readonly sha256: string;
}

/** The model's feature list is not the detector's: scoring with it would silently mean nothing. */
export class ModelSchemaMismatch extends Error {
  constructor(
    readonly model: string,
    readonly expected: readonly string[],
    readonly actual: readonly string[],
  ) {
    const missing = expected.filter((name) => !actual.includes(name));
    const extra = actual.filter((name) => !expected.includes(name));
    const firstDiff = expected.findIndex((name, i) => actual[i] !== name);
    const where =
      missing.length > 0 || extra.length > 0
        ? [
            missing.length > 0 ? `the model lacks ${missing.map((n) => `"${n}"`).join(', ')}` : '',
            extra.length > 0 ? `the detector does not compute ${extra.map((n) => `"${n}"`).join(', ')}` : '',
          ]
            .filter(Boolean)
            .join(' and ')
        : `feature ${firstDiff} is "${actual[firstDiff]}", the detector computes "${expected[firstDiff]}" there`;
    super(
      `model ${model} expects features [${actual.join(', ')}] but this detector computes [${expected.join(', ')}]: ${where}. Retrain the model with this detector's feature schema (npm run train).`,
    );
    this.name = 'ModelSchemaMismatch';
  }
}

/** The model bytes are not the bytes its card describes (corrupt copy, or card and model from different runs). */
export class ModelChecksumMismatch extends Error {
  constructor(
    readonly model: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `model ${model}: the .onnx file's sha256 is ${actual} but its card says ${expected}; refusing to load it`,
    );
    this.name = 'ModelChecksumMismatch';
  }
}

/** Hex sha256 of a model file. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Throws unless the bytes match the card's checksum and the card's features match `expected`. */
export function verifyModel(
  identity: ModelIdentity,
  bytes: Uint8Array,
  expected: readonly string[] = FEATURE_NAMES,
): void {
  const label = `${identity.name}@${identity.version}`;
  const actualSha = sha256Hex(bytes);
  if (actualSha !== identity.sha256) throw new ModelChecksumMismatch(label, identity.sha256, actualSha);
  const same =
    identity.featureNames.length === expected.length &&
    expected.every((name, i) => identity.featureNames[i] === name);
  if (!same) throw new ModelSchemaMismatch(label, expected, identity.featureNames);
}
