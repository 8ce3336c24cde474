import { z } from 'zod';
import { type PollerSource, PollerSourceSchema } from '../core/poller/poller-config.ts';

/**
 * The deploy configuration of the optional ingestion sources (CDK context keys `kafka` and `dbPoller`):
 * a Kafka event source mapping into the Kafka ingest function, and a scheduled database poller. Each is off
 * unless its key is set; {@link parseConfig} in config.ts validates them with the other keys.
 */

const intBetween = (key: string, min: number, max: number) => {
  const rule = `${key} must be an integer from ${min} to ${max}`;
  return z.number({ error: rule }).int({ error: rule }).min(min, { error: rule }).max(max, { error: rule });
};

const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;

const secretArn = (key: string) =>
  z
    .string({ error: `${key} must be a Secrets Manager secret ARN` })
    .regex(
      SECRET_ARN,
      `${key} must be the complete ARN of a Secrets Manager secret (ending in its 6-character suffix, as the console shows it)`,
    );

/** A VPC to attach to: its id, the (private) subnets and the security groups, all existing. */
const vpcSchema = (key: string) =>
  z.object(
    {
      vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, `${key}.vpcId must look like vpc-0123456789abcdef0`),
      subnetIds: z
        .array(
          z
            .string()
            .regex(/^subnet-[0-9a-f]{8,17}$/, `${key}.subnetIds[] must look like subnet-0123456789abcdef0`),
        )
        .min(1, `${key}.subnetIds must name at least one subnet`),
      securityGroupIds: z
        .array(
          z
            .string()
            .regex(/^sg-[0-9a-f]{8,17}$/, `${key}.securityGroupIds[] must look like sg-0123456789abcdef0`),
        )
        .min(1, `${key}.securityGroupIds must name at least one security group`),
    },
    { error: `${key} must be an object {vpcId, subnetIds, securityGroupIds}` },
  );

/** An existing VPC, subnets and security groups. */
export type VpcAttachment = z.output<ReturnType<typeof vpcSchema>>;

/** Formats a Kafka record may hold (core/kafka: JSON events and the translator's protocols). */
export const KAFKA_FORMATS = [
  'events-json',
  'prometheus-remote-write',
  'otlp-protobuf',
  'otlp-json',
  'influx-line',
] as const;

/** The `kafka` context key. */
export const KafkaConfigSchema = z
  .object(
    {
      mode: z.enum(['msk', 'self-managed'], { error: 'kafka.mode must be "msk" or "self-managed"' }),
      clusterArn: z
        .string()
        .regex(
          /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/.+$/,
          'kafka.clusterArn must be an MSK cluster ARN',
        )
        .optional(),
      bootstrapServers: z
        .array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'kafka.bootstrapServers[] must be host:port'))
        .min(1, 'kafka.bootstrapServers must name at least one broker')
        .optional(),
      topic: z
        .string({ error: 'kafka.topic is required' })
        .regex(/^[A-Za-z0-9._-]{1,249}$/, 'kafka.topic must be a Kafka topic name'),
      consumerGroupId: z
        .string()
        .regex(
          /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/,
          'kafka.consumerGroupId must be 1-200 of a-z A-Z 0-9 - / * : _ + = . @',
        )
        .optional(),
      secretArn: secretArn('kafka.secretArn').optional(),
      authentication: z
        .enum(['SASL_SCRAM_512_AUTH', 'SASL_SCRAM_256_AUTH', 'BASIC_AUTH', 'CLIENT_CERTIFICATE_TLS_AUTH'], {
          error:
            'kafka.authentication must be SASL_SCRAM_512_AUTH, SASL_SCRAM_256_AUTH, BASIC_AUTH or CLIENT_CERTIFICATE_TLS_AUTH',
        })
        .optional(),
      vpc: vpcSchema('kafka.vpc').optional(),
      batchSize: intBetween('kafka.batchSize', 1, 10_000).default(100),
      maxBatchingWindowSeconds: intBetween('kafka.maxBatchingWindowSeconds', 0, 300).default(1),
      startingPosition: z
        .enum(['TRIM_HORIZON', 'LATEST'], { error: 'kafka.startingPosition must be TRIM_HORIZON or LATEST' })
        .default('TRIM_HORIZON'),
      // With an on-failure destination Lambda caps retries at 10 anyway.
      retryAttempts: intBetween('kafka.retryAttempts', 0, 10).default(10),
      minimumPollers: intBetween('kafka.minimumPollers', 1, 200).default(1),
      maximumPollers: intBetween('kafka.maximumPollers', 1, 2_000).default(2),
      aggregate: z.boolean({ error: 'kafka.aggregate must be true or false' }).default(false),
      // What a record without a seismo-format or content-type header holds (KAFKA_DEFAULT_FORMAT).
      defaultFormat: z
        .enum(KAFKA_FORMATS, { error: `kafka.defaultFormat must be one of ${KAFKA_FORMATS.join(', ')}` })
        .default('events-json'),
    },
    { error: 'kafka must be an object {mode, topic, clusterArn | bootstrapServers, ...}' },
  )
  .superRefine((k, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (k.mode === 'msk') {
      if (!k.clusterArn) problem('kafka.clusterArn is required when kafka.mode is "msk"');
      for (const key of ['bootstrapServers', 'vpc', 'authentication'] as const) {
        if (k[key] !== undefined)
          problem(`kafka.${key} only applies when kafka.mode is "self-managed" (MSK brings its own)`);
      }
    } else {
      if (!k.bootstrapServers)
        problem('kafka.bootstrapServers is required when kafka.mode is "self-managed"');
      if (k.clusterArn) problem('kafka.clusterArn only applies when kafka.mode is "msk"');
      if (!k.vpc && !k.secretArn)
        problem('kafka.secretArn is required for brokers reached over the internet (no kafka.vpc)');
    }
    if (k.minimumPollers > k.maximumPollers)
      problem('kafka.minimumPollers must not exceed kafka.maximumPollers');
  });

