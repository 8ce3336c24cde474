import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type ExcludedSpan, excludedSpans, type FeedbackLabel } from '../../core/learning/labels.ts';
import { putJson } from '../../core/learning/object-store.ts';
import { type RetrainDeps, type RetrainSettings, runKeys, StepInputError } from './deps.ts';

/** What the state machine passes to Plan (from the trigger's input and the execution's name). */
export interface PlanInput {
  readonly runId: string;
  readonly trigger: string;
  readonly requestedBy: string;
  /** ISO 8601: the end of the holdout window. */
  readonly at: string;
}

/** Plan's output: small, so it travels in the state; the details are in `plan.json`. */
export interface PlanOutput {
  readonly runId: string;
  readonly planKey: string;
  readonly shards: number[];
  readonly algorithms: string[];
  readonly series: number;
  readonly events: number;
  readonly trainingWindow: { readonly from: string; readonly to: string };
  readonly holdoutWindow: { readonly from: string; readonly to: string };
  readonly labels: number;
  readonly shadowSeconds: number;
  readonly watchSeconds: number;
}

/** `plan.json`: what every later step reads. */
export interface RunPlan extends PlanOutput {
  readonly trigger: string;
  readonly requestedBy: string;
  readonly settings: RetrainSettings;
  /** Series (sorted) of each shard. */
  readonly shardSeries: string[][];
  readonly labelList: FeedbackLabel[];
  readonly excluded: ExcludedSpan[];
  /** Archive lines that were not valid events (the detector dead-lettered them too). */
  readonly invalidLines: number;
}

const DAY_MS = 86_400_000;
/** A shard's buffered events are written out as one part when they pass this size. */
const PART_BYTES = 8 * 1024 * 1024;

/** The shard of a series: a stable hash, so a series stays in one shard whatever else is in the window. */
export function shardOf(series: string, shards: number): number {
  return createHash('sha256').update(series).digest().readUInt32BE(0) % shards;
}

/**
 * Plan: fixes the windows (holdout = the `holdoutDays` before `at`, training = the `trainingDays` before
 * that, strictly earlier), reads the archive once, splits its events into shards of series (parts of gzipped
 * JSON lines), and fetches the labels of both windows.
 */
export async function planStep(deps: RetrainDeps, input: PlanInput): Promise<PlanOutput> {
  const at = Date.parse(input.at);
  if (!input.runId || Number.isNaN(at)) {
    throw new StepInputError(`plan needs runId and an ISO time "at", got ${JSON.stringify(input)}`);
  }
  const s = deps.settings;
  const holdoutFrom = at - s.holdoutDays * DAY_MS;
  const trainFrom = holdoutFrom - s.trainingDays * DAY_MS;
  const keys = runKeys(input.runId);

  // Series are only known after reading; shards are fixed first from an upper bound, then trimmed.
  const shardCount = s.maxShards;
  const buffers = Array.from({ length: shardCount }, () => ({ lines: [] as string[], bytes: 0, parts: 0 }));
  const seriesOf = Array.from({ length: shardCount }, () => new Set<string>());
  let events = 0;
  let invalid = 0;
  const flush = async (k: number) => {
    const b = buffers[k] as (typeof buffers)[number];
    if (b.lines.length === 0) return;
    await deps.objects.put(keys.shardPart(k, b.parts), gzipSync(`${b.lines.join('\n')}\n`));
    b.parts += 1;
    b.lines = [];
    b.bytes = 0;
  };
  for await (const chunk of deps.archive.chunks(trainFrom, at)) {
    invalid += chunk.invalid;
    for (const event of chunk.events) {
      const k = shardOf(event.series, shardCount);
      const line = JSON.stringify(event);
      const b = buffers[k] as (typeof buffers)[number];
      b.lines.push(line);
      b.bytes += line.length;
      seriesOf[k]?.add(event.series);
      events += 1;
      if (b.bytes > PART_BYTES) await flush(k);
    }
  }
  for (let k = 0; k < shardCount; k++) await flush(k);
  const shards = seriesOf.flatMap((set, k) => (set.size > 0 ? [k] : []));
  const labelList = await deps.labels.labels(trainFrom, at);
  const output: PlanOutput = {
    runId: input.runId,
    planKey: keys.plan,
    shards,
    algorithms: ['isolation-forest', 'autoencoder'],
    series: seriesOf.reduce((n, set) => n + set.size, 0),
    events,
    trainingWindow: { from: iso(trainFrom), to: iso(holdoutFrom) },
    holdoutWindow: { from: iso(holdoutFrom), to: iso(at) },
    labels: labelList.length,
    shadowSeconds: s.shadowSeconds,
    watchSeconds: s.watchSeconds,
  };
  const plan: RunPlan = {
    ...output,
    trigger: input.trigger,
    requestedBy: input.requestedBy,
    settings: s,
    shardSeries: seriesOf.map((set) => [...set].sort()),
    labelList,
    excluded: excludedSpans(labelList, s.exclusionMarginMs),
    invalidLines: invalid,
  };
  await putJson(deps.objects, keys.plan, plan);
  return output;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
