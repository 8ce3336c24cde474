import { type Detector, type SeriesDetectorState, seriesKey } from '../core/detector.ts';
import { type MeasurementEvent, parseEvent } from '../core/events/event-schema.ts';
import type { CliIo } from './command.ts';
import { type CsvRecord, numberCell, timestampCell } from './csv-columns.ts';
import { BAD_ROWS_SHOWN } from './progress.ts';

/** Which columns feed the detector. */
export interface ColumnPlan {
  readonly header: readonly string[];
  readonly timestamp: string;
  readonly values: readonly string[];
}

/** One input row waiting for its batch to be scored. */
export interface PendingRow {
  readonly record: CsvRecord;
  /** 1-based data row, for bad-row messages. */
  readonly row: number;
  /** File line the row ended on, for bad-row messages. */
  readonly line: number;
}

/** A row's result: empty for a bad row. */
export interface RowScore {
  readonly probability: number;
  readonly anomalous: boolean;
}

/** The last score of each series key and its timestamp, so a repeated timestamp gets the earlier row's score. */
export type LatestScores = Map<string, { timestamp: number; score: RowScore }>;

/**
 * Validates one batch of rows, runs it through the detector and returns one score per row (undefined if bad),
 * reporting bad rows on stderr and adding bad rows, repeated timestamps and opened episodes to `counts`.
 */
export async function scoreBatch(
  detector: Detector,
  plan: ColumnPlan,
  series: string,
  rows: readonly PendingRow[],
  states: Map<string, SeriesDetectorState>,
  latest: LatestScores,
  counts: { bad: number; repeated: number; opened: number },
  io: CliIo,
): Promise<(RowScore | undefined)[]> {
  const events: (MeasurementEvent | undefined)[] = rows.map((row) => {
    const parsed = parseEvent(eventInput(row.record, plan, series));
    if (parsed.ok) return parsed.event;
    counts.bad += 1;
    if (counts.bad <= BAD_ROWS_SHOWN) {
      const cells = [plan.timestamp, ...plan.values].map(
        (c) => `${c}=${JSON.stringify(row.record[c] ?? '')}`,
      );
      io.stderr.write(
        `row ${row.row} (line ${row.line}): ${parsed.error.message} [${cells.join(', ')}]; written unscored\n`,
      );
    }
    return undefined;
  });
  const valid = events.filter((e): e is MeasurementEvent => e !== undefined);
  const result = await detector.detect(valid, states);
  for (const t of result.transitions) if (t.kind === 'opened') counts.opened += 1;

  // Points come in input order, one per accepted channel; a re-delivered timestamp has none and keeps the
  // score the same series and timestamp got before. Matching by key and timestamp keeps rows aligned.
  let next = 0;
  return events.map((event): RowScore | undefined => {
    if (!event) return undefined;
    let probability = Number.NEGATIVE_INFINITY;
    let anomalous = false;
    let repeated = true;
    for (const channel in event.values) {
      const key = seriesKey(event.series, channel);
      const point = result.points[next];
      let score: RowScore | undefined;
      if (
        point &&
        point.series === event.series &&
        point.channel === channel &&
        point.timestamp === event.timestamp
      ) {
        next += 1;
        repeated = false;
        score = { probability: point.probability, anomalous: point.anomalous };
        const last = latest.get(key);
        if (!last || point.timestamp > last.timestamp) latest.set(key, { timestamp: point.timestamp, score });
      } else {
        const last = latest.get(key);
        score = last?.timestamp === event.timestamp ? last.score : undefined;
      }
      if (score) {
        probability = Math.max(probability, score.probability);
        anomalous ||= score.anomalous;
      }
    }
    if (repeated) counts.repeated += 1;
    return probability === Number.NEGATIVE_INFINITY ? undefined : { probability, anomalous };
  });
}

/** Turns a CSV record into the wire event `parseEvent` validates, so CSV rows obey the same rules as the API. */
function eventInput(record: CsvRecord, plan: ColumnPlan, series: string): unknown {
  const timestamp = timestampCell(record[plan.timestamp]);
  // A short row's missing cell reads as empty, so the schema answers "must be a finite number".
  const value = (column: string) => numberCell(record[column] ?? '');
  const [only] = plan.values;
  if (plan.values.length === 1 && only !== undefined) return { series, timestamp, value: value(only) };
  return { series, timestamp, values: Object.fromEntries(plan.values.map((c) => [c, value(c)])) };
}