/** The validated `kafka` configuration. */
export type KafkaConfig = z.output<typeof KafkaConfigSchema>;

/** The `dbPoller` context key. */
export const DbPollerConfigSchema = z.object(
  {
    source: PollerSourceSchema,
    connection: z.object(
      {
        host: z.string().min(1, 'dbPoller.connection.host must be a host name'),
        port: intBetween('dbPoller.connection.port', 1, 65_535).default(5432),
        database: z.string().min(1, 'dbPoller.connection.database must be a database name'),
        user: z.string().min(1, 'dbPoller.connection.user must be a user name'),
        ssl: z.boolean({ error: 'dbPoller.connection.ssl must be true or false' }).default(true),
      },
      { error: 'dbPoller.connection must be an object {host, port?, database, user, ssl?}' },
    ),
    /** The secret holding the password (RDS's JSON format or the bare password); the poller only reads it. */
    secretArn: secretArn('dbPoller.secretArn'),
    vpc: vpcSchema('dbPoller.vpc').optional(),
    scheduleMinutes: intBetween('dbPoller.scheduleMinutes', 1, 60).default(1),
  },
  { error: 'dbPoller must be an object {source, connection, secretArn, vpc?, scheduleMinutes?}' },
);

/** The validated `dbPoller` configuration. */
export type DbPollerConfig = z.output<typeof DbPollerConfigSchema> & { readonly source: PollerSource };

// CloudWatch's namespace rules: 1-255 characters, no leading colon, not AWS/ unless AWS's own.
const namespace = z
  .string({ error: 'metricStream namespaces must be strings' })
  .regex(
    /^[^:][^\s]{0,254}$/,
    'metricStream namespaces must be 1-255 characters without spaces, not starting with ":"',
  );

/** The `metricStream` context key: a CloudWatch metric stream delivered through Firehose to the translator. */
export const MetricStreamConfigSchema = z
  .object(
    {
      outputFormat: z
        .enum(['json', 'opentelemetry1.0'], {
          error: 'metricStream.outputFormat must be "json" or "opentelemetry1.0"',
        })
        .default('json'),
      includeNamespaces: z
        .array(namespace)
        .min(1, 'metricStream.includeNamespaces must name a namespace (or leave it out: all)')
        .max(1000, 'metricStream.includeNamespaces takes at most 1000 namespaces')
        .optional(),
      excludeNamespaces: z
        .array(namespace)
        .min(1, 'metricStream.excludeNamespaces must name a namespace (or leave it out)')
        .max(1000, 'metricStream.excludeNamespaces takes at most 1000 namespaces')
        .optional(),
      // Firehose sends a request per buffer; 1 MiB keeps it well under the translator's 4 MiB body limit
      // once base64 and the JSON envelope are added.
      bufferSeconds: intBetween('metricStream.bufferSeconds', 0, 900).default(60),
    },
    {
      error:
        'metricStream must be an object {outputFormat?, includeNamespaces? | excludeNamespaces?, bufferSeconds?}',
    },
  )
  .superRefine((m, ctx) => {
    if (m.includeNamespaces && m.excludeNamespaces)
      ctx.addIssue({
        code: 'custom',
        message:
          'metricStream takes includeNamespaces or excludeNamespaces, not both (CloudWatch allows one kind of filter)',
      });
  });

/** The validated `metricStream` configuration. */
export type MetricStreamConfig = z.output<typeof MetricStreamConfigSchema>;
