import type { Node } from 'constructs';
import { z } from 'zod';
import { type DetectionSettings, DetectionSettingsSchema } from '../core/sensitivity.ts';
import { influxUrlProblem } from '../functions/detect/influx-url.ts';

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
  'allowInsecureInflux',
  'modelS3Uri',
  'detectionSettings',
  'alertingConfig',
  'alertEmailFrom',
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

const RawConfigSchema = z.object({
  stage: z
    .string({ error: 'stage is required' })
    .regex(
      /^[a-z][a-z0-9-]{0,15}$/,
      'stage must be 1-16 lowercase letters, digits or dashes, starting with a letter',
    ),
  timeseriesBackend: z.enum(['timestream', 'influxdb'], {
    error: 'timeseriesBackend must be "timestream" or "influxdb"',
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

/** Where scored points are written: Timestream for LiveAnalytics, or an InfluxDB endpoint (e.g. Timestream for InfluxDB). */
export type TimeseriesConfig =
  | { readonly backend: 'timestream'; readonly memoryHours: number; readonly magneticDays: number }
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
}

function toConfig(raw: RawConfig): SeismoConfig {
  const stream: StreamConfig =
    raw.streamMode === 'PROVISIONED'
      ? { mode: 'PROVISIONED', shardCount: raw.shardCount ?? 1 }
      : { mode: 'ON_DEMAND' };
  const timeseries: TimeseriesConfig =
    raw.timeseriesBackend === 'influxdb' && raw.influx
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
  return toConfig(result.data);
}

/** Reads the Seismo keys from a construct's CDK context (cdk.json defaults merged with `-c` overrides) and validates them. */
export function loadConfig(node: Node): SeismoConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined && value !== null && value !== '') raw[key] = value;
  }
  return parseConfig(raw);
}
