import { basename, extname } from 'node:path';
import { DEFAULT_DETECTOR_OPTIONS, Detector } from '../core/detector.ts';
import { EVENT_LIMITS } from '../core/events/event-schema.ts';
import type { DetectionSettings } from '../core/sensitivity.ts';
import { DEFAULT_MODEL_DIR, loadModel } from '../models/model-store.ts';
import { CliError, type CliIo, type Command, parseOptions, singleFile, UsageError } from './command.ts';
import { type CsvRecord, knownColumn, numericColumns, timestampColumn } from './csv-columns.ts';
import { fileSize } from './csv-file.ts';
import { INPUT_OPTIONS, inputChoice, inputOptionsUsage, type TimeUnit } from './csv-input.ts';
import { type CsvLayout, type LayoutChoice, sniffLayout } from './csv-layout.ts';
import { detectionSettingsOf, SETTINGS_USAGE } from './detection-settings-file.ts';
import {
  checkSeriesColumn,
  type EventTable,
  readEventTable,
  type TableColumns,
  type TableOptions,
  timeOrder,
  timeUnitHints,
} from './event-table.ts';
import { describeGuess, findSeriesColumn } from './long-format.ts';
import { BAD_ROWS_SHOWN, badRowsNote, count, Progress, plural } from './progress.ts';
import { scoreTable, type TableScores } from './score-batch.ts';
import { formatSummary, writeScored } from './score-output.ts';

/** Quiet start: files scored within this never show progress. */
const PROGRESS_DELAY_MS = 1_000;

/** What `seismo score` is asked to do. */
export interface ScoreOptions {
  readonly file: string;
  /** Timestamp column; default: one named timestamp/time/date/ts, else the first. */
  readonly timestampColumn?: string;
  /** Value columns; default: every other numeric column. Several make one multi-channel event per row. */
  readonly valueColumns?: readonly string[];
  /** Series name; default: the file name without its extension. Excludes `seriesColumn`. */
  readonly series?: string;
  /** Column naming each row's series (long format); one detector state per series. */
  readonly seriesColumn?: string;
  /** Delimiter and header; default: found from the file. */
  readonly layout?: LayoutChoice;
  /** Unit of epoch-number timestamps; default: milliseconds. */
  readonly timeUnit?: TimeUnit;
  /** Output CSV; default: stdout. */
  readonly out?: string;
  /** Model directory; default: the shipped model. */
  readonly modelDir?: string;
  /** Sensitivity, thresholds and per-series overrides; default: the shipped model's (medium). */
  readonly settings?: DetectionSettings;
}

/** What one scoring run did, as printed in the summary. */
export interface ScoreSummary {
  /** Data rows read. */
  readonly rows: number;
  /** Rows with a score: every row but the bad ones. */
  readonly scoredRows: number;
  /** Rows with an unparseable timestamp, value or series: written with empty scores. */
  readonly badRows: number;
  /** Rows repeating a timestamp of their series: they carry the earlier row's score. */
  readonly repeatedRows: number;
  /** Rows earlier than a row of their series above them: scored in time order all the same. */
  readonly outOfOrderRows: number;
  readonly anomalousRows: number;
  readonly episodesOpened: number;
  readonly seconds: number;
  /** The series scored, in the order first seen. */
  readonly series: readonly string[];
  readonly seriesColumn?: string;
  readonly timestampColumn: string;
  readonly valueColumns: readonly string[];
  readonly delimiter: string;
  readonly hasHeader: boolean;
  readonly modelVersion: string;
}

/**
 * Scores a CSV file through the detector path the Lambda runs (`Detector.detect`, batches of 1000) and writes
 * the input columns plus `anomaly_score` (calibrated probability; the max over channels) and `anomaly`
 * (1 inside an anomaly episode), row for row in the file's order. A first pass reads and validates every row
 * so each series is scored oldest first whatever the file's order; a second pass writes the output.
 * Bad rows are reported on stderr and written unscored; a file with no valid row is an error.
 */
