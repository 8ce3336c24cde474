import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING_RULES } from '../../core/ingest/mapping-rules.ts';
import { kafkaFormats } from '../../core/kafka/protocol-formats.ts';
import { readKafkaIngestConfig, readMappingRules } from '../../functions/kafka-ingest/handler.ts';
import { allowListOf, readTranslateConfig } from '../../functions/translate/translate-config.ts';
import { parseConfig, SeismoConfigError } from '../../infra/config.ts';
import { KAFKA_FORMATS } from '../../infra/ingest-sources-config.ts';
import { cdkJsonContext, synthSeismo } from './support.ts';

const CLUSTER = 'arn:aws:kafka:eu-west-1:123456789012:cluster/metrics/abcd1234-ab12-cd34-ef56-abcdef123456-2';

const RULES = {
  dimensionLabels: ['region'],
  dropLabels: ['pod_template_hash'],
  channelGroups: [{ metric: 'node_cpu_seconds_total', channelLabel: 'mode' }],
  stringFields: 'refuse',
};

const CONTEXT = {
  mappingRules: RULES,
  ingestion: {
    allowList: { metrics: ['node_.*', 'up'], labels: ['job', 'instance', 'mode'] },
    producers: [{ name: 'prometheus', seriesCap: 50_000, allowList: { metrics: ['.*'] } }, { name: 'apps' }],
  },
  kafka: { mode: 'msk', clusterArn: CLUSTER, topic: 'metrics', defaultFormat: 'otlp-protobuf' },
};

type Json = Record<string, unknown>;

/** A function's environment with `Ref`s to API keys replaced by the ids given, as CloudFormation resolves them. */
function resolvedEnv(
  template: Template,
  description: string,
  ids: Record<string, string>,
): Record<string, string> {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
    String((f.Properties as Json).Description).startsWith(description),
  );
  if (!fn) throw new Error(`no function described as "${description}..."`);
  const variables = ((fn.Properties as Json).Environment as { Variables: Record<string, unknown> }).Variables;
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as Json;
    if ('Ref' in v) {
      const id = ids[String(v.Ref)];
      return id ?? `<${String(v.Ref)}>`;
    }
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    return JSON.stringify(v);
  };
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolve(v)]));
}

/** API key logical ids by producer name. */
function keyIds(template: Template): Record<string, string> {
  const keys = template.findResources('AWS::ApiGateway::ApiKey');
  return Object.fromEntries(
    Object.entries(keys).map(([logicalId, key]) => {
      const producer = String((key.Properties as Json).Description).replace('Seismo producer ', '');
      return [logicalId, `id-${producer}`];
    }),
  );
}

describe('mapping rules and cardinality settings from the CDK context', () => {
  it('reach the translator as the environment it reads, per producer key, and Kafka with the same rules', () => {
    // Prepare
    const { template } = synthSeismo(CONTEXT);
    const ids = keyIds(template);

    // Act
    const translateEnv = resolvedEnv(template, 'Seismo translator', ids);
    const config = readTranslateConfig(translateEnv);
    const kafkaEnv = resolvedEnv(template, 'Seismo Kafka ingest', ids);

    // Assess
    expect(config.rules).toEqual({ ...DEFAULT_MAPPING_RULES, ...RULES });
    expect(config.seriesCaps).toEqual({ 'id-prometheus': 50_000 });
    expect(config.seriesCap).toBe(10_000);
    expect(allowListOf(config, 'id-prometheus')).toEqual({ metrics: ['.*'] });
    expect(allowListOf(config, 'id-apps')).toEqual(CONTEXT.ingestion.allowList);
    expect(readMappingRules(kafkaEnv)).toEqual(config.rules);
    expect(readKafkaIngestConfig(kafkaEnv).defaultFormat).toBe('otlp-protobuf');
  });

  it('offers as kafka.defaultFormat exactly the formats the Kafka function reads', () => {
    // Assess
    expect([...KAFKA_FORMATS].sort()).toEqual([...kafkaFormats().decoders.keys()].sort());
  });

  it('leaves the variables out when nothing is configured, so the translator keeps its defaults', () => {
    // Act
    const { template } = synthSeismo();
    const env = resolvedEnv(template, 'Seismo translator', keyIds(template));

    // Assess
    expect(Object.keys(env)).not.toContain('MAPPING_RULES');
    expect(Object.keys(env)).not.toContain('ALLOW_LISTS');
    expect(Object.keys(env)).not.toContain('SERIES_CAPS');
    expect(readTranslateConfig(env).rules).toEqual(DEFAULT_MAPPING_RULES);
  });

  it('accepts the rules as -c gives them, a JSON string', () => {
    // Act
    const config = parseConfig({
      ...cdkJsonContext(),
      mappingRules: JSON.stringify({ histograms: 'drop' }),
    });

    // Assess
    expect(config.mappingRules).toEqual({ ...DEFAULT_MAPPING_RULES, histograms: 'drop' });
  });

  it('fails synth naming each bad rule: key, rule and the value given', () => {
    // Prepare
    const raw = {
      ...cdkJsonContext(),
      mappingRules: {
        histograms: 'buckets',
        channelGroups: [{ metric: '(', channelLabel: 'mode' }],
        colour: 1,
      },
      ingestion: { allowList: { metrics: ['[a-'] }, producers: [{ name: 'p', seriesCap: -1 }] },
    };

    // Act
    let problems: readonly string[] = [];
    try {
      parseConfig(raw);
    } catch (error) {
      if (!(error instanceof SeismoConfigError)) throw error;
      problems = error.problems;
    }

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        'mappingRules.histograms: must be "sum-count" or "drop" (got "buckets")',
        'mappingRules.channelGroups.0.metric: must be a valid regular expression (got "(")',
        expect.stringMatching(/^mappingRules: .*colour/),
        'ingestion.allowList.metrics.0: must be a valid regular expression (got "[a-")',
        'ingestion.producers.0.seriesCap: ingestion.producers[].seriesCap must be an integer from 0 to 10000000 (got -1)',
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it("refuses settings too large for the translator's environment, saying which keys to shorten", () => {
    // Prepare
    const metrics = Array.from({ length: 200 }, (_, i) => `team_${i}_requests_.*`);

    // Act
    const parse = () => parseConfig({ ...cdkJsonContext(), ingestion: { allowList: { metrics } } });

    // Assess
    expect(parse).toThrow(/allow-lists and series caps take \d+ bytes .* over the 3072/);
  });

  it('the translator refuses a bad ALLOW_LISTS at load, naming the tenant, key and rule', () => {
    // Act
    const read = () =>
      readTranslateConfig({
        STREAM_NAME: 's',
        SERIES_TABLE: 't',
        ALLOW_LISTS: JSON.stringify({ abc123: { metrics: ['('] } }),
      });

    // Assess
    expect(read).toThrow(
      'environment variable ALLOW_LISTS: abc123.metrics.0: must be a valid regular expression',
    );
  });
});
