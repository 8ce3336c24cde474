import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, SeismoConfigError } from '../../infra/config.ts';
import { cdkJsonContext, INFLUX_CONTEXT, testApp } from './support.ts';

const defaults = (): Record<string, unknown> => cdkJsonContext();

/** Parses and returns the problems of a config expected to be invalid. */
function problemsOf(raw: Record<string, unknown>): readonly string[] {
  try {
    parseConfig(raw);
  } catch (e) {
    if (e instanceof SeismoConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('parseConfig', () => {
  it('accepts the cdk.json defaults: dev, Timestream, on-demand stream', () => {
    // Act
    const config = parseConfig(defaults());

    // Assess
    expect(config.stage).toBe('dev');
    expect(config.stream).toEqual({ mode: 'ON_DEMAND' });
    expect(config.timeseries).toEqual({ backend: 'timestream', memoryHours: 24, magneticDays: 365 });
    expect(config.detection).toEqual({
      batchSize: 500,
      maxBatchingWindowSeconds: 1,
      parallelizationFactor: 1,
    });
  });

  it('takes numbers and objects given as strings on the command line', () => {
    // Prepare
    const raw = {
      ...defaults(),
      batchSize: '250',
      parallelizationFactor: '4',
      streamMode: 'PROVISIONED',
      shardCount: '3',
      retention: '{"memoryHours":12,"magneticDays":30}',
      modelS3Uri: 's3://my-models/seismo/current/',
    };

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.detection).toMatchObject({
      batchSize: 250,
      parallelizationFactor: 4,
      modelS3Uri: raw.modelS3Uri,
    });
    expect(config.stream).toEqual({ mode: 'PROVISIONED', shardCount: 3 });
    expect(config.timeseries).toEqual({ backend: 'timestream', memoryHours: 12, magneticDays: 30 });
  });

  it('switches to InfluxDB with its settings', () => {
    // Act
    const config = parseConfig({ ...defaults(), ...INFLUX_CONTEXT });

    // Assess
    expect(config.timeseries).toEqual({ backend: 'influxdb', ...INFLUX_CONTEXT.influx });
  });

  it('provisions Timestream for InfluxDB with defaults, single-AZ outside prod', () => {
    // Act
    const dev = parseConfig({ ...defaults(), timeseriesBackend: 'timestream-influxdb' });
    const prod = parseConfig({ ...defaults(), timeseriesBackend: 'timestream-influxdb', stage: 'prod' });

    // Assess
    expect(dev.timeseries).toEqual({
      backend: 'timestream-influxdb',
      instanceType: 'db.influx.medium',
      storageGiB: 20,
      multiAz: false,
      org: 'seismo',
      bucket: 'seismo',
    });
    expect(prod.timeseries).toMatchObject({ multiAz: true });
  });

  it('takes influxInstance from the command line as JSON', () => {
    // Act
    const config = parseConfig({
      ...defaults(),
      timeseriesBackend: 'timestream-influxdb',
      influxInstance: '{"type":"db.influx.2xlarge","storageGiB":"500","multiAz":"true"}',
    });

    // Assess
    expect(config.timeseries).toMatchObject({
      instanceType: 'db.influx.2xlarge',
      storageGiB: 500,
      multiAz: true,
    });
  });

  it('takes an http:// InfluxDB URL when allowInsecureInflux says this is local development', () => {
    // Prepare
    const influx = { ...INFLUX_CONTEXT.influx, url: 'http://127.0.0.1:8086' };

    // Act
    const config = parseConfig({ ...defaults(), ...INFLUX_CONTEXT, influx, allowInsecureInflux: 'true' });

    // Assess
    expect(config.timeseries).toEqual({ backend: 'influxdb', ...influx, allowInsecureHttp: true });
  });

  it.each([
    [{ batchSize: 0 }, 'batchSize must be an integer from 1 to 10000 (got 0)'],
    [{ batchSize: 10001 }, 'batchSize must be an integer from 1 to 10000 (got 10001)'],
    [{ batchSize: 'lots' }, 'batchSize must be an integer from 1 to 10000 (got "lots")'],
    [{ batchSize: 2.5 }, 'batchSize must be an integer from 1 to 10000 (got 2.5)'],
    [{ parallelizationFactor: 11 }, 'parallelizationFactor must be an integer from 1 to 10 (got 11)'],
    [
      { maxBatchingWindowSeconds: 301 },
      'maxBatchingWindowSeconds must be an integer from 0 to 300 (got 301)',
    ],
    [
      { retention: { memoryHours: 0, magneticDays: 1 } },
      'retention.memoryHours must be an integer from 1 to 8766 (got 0)',
    ],
    [{ streamMode: 'SOMETIMES' }, 'streamMode must be "ON_DEMAND" or "PROVISIONED" (got "SOMETIMES")'],
    [
      { timeseriesBackend: 'csv' },
      'timeseriesBackend must be "timestream", "timestream-influxdb" or "influxdb" (got "csv")',
    ],
    [
      { timeseriesBackend: 'timestream-influxdb', influxInstance: { type: 'db.t3.micro' } },
      'influxInstance.type must be one of db.influx.medium',
    ],
    [
      { timeseriesBackend: 'timestream-influxdb', influxInstance: { storageGiB: 10 } },
      'influxInstance.storageGiB must be an integer from 20 to 16384 (got 10)',
    ],
    [
      { timeseriesBackend: 'timestream-influxdb', influxInstance: { bucket: 'a b' } },
      'influxInstance.bucket must be 2-64 letters, digits, "_" or "-"',
    ],
    [{ influxInstance: {} }, 'influxInstance only applies when timeseriesBackend is "timestream-influxdb"'],
    [
      { timeseriesBackend: 'timestream-influxdb', influx: INFLUX_CONTEXT.influx },
      'influx {url, org, bucket} names an InfluxDB you run, for timeseriesBackend "influxdb" only',
    ],
    [
      { stage: 'Prod' },
      'stage must be 1-16 lowercase letters, digits or dashes, starting with a letter (got "Prod")',
    ],
    [{ modelS3Uri: 'https://x/model.onnx' }, 'modelS3Uri must look like s3://bucket/prefix'],
    [
      { timeseriesBackend: 'influxdb' },
      'influx {url, org, bucket} is required when timeseriesBackend is "influxdb"',
    ],
    [
      { ...INFLUX_CONTEXT, influx: { url: 'ftp://x', org: 'a', bucket: 'b' } },
      'influx.url must be an http(s) URL',
    ],
    [
      { ...INFLUX_CONTEXT, influx: { url: 'https://x', org: '', bucket: 'b' } },
      'influx.org must be a non-empty string',
    ],
    [
      { ...INFLUX_CONTEXT, influx: { ...INFLUX_CONTEXT.influx, url: 'http://influx.internal:8086' } },
      'influx.url must be an https:// URL (got "http://influx.internal:8086"): over http:// the InfluxDB token',
    ],
    [
      {
        ...INFLUX_CONTEXT,
        influx: { ...INFLUX_CONTEXT.influx, url: 'http://influx.internal:8086' },
        allowInsecureInflux: 'false',
      },
      'Only for local development, set allowInsecureInflux=true',
    ],
    [
      { ...INFLUX_CONTEXT, stage: 'prod', allowInsecureInflux: true },
      'allowInsecureInflux is for local development and cannot be true with stage "prod"',
    ],
    [{ allowInsecureInflux: 'yes' }, 'allowInsecureInflux must be true or false (got "yes")'],
    [{ streamMode: 'PROVISIONED' }, 'shardCount is required when streamMode is PROVISIONED'],
    [{ shardCount: 2 }, 'shardCount only applies when streamMode is PROVISIONED'],
  ])('rejects %j naming the key and the rule', (override, expected) => {
    // Act
    const problems = problemsOf({ ...defaults(), ...override });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it('takes detection settings as an object or a JSON string, and names their problems by path', () => {
    // Act
    const config = parseConfig({ ...defaults(), detectionSettings: '{"sensitivity":"high"}' });
    const problems = problemsOf({
      ...defaults(),
      detectionSettings: { overrides: [{ match: { series: 'a' }, openAbove: 2 }] },
    });
    // Assess
    expect(config.detection.settings).toEqual({ sensitivity: 'high' });
    expect(problems).toEqual([
      expect.stringMatching(/^detectionSettings\.overrides\.0\.openAbove: .*below 1/),
    ]);
  });

  it('reports every problem at once, in one error message', () => {
    // Prepare
    const raw = { ...defaults(), batchSize: 0, parallelizationFactor: 0, timeseriesBackend: 'influxdb' };

    // Act
    const act = () => parseConfig(raw);

    // Assess
    expect(act).toThrow(SeismoConfigError);
    expect(act).toThrow(
      /batchSize must be[\s\S]*parallelizationFactor must be[\s\S]*influx \{url, org, bucket\} is required/,
    );
  });

  it('rejects a missing key', () => {
    // Prepare
    const { batchSize: _omitted, ...raw } = defaults();

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['batchSize must be an integer from 1 to 10000 (got nothing)']);
  });
});

describe('loadConfig', () => {
  it('reads cdk.json defaults merged with -c overrides from the CDK context', () => {
    // Prepare
    const app = testApp({ stage: 'qa', batchSize: '1000' });

    // Act
    const config = loadConfig(app.node);

    // Assess
    expect(config.stage).toBe('qa');
    expect(config.detection.batchSize).toBe(1000);
  });
});
