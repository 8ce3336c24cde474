import { INFLUX_INSTANCES, type PriceTable } from './prices.ts';

/** The most storage one Timestream for InfluxDB instance takes (GiB, as GB here: the estimate errs low). */
export const INFLUX_MAX_STORAGE_GB = 16_384;

/** Hours in the month the estimate is for (AWS's convention: 730). */
export const HOURS_PER_MONTH = 730;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const GB = 1e9;
const KB = 1024;

/** What the estimate is for, and the assumptions it rests on; {@link DEFAULT_ASSUMPTIONS} holds the defaults. */
export interface CostInputs {
  readonly eventsPerSecond: number;
  readonly series: number;
  /** Records per detector invocation at most (the `batchSize` context key). */
  readonly batchSize: number;
  /** How long the event source waits to fill a batch (`maxBatchingWindowSeconds`). */
  readonly batchingWindowSeconds: number;
  /** Bytes of one event on the stream (JSON). */
  readonly bytesPerEvent: number;
  /** Bytes of one series' checkpoint item in DynamoDB (measured: about 1.3 KB of state plus key and attributes). */
  readonly checkpointBytes: number;
  /** Detector time per invocation: a fixed part (I/O round trips) plus a part per record (measured CPU). */
  readonly invocationFixedMs: number;
  readonly invocationMsPerRecord: number;
  readonly lambdaMemoryMb: number;
  /** Log bytes per invocation: the EMF metrics line, Powertools logs and Lambda's START/END/REPORT. */
  readonly logBytesPerInvocation: number;
  /** Episode transitions (SNS publishes) per scored point. */
  readonly transitionsPerPoint: number;
  /** Bytes one scored point takes in Timestream (a multi-measure record). */
  readonly timestreamBytesPerPoint: number;
  readonly memoryStoreHours: number;
  readonly magneticStoreDays: number;
  /** Bytes one scored point takes on disk in InfluxDB (TSM-compressed fields, series index included). */
  readonly influxBytesPerPoint: number;
  readonly influxRetentionDays: number;
  /** Points per second one vCPU of a Timestream for InfluxDB instance is assumed to sustain. */
  readonly influxPointsPerSecondPerVcpu: number;
  /** The stack's alarms, dashboards, EMF metrics and customer-managed keys. */
  readonly alarms: number;
  readonly dashboards: number;
  readonly emfMetrics: number;
  readonly kmsKeys: number;
}

/** The defaults `npm run cost` prints with each estimate. */
export const DEFAULT_ASSUMPTIONS: Omit<CostInputs, 'eventsPerSecond' | 'series'> = {
  batchSize: 500,
  batchingWindowSeconds: 1,
  bytesPerEvent: 120,
  checkpointBytes: 1400,
  invocationFixedMs: 30,
  invocationMsPerRecord: 0.006,
  lambdaMemoryMb: 1769,
  logBytesPerInvocation: 3000,
  transitionsPerPoint: 1e-4,
  timestreamBytesPerPoint: 200,
  memoryStoreHours: 24,
  magneticStoreDays: 365,
  influxBytesPerPoint: 12,
  influxRetentionDays: 365,
  influxPointsPerSecondPerVcpu: 25_000,
  alarms: 13,
  dashboards: 3,
  emfMetrics: 19,
  kmsKeys: 5,
};

/** One line of the estimate. */
export interface CostLine {
  readonly component: string;
  readonly usdPerMonth: number;
  /** How the figure was reached, in a few words. */
  readonly basis: string;
}

/** How the stream is read: shards, invocations, and what each invocation does. */
export interface Throughput {
  readonly shards: number;
  readonly invocationsPerSecond: number;
  readonly recordsPerInvocation: number;
  /** Distinct series one invocation checkpoints (one PutItem each). */
  readonly seriesPerInvocation: number;
  readonly checkpointWritesPerSecond: number;
  readonly invocationMs: number;
  /** Whether one invocation at a time per shard keeps up; if not, raise `parallelizationFactor`. */
  readonly keepsUp: boolean;
}

