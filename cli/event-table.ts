import { EPOCH_MS_RANGE, parseEvent } from '../core/events/event-schema.ts';
import { UsageError } from './command.ts';
import { type CsvRecord, isNumericColumn, numberCell, timestampCell } from './csv-columns.ts';
import { csvReadError, readCsv } from './csv-file.ts';
import type { TimeUnit } from './csv-input.ts';
import type { CsvLayout } from './csv-layout.ts';
import { count } from './progress.ts';

/**
 * The first pass over a CSV file: every row validated as an event (the REST API's rules) and kept in compact
 * arrays (about 20 bytes a row plus 8 per value column), so that each series can be put in time order
 * before it is scored or replayed, whatever the order of the file.
 */

/** Epoch numbers below this are taken as seconds by the event schema (1973-03-03 in milliseconds). */
export const SECONDS_BELOW = EPOCH_MS_RANGE.minimum;
/** Rows read before the columns are chosen: the sample that tells numeric columns from text ones. */
const SAMPLE_ROWS = 1000;
/** Text columns whose values are kept (to name the column that splits a long-format file), and their size. */
const TEXT_COLUMNS_KEPT = 4;
const TEXT_VALUES_KEPT = 10_000;

/** Which columns feed the events. */
export interface TableColumns {
  readonly timestamp: string;
  readonly values: readonly string[];
  readonly seriesColumn?: string;
}

/** The values of one text column, interned: `ids[row]` indexes `names`. */
export interface TextColumn {
  readonly ids: number[];
  readonly names: string[];
}

/** The rows of a file as validated events, in file order; `timestamps[row]` is NaN for a bad row. */
export interface EventTable {
  readonly rows: number;
  readonly columns: TableColumns;
  /** The channels of every event: `value` for one value column, else the value columns' names. */
  readonly channels: readonly string[];
  readonly seriesNames: readonly string[];
  readonly seriesOf: readonly number[];
  readonly timestamps: readonly number[];
  /** `rows × channels.length` values, row after row. */
  readonly values: readonly number[];
  readonly validRows: number;
  readonly badRows: number;
  /** Rows earlier than a row of their series above them in the file. */
  readonly outOfOrderRows: number;
  /** Rows whose epoch-number timestamp reads as seconds while milliseconds were expected, and the reverse. */
  readonly secondsLike: number;
  readonly millisecondsLike: number;
  /** Text columns other than the chosen ones, for {@link findSeriesColumn}. */
  readonly textColumns: ReadonlyMap<string, TextColumn>;
}

/** How to read the table. */
export interface TableOptions {
  readonly file: string;
  readonly layout: CsvLayout;
  readonly timeUnit: TimeUnit;
  /** The series of every row when no series column is chosen. */
  readonly series?: string;
  /** Chooses the columns from the header and the first rows. */
  choose(columns: readonly string[], sample: readonly CsvRecord[]): TableColumns;
  /** Told of each bad row: 1-based data row, file line and the rule it broke. */
  onBadRow(row: number, line: number, reason: string, record: CsvRecord, columns: TableColumns): void;
  /** Told of progress: rows and bytes read. */
  onProgress?(rows: number, bytesRead: number): void;
}

/** A timestamp cell as the event schema takes it, in milliseconds; or the CLI rule it broke. */
function timestampInput(cell: string | undefined, unit: TimeUnit): { value: unknown } | { error: string } {
  const value = timestampCell(cell);
  if (typeof value !== 'number' || unit === 'ms') return { value };
  if (value >= SECONDS_BELOW) {
    return {
      error: `timestamp: ${cell?.trim()} is after the year 5000 in seconds: epoch milliseconds? (--time-unit ms)`,
    };
  }
  return { value: Math.round(value * 1000) };
}

