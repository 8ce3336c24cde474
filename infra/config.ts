import type { Node } from 'constructs';
import { z } from 'zod';
import {
  AllowListSchema,
  type MappingRules,
  MappingRulesOverridesSchema,
  parseMappingRules,
} from '../core/ingest/mapping-rules.ts';
import type { AllowList } from '../core/ingest/to-events.ts';
import { type DetectionSettings, DetectionSettingsSchema } from '../core/sensitivity.ts';
import { influxUrlProblem } from '../functions/detect/influx-url.ts';
import { unknownKeyProblems } from './context-keys.ts';
import {
  type DbPollerConfig,
  DbPollerConfigSchema,
  type KafkaConfig,
  KafkaConfigSchema,
  type MetricStreamConfig,
  MetricStreamConfigSchema,
} from './ingest-sources-config.ts';
import {
  API_KEY_ID_STAND_IN,
  MAX_MAPPING_ENV_BYTES,
  translatorMappingEnvironment,
} from './translator-environment.ts';

/** The routing config deployed when `alertingConfig` names none: the shipped, documented example. */
export const DEFAULT_ALERTING_CONFIG = 'config/alerting.example.yaml';
/** The sender of alert email when `alertEmailFrom` is not set; an SES identity must own its domain. */
export const DEFAULT_ALERT_EMAIL_FROM = 'Seismo <alerts@example.com>';

/** Lambda's limit on all environment variables together is 4 KB; the settings travel in one of them. */
const MAX_SETTINGS_BYTES = 3_072;

/** The context keys the Seismo app reads; defaults live in `cdk.json`, overrides come from `-c key=value`. */
export const CONFIG_KEYS = [
  'stage',
  'timeseriesBackend',
  'retention',
  'batchSize',
  'maxBatchingWindowSeconds',
  'parallelizationFactor',
  'streamMode',
  'shardCount',
  'influx',
  'influxInstance',
  'allowInsecureInflux',
  'modelS3Uri',
  'detectionSettings',
  'alertingConfig',
  'alertEmailFrom',
  'ingestion',
  'mappingRules',
  'kafka',
  'dbPoller',
  'metricStream',
  'retrainAutoencoderOnFargate',
] as const;

/** Raised when the CDK context does not describe a deployable Seismo; the message lists every bad key and rule. */
export class SeismoConfigError extends Error {
  /** One line per problem, each naming the key and the rule it breaks. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid Seismo configuration (CDK context):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SeismoConfigError';
    this.problems = problems;
  }
}

// `-c batchSize=100` arrives as a string, cdk.json as a number: accept both, reject anything else.
const fromCliNumber = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;

// `-c retention='{"memoryHours":12,"magneticDays":30}'` arrives as a JSON string.
const fromCliObject = (value: unknown): unknown => {
  if (typeof value !== 'string' || !value.trim().startsWith('{')) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
};

// `-c allowInsecureInflux=true` arrives as a string.
const fromCliBoolean = (value: unknown): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;

const intBetween = (key: string, min: number, max: number) => {
  const rule = `${key} must be an integer from ${min} to ${max}`;
  return z.preprocess(
    fromCliNumber,
    z.number({ error: rule }).int({ error: rule }).min(min, { error: rule }).max(max, { error: rule }),
  );
};

const nonEmpty = (key: string) =>
  z.string({ error: `${key} must be a non-empty string` }).min(1, `${key} must be a non-empty string`);

const InfluxSchema = z.object(
  {
    url: z.url({ protocol: /^https?$/, error: 'influx.url must be an http(s) URL' }),
    org: nonEmpty('influx.org'),
    bucket: nonEmpty('influx.bucket'),
  },
  { error: 'influx must be an object {url, org, bucket}' },
);

/** Instance classes of Amazon Timestream for InfluxDB (vCPU and memory grow with the name). */
export const INFLUX_INSTANCE_TYPES = [
  'db.influx.medium',
  'db.influx.large',
  'db.influx.xlarge',
  'db.influx.2xlarge',
  'db.influx.4xlarge',
  'db.influx.8xlarge',
  'db.influx.12xlarge',
  'db.influx.16xlarge',
] as const;

const influxName = (key: string) =>
  z
    .string({ error: `${key} must be a string` })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/, `${key} must be 2-64 letters, digits, "_" or "-"`);

