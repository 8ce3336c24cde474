import {
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { isRetryableAwsError } from '../adapters/aws-errors.ts';
import { type BackoffOptions, backoffDelay, resolveBackoff } from '../adapters/backoff.ts';
import { EVENT_LIMITS } from '../core/events/event-schema.ts';
import { LOCAL_CREDENTIALS } from '../local/emulators.ts';
import { DEFAULT_STACK_FILE, readLiveStackInfo } from '../local/stack-info.ts';
import { CliError, type CliIo, type Command, parseOptions, singleFile, UsageError } from './command.ts';
import { type CsvRecord, knownColumn, numericColumns, timestampColumn } from './csv-columns.ts';
import { fileSize } from './csv-file.ts';
import { INPUT_OPTIONS, inputChoice, inputOptionsUsage, type TimeUnit } from './csv-input.ts';
import { type LayoutChoice, sniffLayout } from './csv-layout.ts';
import {
  checkSeriesColumn,
  readEventTable,
  type TableColumns,
  timeOrder,
  timeUnitHints,
} from './event-table.ts';
import { BAD_ROWS_SHOWN, badRowsNote, count, Progress, plural } from './progress.ts';

/** Kinesis's limit on records per PutRecords call. */
export const KINESIS_MAX_PUT_RECORDS = 500;
/** Eight attempts, 100 ms doubling to 5 s: rides out a throttled shard for about 15 s before giving up. */
const PUT_BACKOFF: Partial<BackoffOptions> = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

/** What `seismo replay` is asked to do. */
export interface ReplayOptions {
  readonly file: string;
  /** Series of every row; excludes `seriesColumn`. */
  readonly series?: string;
  /** Column naming each row's series (long format); it is also the partition key. */
  readonly seriesColumn?: string;
  /** Records per second; as fast as the stream takes them when unset. */
  readonly rate?: number;
  /** Timestamp column; default: one named timestamp/time/date/ts, else the first. */
  readonly timestampColumn?: string;
  /** Value column; default: the first other numeric column. */
  readonly valueColumn?: string;
  /** Delimiter and header; default: found from the file. */
  readonly layout?: LayoutChoice;
  /** Unit of epoch-number timestamps; default: milliseconds. */
  readonly timeUnit?: TimeUnit;
  /**
   * Shift every timestamp by one offset so the file's latest row lands at this time (epoch ms, a whole
   * minute): old history becomes recent, as retraining's windows (the last 16 days) need it.
   */
  readonly endAt?: number;
}

/** The stream replayed into: a client and stream name, and where they point for the messages. */
export interface ReplayTarget {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** "stream NAME at ENDPOINT", for progress and errors. */
  readonly description: string;
}

/** What a replay did, as printed in its summary. */
export interface ReplaySummary {
  readonly rows: number;
  readonly sent: number;
  readonly badRows: number;
  /** Rows earlier than a row of their series above them: sent in time order all the same. */
  readonly outOfOrderRows: number;
  /** Rows repeating a timestamp of their series: sent as they are (the detector scores the first only). */
  readonly repeatedRows: number;
  /** Records PutRecords refused at first (throttling) and accepted on a retry. */
  readonly retried: number;
  readonly seconds: number;
}

/** Thrown when records are still refused after every retry; names the stream and Kinesis's error code. */
export class PutRecordsError extends CliError {
  constructor(target: string, failed: number, code: string) {
    super(`${failed} record(s) still refused by ${target} after every retry (${code})`);
    this.name = 'PutRecordsError';
  }
}

/**
 * Where to replay: `--endpoint` and `--stream` when given (`--stream` alone means real AWS with the default
 * credentials), else the local stack `npm start` published in `.seismo/local.json`.
 */
export async function resolveTarget(flags: {
  readonly endpoint?: string;
  readonly stream?: string;
  readonly region?: string;
  readonly stackFile?: string;
}): Promise<ReplayTarget> {
  if (flags.endpoint !== undefined && flags.stream === undefined) {
    throw new UsageError('--endpoint needs --stream NAME');
  }
  if (flags.stream !== undefined) {
    const region = flags.region ?? process.env.AWS_REGION;
    const client = flags.endpoint
      ? new KinesisClient({
          endpoint: flags.endpoint,
          region: region ?? 'us-east-1',
          credentials: LOCAL_CREDENTIALS,
          requestHandler: new NodeHttpHandler(),
        })
      : new KinesisClient(region ? { region } : {});
    const where = flags.endpoint ?? `AWS${region ? ` ${region}` : ''}`;
    return { client, streamName: flags.stream, description: `stream ${flags.stream} at ${where}` };
  }
  const file = flags.stackFile ?? DEFAULT_STACK_FILE;
  const info = await readLiveStackInfo(file);
  if (!info) {
    throw new CliError(
      `no local stack is running (no live ${file}): start one with "npm start" in another terminal, ` +
        'or name a stream with --stream NAME [--endpoint URL]',
    );
  }
  return {
    client: new KinesisClient({
      endpoint: info.kinesisEndpoint,
      region: info.region,
      credentials: LOCAL_CREDENTIALS,
      requestHandler: new NodeHttpHandler(),
    }),
    streamName: info.streamName,
    description: `stream ${info.streamName} at ${info.kinesisEndpoint}`,
  };
}

/**
 * Replays a CSV file into Kinesis as events `{series, timestamp, value}` (validated like the REST API's),
 * each series oldest first whatever the file's order, in PutRecords calls of up to 500 with the series as
 * partition key, retrying only the refused records, at `rate` records per second if given. A record retried
 * after a later one of its call was accepted lands out of order; the detector scores such late points
 * without letting them move the series' state. A file with no valid row is an error, and nothing is sent.
 */
export async function replayCsv(
  options: ReplayOptions,
  target: ReplayTarget,
  io: CliIo,
): Promise<ReplaySummary> {
  const started = performance.now();
  const { file } = options;
  await fileSize(file); // a clear error for a missing file or a directory
  if (options.rate !== undefined && !(options.rate > 0))
    throw new UsageError('--rate must be a positive number');
  if ((options.series === undefined) === (options.seriesColumn === undefined)) {
    throw new UsageError(
      'name the series: --series NAME for the whole file, or --series-column COL (not both)',
    );
  }
  // At a set rate, about ten calls a second keep the stream's arrivals smooth.
  const batchSize = options.rate
    ? Math.min(KINESIS_MAX_PUT_RECORDS, Math.max(1, Math.round(options.rate / 10)))
    : KINESIS_MAX_PUT_RECORDS;

  const layout = await sniffLayout(file, options.layout);
  if (!layout.hasHeader && options.layout?.header === undefined) {
    io.stderr.write(
      `no header row: the first line "${layout.firstLine}" is data (--header reads it as names)\n`,
    );
  }
  const timeUnit = options.timeUnit ?? 'ms';
  let shown = 0;
  const table = await readEventTable({
    file,
    layout,
    timeUnit,
    series: options.series,
    choose: (header, sample) => chooseColumns(header, sample, options),
    onBadRow: (_row, line, reason) => {
      if (++shown <= BAD_ROWS_SHOWN) io.stderr.write(`line ${line}: ${reason}; skipped\n`);
    },
  });
  if (table.rows === 0) throw new CliError(`${file} has no data rows: a CSV with a header row is expected`);
  for (const hint of timeUnitHints(table, timeUnit)) io.stderr.write(`hint: ${hint}\n`);
  if (table.validRows === 0) {
    throw new CliError(
      `no row of ${file} could be replayed: ${plural(table.badRows, 'bad row')}${badRowsNote(table.badRows)}`,
    );
  }
  const { order, repeatedRows } = timeOrder(table);
  let shift = 0;
  if (options.endAt !== undefined) {
    let latest = Number.NEGATIVE_INFINITY;
    for (const row of order) latest = Math.max(latest, table.timestamps[row] as number);
    shift = options.endAt - latest;
  }

  const counts = { sent: 0, retried: 0 };
  const progress = new Progress(io, {
    totalBytes: order.length,
    started,
    describe: (sent, perSecond, percent) =>
      `sent ${count(sent)} records, ${count(perSecond)} records/s, ${percent.toFixed(0)}% of the rows`,
  });
  let pending: PutRecordsRequestEntry[] = [];
  const flush = async () => {
    // Record k leaves no earlier than k/rate seconds after the start: never more than `rate` in any second.
    if (options.rate) await sleepUntil(started + ((counts.sent + pending.length) / options.rate) * 1000);
    counts.retried += await putRecords(target, pending);
    counts.sent += pending.length;
    pending = [];
    progress.update(counts.sent, counts.sent);
  };
  try {
    for (const row of order) {
      const series = table.seriesNames[table.seriesOf[row] as number] as string;
      const event = {
        series,
        timestamp: (table.timestamps[row] as number) + shift,
        value: table.values[row] as number,
      };
      pending.push({ PartitionKey: series, Data: Buffer.from(JSON.stringify(event)) });
      if (pending.length === batchSize) await flush();
    }
    if (pending.length > 0) await flush();
  } finally {
    progress.done();
  }
  const summary = {
    rows: table.rows,
    sent: counts.sent,
    badRows: table.badRows,
    outOfOrderRows: table.outOfOrderRows,
    repeatedRows,
    retried: counts.retried,
    seconds: (performance.now() - started) / 1000,
  };
  const which =
    options.seriesColumn === undefined
      ? `series "${options.series}"`
      : `${count(table.seriesNames.length)} series (column "${options.seriesColumn}")`;
  const sorted =
    table.outOfOrderRows > 0
      ? `, ${plural(table.outOfOrderRows, 'row')} out of time order (sent oldest first)`
      : '';
  io.stderr.write(
    `replayed ${count(counts.sent)} of ${count(table.rows)} rows as ${which} into ${target.description} ` +
      `in ${summary.seconds.toFixed(1)} s; ${count(table.badRows)} bad rows skipped${badRowsNote(table.badRows)}${sorted}, ` +
      `${plural(repeatedRows, 'repeated timestamp')}, ${count(counts.retried)} records retried\n`,
  );
  return summary;
}

/**
 * Puts `entries` with PutRecords, resending only the records refused (per-record ErrorCode) or the whole call
 * when it failed retryably, with backoff; returns how many records needed a retry.
 */
export async function putRecords(
  target: ReplayTarget,
  entries: readonly PutRecordsRequestEntry[],
  backoff: BackoffOptions = resolveBackoff(PUT_BACKOFF),
): Promise<number> {
  let remaining = [...entries];
  let retried = 0;
  let lastCode = 'no answer';
  for (let attempt = 1; remaining.length > 0; attempt++) {
    if (attempt > backoff.maxAttempts)
      throw new PutRecordsError(target.description, remaining.length, lastCode);
    if (attempt > 1) await backoff.sleep(backoffDelay(attempt - 2, backoff));
    let response: PutRecordsCommandOutput;
    try {
      response = await target.client.send(
        new PutRecordsCommand({ StreamName: target.streamName, Records: remaining }),
      );
    } catch (error) {
      lastCode = (error as Error).name;
      if (isRetryableAwsError(error)) continue;
      throw describePutError(error, target);
    }
    if (!response.FailedRecordCount) return retried;
    const refused = remaining.filter((_, i) => response.Records?.[i]?.ErrorCode !== undefined);
    lastCode = response.Records?.find((r) => r.ErrorCode)?.ErrorCode ?? 'unknown';
    retried += refused.length;
    remaining = refused;
  }
  return retried;
}

function describePutError(error: unknown, target: ReplayTarget): Error {
  const name = (error as Error).name;
  const code = (error as { code?: string }).code;
  if (name === 'ResourceNotFoundException') return new CliError(`${target.description} does not exist`);
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') {
    return new CliError(
      `cannot reach ${target.description} (${code}): is the local stack ("npm start") still running?`,
    );
  }
  return error as Error;
}

