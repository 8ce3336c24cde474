/**
 * What `bench/ingest.ts` measures, in one module that the bench bundles with esbuild as the translator's Lambda
 * bundle is built (ESM, minified, no keep-names helpers), so the figures are those of the deployed code, not of
 * tsx's on-the-fly transform.
 */
export { default as protobuf } from 'protobufjs';
export { default as SnappyJS } from 'snappyjs';
export { DEFAULT_MAPPING_RULES } from '../core/ingest/mapping-rules.ts';
export { decodeOtlpProtobuf, encodeOtlpProtobuf } from '../core/ingest/otlp-metrics.ts';
export { encodeRemoteWrite } from '../core/ingest/prometheus-remote-write.ts';
export { PROMETHEUS_DESCRIPTOR } from '../core/ingest/proto/descriptors.ts';
export { translate } from '../core/ingest/translate.ts';
