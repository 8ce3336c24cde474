import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { CliError } from './command.ts';
import type { CsvLayout } from './csv-layout.ts';

/** One data row of a CSV file, keyed by header name, with where it was in the file. */
export interface CsvRow {
  readonly record: Record<string, string>;
  /** `records`: 1-based data row; `lines`: the file line the row ended on. */
  readonly info: { readonly lines: number; readonly records: number };
}

/** A CSV file being read row by row. */
export interface CsvFile {
  /** The byte stream under the parser, for `bytesRead` (progress) and `destroy()`. */
  readonly input: ReadStream;
  /** The data rows in file order: BOM dropped, empty lines skipped, short and long rows kept. */
  readonly rows: AsyncIterable<CsvRow>;
}

/** Size of `file` in bytes, for the progress percentage; a `CliError` when it is missing or not a file. */
export async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new CliError(`${file} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * Opens `file` as a stream of CSV rows keyed by `layout.columns`, split at `layout.delimiter`, skipping the
 * header line when the layout has one; read errors surface from `rows`. Reading the same file twice gives the
 * same rows in the same order.
 */
export function readCsv(file: string, layout: CsvLayout): CsvFile {
  const input = createReadStream(file);
  const parser = parse({
    columns: [...layout.columns],
    from_line: layout.hasHeader ? 2 : 1,
    delimiter: layout.delimiter,
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
  });
  input.once('error', (error) => parser.destroy(error));
  input.pipe(parser);
  return { input, rows: parser as AsyncIterable<CsvRow> };
}

/**
 * The error to throw for a failure while reading `file`: fs and csv-parse errors (they carry a `code`) become
 * a `CliError` naming the file; anything else (a `CliError`, the model, a bug) is not the file's fault and is
 * returned unchanged.
 */
export function csvReadError(file: string, error: unknown): unknown {
  if (error instanceof CliError || typeof (error as { code?: unknown }).code !== 'string') return error;
  return new CliError(`cannot read ${file} as CSV: ${(error as Error).message}`);
}
