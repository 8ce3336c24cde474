/**
 * The public list prices `npm run cost` multiplies by, for us-east-1 (N. Virginia), on-demand, no free tier
 * unless said. Each entry names its source and whether it was checked against a current public page when the
 * table was dated; `unverified` marks prices written from the last known list price that could not be checked
 * (the estimate prints them with a mark). Update the date with the numbers.
 */

/** When the table was written and checked. */
export const PRICES_DATE = '2026-11-30';
/** The one region the table holds. */
export const PRICES_REGION = 'us-east-1';

/** One price: USD per unit, where it comes from, and whether it was checked on that date. */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  readonly verified: boolean;
}

const KINESIS = 'https://aws.amazon.com/kinesis/data-streams/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const TIMESTREAM = 'https://aws.amazon.com/timestream/pricing/';
const SNS = 'https://aws.amazon.com/sns/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const XRAY = 'https://aws.amazon.com/xray/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const PRIVATELINK = 'https://aws.amazon.com/privatelink/pricing/';

/** Instance classes of Timestream for InfluxDB with their hourly price (Single-AZ) and an assumed write capacity. */
export const INFLUX_INSTANCES = [
  { type: 'db.influx.medium', vcpu: 1, usdPerHour: 0.125 },
  { type: 'db.influx.large', vcpu: 2, usdPerHour: 0.25 },
  { type: 'db.influx.xlarge', vcpu: 4, usdPerHour: 0.5 },
  { type: 'db.influx.2xlarge', vcpu: 8, usdPerHour: 1.0 },
  { type: 'db.influx.4xlarge', vcpu: 16, usdPerHour: 2.0 },
  { type: 'db.influx.8xlarge', vcpu: 32, usdPerHour: 4.0 },
  { type: 'db.influx.12xlarge', vcpu: 48, usdPerHour: 6.0 },
  { type: 'db.influx.16xlarge', vcpu: 64, usdPerHour: 8.0 },
] as const;

/** Where the InfluxDB instance prices and capacities come from, and how far they were checked. */
export const INFLUX_INSTANCE_SOURCE: Price = {
  usd: 0,
  unit: 'see INFLUX_INSTANCES',
  source: `${TIMESTREAM}; scaling from docs.aws.amazon.com/prescriptive-guidance/latest/timestream-for-influxdb-well-architected-framework/cost-optimization.html`,
  // The guidance confirms prices scale linearly with size from xlarge; the absolute rates were not retrievable.
  verified: false,
};

/** The price table. */
export const PRICES = {
  kinesisOnDemandStreamHour: { usd: 0.04, unit: 'stream-hour', source: KINESIS, verified: false },
  kinesisOnDemandIngestGb: {
    usd: 0.08,
    unit: 'GB ingested (records rounded up to 1 KB)',
    source: KINESIS,
    verified: false,
  },
  kinesisOnDemandRetrievalGb: { usd: 0.04, unit: 'GB retrieved', source: KINESIS, verified: false },
  kinesisShardHour: { usd: 0.015, unit: 'shard-hour', source: KINESIS, verified: false },
  kinesisPutUnitMillion: {
    usd: 0.014,
    unit: 'million 25 KB PUT payload units',
    source: KINESIS,
    verified: false,
  },
  lambdaArmGbSecond: { usd: 0.0000133334, unit: 'GB-second (arm64)', source: LAMBDA, verified: false },
  lambdaRequestMillion: { usd: 0.2, unit: 'million requests', source: LAMBDA, verified: false },
  dynamoWriteMillion: {
    usd: 0.625,
    unit: 'million write request units',
    source: `${DYNAMODB} (halved on 2024-11-01; cross-checked with airbyte.com/data-engineering-resources/dynamodb-pricing, 2025)`,
    verified: true,
  },
  dynamoReadMillion: {
    usd: 0.125,
    unit: 'million read request units',
    source: `${DYNAMODB} (cross-checked as above)`,
    verified: true,
  },
  dynamoStorageGbMonth: { usd: 0.25, unit: 'GB-month', source: DYNAMODB, verified: false },
  dynamoPitrGbMonth: {
    usd: 0.2,
    unit: 'GB-month of point-in-time recovery',
    source: DYNAMODB,
    verified: false,
  },
  timestreamWriteMillion: {
    usd: 0.5,
    unit: 'million 1 KB writes',
    source: `${TIMESTREAM} (LiveAnalytics; the same rates appear on its 2020 page archived by web.archive.org, for us-east-2)`,
    verified: false,
  },
  timestreamMemoryGbHour: {
    usd: 0.036,
    unit: 'GB-hour in the memory store',
    source: TIMESTREAM,
    verified: false,
  },
  timestreamMagneticGbMonth: {
    usd: 0.03,
    unit: 'GB-month in the magnetic store',
    source: TIMESTREAM,
    verified: false,
  },
  influxStorageGbMonth: {
    usd: 0.2,
    unit: 'GB-month, Influx IO Included 3000 IOPS',
    source: TIMESTREAM,
    verified: false,
  },
  interfaceEndpointHour: {
    usd: 0.01,
    unit: 'VPC interface endpoint per AZ-hour',
    source: PRIVATELINK,
    verified: false,
  },
  snsPublishMillion: { usd: 0.5, unit: 'million publishes (64 KB chunks)', source: SNS, verified: false },
  logsIngestGb: {
    usd: 0.5,
    unit: 'GB of CloudWatch Logs ingested (standard class)',
    source: CLOUDWATCH,
    verified: false,
  },
  logsStorageGbMonth: { usd: 0.03, unit: 'GB-month of logs stored', source: CLOUDWATCH, verified: false },
  metricMonthFirst10k: {
    usd: 0.3,
    unit: 'custom metric-month, first 10,000',
    source: CLOUDWATCH,
    verified: false,
  },
  metricMonthNext240k: {
    usd: 0.1,
    unit: 'custom metric-month, next 240,000',
    source: CLOUDWATCH,
    verified: false,
  },
  metricMonthNext750k: {
    usd: 0.05,
    unit: 'custom metric-month, next 750,000',
    source: CLOUDWATCH,
    verified: false,
  },
  metricMonthOver1m: {
    usd: 0.02,
    unit: 'custom metric-month, over 1,000,000',
    source: CLOUDWATCH,
    verified: false,
  },
  putMetricDataThousand: {
    usd: 0.01,
    unit: '1,000 PutMetricData requests',
    source: CLOUDWATCH,
    verified: false,
  },
  alarmMetricMonth: {
    usd: 0.1,
    unit: 'standard-resolution alarm metric-month (an anomaly detection alarm counts 3)',
    source: CLOUDWATCH,
    verified: false,
  },
  dashboardMonth: {
    usd: 3,
    unit: 'dashboard-month (beyond the 3 free per account)',
    source: CLOUDWATCH,
    verified: false,
  },
  xrayTraceMillion: {
    usd: 5,
    unit: 'million traces recorded (first 100,000 a month free)',
    source: XRAY,
    verified: false,
  },
  kmsKeyMonth: { usd: 1, unit: 'customer-managed key-month', source: KMS, verified: false },
} as const satisfies Record<string, Price>;

/** A price table of the same shape (tests pass their own). */
export type PriceTable = { readonly [K in keyof typeof PRICES]: Price };
