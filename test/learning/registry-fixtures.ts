import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../core/features/feature-schema.ts';
import type { NewVersion } from '../../core/learning/registry.ts';
import { sha256Hex } from '../../core/scoring/model-verification.ts';
import type { ModelCard } from '../../models/model-card.ts';

/** A registrable version: fake ONNX bytes (the registry never runs them) and a valid card matching them. */
export function fakeVersion(seed: number): NewVersion {
  const onnx = Uint8Array.from({ length: 64 }, (_, i) => (i * 31 + seed * 7) % 256);
  const card: ModelCard = {
    name: 'seismo-isolation-forest',
    version: `retrain-${seed}`,
    algorithm: 'isolation-forest',
    featureNames: [...FEATURE_NAMES],
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    input: { name: 'features', shape: ['N', FEATURE_COUNT] },
    output: { name: 'score', shape: ['N', 1] },
    hyperparameters: { trees: 100 },
    training: { description: 'test', rows: 10, seed },
    metrics: {},
    onnxFile: 'model.onnx',
    sha256: sha256Hex(onnx),
    createdBy: 'test',
  };
  return { onnx, cardJson: JSON.stringify(card), reportJson: '{"verdict":"accept"}', reportText: 'ok\n' };
}