/** The estimate: throughput, each component under each option, and the totals per time-series store. */
export interface CostEstimate {
  readonly inputs: CostInputs;
  readonly throughput: Throughput;
  readonly stream: { readonly onDemand: CostLine; readonly provisioned: CostLine };
  readonly common: readonly CostLine[];
  readonly stores: {
    readonly timestream: readonly CostLine[];
    readonly timestreamInfluxdb: readonly CostLine[];
  };
  readonly totals: {
    readonly timestream: number;
    readonly timestreamInfluxdb: number;
  };
  /** The same series watched by CloudWatch anomaly detection alarms instead, one metric and alarm per series. */
  readonly cloudWatchAnomalyDetection: readonly CostLine[];
}

/** Kinesis shards the event rate needs: 1,000 records/s and 1 MB/s of writes per shard. */
export function shardsFor(eventsPerSecond: number, bytesPerEvent: number): number {
  return Math.max(1, Math.ceil(eventsPerSecond / 1000), Math.ceil((eventsPerSecond * bytesPerEvent) / 1e6));
}

/**
 * How the event source mapping reads the stream: per shard, one batch per batching window, or back-to-back full
 * batches once the window holds more than a batch. The partition key is the series, so each shard holds
 * `series / shards` series and a batch of `b` uniformly spread events touches `m (1 - (1 - 1/m)^b)` of them.
 */
export function throughput(inputs: CostInputs): Throughput {
  const shards = shardsFor(inputs.eventsPerSecond, inputs.bytesPerEvent);
  const perShard = inputs.eventsPerSecond / shards;
  const recordsPerInvocation = Math.min(inputs.batchSize, perShard * inputs.batchingWindowSeconds);
  const invocationsPerSecond = recordsPerInvocation > 0 ? (shards * perShard) / recordsPerInvocation : 0;
  const seriesPerShard = Math.max(1, inputs.series / shards);
  const seriesPerInvocation = seriesPerShard * (1 - (1 - 1 / seriesPerShard) ** recordsPerInvocation);
  const invocationMs = inputs.invocationFixedMs + inputs.invocationMsPerRecord * recordsPerInvocation;
  return {
    shards,
    invocationsPerSecond,
    recordsPerInvocation,
    seriesPerInvocation,
    checkpointWritesPerSecond: invocationsPerSecond * seriesPerInvocation,
    invocationMs,
    keepsUp: (invocationsPerSecond / shards) * invocationMs <= 1000,
  };
}

/** Monthly USD of custom metrics, by CloudWatch's tiers. */
export function metricMonths(count: number, prices: PriceTable): number {
  const tiers: [number, number][] = [
    [10_000, prices.metricMonthFirst10k.usd],
    [240_000, prices.metricMonthNext240k.usd],
    [750_000, prices.metricMonthNext750k.usd],
    [Number.POSITIVE_INFINITY, prices.metricMonthOver1m.usd],
  ];
  let left = count;
  let usd = 0;
  for (const [size, price] of tiers) {
    const here = Math.min(left, size);
    usd += here * price;
    left -= here;
  }
  return usd;
}

