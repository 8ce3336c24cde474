import { gunzipSync, gzipSync } from 'node:zlib';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import { FEATURE_COUNT } from '../../core/features/feature-schema.ts';
import { seriesInTimeOrder } from '../../core/learning/archive.ts';
import { getJson } from '../../core/learning/object-store.ts';
import type { EvaluationSeries } from '../../models/evaluation/evidence.ts';
import { featureMatrix } from '../../models/feature-matrix.ts';
import { type RetrainDeps, runKeys } from './deps.ts';
import type { RunPlan } from './plan-step.ts';

/** Points at the start of a series' training window that only warm its feature state (as `npm run train`). */
export const WARM_UP_POINTS = 64;

/** One shard's summary, as the Map collects it. */
export interface ExtractOutput {
  readonly shard: number;
  readonly failed?: false;
  readonly series: number;
  readonly rows: number;
  /** Rows left out because they fell in a confirmed anomaly (with margin). */
  readonly excludedRows: number;
  readonly featuresKey: string;
  readonly holdoutKey: string;
}

/** What the Map's Catch turns a failed shard into: the run goes on without its series. */
export interface FailedShard {
  readonly shard: number;
  readonly failed: true;
  readonly error?: string;
}

/**
 * Feature extraction for one shard: each series' training-window points go through the detector's own
 * feature engine (state carried from the window's first point; the first 64 points only warm it); rows in a
 * confirmed anomaly (with margin) are dropped, "not an anomaly" spans stay. The holdout points, with the
 * training window's last `warmupPoints` before them, are kept for the gate.
 */
export async function extractStep(
  deps: RetrainDeps,
  input: { runId: string; shard: number },
): Promise<ExtractOutput> {
  const keys = runKeys(input.runId);
  const plan = await getJson<RunPlan>(deps.objects, keys.plan);
  const trainTo = Date.parse(plan.trainingWindow.to);
  const events: MeasurementEvent[] = [];
  for (const key of await deps.objects.list(keys.shardParts(input.shard))) {
    const bytes = await deps.objects.get(key);
    if (!bytes) continue;
    for (const line of gunzipSync(bytes).toString('utf8').split('\n')) {
      if (line) events.push(JSON.parse(line) as MeasurementEvent);
    }
  }
  const rows: Float32Array[] = [];
  const holdout: EvaluationSeries[] = [];
  let rowCount = 0;
  let excludedRows = 0;
  const histories = seriesInTimeOrder(events);
  for (const h of histories) {
    const trainEnd = lowerBound(h.timestamps, trainTo);
    const spans = plan.excluded.filter((x) => x.series === h.series && x.channel === h.channel);
    const matrix = featureMatrix(h.timestamps.slice(0, trainEnd), h.values.slice(0, trainEnd));
    const kept = new Float32Array(matrix.length);
    let n = 0;
    for (let i = WARM_UP_POINTS; i < trainEnd; i++) {
      const t = h.timestamps[i] as number;
      if (spans.some((x) => t >= x.from && t <= x.to)) {
        excludedRows += 1;
        continue;
      }
      kept.set(matrix.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), n * FEATURE_COUNT);
      n += 1;
    }
    rows.push(kept.subarray(0, n * FEATURE_COUNT));
    rowCount += n;
    if (trainEnd < h.timestamps.length) {
      const start = Math.max(0, trainEnd - deps.settings.warmupPoints);
      holdout.push({
        series: h.series,
        channel: h.channel,
        timestamps: h.timestamps.slice(start),
        values: h.values.slice(start),
        holdoutStart: trainEnd - start,
      });
    }
  }
  const flat = new Float32Array(rowCount * FEATURE_COUNT);
  let offset = 0;
  for (const r of rows) {
    flat.set(r, offset);
    offset += r.length;
  }
  await deps.objects.put(
    keys.features(input.shard),
    new Uint8Array(flat.buffer, flat.byteOffset, flat.byteLength),
  );
  await deps.objects.put(keys.holdout(input.shard), gzipSync(JSON.stringify(holdout)));
  return {
    shard: input.shard,
    series: histories.length,
    rows: rowCount,
    excludedRows,
    featuresKey: keys.features(input.shard),
    holdoutKey: keys.holdout(input.shard),
  };
}

/** First index whose timestamp is ≥ `t` (timestamps ascending). */
function lowerBound(timestamps: readonly number[], t: number): number {
  let lo = 0;
  let hi = timestamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((timestamps[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
