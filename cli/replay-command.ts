import {
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { isRetryableAwsError } from '../adapters/aws-errors.ts';
import { type BackoffOptions, backoffDelay, resolveBackoff } from '../adapters/backoff.ts';
import { EVENT_LIMITS, parseEvent } from '../core/events/event-schema.ts';
import { LOCAL_CREDENTIALS } from '../local/emulators.ts';
import { DEFAULT_STACK_FILE, readLiveStackInfo } from '../local/stack-info.ts';
import { CliError, type CliIo, type Command, parseOptions, singleFile, UsageError } from './command.ts';
import {
  type CsvRecord,
  knownColumn,
  numberCell,
  numericColumns,
  timestampCell,
  timestampColumn,
} from './csv-columns.ts';
import { csvReadError, fileSize, readCsv } from './csv-file.ts';
import { BAD_ROWS_SHOWN, badRowsNote, count, Progress } from './progress.ts';

/** Kinesis's limit on records per PutRecords call. */
export const KINESIS_MAX_PUT_RECORDS = 500;
/** Eight attempts, 100 ms doubling to 5 s: rides out a throttled shard for about 15 s before giving up. */
const PUT_BACKOFF: Partial<BackoffOptions> = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

/** What `seismo replay` is asked to do. */
export interface ReplayOptions {
  readonly file: string;
  readonly series: string;
  /** Records per second; as fast as the stream takes them when unset. */
  readonly rate?: number;
  /** Timestamp column; default: one named timestamp/time/date/ts, else the first. */
  readonly timestampColumn?: string;
  /** Value column; default: the first other column with a number in the first row. */
  readonly valueColumn?: string;
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
 * Streams a CSV file into Kinesis as events `{series, timestamp, value}` (validated like the REST API's),
 * in PutRecords calls of up to 500 with the series as partition key, retrying only the refused records, at
 * `rate` records per second if given. A record retried after a later one of its call was accepted lands
 * out of order; the detector scores such late points without letting them move the series' state.
 */
export async function replayCsv(
  options: ReplayOptions,
  target: ReplayTarget,
  io: CliIo,
): Promise<ReplaySummary> {
  const started = performance.now();
  const size = await fileSize(options.file);
  if (options.rate !== undefined && !(options.rate > 0))
    throw new UsageError('--rate must be a positive number');
  // At a set rate, about ten calls a second keep the stream's arrivals smooth.
  const batchSize = options.rate
    ? Math.min(KINESIS_MAX_PUT_RECORDS, Math.max(1, Math.round(options.rate / 10)))
    : KINESIS_MAX_PUT_RECORDS;

  const { input, rows, header } = readCsv(options.file);
  const counts = { rows: 0, sent: 0, bad: 0, retried: 0 };
  const progress = new Progress(io, {
    totalBytes: size,
    started,
    describe: (sent, perSecond, percent) =>
      `sent ${count(sent)} records, ${count(perSecond)} records/s, ${percent.toFixed(0)}% of the file read`,
  });
  let columns: { timestamp: string; value: string } | undefined;
  let pending: PutRecordsRequestEntry[] = [];
  const flush = async () => {
    // Record k leaves no earlier than k/rate seconds after the start: never more than `rate` in any second.
    if (options.rate) await sleepUntil(started + ((counts.sent + pending.length) / options.rate) * 1000);
    counts.retried += await putRecords(target, pending);
    counts.sent += pending.length;
    pending = [];
    progress.update(counts.sent, input.bytesRead);
  };

  try {
    for await (const { record, info } of rows) {
      counts.rows += 1;
      columns ??= chooseColumns(header(), record, options);
      const event = toEvent(record, columns, options.series);
      if ('error' in event) {
        counts.bad += 1;
        if (counts.bad <= BAD_ROWS_SHOWN) io.stderr.write(`line ${info.lines}: ${event.error}; skipped\n`);
        continue;
      }
      pending.push({ PartitionKey: options.series, Data: Buffer.from(JSON.stringify(event)) });
      if (pending.length === batchSize) await flush();
    }
    if (pending.length > 0) await flush();
  } catch (error) {
    throw csvReadError(options.file, error);
  } finally {
    progress.done();
    input.destroy();
  }
  if (counts.rows === 0)
    throw new CliError(`${options.file} has no data rows: a CSV with a header row is expected`);
  const summary = { ...counts, badRows: counts.bad, seconds: (performance.now() - started) / 1000 };
  const shown = badRowsNote(counts.bad);
  io.stderr.write(
    `replayed ${count(counts.sent)} of ${count(counts.rows)} rows as series "${options.series}" into ${target.description} ` +
      `in ${summary.seconds.toFixed(1)} s; ${count(counts.bad)} bad rows skipped${shown}, ${count(counts.retried)} records retried\n`,
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

/** Chooses the timestamp and value columns from the options, or from the header and the first row. */
function chooseColumns(
  header: readonly string[],
  first: CsvRecord,
  options: ReplayOptions,
): { timestamp: string; value: string } {
  const timestamp = timestampColumn(header, options.timestampColumn, options.file);
  const value = options.valueColumn
    ? knownColumn(header, options.valueColumn, '--value', options.file)
    : numericColumns(header, timestamp, [first])[0];
  if (value === undefined) {
    throw new UsageError(
      `no numeric column in ${options.file} besides "${timestamp}"; name one with --value`,
    );
  }
  if (value === timestamp) throw new UsageError(`column "${value}" cannot be both --timestamp and --value`);
  return { timestamp, value };
}

/** The wire event of one row, validated by the event schema; or the rule it broke. */
function toEvent(
  record: CsvRecord,
  columns: { timestamp: string; value: string },
  series: string,
): { series: string; timestamp: number; value: number } | { error: string } {
  const parsed = parseEvent({
    series,
    timestamp: timestampCell(record[columns.timestamp]),
    value: numberCell(record[columns.value]),
  });
  if (!parsed.ok) return { error: parsed.error.message };
  return { series, timestamp: parsed.event.timestamp, value: parsed.event.values.value as number };
}

async function sleepUntil(at: number): Promise<void> {
  const ms = at - performance.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

const USAGE = `Usage: seismo replay FILE.csv --series NAME [options]

Streams a CSV file into the Kinesis stream as events {series, timestamp, value}, the way a producer would:
PutRecords calls of up to 500 records, partition key = series, refused records retried with backoff.
By default it targets the local stack started with "npm start" (found through .seismo/local.json).

Options:
  --series NAME      series name of every event (required)
  --rate N           records per second; default: as fast as the stream accepts them
  --timestamp COL    timestamp column (ISO 8601 or epoch ms); default: timestamp/time/date/ts, else the first
  --value COL        value column; default: the first other column holding a number
  --stream NAME      stream to write to instead of the local stack's (alone: real AWS, default credentials)
  --endpoint URL     Kinesis endpoint for --stream (an emulator)
  --region REGION    region for --stream; default: AWS_REGION
  -h, --help         show this help
`;

const REPLAY_OPTIONS = {
  series: { type: 'string' },
  rate: { type: 'string' },
  timestamp: { type: 'string' },
  value: { type: 'string' },
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
    const series = values.series;
    if (series === undefined)
      throw new UsageError('--series NAME is required: the series every row belongs to');
    if (series.length === 0 || series.length > EVENT_LIMITS.seriesLength) {
      throw new UsageError(`--series must be 1 to ${EVENT_LIMITS.seriesLength} characters`);
    }
    const rate = values.rate === undefined ? undefined : Number(values.rate);
    if (rate !== undefined && !(rate > 0))
      throw new UsageError(`--rate must be a positive number, got "${values.rate}"`);
    const target = await resolveTarget(values);
    try {
      await replayCsv(
        { file, series, rate, timestampColumn: values.timestamp, valueColumn: values.value },
        target,
        io,
      );
    } finally {
      target.client.destroy();
    }
    return 0;
  },
};
