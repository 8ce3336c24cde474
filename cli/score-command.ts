import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { Detector, type SeriesDetectorState, seriesKey } from '../core/detector.ts';
import { EVENT_LIMITS, type MeasurementEvent, parseEvent } from '../core/events/event-schema.ts';
import { DEFAULT_MODEL_DIR, loadModel } from '../models/model-store.ts';
import { CliError, type CliIo, type Command, parseOptions, singleFile, UsageError } from './command.ts';

/** Rows per `Detector.detect` call, as a Kinesis batch would deliver them. */
const BATCH_SIZE = 1000;
/** Header names taken as the timestamp column when `--timestamp` is not given (case-insensitive). */
const TIMESTAMP_NAMES = new Set(['timestamp', 'time', 'date', 'ts']);
/** Bad rows reported one by one; the rest are only counted, so a broken file cannot flood the terminal. */
const BAD_ROWS_SHOWN = 20;
const PROGRESS_TTY_MS = 250;
const PROGRESS_LOG_MS = 10_000;
/** Quiet start: files scored within this never show progress. */
const PROGRESS_DELAY_MS = 1_000;
const EPOCH_NUMBER = /^\d+(?:\.\d+)?$/;

/** What `seismo score` is asked to do. */
export interface ScoreOptions {
  readonly file: string;
  /** Timestamp column; default: one named timestamp/time/date/ts, else the first. */
  readonly timestampColumn?: string;
  /** Value columns; default: every other numeric column. Several make one multi-channel event per row. */
  readonly valueColumns?: readonly string[];
  /** Series name; default: the file name without its extension. */
  readonly series?: string;
  /** Output CSV; default: stdout. */
  readonly out?: string;
  /** Model directory; default: the shipped model. */
  readonly modelDir?: string;
}

/** What one scoring run did, as printed in the summary. */
export interface ScoreSummary {
  readonly rows: number;
  /** Rows with an unparseable timestamp or value: written with empty scores. */
  readonly badRows: number;
  /** Rows repeating a timestamp already seen: they carry the earlier row's score. */
  readonly repeatedRows: number;
  readonly anomalousRows: number;
  readonly episodesOpened: number;
  readonly seconds: number;
  readonly series: string;
  readonly timestampColumn: string;
  readonly valueColumns: readonly string[];
  readonly modelVersion: string;
}

/** Which columns feed the detector. */
interface ColumnPlan {
  readonly header: readonly string[];
  readonly timestamp: string;
  readonly values: readonly string[];
}

/** One input row waiting for its batch to be scored. */
interface PendingRow {
  readonly record: Readonly<Record<string, string>>;
  readonly row: number;
  readonly line: number;
}

/** A row's result: empty for a bad row. */
interface RowScore {
  readonly probability: number;
  readonly anomalous: boolean;
}

/**
 * Scores a CSV file through the detector path the Lambda runs (`Detector.detect`, batches of 1000), streaming
 * it row by row, and writes the input columns plus `anomaly_score` (calibrated probability; the max over
 * channels) and `anomaly` (1 inside an anomaly episode). Bad rows are reported on stderr and written unscored.
 */
