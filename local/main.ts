import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { detectionSettingsOf, SETTINGS_USAGE } from '../cli/detection-settings-file.ts';
import type { DetectionSettings } from '../core/sensitivity.ts';
import { LOCAL_LEARNING_DIR } from './retrain.ts';
import { type LocalStack, stackInfoOf, startLocalStack } from './stack.ts';
import { DEFAULT_STACK_FILE, readLiveStackInfo, removeStackInfo, writeStackInfo } from './stack-info.ts';
import { escapeForTerminal } from './terminal-escape.ts';

/**
 * `npm start`: runs the local stack in the foreground, publishes it in `.seismo/local.json` for
 * `seismo replay`, prints a banner, and shuts everything down, leaving no process and no stack file, when:
 * - it gets SIGINT (Ctrl-C), SIGTERM (a process manager) or SIGHUP (the terminal closed). The npm script
 *   `exec`s node, so npm's forwarding of SIGINT and SIGTERM reaches this process; a terminal's Ctrl-C reaches
 *   it twice (from the terminal and forwarded by npm), so a repeat within a second counts once, and a later
 *   one exits at once;
 * - its parent exits (it is re-parented): npm killed outright, or a shell between npm and node that died
 *   of the signal instead of passing it on (npm runs scripts under `sh -c`; a shell without `exec` does that).
 */

const SAMPLE = 'local/samples/cpu-spike.csv';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** A repeated signal within this window is the same request delivered twice (terminal and npm). */
const REPEAT_WINDOW_MS = 1_000;
/** How often the parent is checked; Node has no parent-death signal. */
const PARENT_POLL_MS = 250;

async function main(): Promise<void> {
  const started = performance.now();
  // With the parent gone, stdout may be a closed pipe (EPIPE): that output is lost, but shutdown must go on.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  const existing = await readLiveStackInfo();
  if (existing) {
    throw new Error(
      `a local stack is already running (pid ${existing.pid}, stream ${existing.streamName} at ${existing.kinesisEndpoint}); stop it first`,
    );
  }
  const detectionSettings = await settingsFromArguments(process.argv.slice(2));
  // Watch for signals and the parent from the start: a stop asked for while starting waits for the start.
  const starting = startLocalStack({
    ...(detectionSettings && { detectionSettings }),
    learning: { dir: LOCAL_LEARNING_DIR },
  });
  let stopping: { readonly at: number } | undefined;
  const shutdown = (why: string, signal?: string) => {
    if (stopping) {
      if (signal === undefined || performance.now() - stopping.at < REPEAT_WINDOW_MS) return;
      process.stderr.write(`\n${signal} again: exiting now\n`);
      process.exit(130);
    }
    stopping = { at: performance.now() };
    process.stdout.write(`\n${why}: stopping the local stack…\n`);
    starting
      .then((stack) => stack.stop())
      .then(() => {
        removeStackInfo(process.pid);
        process.stdout.write('stopped.\n');
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(`shutdown failed: ${escapeForTerminal((error as Error).message)}\n`);
        process.exit(1);
      });
  };
  for (const signal of SIGNALS) process.on(signal, () => shutdown(signal, signal));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown(`parent process ${parent} exited`);
  }, PARENT_POLL_MS).unref();
  process.on('exit', () => removeStackInfo(process.pid));

  const stack = await starting;
  if (stopping) return;
  await writeStackInfo(stackInfoOf(stack));
  process.stdout.write(banner(stack, (performance.now() - started) / 1000));
}

/** `path` relative to here when it lies below, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function banner(stack: LocalStack, seconds: number): string {
  const { kinesis, dynamodb } = stack.emulators;
  return [
    `Seismo local stack ready in ${seconds.toFixed(1)} s (kinesis-mock ${kinesis.startupMs} ms, dynalite ${dynamodb.startupMs} ms)`,
    `  Kinesis   ${stack.kinesisEndpoint}  stream ${stack.streamName} (${stack.shardCount} shards, region ${stack.region})`,
    `  DynamoDB  ${stack.dynamodbEndpoint}  tables ${stack.stateTable}, ${stack.ledgerTable}`,
    `  HTTP      ${stack.httpUrl}/health  ${stack.httpUrl}/v1/series  ${stack.httpUrl}/v1/series/NAME/scores?from=&to=  ${stack.httpUrl}/v1/alerts`,
    `  Ingest    POST ${stack.httpUrl}/v1/events, /api/v1/write (Prometheus), /v1/metrics (OTLP), /v1/influx/write, /api/v2/write; API docs ${stack.httpUrl}/v1/openapi.json`,
    `            x-api-key: ${stack.ingest.apiKey}   (Firehose access key: ${stack.ingest.firehoseAccessKey})`,
    `  Model     ${stack.modelVersion}; stack file ${relative(process.cwd(), DEFAULT_STACK_FILE) || DEFAULT_STACK_FILE}`,
    `  Learning  events archived under ${shortPath(LOCAL_LEARNING_DIR)}/archive; \`npx seismo retrain --local\` trains and promotes, the detector follows within 5 s`,
    ...(stack.alerting
      ? [
          `  Alerts    ${stack.alerting.ackUrl}/  Slack stand-in messages with working buttons, timers, the clock; routing ${relative(process.cwd(), stack.alerting.configPath)}`,
        ]
      : []),
    '',
    'Send it data from another terminal, e.g. the sample with a CPU spike near its end:',
    `  npx seismo replay ${SAMPLE} --series demo`,
    'Alerts appear below. Ctrl-C stops everything.',
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start: ${escapeForTerminal((error as Error).message)}\n`);
  process.exit(1);
});

/** `npm start -- --sensitivity LEVEL | --settings FILE`: the detection settings the local detector uses. */
async function settingsFromArguments(args: readonly string[]): Promise<DetectionSettings | undefined> {
  let values: { sensitivity?: string | undefined; settings?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        sensitivity: { type: 'string' },
        settings: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nUsage: npm start [-- --sensitivity LEVEL] [--settings FILE]`,
    );
  }
  if (values.help) {
    process.stdout.write(`Usage: npm start [-- options]\n\nOptions:\n${SETTINGS_USAGE}\n`);
    process.exit(0);
  }
  return detectionSettingsOf({ settingsFile: values.settings, sensitivity: values.sensitivity });
}
