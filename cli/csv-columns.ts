import { UsageError } from './command.ts';

/** Header names taken as the timestamp column when `--timestamp` is not given (trimmed, case-insensitive). */
export const TIMESTAMP_NAMES: ReadonlySet<string> = new Set(['timestamp', 'time', 'date', 'ts']);
/** Epoch milliseconds as a CSV holds them: digits, maybe a fraction. */
const EPOCH_NUMBER = /^\d+(?:\.\d+)?$/;

/** One CSV data row, keyed by header name; a short row lacks its last columns. */
export type CsvRecord = Readonly<Record<string, string>>;

/** Returns `name` when it is a column of `header`, else throws a usage error naming the flag, file and columns. */
export function knownColumn(header: readonly string[], name: string, flag: string, file: string): string {
  if (!header.includes(name)) {
    throw new UsageError(`${flag} "${name}" is not a column of ${file} (columns: ${header.join(', ')})`);
  }
  return name;
}

/**
 * The timestamp column: the one `--timestamp` named, else the first named timestamp/time/date/ts, else the
 * first column (so `header` must not be empty).
 */
export function timestampColumn(header: readonly string[], chosen: string | undefined, file: string): string {
  if (chosen) return knownColumn(header, chosen, '--timestamp', file);
  return header.find((name) => TIMESTAMP_NAMES.has(name.trim().toLowerCase())) ?? (header[0] as string);
}

/** A column is numeric when at least one, and most, of its non-empty cells in `sample` are finite numbers. */
export function isNumericColumn(name: string, sample: readonly CsvRecord[]): boolean {
  let filled = 0;
  let numeric = 0;
  for (const record of sample) {
    const cell = record[name];
    if (cell === undefined || cell.trim() === '') continue;
    filled += 1;
    if (Number.isFinite(Number(cell))) numeric += 1;
  }
  return numeric > 0 && numeric * 2 > filled;
}

/** The columns of `header` other than `except` that are numeric in `sample`, in header order. */
export function numericColumns(
  header: readonly string[],
  except: string,
  sample: readonly CsvRecord[],
): string[] {
  return header.filter((name) => name !== except && isNumericColumn(name, sample));
}

/**
 * A timestamp cell as the event schema takes it: epoch digits as a number (the schema then rejects epoch
 * seconds), anything else as trimmed text for the ISO 8601 rule; a missing cell stays undefined.
 */
export function timestampCell(cell: string | undefined): number | string | undefined {
  const text = cell?.trim();
  return text !== undefined && EPOCH_NUMBER.test(text) ? Number(text) : text;
}

/**
 * A value cell as a number when it is one; otherwise the trimmed text, which the schema rejects with its
 * rule; a missing cell stays undefined.
 */
export function numberCell(cell: string | undefined): number | string | undefined {
  const text = cell?.trim();
  if (text === undefined || text === '') return text;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}
