import type { Writable } from 'node:stream';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { DynamoDbStateStore, STATE_KEY_ATTRIBUTE } from '../adapters/dynamodb-state-store.ts';
import { SERIES_KEY_ATTRIBUTE } from '../adapters/ingest/dynamodb-series-registry.ts';
import { MemoryTimeSeriesStore } from '../adapters/memory-stores.ts';
import { DynamoDbPublishLedger, LEDGER_KEY_ATTRIBUTE } from '../adapters/publish-ledger.ts';
import { registryModelReader } from '../adapters/registry-model-reader.ts';
import { SnsAlertPublisher } from '../adapters/sns-alert-publisher.ts';
import { DEFAULT_DETECTOR_OPTIONS, Detector } from '../core/detector.ts';
import type { BatchScorer } from '../core/scoring/batch-scorer.ts';
import type { DetectionSettings } from '../core/sensitivity.ts';
import { createDetectHandler, type DetectHandler } from '../functions/detect/detect-handler.ts';
import { ModelWatcher } from '../functions/detect/model-watcher.ts';
import { loadModel } from '../models/model-store.ts';
import { type LocalAlerting, type LocalAlertingOptions, startLocalAlerting } from './alerting-stack.ts';
import { type Emulators, localDynamoDbClient, localKinesisClient, startEmulators } from './emulators.ts';
import { type FailedBatch, KinesisEventSource, type KinesisEventSourceOptions } from './event-source.ts';
import { startHttpApi } from './http-api.ts';
import { createIngestRoutes, newApiKey } from './ingest-routes.ts';
import { archivingHandler, localArchive, localChampionSource } from './learning-hooks.ts';
import type { StackInfo } from './stack-info.ts';
import {
  formatFailedBatch,
  TerminalDeadLetters,
  TerminalTopic,
  terminalEventSourceLogger,
  terminalLogger,
} from './terminal-sinks.ts';

/**
 * The whole pipeline on one machine: kinesis-mock and dynalite, a stream and the DynamoDB tables, the real
 * detect handler behind a local event-source mapping, the embedded time-series store, alerts and dead
 * letters on the terminal, and a small HTTP endpoint.
 */

/** Names and knobs of a local stack; every field has a default. */
export interface LocalStackOptions {
  readonly streamName?: string;
  /** 2 by default, so the mapping's per-shard pollers are exercised. */
  readonly shardCount?: number;
  readonly stateTable?: string;
  readonly ledgerTable?: string;
  /** Model directory; the shipped default model by default. */
  readonly modelDir?: string;
  /** Where alerts, dead letters and activity are printed; stdout by default. */
  readonly out?: Writable;
  /** Colour the output; true when stdout is a TTY by default. */
  readonly color?: boolean;
  /** HTTP port on 127.0.0.1; any free port by default. */
  readonly httpPort?: number;
  readonly eventSource?: Pick<
    KinesisEventSourceOptions,
    'batchSize' | 'batchingWindowMs' | 'maximumRetryAttempts' | 'pollIntervalMs'
  >;
  /** Emulators already running (tests share them); the stack then leaves them running when it stops. */
  readonly emulators?: Emulators;
  /** Sensitivity, thresholds and per-series overrides of the detector; the shipped defaults by default. */
  readonly detectionSettings?: DetectionSettings;
  /** The alert path (router, senders, stand-ins, scheduler, ack page); false leaves it out. */
  readonly alerting?: LocalAlertingOptions | false;
  /** The ingestion API: its key (SEISMO_API_KEY, else a fresh one), series table and per-tenant series cap. */
  readonly ingest?: { readonly apiKey?: string; readonly seriesTable?: string; readonly seriesCap?: number };
  /**
   * Learning from what flows (`npm start` uses `.seismo/`): every batch archived under `dir/archive/` as
   * Firehose does, and the detector following the champion of the registry in `dir` (`seismo retrain
   * --local`, `seismo models promote --local`), its pointers re-read every `refreshMs` (5 s by default).
   */
  readonly learning?: { readonly dir: string; readonly refreshMs?: number };
}

/** The local ingestion API's credentials and table. */
export interface LocalIngest {
  /** The x-api-key of tenant `local`. */
  readonly apiKey: string;
  /** What a Firehose delivery stream sends as X-Amz-Firehose-Access-Key. */
  readonly firehoseAccessKey: string;
  readonly seriesTable: string;
}

/** A running local stack: where everything listens, what it captured, and how to stop it. */
export interface LocalStack {
  readonly region: string;
  readonly kinesisEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly streamName: string;
  readonly shardCount: number;
  readonly stateTable: string;
  readonly ledgerTable: string;
  readonly httpUrl: string;
  readonly modelVersion: string;
  readonly emulators: Emulators;
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  /** The embedded time-series store: every scored point. */
  readonly scores: MemoryTimeSeriesStore;
  /** The in-process "anomalies" topic: what a subscriber would have received. */
  readonly alerts: TerminalTopic;
  readonly deadLetters: TerminalDeadLetters;
  /** Records the handler kept failing, handed over by the event source after its retries. */
  readonly failedBatches: readonly FailedBatch[];
  readonly eventSource: KinesisEventSource;
  /** The alert path behind the topic, unless the options left it out. */
  readonly alerting: LocalAlerting | undefined;
  readonly ingest: LocalIngest;
  /** The detector: which models it serves now (`modelSet`) follows the registry when learning is on. */
  readonly detector: Detector;
  stop(): Promise<void>;
}

