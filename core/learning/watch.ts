/**
 * The watch after a promotion: the detector's episode rate and error rate since the new champion went live,
 * against the same figures over the shadow period before it (same traffic, old champion). A breach rolls
 * the promotion back.
 */

/** What the detector did over a period, from its metrics. */
export interface WatchFigures {
  /** Points scored (the `PointsScored` metric). */
  readonly points: number;
  /** Episodes opened (the `AnomaliesOpened` metric). */
  readonly episodes: number;
  /** Detector invocations and those that failed (Lambda's `Invocations` and `Errors`). */
  readonly invocations: number;
  readonly errors: number;
}

/** Reads the detector's figures over [from, to) (epoch ms). */
export interface WatchSource {
  figures(from: number, to: number): Promise<WatchFigures>;
}

/** When a promotion counts as breached. */
export interface WatchLimits {
  /** Episodes per point may grow by at most this factor over the shadow period's… */
  readonly episodeRateFactor: number;
  /** …plus this many episodes per million points (so a near-silent baseline does not make one episode a breach). */
  readonly episodeRateSlackPerMillion: number;
  /** Share of failed invocations that is a breach by itself. */
  readonly maxErrorRate: number;
  /** Fewer points than this after promotion: too little seen to judge; the watch passes and says so. */
  readonly minPoints: number;
}

/** The limits the retraining watch uses: twice the shadow period's episode rate (plus slack), 1% errors. */
export const DEFAULT_WATCH_LIMITS: WatchLimits = {
  episodeRateFactor: 2,
  episodeRateSlackPerMillion: 50,
  maxErrorRate: 0.01,
  minPoints: 1_000,
};

/** The watch's finding. */
export interface WatchVerdict {
  readonly breached: boolean;
  readonly reason: string;
  readonly before: WatchFigures;
  readonly after: WatchFigures;
}

/** Compares the figures after promotion with those of the shadow period before it. */
export function watchVerdict(
  before: WatchFigures,
  after: WatchFigures,
  limits: WatchLimits = DEFAULT_WATCH_LIMITS,
): WatchVerdict {
  const errorRate = after.invocations > 0 ? after.errors / after.invocations : 0;
  if (errorRate > limits.maxErrorRate) {
    return {
      breached: true,
      reason: `${after.errors} of ${after.invocations} detector invocations failed since promotion (${(errorRate * 100).toFixed(2)}%, limit ${limits.maxErrorRate * 100}%)`,
      before,
      after,
    };
  }
  if (after.points < limits.minPoints) {
    return {
      breached: false,
      reason: `only ${after.points} points scored since promotion (fewer than ${limits.minPoints}): too little to judge the episode rate`,
      before,
      after,
    };
  }
  const perMillion = (f: WatchFigures) => (f.points > 0 ? (f.episodes / f.points) * 1e6 : 0);
  const was = perMillion(before);
  const is = perMillion(after);
  const limit = was * limits.episodeRateFactor + limits.episodeRateSlackPerMillion;
  return is > limit
    ? {
        breached: true,
        reason: `${is.toFixed(1)} episodes per million points since promotion against ${was.toFixed(1)} in the shadow period (limit ${limit.toFixed(1)})`,
        before,
        after,
      }
    : {
        breached: false,
        reason: `${is.toFixed(1)} episodes per million points since promotion, ${was.toFixed(1)} before (limit ${limit.toFixed(1)}); ${(errorRate * 100).toFixed(2)}% failed invocations`,
        before,
        after,
      };
}
