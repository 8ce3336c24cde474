import { describe, expect, it } from 'vitest';
import { KafkaConfigError, readKafkaIngestConfig } from '../../../functions/kafka-ingest/handler.ts';

describe('readKafkaIngestConfig', () => {
  const base = { STREAM_NAME: 'events', DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/1/dlq' };

  it('reads the stream, the queue and the defaults', () => {
    // Act / Assess
    expect(readKafkaIngestConfig(base)).toEqual({
      streamName: 'events',
      dlqUrl: base.DLQ_URL,
      defaultFormat: 'events-json',
      aggregate: false,
    });
    expect(readKafkaIngestConfig({ ...base, KAFKA_AGGREGATE: '1' }).aggregate).toBe(true);
  });

  it('names the variable and the rule when something is missing or wrong', () => {
    // Act / Assess
    expect(() => readKafkaIngestConfig({ DLQ_URL: 'x' })).toThrow(/STREAM_NAME is required/);
    expect(() => readKafkaIngestConfig({ ...base, KAFKA_AGGREGATE: 'yes' })).toThrow(KafkaConfigError);
    expect(() => readKafkaIngestConfig({ ...base, KAFKA_DEFAULT_FORMAT: 'avro' })).toThrow(
      /KAFKA_DEFAULT_FORMAT "avro" is not a format this function reads \(known: events-json, prometheus-remote-write, otlp-protobuf, otlp-json, influx-line\)/,
    );
  });
});