/** Reads and validates every row of the file (first pass). */
export async function readEventTable(options: TableOptions): Promise<EventTable> {
  const { file, layout } = options;
  const { input, rows } = readCsv(file, layout);
  const table = {
    rows: 0,
    seriesNames: [] as string[],
    seriesOf: [] as number[],
    timestamps: [] as number[],
    values: [] as number[],
    validRows: 0,
    badRows: 0,
    outOfOrderRows: 0,
    secondsLike: 0,
    millisecondsLike: 0,
  };
  const seriesIds = new Map<string, number>();
  const latest: number[] = [];
  const sample: { record: CsvRecord; row: number; line: number }[] = [];
  let columns: TableColumns | undefined;
  let channels: string[] = [];
  const textColumns = new Map<string, TextColumn & { index: Map<string, number> }>();

  const add = (record: CsvRecord, row: number, line: number, cols: TableColumns) => {
    table.rows += 1;
    const cell = record[cols.timestamp];
    const stamp = timestampInput(cell, options.timeUnit);
    const numeric = timestampCell(cell);
    if (typeof numeric === 'number') {
      if (options.timeUnit === 'ms' && numeric < SECONDS_BELOW) table.secondsLike += 1;
      if (options.timeUnit === 's' && numeric >= SECONDS_BELOW) table.millisecondsLike += 1;
    }
    for (const [name, column] of textColumns) {
      const text = record[name] ?? '';
      let id = column.index.get(text);
      if (id === undefined && column.names.length >= TEXT_VALUES_KEPT) {
        textColumns.delete(name);
        continue;
      }
      if (id === undefined) {
        id = column.names.push(text) - 1;
        column.index.set(text, id);
      }
      column.ids.push(id);
    }
    const series = cols.seriesColumn ? (record[cols.seriesColumn] ?? '').trim() : options.series;
    const parsed = 'error' in stamp ? undefined : parseEvent(eventInput(record, cols, series, stamp.value));
    if (!parsed?.ok) {
      table.badRows += 1;
      const reason = 'error' in stamp ? stamp.error : (parsed?.error.message ?? 'invalid');
      options.onBadRow(row, line, reason, record, cols);
      table.seriesOf.push(-1);
      table.timestamps.push(Number.NaN);
      for (const _ of channels) table.values.push(Number.NaN);
      return;
    }
    const { event } = parsed;
    let id = seriesIds.get(event.series);
    if (id === undefined) {
      id = table.seriesNames.push(event.series) - 1;
      seriesIds.set(event.series, id);
      latest.push(Number.NEGATIVE_INFINITY);
    }
    if (event.timestamp < (latest[id] as number)) table.outOfOrderRows += 1;
    else latest[id] = event.timestamp;
    table.validRows += 1;
    table.seriesOf.push(id);
    table.timestamps.push(event.timestamp);
    for (const channel of channels) table.values.push(event.values[channel] as number);
  };

  const plan = () => {
    const records = sample.map((s) => s.record);
    const chosen = options.choose(layout.columns, records);
    channels = chosen.values.length === 1 ? ['value'] : [...chosen.values];
    const used = new Set([chosen.timestamp, ...chosen.values, chosen.seriesColumn]);
    const text = layout.columns.filter((c) => !used.has(c) && !isNumericColumn(c, records));
    for (const name of text.slice(0, TEXT_COLUMNS_KEPT))
      textColumns.set(name, { ids: [], names: [], index: new Map() });
    for (const s of sample) add(s.record, s.row, s.line, chosen);
    sample.length = 0;
    return chosen;
  };

  try {
    for await (const { record, info } of rows) {
      if (columns) add(record, info.records, info.lines, columns);
      else {
        sample.push({ record, row: info.records, line: info.lines });
        if (sample.length === SAMPLE_ROWS) columns = plan();
      }
      if (columns && table.rows % SAMPLE_ROWS === 0) options.onProgress?.(table.rows, input.bytesRead);
    }
  } catch (error) {
    throw csvReadError(file, error);
  } finally {
    input.destroy();
  }
  columns ??= plan();
  return { ...table, columns, channels, textColumns };
}

/** The wire event of one row, so CSV rows obey the same rules as the REST API's events. */
function eventInput(
  record: CsvRecord,
  columns: TableColumns,
  series: string | undefined,
  timestamp: unknown,
) {
  // A short row's missing cell reads as empty, so the schema answers "must be a finite number".
  const value = (column: string) => numberCell(record[column] ?? '');
  const [only] = columns.values;
  if (columns.values.length === 1 && only !== undefined) return { series, timestamp, value: value(only) };
  return { series, timestamp, values: Object.fromEntries(columns.values.map((c) => [c, value(c)])) };
}

/** The valid rows in the order to feed them: each series oldest first (file order where it already is). */
export interface TimeOrder {
  readonly order: Uint32Array;
  /** Rows repeating a timestamp of their series: the detector scores the first only. */
  readonly repeatedRows: number;
}

/** Puts the valid rows of `table` in time order (stable: rows of equal time keep their file order). */
export function timeOrder(
  table: EventTable,
  keyOf: (row: number) => number = (row) => table.seriesOf[row] as number,
): TimeOrder {
  const valid = new Uint32Array(table.validRows);
  let n = 0;
  for (let row = 0; row < table.rows; row++) if (table.seriesOf[row] !== -1) valid[n++] = row;
  const ts = table.timestamps;
  if (table.outOfOrderRows > 0) valid.sort((a, b) => (ts[a] as number) - (ts[b] as number) || a - b);
  const last = new Map<number, number>();
  let repeatedRows = 0;
  for (const row of valid) {
    const key = keyOf(row);
    if (last.get(key) === ts[row]) repeatedRows += 1;
    last.set(key, ts[row] as number);
  }
  return { order: valid, repeatedRows };
}

/** Refuses a series column that is also the timestamp or a value column. */
export function checkSeriesColumn(columns: TableColumns): void {
  const { seriesColumn } = columns;
  if (seriesColumn && (seriesColumn === columns.timestamp || columns.values.includes(seriesColumn))) {
    throw new UsageError(
      `column "${seriesColumn}" cannot be both --series-column and the timestamp or a value`,
    );
  }
}

/** Hints for timestamps that read as the other unit than the one in force. */
export function timeUnitHints(table: EventTable, unit: TimeUnit): string[] {
  if (unit === 'ms' && table.secondsLike > 0) {
    return [
      `${count(table.secondsLike)} of the timestamps read as epoch seconds; pass --time-unit s to take them as seconds`,
    ];
  }
  if (unit === 's' && table.millisecondsLike > 0) {
    return [
      `${count(table.millisecondsLike)} of the timestamps read as epoch milliseconds; drop --time-unit s`,
    ];
  }
  return [];
}
