import { open } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { CliError } from './command.ts';

/**
 * How a CSV file is laid out (delimiter, header or not), found from its first 64 KiB before the rows are
 * read, so that a semicolon file or a file without a header is read as the person who wrote it meant.
 */

/** Delimiters tried, in order of preference when several fit. */
export const DELIMITER_CANDIDATES: readonly string[] = [',', '\t', ';', '|'];
/** Bytes read to find the layout. */
const SNIFF_BYTES = 64 * 1024;
/** Lines of that sample parsed per candidate. */
const SNIFF_LINES = 50;
/** Share of the sample's records that must have the header's field count for a delimiter to fit. */
const CONSISTENT_SHARE = 0.9;
/** A cell that reads as data, not as a column name: a number, or a date in ISO 8601's order. */
const DATA_CELL =
  /^(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}[\d:.]*(?:Z|[+-]\d{2}:?\d{2})?)?)$/;
/** A number written with a decimal comma (`1,5`): data too, in a file whose delimiter is not a comma. */
const DECIMAL_COMMA = /^[-+]?\d+,\d+$/;

/** The layout of one CSV file. */
export interface CsvLayout {
  readonly delimiter: string;
  /** True when the first line names the columns. */
  readonly hasHeader: boolean;
  /** The header's names, or `column_1`, `column_2`, … for a file without a header. */
  readonly columns: readonly string[];
  /** The first line as it reads, for the notice about a missing header. */
  readonly firstLine: string;
}

/** What the command line said about the layout; anything left undefined is found from the file. */
export interface LayoutChoice {
  readonly delimiter?: string;
  /** true: the first line is a header; false: it is data. */
  readonly header?: boolean;
}

/** True when a header cell reads as data (a number or a date): column names are neither. */
export function looksLikeData(cell: string): boolean {
  return DATA_CELL.test(cell.trim());
}

/** The records of `sample` split by `delimiter`, or undefined when it does not parse (a stray quote). */
function records(sample: string, delimiter: string): string[][] | undefined {
  try {
    return parse(sample, {
      delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      to_line: SNIFF_LINES,
    }) as string[][];
  } catch {
    return undefined;
  }
}

/**
 * The delimiter of `sample`: among the candidates that split most records into as many fields as the first
 * (two or more), the one whose cells most often read as data (numbers, dates; decimal commas too when the
 * delimiter is not a comma), the earlier candidate on a tie; a comma when none fits (one column).
 */
export function detectDelimiter(sample: string): string {
  let best = { delimiter: ',', share: -1 };
  for (const delimiter of DELIMITER_CANDIDATES) {
    const rows = records(sample, delimiter);
    const fields = rows?.[0]?.length ?? 0;
    if (!rows || fields < 2) continue;
    const consistent = rows.filter((r) => r.length === fields);
    if (consistent.length < CONSISTENT_SHARE * rows.length) continue;
    const cells = consistent.flat();
    const data = cells.filter((c) => looksLikeData(c) || (delimiter !== ',' && DECIMAL_COMMA.test(c.trim())));
    const share = data.length / cells.length;
    if (share > best.share) best = { delimiter, share };
  }
  return best.delimiter;
}

/** Finds the layout of `text`, the start of a CSV file (a last, cut line is ignored unless it is the only one). */
export function layoutOf(text: string, choice: LayoutChoice = {}): CsvLayout {
  const end = text.lastIndexOf('\n');
  const sample = end > 0 ? text.slice(0, end + 1) : text;
  const delimiter = choice.delimiter ?? detectDelimiter(sample);
  const first = records(sample, delimiter)?.[0] ?? [];
  const firstLine = (sample.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '').slice(0, 80);
  const hasHeader = choice.header ?? !first.some(looksLikeData);
  const columns = hasHeader ? first : first.map((_, i) => `column_${i + 1}`);
  return { delimiter, hasHeader, columns, firstLine };
}

/** Reads the start of `file` and finds its layout; a `CliError` when the file cannot be read. */
export async function sniffLayout(file: string, choice: LayoutChoice = {}): Promise<CsvLayout> {
  let text: string;
  try {
    const handle = await open(file);
    try {
      const buffer = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return layoutOf(text, choice);
}

/** How a layout reads in a summary: the delimiter when it is not a comma, and generated column names. */
export function describeLayout(layout: CsvLayout): string {
  const parts: string[] = [];
  if (layout.delimiter !== ',') parts.push(`delimiter ${JSON.stringify(layout.delimiter)}`);
  if (!layout.hasHeader) parts.push('no header row');
  return parts.join(', ');
}
