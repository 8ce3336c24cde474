import { describe, expect, it } from 'vitest';
import { ConfigError, readDetectConfig } from '../../functions/detect/handler.ts';
import { ALLOW_INSECURE_INFLUX_ENV, influxUrlProblem } from '../../functions/detect/influx-url.ts';

const INFLUX_ENV = {
  STATE_TABLE: 'state',
  PUBLISHED_TABLE: 'published',
  ALERTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:anomalies',
  DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
  TIMESERIES_BACKEND: 'influxdb',
  INFLUX_ORG: 'o',
  INFLUX_BUCKET: 'b',
  INFLUX_TOKEN: 't',
};

const NAMES = { url: 'influx.url', allow: 'allowInsecureInflux=true' };

describe('influxUrlProblem', () => {
  it.each(['https://influx.example.com:8086', 'HTTPS://influx.example.com'])('accepts %s', (url) => {
    expect(influxUrlProblem(url, false, NAMES)).toBeUndefined();
  });

  it('refuses http:// naming the key, the rule and the setting that allows it', () => {
    // Act
    const problem = influxUrlProblem('http://influx.example.com:8086', false, NAMES);

    // Assess
    expect(problem).toContain('influx.url must be an https:// URL (got "http://influx.example.com:8086")');
    expect(problem).toContain('clear text');
    expect(problem).toContain('set allowInsecureInflux=true');
  });

  it('accepts http:// when local development is stated', () => {
    expect(influxUrlProblem('http://127.0.0.1:8086', true, NAMES)).toBeUndefined();
  });

  it.each(['ftp://influx', 'influx.example.com:8086', ''])('refuses %j even when http is allowed', (url) => {
    expect(influxUrlProblem(url, true, NAMES)).toMatch(/^influx\.url must be an https:\/\/ URL/);
  });
});

describe('readDetectConfig with an InfluxDB URL', () => {
  it('refuses INFLUX_URL=http://… with a ConfigError naming the variable and the way out', () => {
    // Prepare
    const env = { ...INFLUX_ENV, INFLUX_URL: 'http://influx.internal:8086' };

    // Act
    const act = () => readDetectConfig(env);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/^INFLUX_URL must be an https:\/\/ URL .*set SEISMO_ALLOW_INSECURE_INFLUX=1$/);
  });

  it('takes an http:// URL on this machine when SEISMO_ALLOW_INSECURE_INFLUX=1 says this is local development', () => {
    // Act
    const config = readDetectConfig({
      ...INFLUX_ENV,
      INFLUX_URL: 'http://127.0.0.1:8086',
      [ALLOW_INSECURE_INFLUX_ENV]: '1',
    });

    // Assess
    expect(config.timeSeries).toMatchObject({ backend: 'influxdb', url: 'http://127.0.0.1:8086' });
  });

  it.each(['true', 'yes'])('refuses SEISMO_ALLOW_INSECURE_INFLUX=%s: only 1 allows http', (value) => {
    // Prepare
    const env = { ...INFLUX_ENV, INFLUX_URL: 'http://127.0.0.1:8086', [ALLOW_INSECURE_INFLUX_ENV]: value };

    // Act / Assess
    expect(() => readDetectConfig(env)).toThrow(/SEISMO_ALLOW_INSECURE_INFLUX must be 1, 0 or unset/);
  });

  it('refuses http:// with SEISMO_ALLOW_INSECURE_INFLUX=0', () => {
    // Prepare
    const env = { ...INFLUX_ENV, INFLUX_URL: 'http://127.0.0.1:8086', [ALLOW_INSECURE_INFLUX_ENV]: '0' };

    // Act / Assess
    expect(() => readDetectConfig(env)).toThrow(/^INFLUX_URL must be an https:\/\/ URL/);
  });
});
