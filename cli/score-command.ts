import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { Detector, type SeriesDetectorState } from '../core/detector.ts';
import { EVENT_LIMITS } from '../core/events/event-schema.ts';
import { DEFAULT_MODEL_DIR, loadModel } from '../models/model-store.ts';
import { CliError, type CliIo, type Command, parseOptions, singleFile, UsageError } from './command.ts';
import { knownColumn, numericColumns, timestampColumn } from './csv-columns.ts';
import { csvReadError, fileSize, readCsv } from './csv-file.ts';
import { badRowsNote, count, Progress, plural } from './progress.ts';
import { type ColumnPlan, type LatestScores, type PendingRow, scoreBatch } from './score-batch.ts';

/** Rows per `Detector.detect` call, as a Kinesis batch would deliver them. */
const BATCH_SIZE = 1000;
/** Quiet start: files scored within this never show progress. */
const PROGRESS_DELAY_MS = 1_000;

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

  const { input, rows, header } = readCsv(options.file);
  const csv = stringify();
  csv.pipe(sink, { end: sink !== io.stdout });
  const write = async (cells: readonly unknown[]) => {
    if (!csv.write(cells)) await once(csv, 'drain');
  };

  const states = new Map<string, SeriesDetectorState>();
  const latest: LatestScores = new Map();
  const progress = new Progress(io, {
    totalBytes: size,
    started,
    quietMs: PROGRESS_DELAY_MS,
    describe: (done, perSecond, percent) =>
      `${count(done)} rows, ${count(perSecond)} rows/s, ${percent.toFixed(1)}% read`,
  });
  const counts = { rows: 0, bad: 0, repeated: 0, anomalous: 0, opened: 0 };
  let plan: ColumnPlan | undefined;
  let pending: PendingRow[] = [];

  const flush = async () => {
    if (!plan) {
      plan = planColumns(header(), pending, options);
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
    for await (const { record, info } of rows) {
      counts.rows += 1;
      pending.push({ record, row: info.records, line: info.lines });
      if (pending.length === BATCH_SIZE) await flush();
    }
    if (pending.length > 0 || counts.rows === 0) await flush();
  } catch (error) {
    input.destroy();
    csv.destroy();
    if (sink !== io.stdout) sink.destroy();
    throw csvReadError(options.file, error);
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

/** Chooses the timestamp and value columns from the options, or from the header and the first rows. */
function planColumns(
  header: readonly string[],
  sample: readonly PendingRow[],
  options: ScoreOptions,
): ColumnPlan {
  if (header.length === 0)
    throw new CliError(`${options.file} is empty: a CSV with a header row is expected`);
  const timestamp = timestampColumn(header, options.timestampColumn, options.file);
  let values: string[];
  if (options.valueColumns && options.valueColumns.length > 0) {
    values = [
      ...new Set(options.valueColumns.map((name) => knownColumn(header, name, '--value', options.file))),
    ];
    if (values.includes(timestamp))
      throw new UsageError(`column "${timestamp}" cannot be both --timestamp and --value`);
  } else {
    const others = header.filter((name) => name !== timestamp);
    values =
      sample.length === 0
        ? others
        : numericColumns(
            header,
            timestamp,
            sample.map((r) => r.record),
          );
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

function formatSummary(s: ScoreSummary, out: string | undefined): string {
  const rate = s.seconds > 0 ? s.rows / s.seconds : 0;
  const columns = s.valueColumns.map((c) => `"${c}"`).join(', ');
  const shown = badRowsNote(s.badRows);
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