export async function scoreCsv(options: ScoreOptions, io: CliIo): Promise<ScoreSummary> {
  const started = performance.now();
  const size = await fileSize(options.file);
  const series = options.series ?? basename(options.file, extname(options.file));
  if (series.length === 0 || series.length > EVENT_LIMITS.seriesLength) {
    throw new UsageError(`--series must be 1 to ${EVENT_LIMITS.seriesLength} characters`);
  }
  const detector = await openDetector(options.modelDir);
  const sink = options.out ? await openOutput(options.out) : io.stdout;

  const input = createReadStream(options.file);
  let header: string[] = [];
  const parser = parse({
    columns: (names: string[]) => {
      header = names;
      return names;
    },
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
  });
  input.once('error', (error) => parser.destroy(error));
  input.pipe(parser);

  const csv = stringify();
  csv.pipe(sink, { end: sink !== io.stdout });
  const write = async (cells: readonly unknown[]) => {
    if (!csv.write(cells)) await once(csv, 'drain');
  };

  const states = new Map<string, SeriesDetectorState>();
  const latest = new Map<string, { timestamp: number; score: RowScore }>();
  const progress = new Progress(io, size, started);
  const counts = { rows: 0, bad: 0, repeated: 0, anomalous: 0, opened: 0 };
  let plan: ColumnPlan | undefined;
  let pending: PendingRow[] = [];

  const flush = async () => {
    if (!plan) {
      plan = planColumns(header, pending, options);
      await write([...plan.header, 'anomaly_score', 'anomaly']);
    }
    const scores = await scoreBatch(detector, plan, series, pending, states, latest, counts, io);
    for (let i = 0; i < pending.length; i++) {
      const { record } = pending[i] as PendingRow;
      const score = scores[i];
      const cells = plan.header.map((name) => record[name] ?? '');
      await write(score ? [...cells, score.probability, score.anomalous ? 1 : 0] : [...cells, '', '']);
      if (score?.anomalous) counts.anomalous += 1;
    }
    progress.update(counts.rows, input.bytesRead);
    pending = [];
  };

  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number; records: number };
    }>) {
      counts.rows += 1;
      pending.push({ record, row: info.records, line: info.lines });
      if (pending.length === BATCH_SIZE) await flush();
    }
    if (pending.length > 0 || counts.rows === 0) await flush();
  } catch (error) {
    input.destroy();
    csv.destroy();
    if (sink !== io.stdout) sink.destroy();
    // csv-parse and fs errors carry a code; anything else (the model, a bug) is not the file's fault.
    if (typeof (error as { code?: unknown }).code !== 'string' || error instanceof CliError) throw error;
    throw new CliError(`cannot read ${options.file} as CSV: ${(error as Error).message}`);
  } finally {
    progress.done();
  }
  csv.end();
  await finished(csv);
  if (sink !== io.stdout) await finished(sink);

  const finalPlan = plan as ColumnPlan;
  const summary: ScoreSummary = {
    rows: counts.rows,
    badRows: counts.bad,
    repeatedRows: counts.repeated,
    anomalousRows: counts.anomalous,
    episodesOpened: counts.opened,
    seconds: (performance.now() - started) / 1000,
    series,
    timestampColumn: finalPlan.timestamp,
    valueColumns: finalPlan.values,
    modelVersion: detector.modelVersion,
  };
  io.stderr.write(formatSummary(summary, options.out));
  return summary;
}