/** The monthly cost of running Seismo at `inputs`, per component, from `prices`. */
export function estimate(inputs: CostInputs, prices: PriceTable): CostEstimate {
  const t = throughput(inputs);
  const events = inputs.eventsPerSecond * SECONDS_PER_MONTH;
  const invocations = t.invocationsPerSecond * SECONDS_PER_MONTH;
  const roundedKb = Math.ceil(inputs.bytesPerEvent / KB);

  const onDemand: CostLine = {
    component: 'Kinesis (on-demand)',
    usdPerMonth:
      HOURS_PER_MONTH * prices.kinesisOnDemandStreamHour.usd +
      ((events * roundedKb * KB) / GB) * prices.kinesisOnDemandIngestGb.usd +
      ((events * inputs.bytesPerEvent) / GB) * prices.kinesisOnDemandRetrievalGb.usd,
    basis: `stream-hours + ${fmt(events / 1e9)} G records ingested (1 KB each, rounded) + retrieved`,
  };
  const provisioned: CostLine = {
    component: 'Kinesis (provisioned)',
    usdPerMonth:
      t.shards * HOURS_PER_MONTH * prices.kinesisShardHour.usd +
      (events * Math.ceil(inputs.bytesPerEvent / (25 * KB)) * prices.kinesisPutUnitMillion.usd) / 1e6,
    basis: `${t.shards} shard(s), sized for the average rate (no headroom) + PUT payload units`,
  };

  const gbSeconds = (invocations * t.invocationMs * inputs.lambdaMemoryMb) / 1000 / 1024;
  const wru = Math.ceil(inputs.checkpointBytes / KB);
  const checkpointWrites = t.checkpointWritesPerSecond * SECONDS_PER_MONTH;
  const stateGb = (inputs.series * inputs.checkpointBytes) / GB;
  const transitions = events * inputs.transitionsPerPoint;
  const logGb = (invocations * inputs.logBytesPerInvocation) / GB;
  // Lambda's default sampling: the first request each second, then 5% of the rest.
  const traces =
    Math.min(invocations, SECONDS_PER_MONTH) + Math.max(0, invocations - SECONDS_PER_MONTH) * 0.05;
  const common: CostLine[] = [
    {
      component: 'Lambda (detector)',
      usdPerMonth:
        gbSeconds * prices.lambdaArmGbSecond.usd + (invocations / 1e6) * prices.lambdaRequestMillion.usd,
      basis: `${fmt(t.invocationsPerSecond)} invocations/s × ${fmt(t.invocationMs)} ms × ${inputs.lambdaMemoryMb} MB (arm64)`,
    },
    {
      component: 'DynamoDB (state checkpoints)',
      usdPerMonth:
        (checkpointWrites * wru * prices.dynamoWriteMillion.usd) / 1e6 +
        stateGb * (prices.dynamoStorageGbMonth.usd + prices.dynamoPitrGbMonth.usd),
      basis: `${fmt(t.checkpointWritesPerSecond)} PutItem/s × ${wru} WRU (one per touched series per batch) + storage and PITR`,
    },
    {
      component: 'SNS (episode transitions)',
      usdPerMonth: (transitions / 1e6) * prices.snsPublishMillion.usd,
      basis: `${inputs.transitionsPerPoint} transitions per point`,
    },
    {
      component: 'CloudWatch Logs',
      usdPerMonth: logGb * (prices.logsIngestGb.usd + prices.logsStorageGbMonth.usd),
      basis: `${fmt(logGb)} GB/month ingested (${inputs.logBytesPerInvocation} B per invocation), kept a month`,
    },
    {
      component: 'CloudWatch metrics, alarms, dashboards',
      usdPerMonth:
        metricMonths(inputs.emfMetrics, prices) +
        inputs.alarms * prices.alarmMetricMonth.usd +
        inputs.dashboards * prices.dashboardMonth.usd,
      basis: `${inputs.emfMetrics} EMF metrics (per model version, never per series), ${inputs.alarms} alarms, ${inputs.dashboards} dashboards`,
    },
    {
      component: 'X-Ray traces',
      usdPerMonth: (Math.max(0, traces - 100_000) / 1e6) * prices.xrayTraceMillion.usd,
      basis: "Lambda's default sampling (1/s, then 5%)",
    },
    {
      component: 'KMS keys',
      usdPerMonth: inputs.kmsKeys * prices.kmsKeyMonth.usd,
      basis: `${inputs.kmsKeys} customer-managed keys; request charges left out (data keys are cached)`,
    },
  ];

  const pointsPerSecond = inputs.eventsPerSecond;
  const memoryGb = (pointsPerSecond * inputs.timestreamBytesPerPoint * inputs.memoryStoreHours * 3600) / GB;
  const magneticGb =
    (pointsPerSecond * inputs.timestreamBytesPerPoint * inputs.magneticStoreDays * 86_400) / GB;
  const timestream: CostLine[] = [
    {
      component: 'Timestream LiveAnalytics writes',
      usdPerMonth: (events / 1e6) * prices.timestreamWriteMillion.usd,
      basis: 'one 1 KB write per point',
    },
    {
      component: 'Timestream LiveAnalytics storage',
      usdPerMonth:
        memoryGb * HOURS_PER_MONTH * prices.timestreamMemoryGbHour.usd +
        magneticGb * prices.timestreamMagneticGbMonth.usd,
      basis: `${fmt(memoryGb)} GB in memory (${inputs.memoryStoreHours} h), ${fmt(magneticGb)} GB magnetic once ${inputs.magneticStoreDays} days are kept`,
    },
  ];

  const vcpusNeeded = pointsPerSecond / inputs.influxPointsPerSecondPerVcpu;
  const instance = INFLUX_INSTANCES.find((i) => i.vcpu >= vcpusNeeded);
  const largest = INFLUX_INSTANCES[INFLUX_INSTANCES.length - 1] as (typeof INFLUX_INSTANCES)[number];
  const instances = instance ? 1 : Math.ceil(vcpusNeeded / largest.vcpu);
  const chosen = instance ?? largest;
  const influxGb = Math.max(
    20,
    (pointsPerSecond * inputs.influxBytesPerPoint * inputs.influxRetentionDays * 86_400) / GB,
  );
  const timestreamInfluxdb: CostLine[] = [
    {
      component: 'Timestream for InfluxDB instance',
      usdPerMonth: instances * chosen.usdPerHour * HOURS_PER_MONTH,
      basis: `${instances > 1 ? `${instances} × ` : ''}${chosen.type} (Single-AZ; Multi-AZ doubles it)${instances > 1 ? ': beyond one instance, the points must be split across instances' : ''}`,
    },
    {
      component: 'Timestream for InfluxDB storage',
      usdPerMonth: influxGb * prices.influxStorageGbMonth.usd,
      basis: `${fmt(influxGb)} GB once ${inputs.influxRetentionDays} days are kept${influxGb > INFLUX_MAX_STORAGE_GB * instances ? ` (over ${fmt(INFLUX_MAX_STORAGE_GB)} GB per instance: shorten the retention or split)` : ''}`,
    },
    {
      component: 'VPC interface endpoints',
      usdPerMonth: 3 * 2 * HOURS_PER_MONTH * prices.interfaceEndpointHour.usd,
      basis: 'SNS, SQS, Secrets Manager in 2 AZs (DynamoDB and S3 gateways are free)',
    },
  ];

  const sum = (lines: readonly CostLine[]) => lines.reduce((total, line) => total + line.usdPerMonth, 0);
  const base = onDemand.usdPerMonth + sum(common);
  const requests = events / 1000;
  const cloudWatchAnomalyDetection: CostLine[] = [
    {
      component: 'custom metrics, one per series',
      usdPerMonth: metricMonths(inputs.series, prices),
      basis: 'tiered metric-month prices',
    },
    {
      component: 'anomaly detection alarms, one per series',
      usdPerMonth: inputs.series * 3 * prices.alarmMetricMonth.usd,
      basis: 'standard resolution; each counts as 3 alarm metrics',
    },
    {
      component: 'PutMetricData',
      usdPerMonth: (requests / 1000) * prices.putMetricDataThousand.usd,
      basis: '1,000 values per request at best',
    },
  ];
  return {
    inputs,
    throughput: t,
    stream: { onDemand, provisioned },
    common,
    stores: { timestream, timestreamInfluxdb },
    totals: { timestream: base + sum(timestream), timestreamInfluxdb: base + sum(timestreamInfluxdb) },
    cloudWatchAnomalyDetection,
  };
}

/** A number for a sentence: 3 significant digits, no exponent. */
export function fmt(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}
