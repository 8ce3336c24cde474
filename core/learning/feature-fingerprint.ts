import { createHash } from 'node:crypto';
import { computeFeatures, newFeatureState, updateFeatureState } from '../features/feature-engine.ts';
import { FEATURE_COUNT, FEATURE_SCHEMA_VERSION } from '../features/feature-schema.ts';

const PROBE_POINTS = 2_000;

/**
 * A fingerprint of what the feature code computes, not of what it is called: the sha256 (first 16 hex
 * digits) of the features of a fixed probe series (daily cycle, noise from a fixed generator, a gap, a
 * spike, a stuck run). A model card records it; a detector whose own fingerprint differs runs other feature
 * code than its model was trained with, even when the schema version was not bumped.
 */
export function featureFingerprint(): string {
  const state = newFeatureState();
  const row = new Float32Array(FEATURE_COUNT);
  const hash = createHash('sha256');
  let seed = 12345;
  const noise = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  let t = Date.UTC(2024, 0, 1);
  for (let i = 0; i < PROBE_POINTS; i++) {
    t += i === 1500 ? 3_600_000 : 300_000;
    let v = 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 3 * noise();
    if (i === 1000) v += 60;
    if (i >= 1700 && i < 1760) v = 42;
    computeFeatures(state, t, v, row, 0);
    updateFeatureState(state, t, v);
    hash.update(row);
  }
  return `${FEATURE_SCHEMA_VERSION}:${hash.digest('hex').slice(0, 16)}`;
}