/** The managed instance `timeseriesBackend=timestream-influxdb` provisions; every field has a default. */
const InfluxInstanceSchema = z.object(
  {
    type: z
      .enum(INFLUX_INSTANCE_TYPES, {
        error: `influxInstance.type must be one of ${INFLUX_INSTANCE_TYPES.join(', ')}`,
      })
      .default('db.influx.medium'),
    // Timestream for InfluxDB's limits for the "Influx IO Included 3000 IOPS" storage type.
    storageGiB: intBetween('influxInstance.storageGiB', 20, 16384).default(20),
    multiAz: z
      .preprocess(fromCliBoolean, z.boolean({ error: 'influxInstance.multiAz must be true or false' }))
      .optional(),
    org: influxName('influxInstance.org').default('seismo'),
    bucket: influxName('influxInstance.bucket').default('seismo'),
  },
  { error: 'influxInstance must be an object {type, storageGiB, multiAz, org, bucket}' },
);

const ProducerSchema = z.object(
  {
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'ingestion.producers[].name must be 1-64 letters, digits, - or _'),
    rateLimit: intBetween('ingestion.producers[].rateLimit', 1, 10_000).optional(),
    burstLimit: intBetween('ingestion.producers[].burstLimit', 1, 5_000).optional(),
    quotaPerDay: intBetween('ingestion.producers[].quotaPerDay', 1, 1_000_000_000).optional(),
    seriesCap: intBetween('ingestion.producers[].seriesCap', 0, 10_000_000).optional(),
    allowList: AllowListSchema.optional(),
  },
  {
    error:
      'ingestion.producers[] must be objects {name, rateLimit?, burstLimit?, quotaPerDay?, seriesCap?, allowList?}',
  },
);

const IngestionSchema = z.object(
  {
    // API Gateway's account default is 10,000 requests/s with bursts of 5,000.
    rateLimit: intBetween('ingestion.rateLimit', 1, 10_000).optional(),
    burstLimit: intBetween('ingestion.burstLimit', 1, 5_000).optional(),
    producers: z
      .array(ProducerSchema)
      .min(1, 'ingestion.producers must name at least one producer')
      .optional(),
    seriesCap: intBetween('ingestion.seriesCap', 1, 10_000_000).optional(),
    allowList: AllowListSchema.optional(),
  },
  { error: 'ingestion must be an object {rateLimit?, burstLimit?, producers?, seriesCap?, allowList?}' },
);

const RawConfigSchema = z.object({
  stage: z
    .string({ error: 'stage is required' })
    .regex(
      /^[a-z][a-z0-9-]{0,15}$/,
      'stage must be 1-16 lowercase letters, digits or dashes, starting with a letter',
    ),
  timeseriesBackend: z.enum(['timestream', 'timestream-influxdb', 'influxdb'], {
    error: 'timeseriesBackend must be "timestream", "timestream-influxdb" or "influxdb"',
  }),
  retention: z.preprocess(
    fromCliObject,
    z.object(
      {
        // Timestream limits: memory store 1 h to 1 year, magnetic store 1 day to 200 years.
        memoryHours: intBetween('retention.memoryHours', 1, 8766),
        magneticDays: intBetween('retention.magneticDays', 1, 73000),
      },
      { error: 'retention must be an object {memoryHours, magneticDays}' },
    ),
  ),
  // Lambda's limits for a Kinesis event source mapping.
  batchSize: intBetween('batchSize', 1, 10000),
  maxBatchingWindowSeconds: intBetween('maxBatchingWindowSeconds', 0, 300),
  parallelizationFactor: intBetween('parallelizationFactor', 1, 10),
  streamMode: z.enum(['ON_DEMAND', 'PROVISIONED'], {
    error: 'streamMode must be "ON_DEMAND" or "PROVISIONED"',
  }),
  shardCount: intBetween('shardCount', 1, 1000).optional(),
  influx: z.preprocess(fromCliObject, InfluxSchema).optional(),
  influxInstance: z.preprocess(fromCliObject, InfluxInstanceSchema).optional(),
  allowInsecureInflux: z
    .preprocess(fromCliBoolean, z.boolean({ error: 'allowInsecureInflux must be true or false' }))
    .optional(),
  modelS3Uri: z
    .string()
    .regex(
      /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/,
      'modelS3Uri must look like s3://bucket/prefix (the folder holding model.onnx and model.json)',
    )
    .optional(),
  detectionSettings: z
    .preprocess(fromCliObject, DetectionSettingsSchema)
    .refine((s) => Buffer.byteLength(JSON.stringify(s)) <= MAX_SETTINGS_BYTES, {
      error: `detectionSettings must be at most ${MAX_SETTINGS_BYTES} bytes as JSON (it travels in the detector's environment)`,
    })
    .optional(),
  alertingConfig: z
    .string({ error: 'alertingConfig must be the path of the routing config file' })
    .min(1)
    .default(DEFAULT_ALERTING_CONFIG),
  alertEmailFrom: z
    .string()
    .regex(
      /^(?:[^<>]*<)?[^\s@<>]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}>?$/,
      'alertEmailFrom must be an address of an SES identity, e.g. "Seismo <alerts@example.com>"',
    )
    .default(DEFAULT_ALERT_EMAIL_FROM),
  ingestion: z.preprocess(fromCliObject, IngestionSchema).optional(),
  mappingRules: z
    .preprocess(
      fromCliObject,
      z.looseObject({}, { error: 'mappingRules must be an object (see core/ingest/mapping-rules.ts)' }),
    )
    .pipe(MappingRulesOverridesSchema)
    .optional(),
  kafka: z.preprocess(fromCliObject, KafkaConfigSchema).optional(),
  dbPoller: z.preprocess(fromCliObject, DbPollerConfigSchema).optional(),
  metricStream: z.preprocess(fromCliObject, MetricStreamConfigSchema).optional(),
  // `-c retrainAutoencoderOnFargate=true` arrives as a string.
  retrainAutoencoderOnFargate: z
    .preprocess(
      (v) => (v === 'true' ? true : v === 'false' ? false : v),
      z.boolean({ error: 'retrainAutoencoderOnFargate must be true or false' }),
    )
    .optional(),
});