/** Starts everything; on any failure, what was already started is stopped before the error is thrown. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const out = options.out ?? process.stdout;
  const color = options.color ?? (out === process.stdout && process.stdout.isTTY === true);
  const streamName = options.streamName ?? 'seismo-events';
  const shardCount = options.shardCount ?? 2;
  const stateTable = options.stateTable ?? 'seismo-state';
  const ledgerTable = options.ledgerTable ?? 'seismo-published';
  const ingest: LocalIngest = {
    apiKey: options.ingest?.apiKey ?? (process.env.SEISMO_API_KEY || newApiKey()),
    firehoseAccessKey: newApiKey(),
    seriesTable: options.ingest?.seriesTable ?? 'seismo-series',
  };
  const cleanup: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };

  try {
    const [emulators, model] = await Promise.all([
      options.emulators ?? startEmulators(),
      loadModel(options.modelDir),
    ]);
    if (!options.emulators) cleanup.push(() => emulators.stop());
    const kinesis = localKinesisClient(emulators.kinesis.endpoint, emulators.region);
    const dynamodb = localDynamoDbClient(emulators.dynamodb.endpoint, emulators.region);
    cleanup.push(async () => {
      kinesis.destroy();
      dynamodb.destroy();
    });
    const terminal = { out, color };
    // The alert path (five tables, four stand-ins) starts while the stream and the detector's tables are
    // created: npm start's banner comes seconds sooner.
    const [alerting] = await Promise.all([
      options.alerting === false
        ? undefined
        : startLocalAlerting(dynamodb, terminal, options.alerting).then((started) => {
            cleanup.push(() => started.stop());
            return started;
          }),
      createStream(kinesis, streamName, shardCount),
      createTable(dynamodb, stateTable, STATE_KEY_ATTRIBUTE),
      createTable(dynamodb, ledgerTable, LEDGER_KEY_ATTRIBUTE),
      createTable(dynamodb, ingest.seriesTable, SERIES_KEY_ATTRIBUTE),
    ]);

    const scores = new MemoryTimeSeriesStore();
    const alerts = new TerminalTopic(terminal);
    if (alerting) alerts.subscribe((message) => alerting.publish(message));
    const publisher = new SnsAlertPublisher(
      alerts,
      new DynamoDbPublishLedger(dynamodb, { tableName: ledgerTable }),
      {
        topicArn: `arn:aws:sns:${emulators.region}:000000000000:seismo-anomalies`,
      },
    );
    const deadLetters = new TerminalDeadLetters(terminal);
    const detector = new Detector(model.scorer, {
      ...DEFAULT_DETECTOR_OPTIONS,
      ...(options.detectionSettings && { settings: options.detectionSettings }),
    });
    const detect = createDetectHandler({
      detector,
      stateStore: new DynamoDbStateStore(dynamodb, { tableName: stateTable }),
      timeSeries: scores,
      alerts: publisher,
      deadLetters,
      logger: terminalLogger(out),
    });
    let handler = detect;
    if (options.learning) {
      const learning = await learningHandler(detect, detector, model.scorer, options.learning, out);
      cleanup.push(async () => learning.stop());
      handler = learning.handler;
    }

    const failedBatches: FailedBatch[] = [];
    const activity = new ActivityLine(out);
    cleanup.push(async () => activity.stop());
    const eventSource = new KinesisEventSource({
      client: kinesis,
      streamName,
      ...options.eventSource,
      handler: async (event) => {
        const response = await handler(event);
        activity.add(event.Records.length - response.batchItemFailures.length);
        return response;
      },
      onFailure: (failed) => {
        failedBatches.push(failed);
        out.write(`${formatFailedBatch(failed)}\n`);
      },
      logger: terminalEventSourceLogger(out),
    });
    await eventSource.start();
    cleanup.push(() => eventSource.stop());

    const http = await startHttpApi(
      {
        scores,
        alerts: () => alerts.transitions,
        health: () => ({
          streamName,
          modelVersion: detector.modelSet.champion.modelVersion,
          eventSource: eventSource.stats,
        }),
        routes: createIngestRoutes({
          kinesis,
          streamName,
          dynamodb,
          seriesTable: ingest.seriesTable,
          apiKeys: new Map([[ingest.apiKey, 'local']]),
          firehoseAccessKey: ingest.firehoseAccessKey,
          ...(options.ingest?.seriesCap === undefined ? {} : { seriesCap: options.ingest.seriesCap }),
        }),
      },
      options.httpPort,
    );
    cleanup.push(() => http.close());

    return {
      region: emulators.region,
      kinesisEndpoint: emulators.kinesis.endpoint,
      dynamodbEndpoint: emulators.dynamodb.endpoint,
      streamName,
      shardCount,
      stateTable,
      ledgerTable,
      httpUrl: http.url,
      modelVersion: model.scorer.modelVersion,
      emulators,
      kinesis,
      dynamodb,
      scores,
      alerts,
      deadLetters,
      failedBatches,
      eventSource,
      alerting,
      ingest,
      detector,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The detect handler with the learning hooks: each batch archived first (an archive failure is printed and
 * never fails the batch), and the model watcher refreshed between batches. Shards are polled concurrently
 * here (one Lambda container runs one batch at a time), so a due refresh waits for the batches in flight and
 * holds new ones back: no batch sees its models swapped, or a session released, under it.
 */
