/**
 * The ingestion API's routes, in one table that the CDK construct builds API Gateway from, the local server
 * serves, and the OpenAPI document describes; a test holds the synthesized API and the document to it.
 */

/** Who answers a route: Kinesis directly (no Lambda in the path) or the translator function. */
export type RouteIntegration = 'kinesis' | 'translator';

/** How a caller proves who it is on a route. */
export type RouteAuth =
  /** `x-api-key` header, checked by API Gateway against usage plans (the tenant is the key). */
  | 'api-key'
  /** `X-Amz-Firehose-Access-Key`, checked by the translator against the configured secret. */
  | 'firehose-access-key'
  /** Public (the API description). */
  | 'none';

/** One route of the ingestion API. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  /** Path below the stage, starting with `/`. */
  readonly path: string;
  readonly integration: RouteIntegration;
  readonly auth: RouteAuth;
  /** Also served under {@link IAM_PREFIX} with SigV4 (IAM) authorization instead of the API key. */
  readonly iam: boolean;
  /** Request content types the route reads; binary ones are passed to the translator as bytes. */
  readonly contentTypes: readonly string[];
  readonly operationId: string;
  readonly summary: string;
  /** Status codes the route answers with, and when. */
  readonly responses: Readonly<Record<string, string>>;
}

/** Prefix of the SigV4-authorized twin of each route: `/iam/v1/events` is `/v1/events` signed with IAM. */
export const IAM_PREFIX = '/iam';

/** Content types API Gateway must pass as bytes (binary media types), not as UTF-8 text. */
export const BINARY_MEDIA_TYPES = [
  'application/x-protobuf',
  'application/protobuf',
  'application/octet-stream',
] as const;

const COMMON = {
  '403': 'missing or invalid API key (or SigV4 signature)',
  '413': 'body over the size limit',
  '429': 'throttled or over the usage plan quota: retry later',
} as const;

/** Every route of the ingestion API. */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST',
    path: '/v1/events',
    integration: 'kinesis',
    auth: 'api-key',
    iam: true,
    contentTypes: ['application/json'],
    operationId: 'putEvents',
    summary: 'Up to 500 events, validated against the event schema and written straight to the stream.',
    responses: {
      '200': 'every event accepted',
      '207': 'some events failed (see results): retry only those',
      '400':
        'the body breaks the event schema (the message names the field and rule), or dryRun was asked of this route',
      '503': 'no event was written: retry them all (Retry-After)',
      ...COMMON,
    },
  },
  {
    method: 'POST',
    path: '/v1/events/dry-run',
    integration: 'translator',
    auth: 'api-key',
    iam: true,
    contentTypes: ['application/json'],
    operationId: 'dryRunEvents',
    summary: 'The events as the detector would read them, and why any would be refused; nothing is written.',
    responses: {
      '200': 'normalized events and refusals',
      '400': 'the body is not {"events": [...]}',
      ...COMMON,
    },
  },
  {
    method: 'POST',
    path: '/api/v1/write',
    integration: 'translator',
    auth: 'api-key',
    iam: true,
    contentTypes: ['application/x-protobuf'],
    operationId: 'prometheusRemoteWrite',
    summary: 'Prometheus remote write 1.0: snappy-compressed protobuf WriteRequest.',
    responses: {
      '204': 'every sample written',
      '400': 'bad data, or some samples refused (the body says which and why): not retryable',
      '503': 'the stream did not take every sample: retryable',
      ...COMMON,
    },
  },
  {
    method: 'POST',
    path: '/v1/metrics',
    integration: 'translator',
    auth: 'api-key',
    iam: true,
    contentTypes: ['application/x-protobuf', 'application/json'],
    operationId: 'otlpMetrics',
    summary: 'OTLP/HTTP metrics export, protobuf or JSON, optionally gzip.',
    responses: {
      '200': 'accepted; partial_success counts the data points refused and why',
      '400': 'bad data: not retryable',
      '415': 'unsupported content type or encoding',
      '503': 'the stream did not take every point: retryable (Retry-After)',
      ...COMMON,
    },
  },
  {
    method: 'POST',
    path: '/v1/influx/write',
    integration: 'translator',
    auth: 'api-key',
    iam: true,
    contentTypes: ['text/plain'],
    operationId: 'influxWriteV1',
    summary: 'InfluxDB 1.x line protocol write (?precision=n|u|ms|s|m|h).',
    responses: {
      '204': 'every point written',
      '400': 'partial write: some lines or fields refused (the body names them)',
      '503': 'the stream did not take every point: retryable',
      ...COMMON,
    },
  },
  {
    method: 'POST',
    path: '/api/v2/write',
    integration: 'translator',
    auth: 'api-key',
    iam: true,
    contentTypes: ['text/plain'],
    operationId: 'influxWriteV2',
    summary:
      'InfluxDB 2.x-compatible line protocol write (?precision=ns|us|ms|s; org and bucket are ignored).',
    responses: {
      '204': 'every point written',
      '400': 'partial write: some lines or fields refused (the body names them)',
      '503': 'the stream did not take every point: retryable',
      ...COMMON,
    },
  },
  {
    method: 'POST',
    path: '/v1/cloudwatch/firehose',
    integration: 'translator',
    auth: 'firehose-access-key',
    iam: false,
    contentTypes: ['application/json'],
    operationId: 'cloudwatchMetricStream',
    summary:
      'CloudWatch Metric Streams through a Firehose HTTP endpoint destination (JSON or OpenTelemetry 1.0 output).',
    responses: {
      '200': '{requestId, timestamp}: delivered (refused records are counted, not retried)',
      '400': 'not a Firehose request',
      '401': 'missing or wrong X-Amz-Firehose-Access-Key',
      '503': 'the stream did not take every record: Firehose retries',
    },
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    integration: 'translator',
    auth: 'none',
    iam: false,
    contentTypes: [],
    operationId: 'openApi',
    summary: 'This API described as OpenAPI 3.1.',
    responses: { '200': 'the OpenAPI document' },
  },
];

/** The route serving `method` and `path` (with or without the IAM prefix), if any. */
export function findRoute(method: string, path: string): { route: ApiRoute; iam: boolean } | undefined {
  const iam = path.startsWith(`${IAM_PREFIX}/`);
  const bare = iam ? path.slice(IAM_PREFIX.length) : path;
  const route = API_ROUTES.find((r) => r.method === method && r.path === bare && (!iam || r.iam));
  return route ? { route, iam } : undefined;
}