/** Rules that tie keys together; checked on the raw values so they are reported alongside per-key problems. */
function crossKeyProblems(raw: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  if (raw.streamMode === 'PROVISIONED' && raw.shardCount === undefined) {
    problems.push('shardCount is required when streamMode is PROVISIONED (got nothing)');
  }
  if (raw.streamMode !== 'PROVISIONED' && raw.shardCount !== undefined) {
    problems.push(
      `shardCount only applies when streamMode is PROVISIONED; ON_DEMAND scales shards itself (got ${JSON.stringify(raw.shardCount)})`,
    );
  }
  if (raw.timeseriesBackend !== 'influxdb' && raw.influx !== undefined) {
    problems.push(
      'influx {url, org, bucket} names an InfluxDB you run, for timeseriesBackend "influxdb" only; "timestream-influxdb" provisions its own (settings in influxInstance)',
    );
  }
  if (raw.timeseriesBackend !== 'timestream-influxdb' && raw.influxInstance !== undefined) {
    problems.push('influxInstance only applies when timeseriesBackend is "timestream-influxdb"');
  }
  if (raw.timeseriesBackend === 'influxdb' && raw.influx === undefined) {
    problems.push('influx {url, org, bucket} is required when timeseriesBackend is "influxdb" (got nothing)');
  }
  const allowInsecure = fromCliBoolean(raw.allowInsecureInflux) === true;
  const url = (fromCliObject(raw.influx) as { url?: unknown } | undefined)?.url;
  if (typeof url === 'string' && /^https?:\/\//i.test(url)) {
    const names = { url: 'influx.url', allow: 'allowInsecureInflux=true' };
    const problem = influxUrlProblem(url, allowInsecure, names);
    if (problem) problems.push(problem);
  }
  if (allowInsecure && raw.stage === 'prod') {
    problems.push('allowInsecureInflux is for local development and cannot be true with stage "prod"');
  }
  return problems;
}

type RawConfig = z.infer<typeof RawConfigSchema>;

/**
 * Where scored points are written: Timestream for LiveAnalytics, an Amazon Timestream for InfluxDB instance the
 * stack provisions, or an InfluxDB endpoint someone else runs.
 */
export type TimeseriesConfig =
  | { readonly backend: 'timestream'; readonly memoryHours: number; readonly magneticDays: number }
  | {
      readonly backend: 'timestream-influxdb';
      readonly instanceType: (typeof INFLUX_INSTANCE_TYPES)[number];
      readonly storageGiB: number;
      /** A standby in a second Availability Zone (twice the instance price); prod's default. */
      readonly multiAz: boolean;
      readonly org: string;
      readonly bucket: string;
    }
  | {
      readonly backend: 'influxdb';
      readonly url: string;
      readonly org: string;
      readonly bucket: string;
      /** Present when `url` is http:// and `allowInsecureInflux` says this is local development. */
      readonly allowInsecureHttp?: true;
    };

