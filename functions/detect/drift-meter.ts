import type { ScoredPoint } from '../../core/detection-types.ts';
import { binIndex, populationStabilityIndex, type ScoreReference } from '../../core/learning/drift.ts';
import type { Clock } from '../../core/ports.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';

/** Options of a {@link DriftMeter}. */
export interface DriftMeterOptions {
  /** Shortest period one figure covers; an hour by default. */
  readonly windowMs?: number;
  /**
   * Fewest points one figure is computed from: PSI over ten bins reads about 9/n when nothing moved, so
   * 5,000 points (the default) keep that noise near 0.002, far below the 0.25 the alarm acts on.
   */
  readonly minPoints?: number;
  readonly clock?: Clock;
}

/**
 * The champion's raw-score drift, as a container sees it: ten counters of the points it scored live (the
 * reference's bins), turned into a population stability index once a window holds enough points, then
 * started afresh. Each container reports its own figure; the drift alarm takes the day's maximum. A new
 * champion, or one without a reference, starts the count over: PSI compares a model with its own training.
 */
export class DriftMeter {
  private readonly windowMs: number;
  private readonly minPoints: number;
  private readonly clock: Clock;
  private model: string | undefined;
  private reference: ScoreReference | undefined;
  private counts: number[] = [];
  private total = 0;
  private startedAt = 0;

  constructor(options: DriftMeterOptions = {}) {
    this.windowMs = options.windowMs ?? 3_600_000;
    this.minPoints = options.minPoints ?? 5_000;
    this.clock = options.clock ?? { now: Date.now };
  }

  /** Counts the champion's points of a batch; returns the window's PSI when the window is complete. */
  add(champion: BatchScorer, points: readonly ScoredPoint[]): number | undefined {
    if (champion.modelVersion !== this.model || champion.scoreReference !== this.reference) {
      this.model = champion.modelVersion;
      this.reference = champion.scoreReference;
      this.restart();
    }
    const reference = this.reference;
    if (!reference) return undefined;
    for (const point of points) {
      // Canary points carry the challenger's version: its scores are not the champion's distribution.
      if (point.modelVersion !== this.model || !Number.isFinite(point.rawScore)) continue;
      const bin = binIndex(reference.edges, point.rawScore);
      this.counts[bin] = (this.counts[bin] as number) + 1;
      this.total++;
    }
    if (this.total < this.minPoints || this.clock.now() - this.startedAt < this.windowMs) return undefined;
    const psi = populationStabilityIndex(reference, this.counts);
    this.restart();
    return psi;
  }

  private restart(): void {
    this.counts = new Array<number>((this.reference?.edges.length ?? 0) + 1).fill(0);
    this.total = 0;
    this.startedAt = this.clock.now();
  }
}
