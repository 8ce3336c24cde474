import { Detector, type SeriesDetectorState } from '../core/detector.ts';
import type { MeasurementEvent } from '../core/events/event-schema.ts';
import type { BatchScorer } from '../core/scoring/batch-scorer.ts';
import { generateCorpus, type SyntheticSeries } from './synthetic-data.ts';

/**
 * What an operator would see from a model: episodes, not scores. Streams synthetic series through the full
 * detector (features, model, calibration, episodes) and counts alerts: false episodes on series with no
 * anomaly, and injected anomalies caught by an episode opening inside them (or within an hour after).
 */
export interface EpisodeMetrics {
  readonly falseEpisodesPer10kPoints: number;
  readonly anomaliesDetected: number;
  readonly anomaliesInjected: number;
  readonly detectionRate: number;
  /** Median points from an anomaly's start to the episode that caught it. */
  readonly medianDelayPoints: number;
}

/** Points after an anomaly's end that still count as catching it (an hour at five-minute sampling). */
const GRACE_POINTS = 12;
const BATCH = 1000;

async function openedAt(detector: Detector, series: SyntheticSeries): Promise<number[]> {
  const states = new Map<string, SeriesDetectorState>();
  const index = new Map<number, number>();
  for (const [i, t] of series.timestamps.entries()) index.set(t, i);
  const opened: number[] = [];
  for (let start = 0; start < series.values.length; start += BATCH) {
    const events: MeasurementEvent[] = [];
    for (let i = start; i < Math.min(series.values.length, start + BATCH); i++) {
      events.push({
        series: series.name,
        timestamp: series.timestamps[i] as number,
        values: { value: series.values[i] as number },
        dimensions: {},
      });
    }
    const result = await detector.detect(events, states);
    for (const t of result.transitions) if (t.kind === 'opened') opened.push(index.get(t.startedAt) ?? -1);
  }
  return opened;
}

/** Evaluates `scorer` on two held-out corpora generated from `seed`: one clean, one with anomalies. */
export async function evaluateEpisodes(scorer: BatchScorer, seed: number): Promise<EpisodeMetrics> {
  const detector = new Detector(scorer);
  let falseEpisodes = 0;
  let cleanPoints = 0;
  for (const series of generateCorpus({ seed, anomaliesPerSeries: 0 })) {
    falseEpisodes += (await openedAt(detector, series)).length;
    cleanPoints += series.values.length;
  }
  let injected = 0;
  const delays: number[] = [];
  for (const series of generateCorpus({ seed: seed + 1, anomaliesPerSeries: 3 })) {
    const opened = await openedAt(detector, series);
    for (const anomaly of series.anomalies) {
      injected += 1;
      const catching = opened.find(
        (o) => o >= anomaly.start && o < anomaly.start + anomaly.length + GRACE_POINTS,
      );
      if (catching !== undefined) delays.push(catching - anomaly.start);
    }
  }
  delays.sort((a, b) => a - b);
  return {
    falseEpisodesPer10kPoints: Number(((falseEpisodes / cleanPoints) * 1e4).toFixed(2)),
    anomaliesDetected: delays.length,
    anomaliesInjected: injected,
    detectionRate: Number((delays.length / Math.max(injected, 1)).toFixed(3)),
    medianDelayPoints: delays.length > 0 ? (delays[Math.floor(delays.length / 2)] as number) : Number.NaN,
  };
}
