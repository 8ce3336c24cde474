import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { DynamoDbStateStore } from '../../adapters/dynamodb-state-store.ts';
import { DynamoDbPublishLedger } from '../../adapters/publish-ledger.ts';
import { SnsAlertPublisher } from '../../adapters/sns-alert-publisher.ts';
import { SqsDeadLetterQueue } from '../../adapters/sqs-dead-letter-queue.ts';
import { DEFAULT_DETECTOR_OPTIONS, Detector } from '../../core/detector.ts';
import type { TimeSeriesStore } from '../../core/ports.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';
import { type DetectionSettings, parseDetectionSettings } from '../../core/sensitivity.ts';
import { loadModel } from '../../models/model-store.ts';
import { createDetectHandler, type DetectHandler } from './detect-handler.ts';
import { ALLOW_INSECURE_INFLUX_ENV, influxUrlProblem } from './influx-url.ts';
import type { ModelWatcher } from './model-watcher.ts';

/** Where the time-series store writes: Timestream for LiveAnalytics or InfluxDB (v2 API). */
export type TimeSeriesConfig =
  | { readonly backend: 'timestream'; readonly database: string; readonly table: string }
  | {
      readonly backend: 'influxdb';
      readonly url: string;
      readonly org: string;
      readonly bucket: string;
      /** The token itself (INFLUX_TOKEN, for tests and the local stack) or the secret holding it. */
      readonly token: { readonly value: string } | { readonly secretArn: string };
    };

/** The detect function's configuration, from its environment. */
export interface DetectConfig {
  readonly stateTable: string;
  readonly publishedTable: string;
  readonly alertsTopicArn: string;
  readonly dlqUrl: string;
  /** The shipped model in the layer, unless `modelS3Uri` names a promoted one. */
  readonly modelDir: string;
  readonly modelS3Uri?: string;
  readonly timeSeries: TimeSeriesConfig;
  /** Days a series' state outlives its last point (the state table's TTL); 30 by default. */
  readonly stateTtlDays: number;
  /** Oldest event accepted, in days (what the time-series store still takes); unbounded when absent. */
  readonly maxEventAgeDays?: number;
  /** Sensitivity, thresholds and per-series overrides (DETECTION_SETTINGS, JSON); the defaults if absent. */
  readonly settings?: DetectionSettings;
  /**
   * The model registry the detector follows without a deploy (LEARNING_BUCKET and REGISTRY_TABLE, set by
   * the stack's grantChampionRead): its champion, else the model above; pointers re-read every
   * MODEL_REFRESH_SECONDS (60 by default).
   */
  readonly registry?: { readonly bucket: string; readonly table: string; readonly refreshSeconds: number };
}

/**
 * Ledger entries outlive the states that may re-deliver their transitions by this much: a state's outbox is
 * never older than the state, so its transitions are always still in the ledger when re-delivered.
 */
const LEDGER_MARGIN_DAYS = 14;

/** Thrown for a missing or invalid environment variable; names it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The model directory when MODEL_DIR is unset: the default model in the ONNX runtime layer. */
export const LAYER_MODEL_DIR = '/opt/models/default';

/**
 * Reads the configuration from `env`, throwing a {@link ConfigError} that names the first missing variable.
 * The InfluxDB token comes from the Secrets Manager secret INFLUX_TOKEN_SECRET_ARN (as deployed), or from
 * INFLUX_TOKEN when no secret is configured. INFLUX_URL must be https://, unless
 * SEISMO_ALLOW_INSECURE_INFLUX=1 says this is local development.
 */
