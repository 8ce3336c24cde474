import { describe, expect, it } from 'vitest';
import { encodeRemoteWrite } from '../../../core/ingest/prometheus-remote-write.ts';
import { mapKafkaRecord } from '../../../core/kafka/kafka-payload.ts';
import { kafkaRecords } from '../../../core/kafka/kafka-records.ts';
import { kafkaFormats } from '../../../core/kafka/protocol-formats.ts';
import { kafkaRecord, mskEvent, type TopicRecord } from '../../support/kafka-events.ts';

// The fixtures' Kafka timestamp for offset 0 (kafkaRecord stamps 1_764_547_200_000 + offset).
const KAFKA_TS = 1_764_547_200_000;
const formats = kafkaFormats();

function map(record: TopicRecord) {
  const [view] = kafkaRecords(mskEvent({ 'telegraf-0': [kafkaRecord('telegraf', 0, 0, record)] }));
  if (!view) throw new Error('no record');
  return mapKafkaRecord(view, formats, { now: KAFKA_TS + 1_000, maxFutureMs: 300_000 });
}

describe('protocol payloads on Kafka, through the translator', () => {
  it('reads InfluxDB line protocol (as Telegraf writes it to Kafka) by content type or by name', () => {
    // Prepare
    const lines = `cpu,host=a usage_user=12.5,usage_system=3 ${(KAFKA_TS - 10_000) * 1e6}\nmem,host=a used_percent=41\n`;

    // Act
    const byType = map({ value: lines, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const byName = map({ value: lines, headers: { 'seismo-format': 'influx-line' } });

    // Assess
    expect(byType).toEqual(byName);
    expect(byType.problems).toEqual([]);
    expect(byType.events.map((e) => [e.series, e.timestamp])).toEqual([
      ['cpu{host="a"}', KAFKA_TS - 10_000],
      ['mem{host="a"}', KAFKA_TS],
    ]);
  });

  it('reads a Prometheus remote-write request and OTLP JSON when named', () => {
    // Prepare
    const remoteWrite = encodeRemoteWrite({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'job', value: 'node' },
          ],
          samples: [{ value: 1, timestamp: KAFKA_TS - 15_000 }],
        },
      ],
    });
    const otlp = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'queue_depth',
                  gauge: { dataPoints: [{ asInt: '7', timeUnixNano: String((KAFKA_TS - 5_000) * 1e6) }] },
                },
              ],
            },
          ],
        },
      ],
    });

    // Act
    const prometheus = map({
      value: Buffer.from(remoteWrite),
      headers: { 'seismo-format': 'prometheus-remote-write' },
    });
    const otel = map({ value: otlp, headers: { 'seismo-format': 'otlp-json' } });

    // Assess
    expect(prometheus.events).toEqual([
      { series: 'up{job="node"}', timestamp: KAFKA_TS - 15_000, values: { value: 1 }, dimensions: {} },
    ]);
    expect(otel.problems).toEqual([]);
    expect(otel.events).toHaveLength(1);
    expect(otel.events[0]?.values.value).toBe(7);
  });

  it('names what it cannot read: an unknown format, a body that is not its protocol, a bad line among good ones', () => {
    // Act
    const unknown = map({ value: 'x', headers: { 'seismo-format': 'avro' } });
    const notSnappy = map({ value: 'plain text', headers: { 'seismo-format': 'prometheus-remote-write' } });
    const badLine = map({ value: 'cpu value=1\ncpu value=\n', headers: { 'content-type': 'text/plain' } });

    // Assess
    expect(unknown.problems[0]).toMatch(
      /^seismo-format "avro" is not a format Seismo reads from Kafka \(known: events-json, prometheus-remote-write, otlp-protobuf, otlp-json, influx-line;/,
    );
    expect(notSnappy.events).toEqual([]);
    expect(notSnappy.problems).toHaveLength(1);
    expect(badLine.events).toHaveLength(1);
    expect(badLine.problems).toHaveLength(1);
  });
});