export async function scoreCsv(options: ScoreOptions, io: CliIo): Promise<ScoreSummary> {
  const started = performance.now();
  const { file } = options;
  const size = await fileSize(file);
  if (options.series !== undefined && options.seriesColumn !== undefined) {
    throw new UsageError(
      '--series and --series-column exclude each other: one names the series, the other a column',
    );
  }
  const series = options.seriesColumn ? undefined : (options.series ?? basename(file, extname(file)));
  if (series !== undefined && (series.length === 0 || series.length > EVENT_LIMITS.seriesLength)) {
    throw new UsageError(`--series must be 1 to ${EVENT_LIMITS.seriesLength} characters`);
  }
  const layout = await sniffLayout(file, options.layout);
  if (!layout.hasHeader && options.layout?.header === undefined)
    io.stderr.write(`${noHeaderNotice(layout)}\n`);
  const detector = await openDetector(options.modelDir, options.settings);
  const timeUnit = options.timeUnit ?? 'ms';

  const reading = new Progress(io, {
    totalBytes: size,
    started,
    quietMs: PROGRESS_DELAY_MS,
    describe: (done, perSecond, percent) =>
      `read ${count(done)} rows, ${count(perSecond)} rows/s, ${percent.toFixed(1)}%`,
  });
  let table: EventTable;
  try {
    table = await readEventTable({
      file,
      layout,
      timeUnit,
      series,
      choose: (columns, sample) => planColumns(columns, sample, options),
      onBadRow: badRowReporter(io, 'not scored'),
      onProgress: (rows, bytes) => reading.update(rows, bytes),
    });
  } finally {
    reading.done();
  }
  if (table.rows === 0) throw new CliError(`${file} has no data rows: a CSV with a header row is expected`);
  const hints = timeUnitHints(table, timeUnit);
  for (const hint of hints) io.stderr.write(`hint: ${hint}\n`);
  if (table.validRows === 0) {
    throw new CliError(
      `no row of ${file} could be scored: ${plural(table.badRows, 'bad row')}${badRowsNote(table.badRows)}`,
    );
  }
  const { order, repeatedRows } = timeOrder(table);
  if (!table.columns.seriesColumn) {
    const guess = findSeriesColumn(table, repeatedRows);
    const advice =
      guess && `pass --series-column ${guess.column} to score each of its values as a series of its own`;
    if (guess && options.series === undefined) {
      throw new UsageError(
        `${file} looks like several series in one file: ${count(guess.disorderedRows)} of ${count(table.validRows)} rows ` +
          `repeat a timestamp or go back in time, and ${describeGuess(guess)} tells them apart; ${advice}, ` +
          'or --series NAME to score the file as one series all the same',
      );
    }
    if (guess)
      io.stderr.write(`hint: ${describeGuess(guess)} looks like it names several series; ${advice}\n`);
  }

  const scoring = new Progress(io, {
    totalBytes: order.length,
    started,
    quietMs: PROGRESS_DELAY_MS,
    describe: (done, perSecond, percent) =>
      `scored ${count(done)} rows, ${count(perSecond)} rows/s, ${percent.toFixed(1)}%`,
  });
  let scores: TableScores;
  try {
    scores = await scoreTable(detector, table, order, (done) => scoring.update(done, done));
  } finally {
    scoring.done();
  }
  const anomalousRows = await writeScored(options, layout, table, scores, io);

  const summary: ScoreSummary = {
    rows: table.rows,
    scoredRows: table.validRows,
    badRows: table.badRows,
    repeatedRows,
    outOfOrderRows: table.outOfOrderRows,
    anomalousRows,
    episodesOpened: scores.episodesOpened,
    seconds: (performance.now() - started) / 1000,
    series: table.seriesNames,
    seriesColumn: table.columns.seriesColumn,
    timestampColumn: table.columns.timestamp,
    valueColumns: table.columns.values,
    delimiter: layout.delimiter,
    hasHeader: layout.hasHeader,
    modelVersion: detector.modelVersion,
  };
  io.stderr.write(formatSummary(summary, layout, options.out));
  return summary;
}

/** A reporter of bad rows on stderr: the first 20 one by one, the rest only counted (in the summary). */
export function badRowReporter(io: CliIo, outcome: string): TableOptions['onBadRow'] {
  let shown = 0;
  return (row, line, reason, record, columns) => {
    if (shown >= BAD_ROWS_SHOWN) return;
    shown += 1;
    const named = [
      columns.timestamp,
      ...columns.values,
      ...(columns.seriesColumn ? [columns.seriesColumn] : []),
    ];
    const cells = named.map((c) => `${c}=${JSON.stringify(record[c] ?? '')}`);
    io.stderr.write(`row ${row} (line ${line}): ${reason} [${cells.join(', ')}]; ${outcome}\n`);
  };
}

/** The notice for a file whose first line is data. */
function noHeaderNotice(layout: CsvLayout): string {
  const last = layout.columns.length;
  return (
    `no header row: the first line "${layout.firstLine}" is data; its columns are named column_1` +
    `${last > 1 ? `..column_${last}` : ''} (--header reads the first line as names)`
  );
}

