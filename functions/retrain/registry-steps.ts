import { getText } from '../../core/learning/object-store.ts';
import type { ModelPointer, Pointers } from '../../core/learning/registry.ts';
import { type WatchVerdict, watchVerdict } from '../../core/learning/watch.ts';
import { type RetrainDeps, runKeys, StepInputError } from './deps.ts';
import type { EvaluateOutput } from './evaluate-step.ts';

/** Register: the chosen candidate, its card and the gate's report become the next registry version. */
export async function registerStep(
  deps: RetrainDeps,
  input: { runId: string; evaluation: EvaluateOutput },
): Promise<ModelPointer> {
  const chosen = input.evaluation.chosen;
  if (!chosen) throw new StepInputError('register was reached without an accepted candidate');
  const onnx = await deps.objects.get(`${chosen.candidateKey}/model.onnx`);
  if (!onnx) throw new StepInputError(`candidate model missing at ${deps.objects.uri(chosen.candidateKey)}`);
  const report = runKeys(input.runId).report;
  return deps.registry.register({
    onnx,
    cardJson: await getText(deps.objects, `${chosen.candidateKey}/model.json`),
    reportJson: await getText(deps.objects, `${report}.json`),
    reportText: await getText(deps.objects, `${report}.txt`),
  });
}

/** A pointer move the state machine asks for. */
export interface PointerInput {
  readonly runId: string;
  readonly action: 'challenger' | 'promote' | 'rollback';
  readonly version: number;
  /** For promote: the champion the version was judged against (null: none). */
  readonly expectedChampion?: number | null;
  readonly reason?: string;
  readonly report?: string;
}

/** Pointer moves, as the retraining run itself: idempotent on retry, refused when another move came first. */
export async function pointerStep(
  deps: RetrainDeps,
  input: PointerInput,
): Promise<{ revision: number; champion: number | null; challenger: number | null; at: number }> {
  const who = `retraining:${input.runId}`;
  const report = input.report ? deps.objects.uri(input.report) : undefined;
  const request = { who, ...(report ? { report } : {}) };
  let pointers: Pointers;
  if (input.action === 'challenger') {
    pointers = await deps.registry.setChallenger(input.version, {
      ...request,
      reason: input.reason ?? 'passed the gate',
    });
  } else if (input.action === 'promote') {
    pointers = await deps.registry.promote(input.version, {
      ...request,
      reason: input.reason ?? 'shadow period over',
      expectedChampion: input.expectedChampion ?? null,
    });
  } else if (input.action === 'rollback') {
    pointers = await deps.registry.rollback({
      ...request,
      reason: input.reason ?? 'watch breached',
      expectedChampion: input.version,
    });
  } else {
    throw new StepInputError(`unknown pointer action ${String((input as { action: unknown }).action)}`);
  }
  return {
    revision: pointers.revision,
    champion: pointers.champion?.version ?? null,
    challenger: pointers.challenger?.version ?? null,
    at: deps.now(),
  };
}

/** Watch: the detector's figures since promotion against the shadow period before it. */
export async function watchStep(
  deps: RetrainDeps,
  input: { runId: string; shadowFrom: number; promotedAt: number },
): Promise<WatchVerdict> {
  const [before, after] = await Promise.all([
    deps.watch.figures(input.shadowFrom, input.promotedAt),
    deps.watch.figures(input.promotedAt, deps.now()),
  ]);
  return watchVerdict(before, after);
}