/** Kinesis capacity: on-demand scaling, or a fixed number of shards. */
export type StreamConfig =
  | { readonly mode: 'ON_DEMAND' }
  | { readonly mode: 'PROVISIONED'; readonly shardCount: number };

/** One producer of the ingestion API: an API key and a usage plan of its own. */
export interface ProducerConfig {
  readonly name: string;
  /** Steady requests per second. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Requests per day. */
  readonly quotaPerDay: number;
  /** Distinct series this producer's key may create, instead of the ingestion-wide cap. */
  readonly seriesCap?: number;
  /** This producer's metric and label allow-list, instead of the ingestion-wide one. */
  readonly allowList?: AllowList;
}

/** The ingestion API's throttling, producers and per-tenant series cap. */
export interface IngestionConfig {
  /** Stage-wide requests per second, every producer together. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly producers: readonly ProducerConfig[];
  /** Distinct series one API key may create. */
  readonly seriesCap: number;
  /** Metrics and labels every producer without an allow-list of its own may send; all when absent. */
  readonly allowList?: AllowList;
}

/** Ingestion defaults: one producer, `default`. */
export const DEFAULT_INGESTION: IngestionConfig = {
  rateLimit: 500,
  burstLimit: 1_000,
  producers: [{ name: 'default', rateLimit: 100, burstLimit: 200, quotaPerDay: 5_000_000 }],
  seriesCap: 10_000,
};

/** The validated, typed deploy configuration of one Seismo stage. */
export interface SeismoConfig {
  readonly stage: string;
  readonly stream: StreamConfig;
  readonly timeseries: TimeseriesConfig;
  readonly detection: {
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    readonly parallelizationFactor: number;
    readonly modelS3Uri?: string;
    /** Sensitivity, thresholds and per-series overrides (core/sensitivity.ts); the shipped defaults if absent. */
    readonly settings?: DetectionSettings;
  };
  readonly alerting: {
    /** The routing config file (validated when the config is loaded, see `loadDeployedAlertingConfig`). */
    readonly configPath: string;
    /** The From of alert email: an address of a verified SES identity. */
    readonly emailFrom: string;
  };
  readonly ingestion: IngestionConfig;
  /** How the translator (and Kafka's protocol records) map samples to events; the defaults when absent. */
  readonly mappingRules?: MappingRules;
  /** A Kafka topic (MSK or self-managed) read into the stream; none unless the `kafka` key is set. */
  readonly kafka?: KafkaConfig;
  /** A database table polled into the stream; none unless the `dbPoller` key is set. */
  readonly dbPoller?: DbPollerConfig;
  /** A CloudWatch metric stream into the translator through Firehose; none unless `metricStream` is set. */
  readonly metricStream?: MetricStreamConfig;
  readonly retraining: {
    /** Train the autoencoder on every row in a Fargate task instead of a sample in Lambda. */
    readonly autoencoderOnFargate: boolean;
  };
}

