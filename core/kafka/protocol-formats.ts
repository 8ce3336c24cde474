import { DEFAULT_MAPPING_RULES, type MappingRules } from '../ingest/mapping-rules.ts';
import { IngestDecodeError } from '../ingest/metric-sample.ts';
import { type IngestFormat, translate } from '../ingest/translate.ts';
import {
  BUILT_IN_FORMATS,
  type KafkaPayloadDecoder,
  PayloadError,
  type PayloadFormats,
} from './kafka-payload.ts';

/**
 * The protocols the HTTP translator reads, read from Kafka the same way: a record's value is one request body
 * (a Prometheus remote-write `WriteRequest`, snappy block; an OTLP `ExportMetricsServiceRequest`, protobuf or
 * JSON; InfluxDB line protocol, nanosecond timestamps), mapped to events by the same mapping rules. Points
 * without a time get the Kafka record's timestamp. A record names its format in the `seismo-format` header,
 * or the mapping's default format (KAFKA_DEFAULT_FORMAT) applies.
 */

/** Seismo's name for each protocol format, as `seismo-format` and KAFKA_DEFAULT_FORMAT take it. */
export const PROTOCOL_FORMATS: Readonly<Record<string, IngestFormat>> = {
  'prometheus-remote-write': { protocol: 'prometheus-remote-write' },
  'otlp-protobuf': { protocol: 'otlp', encoding: 'protobuf' },
  'otlp-json': { protocol: 'otlp', encoding: 'json' },
  'influx-line': { protocol: 'influx-line', precision: 'ns' },
};

/** A decoder that runs the translator on the value; its refusals become the record's problems. */
function protocolDecoder(format: IngestFormat, rules: MappingRules): KafkaPayloadDecoder {
  return (value, record) => {
    try {
      // The record's time stands in for "received": for points without a time, and the translator's window.
      const translation = translate(format, value, { rules, now: record.timestamp });
      return {
        inputs: translation.events,
        problems: translation.refusals.map((r) => `${r.origin}: ${r.reason}`),
      };
    } catch (error) {
      if (error instanceof IngestDecodeError) throw new PayloadError(error.message);
      throw error;
    }
  };
}

/**
 * JSON events (the default) and every protocol format, with the translator's mapping `rules`. Content types
 * map only where they are unambiguous: `text/plain` is line protocol; protobuf is named by the header.
 */
export function kafkaFormats(rules: MappingRules = DEFAULT_MAPPING_RULES): PayloadFormats {
  const decoders = new Map(BUILT_IN_FORMATS.decoders);
  for (const [name, format] of Object.entries(PROTOCOL_FORMATS))
    decoders.set(name, protocolDecoder(format, rules));
  const contentTypes = new Map(BUILT_IN_FORMATS.contentTypes);
  contentTypes.set('text/plain', 'influx-line');
  return { decoders, contentTypes, defaultFormat: BUILT_IN_FORMATS.defaultFormat };
}
