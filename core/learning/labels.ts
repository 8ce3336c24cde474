/**
 * Feedback labels: what people said about episodes. The alerting work stores them (an operator's "not an
 * anomaly" on an alert, or a confirmed incident); retraining reads them through {@link LabelSource} to keep
 * confirmed anomalies out of training data and to judge models against them.
 */

/** One person's verdict on a span of one series' channel. */
export interface FeedbackLabel {
  /** The episode the label was given on (the id alerts carry). */
  readonly episodeId: string;
  readonly series: string;
  /** `value` for single-value series. */
  readonly channel: string;
  /** Epoch ms: the span the verdict covers, from the episode's start to its end (or the span a person marked). */
  readonly from: number;
  readonly to: number;
  /** Who gave it: a user id, or `auto` for a rule. */
  readonly who: string;
  /** Epoch ms when it was given. */
  readonly at: number;
  /** `anomaly`: a confirmed incident. `not-anomaly`: a false alarm, normal behaviour. */
  readonly verdict: 'anomaly' | 'not-anomaly';
}

/** Where labels come from: the alerting work's label table in production, a fixture in tests. */
export interface LabelSource {
  /** Every label whose span overlaps [from, to) (epoch ms), in no particular order. */
  labels(from: number, to: number): Promise<FeedbackLabel[]>;
}

/** Labels held in memory: the fixture adapter for tests and the local stack. */
export class MemoryLabelSource implements LabelSource {
  private readonly all: FeedbackLabel[];

  constructor(labels: readonly FeedbackLabel[] = []) {
    this.all = [...labels];
  }

  /** Adds a label, as the alerting work would when a person answers an alert. */
  add(label: FeedbackLabel): void {
    this.all.push(label);
  }

  async labels(from: number, to: number): Promise<FeedbackLabel[]> {
    return this.all.filter((l) => l.from < to && l.to >= from).map((l) => ({ ...l }));
  }
}

/** A span of time to leave out of training, with the label it came from. */
export interface ExcludedSpan {
  readonly series: string;
  readonly channel: string;
  readonly from: number;
  readonly to: number;
  readonly episodeId: string;
}

/**
 * The spans training must not learn as normal: confirmed anomalies widened by `marginMs` on both sides (an
 * incident's onset and recovery are rarely inside the marked span). "Not an anomaly" labels stay in:
 * they are normal behaviour the champion mistook, exactly what the next model should learn.
 */
export function excludedSpans(labels: readonly FeedbackLabel[], marginMs: number): ExcludedSpan[] {
  return labels
    .filter((l) => l.verdict === 'anomaly')
    .map((l) => ({
      series: l.series,
      channel: l.channel,
      from: l.from - marginMs,
      to: l.to + marginMs,
      episodeId: l.episodeId,
    }))
    .sort((a, b) => a.from - b.from);
}
