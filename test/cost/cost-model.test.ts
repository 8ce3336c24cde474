import { describe, expect, it } from 'vitest';
import { main, parseCostArgs } from '../../cost/cost-cli.ts';
import {
  type CostInputs,
  DEFAULT_ASSUMPTIONS,
  estimate,
  metricMonths,
  shardsFor,
  throughput,
} from '../../cost/cost-model.ts';
import { PRICES, type PriceTable } from '../../cost/prices.ts';

const at = (eventsPerSecond: number, series: number, more: Partial<CostInputs> = {}): CostInputs => ({
  ...DEFAULT_ASSUMPTIONS,
  eventsPerSecond,
  series,
  ...more,
});

/** Every price 1 USD: each line then counts its units, which a test can check by hand. */
const UNIT_PRICES = Object.fromEntries(
  Object.entries(PRICES).map(([key, price]) => [key, { ...price, usd: 1 }]),
) as unknown as PriceTable;

describe('throughput', () => {
  it('sizes shards by records and by bytes, whichever needs more', () => {
    // Act and assess
    expect(shardsFor(500, 120)).toBe(1);
    expect(shardsFor(100_000, 120)).toBe(100);
    expect(shardsFor(100_000, 20_000)).toBe(2000);
  });

  it('reads one batch per window when the window holds less than a batch', () => {
    // Act
    const t = throughput(at(200, 50));

    // Assess
    expect(t.invocationsPerSecond).toBeCloseTo(1);
    expect(t.recordsPerInvocation).toBeCloseTo(200);
    // 200 events over 50 series: nearly every series is touched, once.
    expect(t.seriesPerInvocation).toBeGreaterThan(49);
    expect(t.seriesPerInvocation).toBeLessThanOrEqual(50);
  });

  it('checkpoints about once per event when series outnumber a batch, once per series per batch when not', () => {
    // Act
    const many = throughput(at(1000, 1_000_000));
    const few = throughput(at(1000, 10));

    // Assess
    expect(many.checkpointWritesPerSecond / 1000).toBeGreaterThan(0.99);
    expect(few.checkpointWritesPerSecond).toBeCloseTo(few.invocationsPerSecond * 10, 5);
  });
});

describe('estimate', () => {
  it('counts units a person can check by hand', () => {
    // Prepare: 1 event/s, one series, unit prices; 2,628,000 seconds in a 730-hour month.
    const e = estimate(at(1, 1), UNIT_PRICES);
    const line = (name: string) =>
      [...e.common, ...e.stores.timestream].find((l) => l.component.startsWith(name))?.usdPerMonth;

    // Assess: one invocation a second, one 2-WRU checkpoint each, one Timestream write per point.
    expect(line('Timestream LiveAnalytics writes')).toBeCloseTo(2.628);
    expect(line('DynamoDB')).toBeCloseTo((2_628_000 * 2) / 1e6 + 2 * 1400e-9, 6);
    expect(line('Lambda')).toBeCloseTo((2_628_000 * 0.030006 * 1769) / 1024 + 2.628, 1);
    expect(e.stream.provisioned.usdPerMonth).toBeCloseTo(730 + 2.628);
  });

  it('keeps the metrics bill flat in the series count: no metric is per series', () => {
    // Act
    const small = estimate(at(1000, 1000), PRICES);
    const large = estimate(at(1000, 1_000_000), PRICES);
    const metrics = (e: typeof small) => e.common.find((l) => l.component.startsWith('CloudWatch metrics'));

    // Assess
    expect(metrics(small)?.usdPerMonth).toBe(metrics(large)?.usdPerMonth);
  });

  it('prices CloudWatch anomaly detection per series: one metric and a 3-metric alarm each', () => {
    // Act
    const e = estimate(at(1000, 20_000), PRICES);

    // Assess
    const [metrics, alarms] = e.cloudWatchAnomalyDetection;
    expect(metrics?.usdPerMonth).toBeCloseTo(10_000 * 0.3 + 10_000 * 0.1);
    expect(alarms?.usdPerMonth).toBeCloseTo(20_000 * 0.3);
  });

  it('tiers custom metrics as CloudWatch does', () => {
    // Act and assess
    expect(metricMonths(1_500_000, PRICES)).toBeCloseTo(3000 + 24_000 + 37_500 + 10_000);
  });

  it('picks the smallest InfluxDB instance that keeps up, and says when one is not enough', () => {
    // Act
    const small = estimate(at(1000, 1000), PRICES).stores.timestreamInfluxdb[0];
    const huge = estimate(at(5_000_000, 1000), PRICES).stores.timestreamInfluxdb[0];

    // Assess
    expect(small?.basis).toMatch(/^db\.influx\.medium/);
    expect(huge?.basis).toMatch(/^\d+ × db\.influx\.16xlarge.*split across instances/);
  });
});

describe('npm run cost', () => {
  it('prints every component, the assumptions, the date and the comparison', () => {
    // Prepare
    const out: string[] = [];

    // Act
    const code = main(['--events-per-second', '1000', '--series', '60000'], (s) => out.push(s));

    // Assess
    expect(code).toBe(0);
    const text = out.join('\n');
    for (const part of [
      'list prices of 2026-11-30',
      'batch size 500',
      'Kinesis (on-demand)',
      'Kinesis (provisioned)',
      'Lambda (detector)',
      'DynamoDB (state checkpoints)',
      'Timestream LiveAnalytics writes',
      'Timestream for InfluxDB instance',
      'SNS',
      'CloudWatch Logs',
      'CloudWatch metrics, alarms, dashboards',
      'anomaly detection alarms, one per series',
    ]) {
      expect(text).toContain(part);
    }
  });

  it.each([
    [['--series', '10'], '--events-per-second must be a positive number (got nothing)'],
    [['--events-per-second', '10', '--series', '2.5'], '--series must be a positive integer (got 2.5)'],
    [['--events-per-second', 'x', '--series', '1'], '--events-per-second must be a positive number (got x)'],
  ])('exits 2 on %j, naming the option', (argv, message) => {
    // Prepare
    const errors: string[] = [];

    // Act
    const code = main(
      argv,
      () => {},
      (s) => errors.push(s),
    );

    // Assess
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain(message);
  });

  it('takes the batch size and event size', () => {
    // Act
    const args = parseCostArgs([
      '--events-per-second',
      '5',
      '--series',
      '3',
      '--batch-size',
      '100',
      '--bytes-per-event',
      '900',
    ]);

    // Assess
    expect(args.help ? undefined : args.inputs).toMatchObject({ batchSize: 100, bytesPerEvent: 900 });
  });
});
