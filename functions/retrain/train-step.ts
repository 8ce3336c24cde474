import { createHash } from 'node:crypto';
import { FEATURE_COUNT } from '../../core/features/feature-schema.ts';
import { featureFingerprint } from '../../core/learning/feature-fingerprint.ts';
import { getJson } from '../../core/learning/object-store.ts';
import { ALGORITHMS, type Algorithm, trainCandidate } from '../../models/training-recipe.ts';
import { NotEnoughHistory, type RetrainDeps, runKeys, StepInputError, TooManyShardsFailed } from './deps.ts';
import type { ExtractOutput, FailedShard } from './extract-step.ts';
import type { RunPlan } from './plan-step.ts';

/** Train's input: the algorithm (one Map iteration each) and what feature extraction produced. */
export interface TrainInput {
  readonly runId: string;
  readonly algorithm: string;
  readonly extracted: readonly (ExtractOutput | FailedShard)[];
}

/** A trained candidate, by key: the model and card are in the learning bucket, not in the state. */
export interface TrainOutput {
  readonly algorithm: Algorithm;
  readonly candidateKey: string;
  readonly sha256: string;
  readonly rows: number;
  readonly trainSeconds: number;
  readonly failedShards: number[];
}

/** The shards that produced features, after checking that enough of them did. */
export function succeededShards(
  extracted: readonly (ExtractOutput | FailedShard)[],
  maxFailedFraction: number,
): { ok: ExtractOutput[]; failed: number[] } {
  const ok = extracted.filter((e): e is ExtractOutput => e.failed !== true);
  const failed = extracted.filter((e) => e.failed === true).map((e) => e.shard);
  if (extracted.length === 0 || failed.length > maxFailedFraction * extracted.length) {
    throw new TooManyShardsFailed(
      `${failed.length} of ${extracted.length} feature shards failed (${failed.join(', ')}); at most ${Math.round(maxFailedFraction * 100)}% may`,
    );
  }
  return { ok, failed };
}

/**
 * Train: one algorithm on the rows of every shard that succeeded, seeded, with the recipe of the shipped
 * model; writes `model.onnx` and its card (with lineage) under the run's `candidates/<algorithm>/`.
 */
export async function trainStep(deps: RetrainDeps, input: TrainInput): Promise<TrainOutput> {
  if (!ALGORITHMS.includes(input.algorithm as Algorithm)) {
    throw new StepInputError(`algorithm must be one of ${ALGORITHMS.join(', ')}, got ${input.algorithm}`);
  }
  const algorithm = input.algorithm as Algorithm;
  const keys = runKeys(input.runId);
  const plan = await getJson<RunPlan>(deps.objects, keys.plan);
  const { ok, failed } = succeededShards(input.extracted, deps.settings.maxFailedShardFraction);
  const total = ok.reduce((n, e) => n + e.rows, 0);
  if (total < deps.settings.minTrainingRows) {
    throw new NotEnoughHistory(
      `${total} training rows from ${plan.series} series between ${plan.trainingWindow.from} and ${plan.trainingWindow.to}; at least ${deps.settings.minTrainingRows} are needed`,
    );
  }
  const rows = new Float32Array(total * FEATURE_COUNT);
  let offset = 0;
  for (const e of ok) {
    const bytes = await deps.objects.get(e.featuresKey);
    if (!bytes)
      throw new StepInputError(
        `features of shard ${e.shard} are missing at ${deps.objects.uri(e.featuresKey)}`,
      );
    rows.set(
      new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      offset,
    );
    offset += bytes.byteLength / 4;
  }
  const series = ok.flatMap((e) => plan.shardSeries[e.shard] ?? []).sort();
  const candidate = await trainCandidate(
    algorithm,
    rows,
    {
      runId: input.runId,
      featureFingerprint: featureFingerprint(),
      trainingWindow: plan.trainingWindow,
      holdoutWindow: plan.holdoutWindow,
      series: {
        count: series.length,
        sha256: createHash('sha256').update(series.join('\n')).digest('hex'),
        uri: deps.objects.uri(keys.plan),
      },
      excludedEpisodes: plan.excluded.map((x) => ({
        episodeId: x.episodeId,
        series: x.series,
        channel: x.channel,
        from: new Date(x.from).toISOString(),
        to: new Date(x.to).toISOString(),
      })),
      seed: deps.settings.seed,
      trainer: { name: 'seismo-retrain', version: deps.trainerVersion },
      gitRevision: deps.gitRevision,
    },
    { seed: deps.settings.seed, autoencoderMaxRows: deps.settings.autoencoderMaxRows },
  );
  const prefix = keys.candidate(algorithm);
  await deps.objects.put(`${prefix}/model.onnx`, candidate.onnx);
  await deps.objects.put(`${prefix}/model.json`, Buffer.from(`${JSON.stringify(candidate.card, null, 2)}\n`));
  return {
    algorithm,
    candidateKey: prefix,
    sha256: candidate.card.sha256,
    rows: candidate.card.training.rows,
    trainSeconds: Number(candidate.trainSeconds.toFixed(1)),
    failedShards: failed,
  };
}

/** After a Fargate training task: its result, from where the task left it beside the candidate. */
export async function trainResultStep(
  deps: RetrainDeps,
  input: { runId: string; algorithm: string },
): Promise<TrainOutput> {
  return getJson<TrainOutput>(deps.objects, `${runKeys(input.runId).candidate(input.algorithm)}/result.json`);
}
