import { dirname, join } from 'node:path';
import { localArchive } from '../adapters/archive-reader.ts';
import { LocalObjectStore } from '../adapters/local-object-store.ts';
import { localRegistry } from '../adapters/model-registry.ts';
import { MemoryLabelSource } from '../core/learning/labels.ts';
import type { WatchSource } from '../core/learning/watch.ts';
import { DEFAULT_SETTINGS, type RetrainDeps, type RetrainSettings } from '../functions/retrain/deps.ts';
import type { EvaluateOutput } from '../functions/retrain/evaluate-step.ts';
import type { ExtractOutput, FailedShard } from '../functions/retrain/extract-step.ts';
import type { PlanOutput } from '../functions/retrain/plan-step.ts';
import { createRetrainSteps } from '../functions/retrain/steps.ts';
import type { TrainOutput } from '../functions/retrain/train-step.ts';
import { DEFAULT_MODEL_DIR } from '../models/model-store.ts';
import { DEFAULT_STACK_FILE } from './stack-info.ts';

/**
 * The local stack's learning directory (`.seismo/` beside the stack file): the archive sink writes
 * `archive/`, retraining writes `runs/`, the registry `registry/` and `registry-index/`.
 */
export const LOCAL_LEARNING_DIR = process.env.SEISMO_LOCAL_DIR ?? dirname(DEFAULT_STACK_FILE);

/** No metrics locally: the watch has nothing to compare, so it passes and says so. */
const QUIET: WatchSource = { figures: async () => ({ points: 0, episodes: 0, invocations: 0, errors: 0 }) };

/** Retraining deps over the local learning directory. */
export function localRetrainDeps(
  dir = LOCAL_LEARNING_DIR,
  settings: Partial<RetrainSettings> = {},
): RetrainDeps {
  return {
    objects: new LocalObjectStore(dir),
    archive: localArchive(dir),
    labels: new MemoryLabelSource(),
    registry: localRegistry(join(dir)),
    watch: QUIET,
    fallbackModelDir: DEFAULT_MODEL_DIR,
    settings: {
      ...DEFAULT_SETTINGS,
      shadowSeconds: 0,
      watchSeconds: 0,
      // The same override the Lambda reads (JSON of RetrainSettings fields), for experiments and tests.
      ...(process.env.RETRAIN_SETTINGS
        ? (JSON.parse(process.env.RETRAIN_SETTINGS) as Partial<RetrainSettings>)
        : {}),
      ...settings,
    },
    gitRevision: process.env.GIT_REVISION ?? 'local',
    trainerVersion: process.env.npm_package_version ?? 'local',
    now: Date.now,
  };
}

/** What a local run did, step by step. */
export interface LocalRunResult {
  readonly plan: PlanOutput;
  readonly evaluation: EvaluateOutput;
  readonly version?: number;
  readonly promoted: boolean;
}

/**
 * Runs the retraining steps in this process, in the state machine's order and with its failure rules (a
 * failed shard or trainer is left out; shadow and watch are immediate, with nothing to watch locally):
 * `npx seismo retrain --local` on the archive the local stack wrote.
 */
export async function runRetrainLocally(
  deps: RetrainDeps,
  input: { runId: string; at: string; requestedBy: string },
  onStep: (message: string) => void = () => {},
): Promise<LocalRunResult> {
  const steps = createRetrainSteps(deps);
  const plan = (await steps.plan({ ...input, trigger: 'manual' })) as PlanOutput;
  onStep(
    `plan: ${plan.series} series, ${plan.events} events; training ${plan.trainingWindow.from} → ${plan.trainingWindow.to}, holdout → ${plan.holdoutWindow.to}`,
  );
  const extracted: (ExtractOutput | FailedShard)[] = [];
  for (const shard of plan.shards) {
    try {
      extracted.push((await steps.extract({ runId: plan.runId, shard })) as ExtractOutput);
    } catch (error) {
      extracted.push({ shard, failed: true, error: (error as Error).message });
    }
  }
  onStep(`features: ${extracted.filter((e) => !e.failed).length} of ${plan.shards.length} shards`);
  const trained: (TrainOutput | { algorithm: string; failed: true; error: string })[] = [];
  for (const algorithm of plan.algorithms) {
    try {
      const t = (await steps.train({ runId: plan.runId, algorithm, extracted })) as TrainOutput;
      trained.push(t);
      onStep(`trained ${algorithm} on ${t.rows} rows in ${t.trainSeconds} s`);
    } catch (error) {
      trained.push({ algorithm, failed: true, error: (error as Error).message });
      onStep(`${algorithm} failed: ${(error as Error).message}`);
    }
  }
  const evaluation = (await steps.evaluate({ runId: plan.runId, trained, extracted })) as EvaluateOutput;
  onStep(`gate: ${evaluation.summary}`);
  if (evaluation.verdict !== 'accept') return { plan, evaluation, promoted: false };
  const registered = (await steps.register({ runId: plan.runId, evaluation })) as { version: number };
  const pointer = { runId: plan.runId, version: registered.version, report: evaluation.reportKey };
  await steps.pointer({ ...pointer, action: 'challenger' });
  await steps.pointer({ ...pointer, action: 'promote', expectedChampion: evaluation.championVersion });
  onStep(`registered and promoted v${registered.version}`);
  return { plan, evaluation, version: registered.version, promoted: true };
}
