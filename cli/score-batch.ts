import { type Detector, type SeriesDetectorState, seriesKey } from '../core/detector.ts';
import type { MeasurementEvent } from '../core/events/event-schema.ts';
import type { EventTable } from './event-table.ts';

/** Rows per `Detector.detect` call, as a Kinesis batch would deliver them. */
export const BATCH_SIZE = 1000;

const NO_DIMENSIONS: Readonly<Record<string, string>> = Object.freeze({});

/** The scores of a table's rows, in file order: `probability[row]` is NaN for a row not scored (a bad row). */
export interface TableScores {
  readonly probability: Float64Array;
  /** 1 while the row's series is inside an anomaly episode. */
  readonly anomalous: Uint8Array;
  readonly episodesOpened: number;
}

/**
 * Runs the valid rows of `table` through the detector in `order` (each series oldest first), in batches of
 * 1000, one detector state per series and channel. A row's score is the max over its channels; a row that
 * repeats its series' timestamp is not scored again and gets the earlier row's score, as a re-delivery would.
 */
export async function scoreTable(
  detector: Detector,
  table: EventTable,
  order: Uint32Array,
  onProgress?: (scored: number) => void,
): Promise<TableScores> {
  const probability = new Float64Array(table.rows).fill(Number.NaN);
  const anomalous = new Uint8Array(table.rows);
  const states = new Map<string, SeriesDetectorState>();
  const latest = new Map<string, { timestamp: number; probability: number; anomalous: boolean }>();
  const width = table.channels.length;
  let episodesOpened = 0;

  for (let start = 0; start < order.length; start += BATCH_SIZE) {
    const rows = order.subarray(start, start + BATCH_SIZE);
    const events: MeasurementEvent[] = Array.from(rows, (row) => {
      const values: Record<string, number> = {};
      for (let c = 0; c < width; c++)
        values[table.channels[c] as string] = table.values[row * width + c] as number;
      return {
        series: table.seriesNames[table.seriesOf[row] as number] as string,
        timestamp: table.timestamps[row] as number,
        values,
        dimensions: NO_DIMENSIONS,
      };
    });
    const result = await detector.detect(events, states);
    for (const t of result.transitions) if (t.kind === 'opened') episodesOpened += 1;

    // Points come in input order, one per channel not re-delivered; matching by key and timestamp keeps rows
    // aligned, and a repeated timestamp takes what the same series and timestamp got before.
    let next = 0;
    for (const [i, event] of events.entries()) {
      let best = Number.NEGATIVE_INFINITY;
      let flagged = false;
      for (const channel of table.channels) {
        const key = seriesKey(event.series, channel);
        const point = result.points[next];
        if (
          point &&
          point.series === event.series &&
          point.channel === channel &&
          point.timestamp === event.timestamp
        ) {
          next += 1;
          latest.set(key, {
            timestamp: point.timestamp,
            probability: point.probability,
            anomalous: point.anomalous,
          });
        }
        const last = latest.get(key);
        if (last?.timestamp === event.timestamp) {
          best = Math.max(best, last.probability);
          flagged ||= last.anomalous;
        }
      }
      const row = rows[i] as number;
      if (best !== Number.NEGATIVE_INFINITY) {
        probability[row] = best;
        anomalous[row] = flagged ? 1 : 0;
      }
    }
    onProgress?.(Math.min(order.length, start + BATCH_SIZE));
  }
  return { probability, anomalous, episodesOpened };
}
