import type { EventTable } from './event-table.ts';
import { timeOrder } from './event-table.ts';

/**
 * Recognises a file in long format (several series in one file, told apart by a text column such as `host`)
 * read as one series: its rows repeat timestamps or go back in time, and splitting by that column removes
 * (nearly) all of it. Scored as one series, the second series would get the first one's scores.
 */

/** A text column that splits the file into series. */
export interface SeriesColumnGuess {
  readonly column: string;
  /** Its distinct values, as found. */
  readonly values: readonly string[];
  /** Rows repeating a timestamp or going back in time, read as one series. */
  readonly disorderedRows: number;
}

/** Disorder worth explaining: at least this share of the valid rows (and at least 2 rows). */
const DISORDER_SHARE = 0.01;
/** A column explains the disorder when, split by it, at most this share of it remains. */
const REMAINING_SHARE = 0.1;

/** Rows earlier than a row of the same key above them. */
function outOfOrder(table: EventTable, keyOf: (row: number) => number): number {
  const latest = new Map<number, number>();
  let count = 0;
  for (let row = 0; row < table.rows; row++) {
    if (table.seriesOf[row] === -1) continue;
    const key = keyOf(row);
    const t = table.timestamps[row] as number;
    const seen = latest.get(key);
    if (seen !== undefined && t < seen) count += 1;
    else latest.set(key, t);
  }
  return count;
}

/**
 * The text column that explains the repeated and out-of-order rows of `table` (read with one series per
 * series name), or undefined when there are few such rows or no column explains them.
 */
export function findSeriesColumn(table: EventTable, repeatedRows: number): SeriesColumnGuess | undefined {
  const disordered = repeatedRows + table.outOfOrderRows;
  if (disordered < Math.max(2, DISORDER_SHARE * table.validRows)) return undefined;
  let best: (SeriesColumnGuess & { remaining: number }) | undefined;
  for (const [column, { ids, names }] of table.textColumns) {
    if (names.length < 2) continue;
    const keyOf = (row: number) => (table.seriesOf[row] as number) * names.length + (ids[row] as number);
    const remaining = outOfOrder(table, keyOf) + timeOrder(table, keyOf).repeatedRows;
    if (remaining <= REMAINING_SHARE * disordered && (!best || remaining < best.remaining)) {
      best = { column, values: names, disorderedRows: disordered, remaining };
    }
  }
  if (!best) return undefined;
  const { remaining: _, ...guess } = best;
  return guess;
}

/** How a guess reads in a message: `column "host" (2 values: web-1, web-2)`. */
export function describeGuess(guess: SeriesColumnGuess): string {
  const shown = guess.values.slice(0, 3).join(', ');
  const more = guess.values.length > 3 ? ', ...' : '';
  return `column "${guess.column}" (${guess.values.length} values: ${shown}${more})`;
}
