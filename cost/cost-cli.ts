/**
 * `npm run cost -- --events-per-second N --series M [--batch-size B] [--bytes-per-event X]`: Seismo's monthly
 * AWS cost per component at that load, from the dated price table in cost/prices.ts, with every assumption
 * printed, and what CloudWatch anomaly detection alarms would cost for the same series. `--json` prints the
 * estimate as one JSON object instead.
 */

import { parseArgs } from 'node:util';
import { type CostEstimate, type CostLine, DEFAULT_ASSUMPTIONS, estimate, fmt } from './cost-model.ts';
import { PRICES, PRICES_DATE, PRICES_REGION, type Price } from './prices.ts';

/** A command line `cost` cannot act on; names the option. */
export class CostUsageError extends Error {
  override readonly name = 'CostUsageError';
}

const USAGE =
  'usage: npm run cost -- --events-per-second N --series M [--batch-size B] [--bytes-per-event X] [--json]';

function positive(name: string, text: string | undefined, integer: boolean): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new CostUsageError(
      `--${name} must be a positive ${integer ? 'integer' : 'number'} (got ${text ?? 'nothing'})`,
    );
  }
  return value;
}

/** Parses the command line into the model's inputs. */
export function parseCostArgs(argv: readonly string[]) {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        'events-per-second': { type: 'string' },
        series: { type: 'string' },
        'batch-size': { type: 'string' },
        'bytes-per-event': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new CostUsageError((error as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) return { help: true as const };
  const batch = v['batch-size'] as string | undefined;
  const bytes = v['bytes-per-event'] as string | undefined;
  return {
    help: false as const,
    json: v.json === true,
    inputs: {
      ...DEFAULT_ASSUMPTIONS,
      eventsPerSecond: positive('events-per-second', v['events-per-second'] as string | undefined, false),
      series: positive('series', v.series as string | undefined, true),
      ...(batch !== undefined && { batchSize: positive('batch-size', batch, true) }),
      ...(bytes !== undefined && { bytesPerEvent: positive('bytes-per-event', bytes, true) }),
    },
  };
}

const usd = (value: number) =>
  `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** Marks a figure resting on a price that could not be checked on the table's date. */
const mark = (prices: readonly Price[]) => (prices.some((p) => !p.verified) ? ' *' : '');

/** The estimate as the table `npm run cost` prints. */
export function renderEstimate(e: CostEstimate): string {
  const { inputs: i, throughput: t } = e;
  const line = (l: CostLine, prices: readonly Price[] = [PRICES.lambdaArmGbSecond]) =>
    `  ${l.component.padEnd(40)} ${`${usd(l.usdPerMonth)}${mark(prices)}`.padStart(16)}   ${l.basis}`;
  const out = [
    `Seismo monthly cost at ${fmt(i.eventsPerSecond)} events/s over ${fmt(i.series)} series (${PRICES_REGION}, list prices of ${PRICES_DATE}; * = price not verified on that date)`,
    '',
    'Assumptions',
    `  batch size ${i.batchSize}, batching window ${i.batchingWindowSeconds} s, ${i.bytesPerEvent} B per event, ${t.shards} shard(s)`,
    `  ${fmt(t.recordsPerInvocation)} records and ${fmt(t.seriesPerInvocation)} series per invocation; one ${i.checkpointBytes} B checkpoint PutItem per touched series per batch`,
    `  ${i.invocationFixedMs} ms + ${i.invocationMsPerRecord} ms per record per invocation at ${i.lambdaMemoryMb} MB${t.keepsUp ? '' : '  (one batch at a time per shard does not keep up: raise parallelizationFactor)'}`,
    `  ${i.transitionsPerPoint} episode transitions per point; ${i.logBytesPerInvocation} B of logs per invocation`,
    `  Timestream: ${i.timestreamBytesPerPoint} B per point, memory store ${i.memoryStoreHours} h, magnetic ${i.magneticStoreDays} days (steady state)`,
    `  InfluxDB: ${i.influxBytesPerPoint} B per point on disk, ${i.influxRetentionDays} days, ${fmt(i.influxPointsPerSecondPerVcpu)} points/s per vCPU (assumed)`,
    '',
    'Stream (choose one)',
    line(e.stream.onDemand, [PRICES.kinesisOnDemandIngestGb]),
    line(e.stream.provisioned, [PRICES.kinesisShardHour]),
    '',
    'Detector and the rest',
    ...e.common.map((l) =>
      line(l, l.component.startsWith('DynamoDB') ? [PRICES.dynamoStorageGbMonth] : undefined),
    ),
    '',
    'Time-series store (choose one)',
    ...e.stores.timestream.map((l) => line(l, [PRICES.timestreamWriteMillion])),
    ...e.stores.timestreamInfluxdb.map((l) => line(l, [PRICES.influxStorageGbMonth])),
    '',
    'Total per month (on-demand Kinesis)',
    `  ${'with Timestream LiveAnalytics'.padEnd(40)} ${usd(e.totals.timestream).padStart(16)}`,
    `  ${'with Timestream for InfluxDB'.padEnd(40)} ${usd(e.totals.timestreamInfluxdb).padStart(16)}`,
    `  (provisioned Kinesis instead: ${usd(e.stream.provisioned.usdPerMonth)} in place of ${usd(e.stream.onDemand.usdPerMonth)} on either)`,
    '',
    'For comparison: CloudWatch anomaly detection, one metric and one alarm per series',
    ...e.cloudWatchAnomalyDetection.map((l) => line(l, [PRICES.alarmMetricMonth])),
    `  ${'total'.padEnd(40)} ${usd(e.cloudWatchAnomalyDetection.reduce((s, l) => s + l.usdPerMonth, 0)).padStart(16)}   (plus the metrics' own ingestion; alarms evaluate per minute at best)`,
    '',
    'Prices and sources: cost/prices.ts',
  ];
  return out.join('\n');
}

/** Runs the command; returns the exit code (2 for a wrong command line). */
export function main(argv: readonly string[], print = console.log, printError = console.error): number {
  try {
    const args = parseCostArgs(argv);
    if (args.help) {
      print(USAGE);
      return 0;
    }
    const result = estimate(args.inputs, PRICES);
    print(args.json ? JSON.stringify(result) : renderEstimate(result));
    return 0;
  } catch (error) {
    if (!(error instanceof CostUsageError)) throw error;
    printError(`${error.message}\n${USAGE}`);
    return 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
