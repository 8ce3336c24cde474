import { relative } from 'node:path';
import { type LocalStack, stackInfoOf, startLocalStack } from './stack.ts';
import { DEFAULT_STACK_FILE, readLiveStackInfo, removeStackInfo, writeStackInfo } from './stack-info.ts';

/**
 * `npm start`: runs the local stack in the foreground, publishes it in `.seismo/local.json` for
 * `seismo replay`, prints a banner, and shuts everything down on Ctrl-C (SIGINT) or SIGTERM.
 */

const SAMPLE = 'local/samples/cpu-spike.csv';

async function main(): Promise<void> {
  const started = performance.now();
  const existing = await readLiveStackInfo();
  if (existing) {
    throw new Error(
      `a local stack is already running (pid ${existing.pid}, stream ${existing.streamName} at ${existing.kinesisEndpoint}); stop it first`,
    );
  }
  const stack = await startLocalStack();
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`\n${signal} again: exiting now\n`);
      process.exit(130);
    }
    process.stdout.write(`\n${signal}: stopping the local stack…\n`);
    stopping = stack
      .stop()
      .then(() => {
        removeStackInfo(process.pid);
        process.stdout.write('stopped.\n');
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('exit', () => removeStackInfo(process.pid));

  await writeStackInfo(stackInfoOf(stack));
  process.stdout.write(banner(stack, (performance.now() - started) / 1000));
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
    '',
    'Send it data from another terminal, e.g. the sample with a CPU spike near its end:',
    `  npx seismo replay ${SAMPLE} --series demo`,
    'Alerts appear below. Ctrl-C stops everything.',
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start: ${(error as Error).message}\n`);
  process.exit(1);
});
