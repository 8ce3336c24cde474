import { type MeasurementEvent, parseEvent, type TimeWindow } from '../events/event-schema.ts';
import type { DeadLetter } from '../ports.ts';
import { ROW_ID, ROW_MS, ROW_TS, type Watermark } from './poll-query.ts';
import type { PollerSource } from './poller-config.ts';

/**
 * Rows of a page become events: the series from its column or the constant, the timestamp from the ordering
 * column, one channel per value column (a single value column gives a plain `value`), dimensions from the
 * dimension columns (as text). NULL values and dimensions are left out. A row that does not make a valid
 * event (no value at all, a series name breaking the rules) becomes a dead letter naming the row.
 */

/** A row as the driver returns it: column name to value (numbers may come as text, e.g. `numeric`). */
export type SourceRow = Readonly<Record<string, unknown>>;

/** A page's events and dead letters, and the position after its last row. */
export interface MappedPage {
  readonly events: { readonly event: MeasurementEvent; readonly index: number }[];
  readonly deadLetters: DeadLetter[];
  /** The last row's `(timestamp, id)`: where the next page starts. */
  readonly last: Watermark;
}

/** Maps a non-empty page of rows (in watermark order) to events and dead letters. */
export function mapRows(source: PollerSource, rows: readonly SourceRow[], window?: TimeWindow): MappedPage {
  const events: { event: MeasurementEvent; index: number }[] = [];
  const deadLetters: DeadLetter[] = [];
  rows.forEach((row, index) => {
    const parsed = parseEvent(rowInput(source, row), window);
    if (parsed.ok) events.push({ event: parsed.event, index });
    else
      deadLetters.push({
        reason: `${source.name} row id ${String(row[ROW_ID])} at ${String(row[ROW_TS])}: ${parsed.error.message}`,
        data: Buffer.from(JSON.stringify(row)).toString('base64'),
        sequenceNumber: `${String(row[ROW_TS])}/${String(row[ROW_ID])}`,
        partitionKey: source.name,
      });
  });
  const last = rows.at(-1);
  if (!last) throw new RangeError('mapRows needs at least one row');
  return { events, deadLetters, last: { ts: String(last[ROW_TS]), id: String(last[ROW_ID]) } };
}

/** The event a row describes, before validation. */
function rowInput(source: PollerSource, row: SourceRow): Record<string, unknown> {
  const input: Record<string, unknown> = {
    series: source.series ?? textOf(row[source.seriesColumn ?? '']),
    timestamp: Math.trunc(Number(row[ROW_MS])),
  };
  const values: Record<string, unknown> = {};
  for (const column of source.valueColumns) {
    const value = row[column];
    if (value !== null && value !== undefined)
      values[column] = typeof value === 'number' ? value : Number(value);
  }
  if (source.valueColumns.length === 1) {
    const only = values[source.valueColumns[0] as string];
    if (only !== undefined) input.value = only;
  } else if (Object.keys(values).length > 0) {
    input.values = values;
  }
  const dimensions: Record<string, string> = {};
  for (const column of source.dimensionColumns) {
    const value = row[column];
    if (value !== null && value !== undefined) dimensions[column] = textOf(value);
  }
  if (Object.keys(dimensions).length > 0) input.dimensions = dimensions;
  if (source.kind === 'counter') input.kind = 'counter';
  return input;
}

function textOf(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return value === null || value === undefined ? '' : String(value);
}
