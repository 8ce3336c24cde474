import type { EpisodeTransition, ScoredPoint } from '../../core/detection-types.ts';
import { seriesKey } from '../../core/detector.ts';
import type { AlertPublisher, DeadLetter, DeadLetterSink, TimeSeriesStore } from '../../core/ports.ts';
import type { Outbox } from './checkpoint.ts';

/** The sinks an outbox is delivered to. */
export interface OutboxSinks {
  readonly timeSeries: TimeSeriesStore;
  readonly alerts: AlertPublisher;
  readonly deadLetters: DeadLetterSink;
}

/** An outbox of one series, with the checkpoint it was saved in (for dead letters of refused points). */
export interface SeriesOutbox {
  readonly key: string;
  readonly sequence: string;
  readonly outbox: Outbox;
}

/** What a delivery did, for the metrics. */
export interface DeliveryReport {
  readonly points: number;
  readonly transitions: number;
  /** Points the store refused for good, now in the dead-letter queue. */
  readonly rejectedPoints: number;
}

/**
 * Delivers saved outboxes: points to the time-series store, then transitions to the alert publisher (so a
 * point an alert names can be queried when the alert arrives), then the points the store refused for good
 * to the dead-letter queue with its reason. Throws when a sink fails; the outboxes stay in their checkpoints
 * and are delivered again by the retry, with the same scores (every sink is idempotent for them). `all`,
 * when given, is every outbox's content already in one list (the batch's own outputs, when every series saved).
 */
export async function deliverOutboxes(
  outboxes: readonly SeriesOutbox[],
  sinks: OutboxSinks,
  all?: Outbox,
): Promise<DeliveryReport> {
  let points: ScoredPoint[] | readonly ScoredPoint[] = all?.points ?? [];
  let transitions: EpisodeTransition[] | readonly EpisodeTransition[] = all?.transitions ?? [];
  if (!all) {
    const p: ScoredPoint[] = [];
    const t: EpisodeTransition[] = [];
    for (const { outbox } of outboxes) {
      for (const point of outbox.points) p.push(point);
      for (const transition of outbox.transitions) t.push(transition);
    }
    points = p;
    transitions = t;
  }
  const { rejected } = points.length > 0 ? await sinks.timeSeries.write(points) : { rejected: [] };
  if (transitions.length > 0) await sinks.alerts.publish(transitions);
  if (rejected.length > 0) {
    const checkpointOf = new Map(outboxes.map((entry) => [entry.key, entry]));
    const letters: DeadLetter[] = rejected.map(({ point, reason }) => {
      const entry = checkpointOf.get(seriesKey(point.series, point.channel));
      return {
        reason: `scored, but the time-series store refused the point: ${reason}`,
        data: Buffer.from(pointJson(point)).toString('base64'),
        sequenceNumber: entry?.sequence ?? '',
        partitionKey: point.series,
      };
    });
    await sinks.deadLetters.send(letters);
  }
  return { points: points.length, transitions: transitions.length, rejectedPoints: rejected.length };
}

/** A point as JSON with its fields in one order, however it was built: the same point, the same bytes. */
function pointJson(p: ScoredPoint): string {
  const { series, channel, timestamp, value, dimensions, rawScore, probability, anomalous, modelVersion } = p;
  return JSON.stringify({
    series,
    channel,
    timestamp,
    value,
    dimensions,
    rawScore,
    probability,
    anomalous,
    modelVersion,
  });
}