function toConfig(raw: RawConfig): SeismoConfig {
  const stream: StreamConfig =
    raw.streamMode === 'PROVISIONED'
      ? { mode: 'PROVISIONED', shardCount: raw.shardCount ?? 1 }
      : { mode: 'ON_DEMAND' };
  const instance = raw.influxInstance ?? InfluxInstanceSchema.parse({});
  const timeseries: TimeseriesConfig =
    raw.timeseriesBackend === 'timestream-influxdb'
      ? {
          backend: 'timestream-influxdb',
          instanceType: instance.type,
          storageGiB: instance.storageGiB,
          multiAz: instance.multiAz ?? raw.stage === 'prod',
          org: instance.org,
          bucket: instance.bucket,
        }
      : raw.timeseriesBackend === 'influxdb' && raw.influx
        ? {
            backend: 'influxdb',
            ...raw.influx,
            ...(raw.allowInsecureInflux && new URL(raw.influx.url).protocol === 'http:'
              ? { allowInsecureHttp: true }
              : {}),
          }
        : { backend: 'timestream', ...raw.retention };
  return {
    stage: raw.stage,
    stream,
    timeseries,
    detection: {
      batchSize: raw.batchSize,
      maxBatchingWindowSeconds: raw.maxBatchingWindowSeconds,
      parallelizationFactor: raw.parallelizationFactor,
      ...(raw.modelS3Uri === undefined ? {} : { modelS3Uri: raw.modelS3Uri }),
      ...(raw.detectionSettings === undefined ? {} : { settings: raw.detectionSettings }),
    },
    alerting: { configPath: raw.alertingConfig, emailFrom: raw.alertEmailFrom },
    ingestion: {
      rateLimit: raw.ingestion?.rateLimit ?? DEFAULT_INGESTION.rateLimit,
      burstLimit: raw.ingestion?.burstLimit ?? DEFAULT_INGESTION.burstLimit,
      seriesCap: raw.ingestion?.seriesCap ?? DEFAULT_INGESTION.seriesCap,
      producers:
        raw.ingestion?.producers?.map((p) => ({
          name: p.name,
          rateLimit: p.rateLimit ?? 100,
          burstLimit: p.burstLimit ?? 200,
          quotaPerDay: p.quotaPerDay ?? 5_000_000,
          ...(p.seriesCap === undefined ? {} : { seriesCap: p.seriesCap }),
          ...(p.allowList === undefined ? {} : { allowList: p.allowList }),
        })) ?? DEFAULT_INGESTION.producers,
      ...(raw.ingestion?.allowList === undefined ? {} : { allowList: raw.ingestion.allowList }),
    },
    ...(raw.mappingRules === undefined ? {} : { mappingRules: parseMappingRules(raw.mappingRules) }),
    ...(raw.kafka === undefined ? {} : { kafka: raw.kafka }),
    ...(raw.dbPoller === undefined ? {} : { dbPoller: raw.dbPoller }),
    ...(raw.metricStream === undefined ? {} : { metricStream: raw.metricStream }),
    retraining: { autoencoderOnFargate: raw.retrainAutoencoderOnFargate ?? false },
  };
}

/**
 * Validates raw context values (as `cdk.json` or `-c` would give them) into a {@link SeismoConfig}.
 * Throws a {@link SeismoConfigError} listing every problem at once, each naming the key and the rule.
 */
export function parseConfig(raw: Readonly<Record<string, unknown>>): SeismoConfig {
  const result = RawConfigSchema.safeParse(raw);
  const problems = [
    ...(result.error?.issues ?? []).map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const value = issue.path.reduce<unknown>((v, k) => {
        const o = fromCliObject(v);
        return o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined;
      }, raw);
      const got = value === undefined ? 'nothing' : JSON.stringify(value);
      return `${issue.message.startsWith(key) ? '' : `${key}: `}${issue.message} (got ${got})`;
    }),
    ...crossKeyProblems(raw),
  ];
  if (!result.success || problems.length > 0) throw new SeismoConfigError(problems);
  const config = toConfig(result.data);
  const mappingEnv = translatorMappingEnvironment(config, () => API_KEY_ID_STAND_IN);
  const bytes = Object.entries(mappingEnv).reduce((n, [name, value]) => n + name.length + value.length, 0);
  if (bytes > MAX_MAPPING_ENV_BYTES) {
    throw new SeismoConfigError([
      `mappingRules and the ingestion allow-lists and series caps take ${bytes} bytes of the translator's environment, over the ${MAX_MAPPING_ENV_BYTES} that fit beside its other variables (Lambda allows 4 KB in all): shorten the patterns or share one allow-list (ingestion.allowList)`,
    ]);
  }
  return config;
}

/**
 * Reads the Seismo keys from a construct's CDK context (cdk.json defaults merged with `-c` overrides) and
 * validates them. A context key shaped like Seismo's that it does not read (`-c batchsize=100`) is a problem
 * too, named with the nearest known key (see infra/context-keys.ts for the rule).
 */
export function loadConfig(node: Node): SeismoConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined && value !== null && value !== '') raw[key] = value;
  }
  const unknown = unknownKeyProblems(node.getAllContext() as Record<string, unknown>, CONFIG_KEYS);
  let config: SeismoConfig | undefined;
  let problems: readonly string[] = [];
  try {
    config = parseConfig(raw);
  } catch (error) {
    if (!(error instanceof SeismoConfigError)) throw error;
    problems = error.problems;
  }
  // A typo'd key usually explains a problem with the key it was meant to set: report both, the typo first.
  if (!config || unknown.length > 0) throw new SeismoConfigError([...unknown, ...problems]);
  return config;
}
