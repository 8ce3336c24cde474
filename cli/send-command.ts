import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { type MeasurementEvent, parseEvent } from '../core/events/event-schema.ts';
import { MAX_FUTURE_MS, SeismoProducer, type SendReport } from '../producer/seismo-producer.ts';
import { CliError, type CliIo, type Command, parseOptions, singleFile } from './command.ts';
import { fileSize } from './csv-file.ts';
import { jsonLines } from './jsonl-lines.ts';
import { BAD_ROWS_SHOWN, count, Progress, plural } from './progress.ts';
import { type ReplayTarget, resolveTarget } from './replay-command.ts';

/** Events handed to the producer at a time: one PutRecords call's worth, or many more when aggregating. */
const BATCH_EVENTS = 500;
const AGGREGATED_BATCH_EVENTS = 10_000;

/** What `seismo send` is asked to do. */
export interface SendOptions {
  /** A JSON Lines file, or `-` for standard input. */
  readonly file: string;
  /** KPL-aggregate each series' events. */
  readonly aggregate?: boolean;
  /** Validate only; send nothing. */
  readonly dryRun?: boolean;
  /** Standard input, when `file` is `-` (tests pass their own). */
  readonly stdin?: Readable;
  /** No progress report before this many ms; the progress reporter's default otherwise (tests pass 0). */
  readonly progressQuietMs?: number;
}

/** What a send did, as printed in its summary. */
export interface SendSummary {
  /** Non-blank lines read. */
  readonly lines: number;
  readonly sent: number;
  /** Lines that are not a valid event (never sent). */
  readonly badLines: number;
  /** Valid events the stream did not take, by Kinesis error code. */
  readonly failed: number;
  readonly failedByCode: ReadonlyMap<string, number>;
  readonly records: number;
  readonly retried: number;
  readonly seconds: number;
  /** Set when sending stopped early (missing stream, access denied): the rest of the input was not read. */
  readonly stopped?: string;
}

/**
 * Sends a JSON Lines file of events (one per line, as the REST API takes them) to the stream: each line
 * validated as the detector will (a bad line is reported with its number and never sent), partition key =
 * series, PutRecords calls of at most 500 records and 5 MiB, only refused records retried with jittered
 * backoff, optionally KPL-aggregated. Reads in constant memory, so a file of any size (or a pipe) streams.
 */
export async function sendJsonLines(
  options: SendOptions,
  target: ReplayTarget | undefined,
  io: CliIo,
): Promise<SendSummary> {
  const started = performance.now();
  const fromStdin = options.file === '-';
  const totalBytes = fromStdin ? 0 : await fileSize(options.file);
  const input = fromStdin ? (options.stdin ?? process.stdin) : createReadStream(options.file);
  const producer =
    target && !options.dryRun
      ? new SeismoProducer({
          streamName: target.streamName,
          client: target.client,
          ...(options.aggregate ? { aggregate: true } : {}),
        })
      : undefined;
  const batchSize = options.aggregate ? AGGREGATED_BATCH_EVENTS : BATCH_EVENTS;
  const counts = { lines: 0, sent: 0, badLines: 0, failed: 0, records: 0, retried: 0 };
  const failedByCode = new Map<string, number>();
  let stopped: string | undefined;
  let shownBad = 0;
  let shownFailed = 0;
  const bad = (line: number, reason: string) => {
    counts.badLines += 1;
    if (++shownBad <= BAD_ROWS_SHOWN) io.stderr.write(`line ${line}: ${reason}; not sent\n`);
  };
  const progress = new Progress(io, {
    totalBytes,
    started,
    // A dry run sends nothing: it reports the events it has checked.
    describe: (done, perSecond, percent) =>
      `${options.dryRun ? 'checked' : 'sent'} ${count(done)} events, ${count(perSecond)} events/s` +
      (fromStdin ? '' : `, ${percent.toFixed(0)}% of the file`),
    ...(options.progressQuietMs === undefined ? {} : { quietMs: options.progressQuietMs }),
  });

  let batch: { event: MeasurementEvent; index: number }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const report: Omit<SendReport, 'invalid'> = producer
      ? await producer.sendValidated(batch)
      : { sent: 0, failed: [], records: 0, retried: 0, calls: 0 };
    counts.sent += report.sent;
    counts.records += report.records;
    counts.retried += report.retried;
    for (const f of report.failed) {
      counts.failed += 1;
      failedByCode.set(f.code, (failedByCode.get(f.code) ?? 0) + 1);
      if (++shownFailed <= BAD_ROWS_SHOWN) io.stderr.write(`line ${f.index}: ${f.code}: ${f.message}\n`);
    }
    if (report.stopped) stopped = `${report.stopped.code}: ${report.stopped.message}`;
    batch = [];
  };

  try {
    for await (const line of jsonLines(input)) {
      if (line.tooLong !== undefined) {
        counts.lines += 1;
        bad(line.number, `${count(line.tooLong)} bytes, over the 64 KiB an event may take`);
        continue;
      }
      if (line.text.trim() === '') continue;
      counts.lines += 1;
      let json: unknown;
      try {
        json = JSON.parse(line.text);
      } catch (error) {
        bad(line.number, `not JSON (${(error as Error).message})`);
        continue;
      }
      // The window is the clock now, as the detector's will be when the record arrives.
      const parsed = parseEvent(json, { now: Date.now(), maxFutureMs: MAX_FUTURE_MS });
      if (!parsed.ok) {
        bad(line.number, parsed.error.message);
        continue;
      }
      batch.push({ event: parsed.event, index: line.number });
      if (batch.length >= batchSize) {
        await flush();
        progress.update(options.dryRun ? counts.lines - counts.badLines : counts.sent, line.bytesRead);
        if (stopped) break;
      }
    }
    if (!stopped) await flush();
  } finally {
    progress.done();
    producer?.destroy();
    if (!fromStdin) (input as Readable).destroy();
  }
  return {
    ...counts,
    failedByCode,
    seconds: (performance.now() - started) / 1000,
    ...(stopped ? { stopped } : {}),
  };
}