export function readDetectConfig(env: NodeJS.ProcessEnv = process.env): DetectConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '')
      throw new ConfigError(`environment variable ${name} is required`);
    return value;
  };
  const backend = required('TIMESERIES_BACKEND');
  let timeSeries: TimeSeriesConfig;
  if (backend === 'timestream') {
    timeSeries = { backend, database: required('TIMESTREAM_DATABASE'), table: required('TIMESTREAM_TABLE') };
  } else if (backend === 'influxdb') {
    const secretArn = env.INFLUX_TOKEN_SECRET_ARN;
    const allow = env[ALLOW_INSECURE_INFLUX_ENV] ?? '';
    if (!['', '0', '1'].includes(allow))
      throw new ConfigError(`${ALLOW_INSECURE_INFLUX_ENV} must be 1, 0 or unset, got "${allow}"`);
    const url = required('INFLUX_URL');
    const names = { url: 'INFLUX_URL', allow: `${ALLOW_INSECURE_INFLUX_ENV}=1` };
    const problem = influxUrlProblem(url, allow === '1', names);
    if (problem) throw new ConfigError(problem);
    timeSeries = {
      backend,
      url,
      org: required('INFLUX_ORG'),
      bucket: required('INFLUX_BUCKET'),
      token: secretArn ? { secretArn } : { value: required('INFLUX_TOKEN') },
    };
  } else {
    throw new ConfigError(`TIMESERIES_BACKEND must be "timestream" or "influxdb", got "${backend}"`);
  }
  return {
    stateTable: required('STATE_TABLE'),
    publishedTable: required('PUBLISHED_TABLE'),
    alertsTopicArn: required('ALERTS_TOPIC_ARN'),
    dlqUrl: required('DLQ_URL'),
    modelDir: env.MODEL_DIR ?? LAYER_MODEL_DIR,
    ...(env.MODEL_S3_URI ? { modelS3Uri: env.MODEL_S3_URI } : {}),
    timeSeries,
    stateTtlDays: days(env, 'STATE_TTL_DAYS') ?? 30,
    ...(env.EVENT_MAX_AGE_DAYS ? { maxEventAgeDays: days(env, 'EVENT_MAX_AGE_DAYS') } : {}),
    ...(env.DETECTION_SETTINGS ? { settings: settingsFrom(env.DETECTION_SETTINGS) } : {}),
    ...(env.LEARNING_BUCKET || env.REGISTRY_TABLE
      ? {
          registry: {
            bucket: required('LEARNING_BUCKET'),
            table: required('REGISTRY_TABLE'),
            refreshSeconds: wholeNumber(env, 'MODEL_REFRESH_SECONDS', 'seconds', 3_600) ?? 60,
          },
        }
      : {}),
  };
}

function settingsFrom(text: string): DetectionSettings {
  try {
    return parseDetectionSettings(JSON.parse(text));
  } catch (error) {
    throw new ConfigError(`environment variable DETECTION_SETTINGS: ${(error as Error).message}`);
  }
}

/** A whole number of `unit` from 1 to `max` from `env[name]`, or undefined when unset. */
function wholeNumber(env: NodeJS.ProcessEnv, name: string, unit: string, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigError(
      `environment variable ${name} must be a whole number of ${unit} from 1 to ${max}, got "${text}"`,
    );
  }
  return value;
}

const days = (env: NodeJS.ProcessEnv, name: string) => wholeNumber(env, name, 'days', 36_500);

const DAY_SECONDS = 86_400;

const logger = new Logger({ serviceName: 'seismo-detect' });
const metrics = new Metrics({ namespace: 'Seismo', serviceName: 'seismo-detect' });
const tracer = new Tracer({ serviceName: 'seismo-detect' });

let ready: Promise<DetectHandler> | undefined;

/** The container's detect handler: configuration, SDK clients and the model are set up once, on first use. */
export function detectHandler(): Promise<DetectHandler> {
  ready ??= build(readDetectConfig()).catch((error: unknown) => {
    ready = undefined; // a later invocation tries again instead of failing forever
    throw error;
  });
  return ready;
}

/**
 * Builds the handler. The clients every configuration uses are imported statically; the optional ones (S3 for a
 * promoted model, Secrets Manager for the InfluxDB token, the Timestream client) are imported only when the
 * configuration names them: the bundle evaluates a dynamically imported module on first use, so an unused
 * client costs no init time.
 */
