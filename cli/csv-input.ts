import { UsageError } from './command.ts';
import type { LayoutChoice } from './csv-layout.ts';

/** The unit of epoch-number timestamps in a file: seconds or milliseconds (ISO 8601 text needs none). */
export type TimeUnit = 's' | 'ms';

/** How `seismo score` and `seismo replay` are told to read their CSV file, beyond the columns. */
export interface InputChoice {
  readonly layout: LayoutChoice;
  readonly timeUnit: TimeUnit;
  /** Column naming each row's series (long format: several series in one file). */
  readonly seriesColumn?: string;
}

/** The options both commands take for reading a file, in `parseArgs` shape. */
export const INPUT_OPTIONS = {
  delimiter: { type: 'string' },
  header: { type: 'boolean' },
  'no-header': { type: 'boolean' },
  'time-unit': { type: 'string' },
  'series-column': { type: 'string' },
} as const;

/** Help lines for {@link INPUT_OPTIONS}, aligned for a usage text whose option column is `width` wide. */
export function inputOptionsUsage(width: number): string {
  const line = (flag: string, text: string) => `  ${flag.padEnd(width)}${text}`;
  return [
    line('--series-column COL', "column naming each row's series (several series in one file, long format)"),
    line('--time-unit s|ms', 'unit of epoch-number timestamps; default: ms'),
    line('--delimiter CHAR', 'field delimiter (a character, or "tab"); default: found from the file'),
    line('--header', 'the first line names the columns; default: found from the file'),
    line('--no-header', 'the first line is data; columns are named column_1, column_2, ...'),
  ].join('\n');
}

/** The delimiter `--delimiter` names: one character, or `tab`. */
export function delimiterOption(text: string): string {
  if (text === 'tab' || text === '\\t') return '\t';
  if ([...text].length !== 1 || text === '"' || text === '\n' || text === '\r') {
    throw new UsageError(
      `--delimiter must be one character other than a quote or a newline, or "tab"; got "${text}"`,
    );
  }
  return text;
}

/** Reads {@link INPUT_OPTIONS} from parsed arguments, refusing contradictions as usage errors. */
export function inputChoice(values: {
  readonly delimiter?: string;
  readonly header?: boolean;
  readonly 'no-header'?: boolean;
  readonly 'time-unit'?: string;
  readonly 'series-column'?: string;
}): InputChoice {
  if (values.header && values['no-header'])
    throw new UsageError('--header and --no-header contradict each other');
  const unit = values['time-unit'] ?? 'ms';
  if (unit !== 's' && unit !== 'ms') throw new UsageError(`--time-unit must be s or ms, got "${unit}"`);
  const header = values.header ? true : values['no-header'] ? false : undefined;
  const delimiter = values.delimiter === undefined ? undefined : delimiterOption(values.delimiter);
  const seriesColumn = values['series-column'];
  if (seriesColumn === '') throw new UsageError('--series-column must name a column');
  return { layout: { delimiter, header }, timeUnit: unit, seriesColumn };
}
