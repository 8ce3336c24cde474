import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT } from '../features/feature-schema.ts';
import type { ScoreReference } from '../learning/drift.ts';
import type { BatchScorer } from './batch-scorer.ts';
import { type ModelIdentity, verifyModel } from './model-verification.ts';

/** onnxruntime options for a Lambda-sized box: one intra-op thread, so concurrent containers do not thrash. */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
};

/**
 * Scores feature rows with an ONNX model (`features: float32[N, F]` → `score: float32[N, 1]`). The session
 * is created once, by `load`, after the model has been verified against its card; `score` reuses it.
 */
export class OnnxScorer implements BatchScorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly modelVersion: string,
    readonly scoreReference: ScoreReference | undefined,
  ) {}

  /**
   * Verifies `bytes` against `identity` (checksum, feature list) and opens one inference session;
   * `scoreReference` (the card's, when it has one) lets the detector measure drift.
   */
  static async load(
    identity: ModelIdentity,
    bytes: Uint8Array,
    scoreReference?: ScoreReference,
  ): Promise<OnnxScorer> {
    verifyModel(identity, bytes);
    const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    return new OnnxScorer(session, `${identity.name}@${identity.version}`, scoreReference);
  }

  async score(features: Float32Array, rows: number): Promise<Float32Array> {
    if (rows === 0) return new Float32Array(0);
    const input = new ort.Tensor('float32', features.subarray(0, rows * FEATURE_COUNT), [
      rows,
      FEATURE_COUNT,
    ]);
    const output = await this.session.run({ features: input });
    const score = output.score;
    if (!score)
      throw new Error('model produced no "score" output: it does not follow the Seismo model contract');
    return score.data as Float32Array;
  }

  /** Frees the session's native memory; the scorer must not be used after. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