/** The summary lines for stderr, and whether anything was not sent. */
export function describeSummary(
  summary: SendSummary,
  file: string,
  where: string,
  dryRun: boolean,
): { text: string; complete: boolean } {
  const source = file === '-' ? 'standard input' : file;
  const rate = summary.sent / Math.max(summary.seconds, 0.001);
  const lines: string[] = [];
  if (dryRun) {
    const valid = summary.lines - summary.badLines;
    lines.push(
      `checked ${plural(summary.lines, 'event line')} of ${source}: ${count(valid)} valid, ${count(summary.badLines)} bad (dry run: nothing sent)`,
    );
  } else {
    const records = summary.records === summary.sent ? '' : ` in ${plural(summary.records, 'record')}`;
    lines.push(
      `sent ${count(summary.sent)} of ${plural(summary.lines, 'event line')} from ${source}${records} to ${where} ` +
        `in ${summary.seconds.toFixed(1)} s (${count(rate)} events/s); ${count(summary.retried)} retried`,
    );
    if (summary.badLines > 0)
      lines.push(`not sent: ${plural(summary.badLines, 'bad line')} (invalid events)`);
    if (summary.failed > 0) {
      const codes = [...summary.failedByCode].map(([code, n]) => `${code} ×${count(n)}`).join(', ');
      lines.push(
        `not sent: ${plural(summary.failed, 'event')} the stream refused after every retry (${codes})`,
      );
    }
    if (summary.stopped) lines.push(`stopped early, the rest of the input was not read: ${summary.stopped}`);
  }
  const complete = summary.badLines === 0 && summary.failed === 0 && !summary.stopped && summary.lines > 0;
  if (summary.lines === 0) lines.push(`${source} holds no events (one JSON event per line is expected)`);
  return { text: `${lines.join('\n')}\n`, complete };
}

const USAGE = `Usage: seismo send FILE.jsonl [options]
       seismo send - [options] < events.jsonl

Sends events, one JSON object per line ({"series", "timestamp", "value" | "values", "dimensions"?, "kind"?}),
to the Kinesis stream, the way a producer should: each line validated as the detector will (a bad line is
reported with its number and never sent), partition key = series, PutRecords calls of up to 500 records and
5 MiB, refused records retried with jittered backoff. By default it targets the local stack started with
"npm start" (found through .seismo/local.json). Exits 1 when any line was not sent.

Options:
  --aggregate          pack each series' events into KPL aggregated records (fewer, larger records)
  --dry-run            validate every line, send nothing
  --stream NAME        stream to write to instead of the local stack's (alone: real AWS, default credentials)
  --endpoint URL       Kinesis endpoint for --stream (an emulator)
  --region REGION      region for --stream; default: AWS_REGION
  -h, --help           show this help
`;

const SEND_OPTIONS = {
  aggregate: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  stream: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `seismo send`: parses its arguments, finds the stream and runs {@link sendJsonLines}. */
export const sendCommand: Command = {
  name: 'send',
  summary: 'send a JSON Lines file of events (or stdin) to the Kinesis stream',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseOptions('send', args, SEND_OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const file = singleFile('send', positionals);
    const dryRun = values['dry-run'] === true;
    const target = dryRun ? undefined : await resolveTarget(values);
    try {
      const summary = await sendJsonLines({ file, aggregate: values.aggregate === true, dryRun }, target, io);
      const { text, complete } = describeSummary(summary, file, target?.description ?? '', dryRun);
      io.stderr.write(text);
      if (!complete)
        throw new CliError(summary.lines === 0 ? 'nothing to send' : 'some events were not sent');
      return 0;
    } finally {
      target?.client.destroy();
    }
  },
};