/** Chooses the timestamp and value columns from the options, or from the header and the first rows. */
function planColumns(
  header: readonly string[],
  sample: readonly CsvRecord[],
  options: ScoreOptions,
): TableColumns {
  if (header.length === 0)
    throw new CliError(`${options.file} is empty: a CSV with a header row is expected`);
  const timestamp = timestampColumn(header, options.timestampColumn, options.file);
  const seriesColumn =
    options.seriesColumn === undefined
      ? undefined
      : knownColumn(header, options.seriesColumn, '--series-column', options.file);
  let values: string[];
  if (options.valueColumns && options.valueColumns.length > 0) {
    values = [
      ...new Set(options.valueColumns.map((name) => knownColumn(header, name, '--value', options.file))),
    ];
    if (values.includes(timestamp))
      throw new UsageError(`column "${timestamp}" cannot be both --timestamp and --value`);
  } else {
    const others = header.filter((name) => name !== timestamp && name !== seriesColumn);
    values = sample.length === 0 ? others : numericColumns(others, timestamp, sample);
    if (values.length === 0) {
      throw new UsageError(
        `no numeric value column in ${options.file} besides the timestamp "${timestamp}" (columns: ${header.join(', ')}); name one with --value`,
      );
    }
  }
  if (values.length > EVENT_LIMITS.channels) {
    throw new UsageError(
      `${values.length} value columns; at most ${EVENT_LIMITS.channels} per event (choose with --value)`,
    );
  }
  const tooLong = values.find((name) => values.length > 1 && name.length > EVENT_LIMITS.channelNameLength);
  if (tooLong) {
    throw new UsageError(
      `value column name "${tooLong.slice(0, 40)}…" is longer than ${EVENT_LIMITS.channelNameLength} characters`,
    );
  }
  const columns = { timestamp, values, seriesColumn };
  checkSeriesColumn(columns);
  return columns;
}

async function openDetector(
  modelDir: string | undefined,
  settings: DetectionSettings | undefined,
): Promise<Detector> {
  try {
    const { scorer } = await loadModel(modelDir ?? DEFAULT_MODEL_DIR);
    return new Detector(scorer, { ...DEFAULT_DETECTOR_OPTIONS, ...(settings && { settings }) });
  } catch (error) {
    throw new CliError(
      `cannot load the model from ${modelDir ?? DEFAULT_MODEL_DIR}: ${(error as Error).message}`,
    );
  }
}

const USAGE = `Usage: seismo score FILE.csv [options]

Scores every row of a CSV file with the detector (the same path as the Lambda: features, ONNX model,
calibration, anomaly episodes) and writes the input columns plus:
  anomaly_score  calibrated anomaly probability in [0, 1] (the max over value columns)
  anomaly        1 while the series is inside an anomaly episode, else 0
Rows keep the file's order; each series is scored oldest first whatever that order is (the file is read
twice and held in memory, about 30 bytes a row). Rows with an unparseable timestamp or value are reported
on stderr and written with empty scores; when no row can be scored, nothing is written and the exit code is 1.

Options:
  --timestamp COL      timestamp column (ISO 8601 or epoch numbers); default: timestamp/time/date/ts,
                       else the first
  --value COL          value column; repeat for several channels of one series (one event per row);
                       default: every other numeric column
  --series NAME        series name; default: the file name without extension
${inputOptionsUsage(21)}
  --out FILE           output CSV; default: stdout
  --model DIR          model directory (model.json + .onnx); default: ${DEFAULT_MODEL_DIR}
${SETTINGS_USAGE}
  -h, --help           show this help
`;

const SCORE_OPTIONS = {
  timestamp: { type: 'string' },
  value: { type: 'string', multiple: true },
  series: { type: 'string' },
  ...INPUT_OPTIONS,
  out: { type: 'string' },
  model: { type: 'string' },
  sensitivity: { type: 'string' },
  settings: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `seismo score`: parses its arguments and runs `scoreCsv`. */
export const scoreCommand: Command = {
  name: 'score',
  summary: 'score a CSV file with the detector and write anomaly scores',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseOptions('score', args, SCORE_OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const file = singleFile('score', positionals);
    const input = inputChoice(values);
    await scoreCsv(
      {
        file,
        timestampColumn: values.timestamp,
        valueColumns: values.value,
        series: values.series,
        seriesColumn: input.seriesColumn,
        layout: input.layout,
        timeUnit: input.timeUnit,
        out: values.out,
        modelDir: values.model,
        settings: await detectionSettingsOf({
          settingsFile: values.settings,
          sensitivity: values.sensitivity,
        }),
      },
      io,
    );
    return 0;
  },
};