/** Validates one batch of rows, runs it through the detector and returns one score per row (undefined if bad). */
async function scoreBatch(
  detector: Detector,
  plan: ColumnPlan,
  series: string,
  rows: readonly PendingRow[],
  states: Map<string, SeriesDetectorState>,
  latest: Map<string, { timestamp: number; score: RowScore }>,
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
      if (point && point.series === key && point.timestamp === event.timestamp) {
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
function eventInput(record: Readonly<Record<string, string>>, plan: ColumnPlan, series: string): unknown {
  const raw = record[plan.timestamp];
  const text = raw?.trim();
  // Epoch numbers arrive as text in a CSV; the schema takes them as numbers (and rejects epoch seconds).
  const timestamp = text !== undefined && EPOCH_NUMBER.test(text) ? Number(text) : text;
  const [only] = plan.values;
  if (plan.values.length === 1 && only !== undefined) {
    return { series, timestamp, value: numberCell(record[only]) };
  }
  return {
    series,
    timestamp,
    values: Object.fromEntries(plan.values.map((c) => [c, numberCell(record[c])])),
  };
}

/** A cell as a number when it is one; otherwise the text itself, which the schema rejects with its rule. */
function numberCell(cell: string | undefined): unknown {
  if (cell === undefined || cell.trim() === '') return cell ?? '';
  const n = Number(cell);
  return Number.isFinite(n) ? n : cell;
}

/** Chooses the timestamp and value columns from the options, or from the header and the first rows. */
function planColumns(
  header: readonly string[],
  sample: readonly PendingRow[],
  options: ScoreOptions,
): ColumnPlan {
  if (header.length === 0)
    throw new CliError(`${options.file} is empty: a CSV with a header row is expected`);
  const known = (name: string, flag: string) => {
    if (!header.includes(name)) {
      throw new UsageError(
        `${flag} "${name}" is not a column of ${options.file} (columns: ${header.join(', ')})`,
      );
    }
    return name;
  };
  const timestamp = options.timestampColumn
    ? known(options.timestampColumn, '--timestamp')
    : (header.find((name) => TIMESTAMP_NAMES.has(name.trim().toLowerCase())) ?? (header[0] as string));
  let values: string[];
  if (options.valueColumns && options.valueColumns.length > 0) {
    values = [...new Set(options.valueColumns.map((name) => known(name, '--value')))];
    if (values.includes(timestamp))
      throw new UsageError(`column "${timestamp}" cannot be both --timestamp and --value`);
  } else {
    const others = header.filter((name) => name !== timestamp);
    values = sample.length === 0 ? others : others.filter((name) => isNumericColumn(name, sample));
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
  return { header, timestamp, values };
}

/** A column is numeric when most of its non-empty cells in the first batch are finite numbers. */
function isNumericColumn(name: string, sample: readonly PendingRow[]): boolean {
  let filled = 0;
  let numeric = 0;
  for (const { record } of sample) {
    const cell = record[name];
    if (cell === undefined || cell.trim() === '') continue;
    filled += 1;
    if (Number.isFinite(Number(cell))) numeric += 1;
  }
  return numeric > 0 && numeric * 2 > filled;
}

async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new CliError(`${file} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

async function openDetector(modelDir: string | undefined): Promise<Detector> {
  try {
    const { scorer } = await loadModel(modelDir ?? DEFAULT_MODEL_DIR);
    return new Detector(scorer);
  } catch (error) {
    throw new CliError(
      `cannot load the model from ${modelDir ?? DEFAULT_MODEL_DIR}: ${(error as Error).message}`,
    );
  }
}

async function openOutput(path: string): Promise<Writable> {
  const stream = createWriteStream(path);
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
  return stream;
}

/** Progress on stderr: redrawn in place on a terminal, one line every 10 s otherwise; silent for quick runs. */
class Progress {
  private lastShown: number;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly totalBytes: number,
    private readonly started: number,
  ) {
    this.lastShown = started + PROGRESS_DELAY_MS - (io.stderrIsTty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS);
  }

  update(rows: number, bytesRead: number): void {
    const now = performance.now();
    if (now - this.lastShown < (this.io.stderrIsTty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS)) return;
    this.lastShown = now;
    const rate = rows / ((now - this.started) / 1000);
    const percent = this.totalBytes > 0 ? Math.min(100, (100 * bytesRead) / this.totalBytes) : 100;
    const text = `${count(rows)} rows, ${count(rate)} rows/s, ${percent.toFixed(1)}% read`;
    if (this.io.stderrIsTty) {
      this.io.stderr.write(`\r\x1b[K${text}`);
      this.drawn = true;
    } else {
      this.io.stderr.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[K');
  }
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

function formatSummary(s: ScoreSummary, out: string | undefined): string {
  const rate = s.seconds > 0 ? s.rows / s.seconds : 0;
  const columns = s.valueColumns.map((c) => `"${c}"`).join(', ');
  const shown = s.badRows > BAD_ROWS_SHOWN ? ` (first ${BAD_ROWS_SHOWN} shown)` : '';
  return [
    `scored ${plural(s.rows, 'row')} of series "${s.series}" in ${s.seconds.toFixed(2)} s (${count(rate)} rows/s): ` +
      `${plural(s.anomalousRows, 'anomalous row')}, ${plural(s.episodesOpened, 'episode')} opened`,
    `${plural(s.badRows, 'bad row')}${shown}, ${plural(s.repeatedRows, 'repeated timestamp')}; ` +
      `timestamp column "${s.timestampColumn}", value column${s.valueColumns.length === 1 ? '' : 's'} ${columns}; ` +
      `model ${s.modelVersion}${out ? `; wrote ${out}` : ''}`,
    '',
  ].join('\n');
}

const USAGE = `Usage: seismo score FILE.csv [options]

Scores every row of a CSV file with the detector (the same path as the Lambda: features, ONNX model,
calibration, anomaly episodes) and writes the input columns plus:
  anomaly_score  calibrated anomaly probability in [0, 1] (the max over value columns)
  anomaly        1 while the series is inside an anomaly episode, else 0
Rows with an unparseable timestamp or value are reported on stderr and written with empty scores.

Options:
  --timestamp COL  timestamp column (ISO 8601 or epoch ms); default: timestamp/time/date/ts, else the first
  --value COL      value column; repeat for several channels of one series (one event per row);
                   default: every other numeric column
  --series NAME    series name; default: the file name without extension
  --out FILE       output CSV; default: stdout
  --model DIR      model directory (model.json + .onnx); default: ${DEFAULT_MODEL_DIR}
  -h, --help       show this help
`;

const SCORE_OPTIONS = {
  timestamp: { type: 'string' },
  value: { type: 'string', multiple: true },
  series: { type: 'string' },
  out: { type: 'string' },
  model: { type: 'string' },
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
    await scoreCsv(
      {
        file,
        timestampColumn: values.timestamp,
        valueColumns: values.value,
        series: values.series,
        out: values.out,
        modelDir: values.model,
      },
      io,
    );
    return 0;
  },
};
