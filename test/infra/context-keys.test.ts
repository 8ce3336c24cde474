import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig, SeismoConfigError } from '../../infra/config.ts';
import {
  editDistance,
  looksLikeSeismoKey,
  nearestKey,
  unknownKeyProblems,
} from '../../infra/context-keys.ts';
import { testApp } from './support.ts';

describe('looksLikeSeismoKey', () => {
  it.each([
    ['batchsize', true],
    ['batch_size', true],
    ['BatchSize', true],
    ['foo', true],
    ['@aws-cdk/core:checkSecretUsage', false],
    ['aws:cdk:bundling-stacks', false],
    ['availability-zones:account=123456789012:region=us-east-1', false],
    ['acknowledged-issue-numbers', false],
    ['cli-telemetry', false],
  ])('%s → %s', (key, expected) => {
    // Act and assess
    expect(looksLikeSeismoKey(key)).toBe(expected);
  });
});

describe('nearestKey', () => {
  it.each([
    ['batchsize', 'batchSize'],
    ['batch_size', 'batchSize'],
    ['BATCHSIZE', 'batchSize'],
    ['bachSize', 'batchSize'],
    ['timeseriesbackend', 'timeseriesBackend'],
    ['timeSeriesBackend', 'timeseriesBackend'],
    ['shardcount', 'shardCount'],
    ['influxdb', 'influx'],
    ['modelUri', 'modelS3Uri'],
  ])('%s → %s', (typo, expected) => {
    // Act and assess
    expect(nearestKey(typo, CONFIG_KEYS)).toBe(expected);
  });

  it('guesses nothing when no key is close', () => {
    // Act and assess
    expect(nearestKey('region', CONFIG_KEYS)).toBeUndefined();
  });

  it('measures edits', () => {
    // Act and assess
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('unknownKeyProblems', () => {
  it("ignores the CDK's own keys and reports Seismo-shaped ones it does not read", () => {
    // Prepare
    const context = {
      batchSize: 500,
      '@aws-cdk/core:checkSecretUsage': true,
      'aws:cdk:bundling-stacks': [],
      'acknowledged-issue-numbers': [32775],
      batchsize: '100',
      region: 'eu-west-1',
    };

    // Act
    const problems = unknownKeyProblems(context, CONFIG_KEYS);

    // Assess
    expect(problems).toEqual([
      'unknown context key "batchsize": did you mean "batchSize"?',
      `unknown context key "region": Seismo reads ${CONFIG_KEYS.join(', ')}`,
    ]);
  });
});

describe('loadConfig with unknown keys', () => {
  it('fails on -c batchsize=100, naming batchSize, though the rest is valid', () => {
    // Prepare
    const app = testApp({ batchsize: '100' });

    // Act
    const act = () => loadConfig(app.node);

    // Assess
    expect(act).toThrow(SeismoConfigError);
    expect(act).toThrow('unknown context key "batchsize": did you mean "batchSize"?');
  });

  it('reports the typo first, then the problems of the keys', () => {
    // Prepare
    const app = testApp({ batchsize: '100', batchSize: '0' });

    // Act
    let problems: readonly string[] = [];
    try {
      loadConfig(app.node);
    } catch (error) {
      problems = (error as SeismoConfigError).problems;
    }

    // Assess
    expect(problems).toEqual([
      'unknown context key "batchsize": did you mean "batchSize"?',
      'batchSize must be an integer from 1 to 10000 (got "0")',
    ]);
  });

  it("accepts cdk.json with its feature flags and the CDK's test-speed keys", () => {
    // Act and assess
    expect(loadConfig(testApp().node).stage).toBe('dev');
  });
});