async function build(config: DetectConfig): Promise<DetectHandler> {
  const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
  const sns = tracer.captureAWSv3Client(new SNSClient({}));
  const sqs = tracer.captureAWSv3Client(new SQSClient({}));
  const { scorer } = config.modelS3Uri
    ? await loadPromotedModel(config.modelS3Uri)
    : await loadModel(config.modelDir);
  logger.info('model loaded', {
    modelVersion: scorer.modelVersion,
    from: config.modelS3Uri ?? config.modelDir,
  });
  const detector = new Detector(scorer, {
    ...DEFAULT_DETECTOR_OPTIONS,
    ...(config.settings && { settings: config.settings }),
  });
  return createDetectHandler({
    detector,
    ...(config.registry && { models: await registryWatcher(config.registry, detector, scorer, dynamodb) }),
    stateStore: new DynamoDbStateStore(dynamodb, {
      tableName: config.stateTable,
      ttlSeconds: config.stateTtlDays * DAY_SECONDS,
    }),
    timeSeries: await timeSeriesStore(config.timeSeries),
    alerts: new SnsAlertPublisher(
      sns,
      new DynamoDbPublishLedger(dynamodb, {
        tableName: config.publishedTable,
        ttlSeconds: (config.stateTtlDays + LEDGER_MARGIN_DAYS) * DAY_SECONDS,
      }),
      { topicArn: config.alertsTopicArn },
    ),
    deadLetters: new SqsDeadLetterQueue(sqs, { queueUrl: config.dlqUrl }),
    logger,
    metrics,
    ...(config.maxEventAgeDays !== undefined && { maxAgeMs: config.maxEventAgeDays * DAY_SECONDS * 1_000 }),
  });
}

/** Follows the registry's champion and challenger; what it swaps or fails to load is logged. */
async function registryWatcher(
  registry: NonNullable<DetectConfig['registry']>,
  detector: Detector,
  fallback: BatchScorer,
  dynamodb: DynamoDBClient,
): Promise<ModelWatcher> {
  const [{ S3Client }, { s3Registry }, { registryModelReader }, { ModelWatcher }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../../adapters/model-registry.ts'),
    import('../../adapters/registry-model-reader.ts'),
    import('./model-watcher.ts'),
  ]);
  const source = s3Registry({
    s3: tracer.captureAWSv3Client(new S3Client({})),
    dynamodb,
    bucket: registry.bucket,
    table: registry.table,
  });
  return new ModelWatcher(detector, registryModelReader(source), fallback, {
    ttlMs: registry.refreshSeconds * 1_000,
    events: {
      swapped: (from, to) => {
        metrics.addMetric('ModelsSwapped', MetricUnit.Count, 1);
        logger.info('models swapped', {
          from: { champion: from.champion.modelVersion, challenger: from.challenger?.modelVersion },
          to: { champion: to.champion.modelVersion, challenger: to.challenger?.modelVersion },
        });
      },
      failed: (what, error) => {
        // Alarmed on (observability): the detector serves the last good model while this is non-zero.
        metrics.singleMetric().addMetric('ModelLoadFailed', MetricUnit.Count, 1);
        logger.error(`model registry: ${what} not loaded, serving the last good models`, error as Error);
      },
    },
  });
}

async function loadPromotedModel(uri: string): ReturnType<typeof loadModel> {
  const [{ S3Client }, { loadModelFromS3 }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../../adapters/s3-model-source.ts'),
  ]);
  return loadModelFromS3(tracer.captureAWSv3Client(new S3Client({})), uri);
}

async function timeSeriesStore(config: TimeSeriesConfig): Promise<TimeSeriesStore> {
  if (config.backend === 'timestream') {
    const [{ TimestreamWriteClient }, { TimestreamStore }] = await Promise.all([
      import('@aws-sdk/client-timestream-write'),
      import('../../adapters/timestream-store.ts'),
    ]);
    const client = tracer.captureAWSv3Client(new TimestreamWriteClient({}));
    return new TimestreamStore(client, { databaseName: config.database, tableName: config.table });
  }
  const { url, org, bucket } = config;
  const token = 'value' in config.token ? config.token.value : await readSecret(config.token.secretArn);
  const { InfluxLineStore } = await import('../../adapters/influx-line-store.ts');
  return new InfluxLineStore({ target: { version: 2, url, org, bucket, token } });
}

async function readSecret(secretArn: string): Promise<string> {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const client = tracer.captureAWSv3Client(new SecretsManagerClient({}));
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString)
    throw new ConfigError(`secret ${secretArn} (INFLUX_TOKEN_SECRET_ARN) holds no string value`);
  return SecretString;
}

// In Lambda, start loading during the init phase; a failure surfaces on the first invocation.
if (process.env.AWS_LAMBDA_FUNCTION_NAME) detectHandler().catch(() => {});

/** The Lambda entry point: the detect handler behind Powertools logging, metrics (EMF) and tracing. */
export const handler = middy<KinesisStreamEvent, KinesisStreamBatchResponse>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => (await detectHandler())(event));