/** Chooses the timestamp and value columns from the options, or from the header and the first rows. */
function chooseColumns(
  header: readonly string[],
  sample: readonly CsvRecord[],
  options: ReplayOptions,
): TableColumns {
  if (header.length === 0)
    throw new CliError(`${options.file} is empty: a CSV with a header row is expected`);
  const timestamp = timestampColumn(header, options.timestampColumn, options.file);
  const seriesColumn =
    options.seriesColumn === undefined
      ? undefined
      : knownColumn(header, options.seriesColumn, '--series-column', options.file);
  const others = header.filter((name) => name !== timestamp && name !== seriesColumn);
  const value = options.valueColumn
    ? knownColumn(header, options.valueColumn, '--value', options.file)
    : numericColumns(others, timestamp, sample)[0];
  if (value === undefined) {
    throw new UsageError(
      `no numeric column in ${options.file} besides "${timestamp}"; name one with --value`,
    );
  }
  if (value === timestamp) throw new UsageError(`column "${value}" cannot be both --timestamp and --value`);
  const columns = { timestamp, values: [value], seriesColumn };
  checkSeriesColumn(columns);
  return columns;
}

async function sleepUntil(at: number): Promise<void> {
  const ms = at - performance.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

const USAGE = `Usage: seismo replay FILE.csv --series NAME [options]

Streams a CSV file into the Kinesis stream as events {series, timestamp, value}, the way a producer would:
PutRecords calls of up to 500 records, partition key = series, refused records retried with backoff.
By default it targets the local stack started with "npm start" (found through .seismo/local.json).

Each series is sent oldest first whatever the file's order (the file is read and checked first, about 30
bytes a row in memory); when no row is valid, nothing is sent and the exit code is 1.

Options:
  --series NAME        series name of every event (or --series-column)
  --rate N             records per second; default: as fast as the stream accepts them
  --timestamp COL      timestamp column (ISO 8601 or epoch numbers); default: timestamp/time/date/ts,
                       else the first
  --value COL          value column; default: the first other numeric column
  --end-now            shift all timestamps by one offset so the latest row is now (to the minute): old
                       history becomes recent, for \`seismo retrain --local\` (it reads the last 16 days)
${inputOptionsUsage(21)}
  --stream NAME        stream to write to instead of the local stack's (alone: real AWS, default credentials)
  --endpoint URL       Kinesis endpoint for --stream (an emulator)
  --region REGION      region for --stream; default: AWS_REGION
  -h, --help           show this help
`;

const REPLAY_OPTIONS = {
  series: { type: 'string' },
  rate: { type: 'string' },
  timestamp: { type: 'string' },
  value: { type: 'string' },
  'end-now': { type: 'boolean', default: false },
  ...INPUT_OPTIONS,
  stream: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `seismo replay`: parses its arguments, finds the stream and runs {@link replayCsv}. */
export const replayCommand: Command = {
  name: 'replay',
  summary: 'stream a CSV file into the Kinesis stream (the local stack by default)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseOptions('replay', args, REPLAY_OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const file = singleFile('replay', positionals);
    const input = inputChoice(values);
    const series = values.series;
    if (series === undefined && input.seriesColumn === undefined) {
      throw new UsageError(
        '--series NAME is required: the series every row belongs to (or --series-column COL)',
      );
    }
    if (series !== undefined && (series.length === 0 || series.length > EVENT_LIMITS.seriesLength)) {
      throw new UsageError(`--series must be 1 to ${EVENT_LIMITS.seriesLength} characters`);
    }
    const rate = values.rate === undefined ? undefined : Number(values.rate);
    if (rate !== undefined && !(rate > 0))
      throw new UsageError(`--rate must be a positive number, got "${values.rate}"`);
    const target = await resolveTarget(values);
    try {
      await replayCsv(
        {
          file,
          series,
          seriesColumn: input.seriesColumn,
          rate,
          timestampColumn: values.timestamp,
          valueColumn: values.value,
          layout: input.layout,
          timeUnit: input.timeUnit,
          ...(values['end-now'] && { endAt: Math.floor(Date.now() / 60_000) * 60_000 }),
        },
        target,
        io,
      );
    } finally {
      target.client.destroy();
    }
    return 0;
  },
};
