import { describe, expect, it } from 'vitest';
import { ConfigError, handler, LAYER_MODEL_DIR, readDetectConfig } from '../../functions/detect/handler.ts';

const BASE = {
  STATE_TABLE: 'state',
  PUBLISHED_TABLE: 'published',
  ALERTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:anomalies',
  DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
  TIMESERIES_BACKEND: 'timestream',
  TIMESTREAM_DATABASE: 'seismo',
  TIMESTREAM_TABLE: 'scores',
};

describe('readDetectConfig', () => {
  it('is importable without an environment and exports the Lambda handler', () => {
    expect(typeof handler).toBe('function');
  });

  it('reads the Timestream configuration and defaults MODEL_DIR to the layer', () => {
    // Act
    const config = readDetectConfig(BASE);
    // Assess
    expect(config).toMatchObject({
      stateTable: 'state',
      modelDir: LAYER_MODEL_DIR,
      timeSeries: { backend: 'timestream', database: 'seismo', table: 'scores' },
    });
  });

  it('keeps series state 30 days by default and reads the event age limit', () => {
    // Act
    const defaults = readDetectConfig(BASE);
    const set = readDetectConfig({ ...BASE, STATE_TTL_DAYS: '7', EVENT_MAX_AGE_DAYS: '365' });
    // Assess
    expect(defaults.stateTtlDays).toBe(30);
    expect(defaults.maxEventAgeDays).toBeUndefined();
    expect(set).toMatchObject({ stateTtlDays: 7, maxEventAgeDays: 365 });
  });

  it('reads detection settings as JSON, naming the variable when they are invalid', () => {
    // Act
    const config = readDetectConfig({ ...BASE, DETECTION_SETTINGS: '{"sensitivity":"low"}' });
    // Assess
    expect(config.settings).toEqual({ sensitivity: 'low' });
    expect(() => readDetectConfig({ ...BASE, DETECTION_SETTINGS: '{"sensitivity":1}' })).toThrow(
      /DETECTION_SETTINGS: invalid detection settings: sensitivity: /,
    );
    expect(() => readDetectConfig({ ...BASE, DETECTION_SETTINGS: 'low' })).toThrow(/DETECTION_SETTINGS: /);
  });

  it.each(['0', '1.5', 'a week', '-3'])('refuses STATE_TTL_DAYS=%s, naming the rule', (value) => {
    // Act / Assess
    expect(() => readDetectConfig({ ...BASE, STATE_TTL_DAYS: value })).toThrow(
      /STATE_TTL_DAYS must be a whole number of days from 1 to 36500/,
    );
  });

  it('follows the model registry when the stack names it, re-reading its pointers every minute by default', () => {
    // Act
    const none = readDetectConfig(BASE);
    const named = readDetectConfig({ ...BASE, LEARNING_BUCKET: 'learn', REGISTRY_TABLE: 'registry' });
    const fast = readDetectConfig({
      ...BASE,
      LEARNING_BUCKET: 'learn',
      REGISTRY_TABLE: 'registry',
      MODEL_REFRESH_SECONDS: '5',
    });
    // Assess
    expect(none.registry).toBeUndefined();
    expect(named.registry).toEqual({ bucket: 'learn', table: 'registry', refreshSeconds: 60 });
    expect(fast.registry?.refreshSeconds).toBe(5);
    expect(() => readDetectConfig({ ...BASE, LEARNING_BUCKET: 'learn' })).toThrow(
      /environment variable REGISTRY_TABLE is required/,
    );
    expect(() =>
      readDetectConfig({ ...BASE, LEARNING_BUCKET: 'l', REGISTRY_TABLE: 'r', MODEL_REFRESH_SECONDS: '0.5' }),
    ).toThrow(/MODEL_REFRESH_SECONDS must be a whole number of seconds from 1 to 3600/);
  });

  it('throws naming the missing variable', () => {
    // Prepare
    const { DLQ_URL: _, ...env } = BASE;
    // Act / Assess
    expect(() => readDetectConfig(env)).toThrow(ConfigError);
    expect(() => readDetectConfig(env)).toThrow(/DLQ_URL/);
  });

  it('reads InfluxDB settings with the token from INFLUX_TOKEN', () => {
    // Prepare
    const env = {
      ...BASE,
      TIMESERIES_BACKEND: 'influxdb',
      INFLUX_URL: 'https://influx',
      INFLUX_ORG: 'o',
      INFLUX_BUCKET: 'b',
    };
    // Act / Assess
    expect(() => readDetectConfig(env)).toThrow(/INFLUX_TOKEN/);
    expect(readDetectConfig({ ...env, INFLUX_TOKEN: 't', MODEL_DIR: '/m' })).toMatchObject({
      modelDir: '/m',
      timeSeries: {
        backend: 'influxdb',
        url: 'https://influx',
        org: 'o',
        bucket: 'b',
        token: { value: 't' },
      },
    });
  });

  it('takes the InfluxDB token from the deployed secret when INFLUX_TOKEN_SECRET_ARN is set', () => {
    // Prepare
    const env = {
      ...BASE,
      TIMESERIES_BACKEND: 'influxdb',
      INFLUX_URL: 'https://influx',
      INFLUX_ORG: 'o',
      INFLUX_BUCKET: 'b',
      INFLUX_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:influx',
    };
    // Act
    const config = readDetectConfig(env);
    // Assess
    expect(config.timeSeries).toMatchObject({
      token: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:influx' },
    });
  });
});
