import { gunzipSync } from 'node:zlib';
import { getJson, getText } from '../../core/learning/object-store.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';
import { OnnxScorer } from '../../core/scoring/onnx-scorer.ts';
import type { EvaluationSeries } from '../../models/evaluation/evidence.ts';
import { evaluateGate, type GateReport, type ModelUnderTest } from '../../models/evaluation/gate.ts';
import { renderGateReport } from '../../models/evaluation/report-text.ts';
import { loadModel, parseModelCard } from '../../models/model-store.ts';
import { NoCandidate, type RetrainDeps, runKeys, StepInputError } from './deps.ts';
import type { ExtractOutput, FailedShard } from './extract-step.ts';
import type { RunPlan } from './plan-step.ts';
import type { TrainOutput } from './train-step.ts';

/** Evaluate's input: the trained candidates and the shards whose holdout to use. */
export interface EvaluateInput {
  readonly runId: string;
  readonly trained: readonly (
    | TrainOutput
    | { readonly algorithm: string; readonly failed: true; readonly error?: string }
  )[];
  readonly extracted: readonly (ExtractOutput | FailedShard)[];
}

/** Evaluate's output: the verdict the Gate (a Choice state) reads, and where the report is. */
export interface EvaluateOutput {
  readonly verdict: GateReport['verdict'];
  /** The candidate to register, when accepted. */
  readonly chosen: { readonly algorithm: string; readonly candidateKey: string } | null;
  /** The registry version the candidates were judged against; null when it was the layer's default model. */
  readonly championVersion: number | null;
  readonly champion: string;
  readonly reportKey: string;
  readonly summary: string;
}

/** The champion's scorer: the registry's champion, or the default model while there is none. */
async function championOf(
  deps: RetrainDeps,
): Promise<{ version: number | null; name: string; scorer: BatchScorer; algorithm: string }> {
  const pointer = await deps.registry.championPointer();
  if (!pointer) {
    const { card, scorer } = await loadModel(deps.fallbackModelDir);
    return { version: null, name: `default (${scorer.modelVersion})`, scorer, algorithm: card.algorithm };
  }
  const artifact = await deps.registry.fetchArtifact(pointer.version);
  const card = parseModelCard(artifact.cardJson, `${pointer.uri}/model.json`);
  const scorer = await OnnxScorer.load(card, artifact.onnx);
  return {
    version: pointer.version,
    name: `champion v${pointer.version} (${scorer.modelVersion})`,
    scorer,
    algorithm: card.algorithm,
  };
}

/**
 * Evaluate: champion and every candidate score the same holdout through the real detector path, at an
 * equal alert budget, beside the rolling z-score baseline; the report (JSON and text) goes to the run's
 * folder and travels with the version into the registry.
 */
export async function evaluateStep(deps: RetrainDeps, input: EvaluateInput): Promise<EvaluateOutput> {
  const trained = input.trained.filter((t): t is TrainOutput => !('failed' in t));
  const failures = input.trained
    .filter((t) => 'failed' in t)
    .map((t) => `${t.algorithm}: ${'error' in t ? t.error : 'failed'}`);
  if (trained.length === 0) {
    throw new NoCandidate(`no candidate trained (${failures.join('; ') || 'none was asked for'})`);
  }
  const keys = runKeys(input.runId);
  const plan = await getJson<RunPlan>(deps.objects, keys.plan);
  const series: EvaluationSeries[] = [];
  for (const e of input.extracted) {
    if (e.failed === true) continue;
    const bytes = await deps.objects.get(e.holdoutKey);
    if (bytes) series.push(...(JSON.parse(gunzipSync(bytes).toString('utf8')) as EvaluationSeries[]));
  }
  const champion = await championOf(deps);
  const candidates: ModelUnderTest[] = [];
  for (const t of trained) {
    const card = parseModelCard(await getText(deps.objects, `${t.candidateKey}/model.json`), t.candidateKey);
    const bytes = await deps.objects.get(`${t.candidateKey}/model.onnx`);
    if (!bytes) throw new StepInputError(`candidate ${t.algorithm} has no model.onnx at ${t.candidateKey}`);
    candidates.push({
      name: t.algorithm,
      role: 'challenger',
      algorithm: card.algorithm,
      scorer: await OnnxScorer.load(card, bytes),
    });
  }
  const report = await evaluateGate(
    {
      series,
      champion: {
        name: champion.name,
        role: 'champion',
        scorer: champion.scorer,
        algorithm: champion.algorithm,
      },
      candidates,
      labels: plan.labelList,
    },
    {
      seed: deps.settings.seed,
      ...(deps.settings.gateMargins ? { margins: deps.settings.gateMargins } : {}),
    },
  );
  const full = {
    runId: input.runId,
    createdAt: new Date(deps.now()).toISOString(),
    holdoutWindow: plan.holdoutWindow,
    trainingWindow: plan.trainingWindow,
    ...report,
  };
  const text = renderGateReport(report, `Retraining ${input.runId}`);
  await deps.objects.put(`${keys.report}.json`, Buffer.from(`${JSON.stringify(full, null, 2)}\n`));
  await deps.objects.put(`${keys.report}.txt`, Buffer.from(text));
  const chosen = trained.find((t) => t.algorithm === report.chosen);
  return {
    verdict: report.verdict,
    chosen: chosen ? { algorithm: chosen.algorithm, candidateKey: chosen.candidateKey } : null,
    championVersion: champion.version,
    champion: champion.name,
    reportKey: `${keys.report}.json`,
    summary:
      report.verdict === 'accept'
        ? `accepted ${report.chosen}`
        : `rejected: ${report.reasons.join('; ')}`.slice(0, 1000),
  };
}