async function learningHandler(
  detect: DetectHandler,
  detector: Detector,
  fallback: BatchScorer,
  learning: NonNullable<LocalStackOptions['learning']>,
  out: Writable,
): Promise<{ handler: DetectHandler; stop: () => void }> {
  const watcher = new ModelWatcher(
    detector,
    registryModelReader(localChampionSource(learning.dir)),
    fallback,
    {
      ttlMs: learning.refreshMs ?? DEFAULT_LOCAL_REFRESH_MS,
      events: {
        swapped: (_from, to) =>
          out.write(
            `models: now serving ${to.champion.modelVersion}${to.challenger ? `, shadow ${to.challenger.modelVersion}` : ''}\n`,
          ),
        failed: (what, error) =>
          out.write(
            `models: ${what} not loaded, serving the last good models: ${(error as Error).message}\n`,
          ),
      },
    },
  );
  // The registry's champion from the first batch on (and in the banner), not the layer's model until a refresh.
  await watcher.refresh();
  const gate = new BetweenBatches();
  const archived = archivingHandler(detect, localArchive(learning.dir), (e) =>
    out.write(`archive: ${e.message}\n`),
  );
  const refresh = () => gate.exclusive(() => watcher.refresh());
  // Also between batches when none come: a promotion shows in the terminal while the stream is quiet.
  const timer = setInterval(() => {
    if (watcher.due()) refresh().catch(() => {});
  }, learning.refreshMs ?? DEFAULT_LOCAL_REFRESH_MS);
  timer.unref();
  return {
    handler: async (event) => {
      if (watcher.due()) await refresh();
      return gate.batch(() => archived(event));
    },
    stop: () => clearInterval(timer),
  };
}

/** How often the local detector re-reads the registry's pointers (the Lambda: every minute). */
const DEFAULT_LOCAL_REFRESH_MS = 5_000;

/** Batches run side by side; an exclusive step waits until none is in flight, and new ones wait for it. */
class BetweenBatches {
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private running: Promise<void> | undefined;

  async batch<T>(run: () => Promise<T>): Promise<T> {
    while (this.running) await this.running;
    this.inFlight++;
    try {
      return await run();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  exclusive(step: () => Promise<void>): Promise<void> {
    this.running ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      this.idle = undefined;
      await step();
    })().finally(() => (this.running = undefined));
    return this.running;
  }
}

/** Creates a stream and waits until it is ACTIVE (kinesis-mock, like Kinesis, takes about 0.5 s). */
export async function createStream(client: KinesisClient, name: string, shardCount: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitFor(`stream ${name} to become ACTIVE`, async () => {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
  });
}

/** Creates an on-demand table with a string partition key and waits until it is ACTIVE. */
export async function createTable(client: DynamoDBClient, name: string, key: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitFor(`table ${name} to become ACTIVE`, async () => {
    const table = await client.send(new DescribeTableCommand({ TableName: name }));
    return table.Table?.TableStatus === 'ACTIVE';
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Prints how many records were scored, at most every two seconds, so a replay visibly moves. */
class ActivityLine {
  private pending = 0;
  private total = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly out: Writable) {
    this.timer = setInterval(() => this.flush(), 2_000);
    this.timer.unref();
  }

  add(records: number): void {
    this.pending += records;
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private flush(): void {
    if (this.pending === 0) return;
    this.total += this.pending;
    this.out.write(
      `· scored ${this.pending.toLocaleString('en-US')} records (${this.total.toLocaleString('en-US')} in all)\n`,
    );
    this.pending = 0;
  }
}

/** What `npm start` publishes in `.seismo/local.json` so that `seismo replay` finds this stack. */
export function stackInfoOf(stack: LocalStack, pid = process.pid): StackInfo {
  return {
    version: 1,
    pid,
    region: stack.region,
    kinesisEndpoint: stack.kinesisEndpoint,
    streamName: stack.streamName,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    httpUrl: stack.httpUrl,
    startedAt: new Date().toISOString(),
    emulatorPids: { kinesis: stack.emulators.kinesis.pid, dynamodb: stack.emulators.dynamodb.pid },
    ...(stack.alerting && { alerting: { ackUrl: stack.alerting.ackUrl, tables: stack.alerting.tables } }),
  };
}
