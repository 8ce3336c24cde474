import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MODEL_DIR } from '../../models/model-store.ts';

/**
 * The detector's init imports a client only when its configuration uses it: the bundle evaluates a
 * dynamically imported module on first use, so an unused client costs no cold-start time. Each optional
 * client module is replaced by a factory that records its loading.
 */
const loaded = vi.hoisted(() => new Set<string>());

vi.mock('@aws-sdk/client-timestream-write', async (original) => {
  loaded.add('timestream');
  return original();
});
vi.mock('@aws-sdk/client-s3', async (original) => {
  loaded.add('s3');
  return original();
});
vi.mock('@aws-sdk/client-secrets-manager', async (original) => {
  loaded.add('secrets-manager');
  return original();
});

const COMMON = {
  STATE_TABLE: 'seismo-state',
  PUBLISHED_TABLE: 'seismo-published',
  ALERTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:anomalies',
  DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/seismo-dlq',
  MODEL_DIR: DEFAULT_MODEL_DIR,
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

describe('detectHandler init', () => {
  beforeEach(() => {
    loaded.clear();
    vi.resetModules();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('loads neither Timestream, S3 nor Secrets Manager for InfluxDB with a token and the layer model', async () => {
    // Prepare
    for (const [name, value] of Object.entries({
      ...COMMON,
      TIMESERIES_BACKEND: 'influxdb',
      INFLUX_URL: 'https://influx.example.com:8086',
      INFLUX_ORG: 'acme',
      INFLUX_BUCKET: 'seismo',
      INFLUX_TOKEN: 'token',
    }))
      vi.stubEnv(name, value);
    const { detectHandler } = await import('../../functions/detect/handler.ts');

    // Act
    await detectHandler();

    // Assess
    expect([...loaded]).toEqual([]);
  });

  it('loads the Timestream client, and only it, when Timestream is the store', async () => {
    // Prepare
    for (const [name, value] of Object.entries({
      ...COMMON,
      TIMESERIES_BACKEND: 'timestream',
      TIMESTREAM_DATABASE: 'seismo',
      TIMESTREAM_TABLE: 'scores',
    }))
      vi.stubEnv(name, value);
    const { detectHandler } = await import('../../functions/detect/handler.ts');

    // Act
    await detectHandler();

    // Assess
    expect([...loaded]).toEqual(['timestream']);
  });
});
