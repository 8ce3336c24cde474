import { timingSafeEqual } from 'node:crypto';
import { type ApiRoute, findRoute } from '../../core/ingest/api-routes.ts';
import { firehoseResponse } from '../../core/ingest/cloudwatch-metric-stream.ts';
import { parsePrecision } from '../../core/ingest/influx-line-protocol.ts';
import { admitAndWrite, type IngestDeps, type IngestResult } from '../../core/ingest/ingest.ts';
import type { MappingRules } from '../../core/ingest/mapping-rules.ts';
import { IngestDecodeError } from '../../core/ingest/metric-sample.ts';
import { encodeOtlpResponse } from '../../core/ingest/otlp-metrics.ts';
import type { AllowList } from '../../core/ingest/to-events.ts';
import { type IngestFormat, translate } from '../../core/ingest/translate.ts';
import {
  decodedBody,
  type IngestRequest,
  type IngestResponse,
  json,
  MAX_BODY_BYTES,
  mediaType,
  text,
} from './ingest-http.ts';
import { type IngestStats, refusalSummary, statsOf } from './ingest-stats.ts';

/**
 * The translator: one function behind every protocol route. It checks the route's content type and encoding,
 * translates the body (core/ingest), applies the tenant's series cap, writes to the stream and answers in each
 * protocol's own terms: what to retry, what not, and why. Thin: everything it decides with is a dependency.
 */

/** What the translator works with. */
export interface TranslateHandlerDeps extends IngestDeps {
  readonly rules: MappingRules;
  /** The tenant's metric and label allow-list; none by default. */
  readonly allowList?: (tenant: string) => AllowList | undefined;
  /** The value Firehose must send in X-Amz-Firehose-Access-Key; without it the Firehose route answers 401. */
  readonly firehoseAccessKey?: string;
  /** The tenant whose cap and allow-list apply to metric streams. */
  readonly firehoseTenant?: string;
  /** The OpenAPI document served at GET /v1/openapi.json. */
  readonly openApi: () => unknown;
  readonly clock?: () => number;
}

/** A response and the figures behind it (for metrics and logs). */
export interface TranslateOutcome {
  readonly response: IngestResponse;
  readonly stats?: IngestStats;
}

/** Builds the translator. */
export function createTranslateHandler(
  deps: TranslateHandlerDeps,
): (request: IngestRequest) => Promise<TranslateOutcome> {
  const clock = deps.clock ?? Date.now;
  return async (request) => {
    const found = findRoute(request.method, request.path);
    if (found?.route.integration !== 'translator') {
      return { response: json(404, { message: `no route ${request.method} ${request.path}` }) };
    }
    const { route } = found;
    if (route.operationId === 'openApi') return { response: json(200, deps.openApi()) };
    try {
      return await handle(route, request, deps, clock());
    } catch (error) {
      if (!(error instanceof IngestDecodeError)) throw error;
      return { response: badData(route, request, error) };
    }
  };
}

async function handle(
  route: ApiRoute,
  request: IngestRequest,
  deps: TranslateHandlerDeps,
  now: number,
): Promise<TranslateOutcome> {
  let tenant = request.tenant;
  if (route.auth === 'firehose-access-key') {
    const given = request.headers['x-amz-firehose-access-key'];
    if (!deps.firehoseAccessKey || given === undefined || !sameSecret(given, deps.firehoseAccessKey)) {
      const requestId = request.headers['x-amz-firehose-request-id'] ?? '';
      return {
        response: json(
          401,
          JSON.parse(firehoseResponse(requestId, now, 'missing or wrong X-Amz-Firehose-Access-Key')),
        ),
      };
    }
    tenant = deps.firehoseTenant ?? 'cloudwatch';
  }
  if (tenant === undefined)
    return { response: json(403, { message: 'Forbidden: missing or invalid API key' }) };
  if (request.body.length > MAX_BODY_BYTES) {
    throw new IngestDecodeError(
      `body is ${request.body.length} bytes, over the limit of ${MAX_BODY_BYTES}`,
      413,
    );
  }
  const format = formatOf(route, request);
  const body = decodedBody(request, { snappy: format.protocol === 'prometheus-remote-write' });
  const allow = deps.allowList?.(tenant);
  const translation = translate(format, body, { rules: deps.rules, now, ...(allow ? { allow } : {}) });
  const dryRun = route.operationId === 'dryRunEvents';
  const result = await admitAndWrite(translation, tenant, deps, { dryRun });
  const stats = statsOf(route.operationId, tenant, translation.samples, result);
  return { response: answer(route, request, format, result, now, dryRun), stats };
}

/** The body's format, from the route, the content type and (Influx) the precision; 415 or 400 when unreadable. */
function formatOf(route: ApiRoute, request: IngestRequest): IngestFormat {
  const type = mediaType(request);
  switch (route.operationId) {
    case 'prometheusRemoteWrite': {
      const encoding = (request.headers['content-encoding'] ?? '').toLowerCase();
      if (encoding !== 'snappy') {
        throw new IngestDecodeError(
          `Content-Encoding must be snappy for remote write 1.0, got "${encoding || 'none'}"`,
        );
      }
      if (type !== '' && type !== 'application/x-protobuf') {
        throw new IngestDecodeError(`Content-Type must be application/x-protobuf, got "${type}"`);
      }
      return { protocol: 'prometheus-remote-write' };
    }
    case 'otlpMetrics':
      if (type === 'application/x-protobuf' || type === 'application/protobuf')
        return { protocol: 'otlp', encoding: 'protobuf' };
      if (type === 'application/json') return { protocol: 'otlp', encoding: 'json' };
      throw new IngestDecodeError(
        `Content-Type must be application/x-protobuf or application/json, got "${type || 'none'}"`,
        415,
      );
    case 'influxWriteV1':
    case 'influxWriteV2': {
      const precision = parsePrecision(request.query.get('precision'));
      if (!precision) {
        throw new IngestDecodeError(
          `precision "${request.query.get('precision')}" is not one of ns, us, ms, s, m, h`,
        );
      }
      return { protocol: 'influx-line', precision };
    }
    case 'cloudwatchMetricStream': {
      const format = request.query.get('format') ?? 'json';
      if (format !== 'json' && format !== 'opentelemetry1.0') {
        throw new IngestDecodeError(`format "${format}" is not json or opentelemetry1.0`);
      }
      return { protocol: 'cloudwatch-firehose', format };
    }
    default:
      if (type !== 'application/json' && type !== '') {
        throw new IngestDecodeError(`Content-Type must be application/json, got "${type}"`, 415);
      }
      return { protocol: 'events-json' };
  }
}

/** The protocol's answer to a translated and written request. */
function answer(
  route: ApiRoute,
  request: IngestRequest,
  format: IngestFormat,
  result: IngestResult,
  now: number,
  dryRun: boolean,
): IngestResponse {
  const refused = result.refusals.length;
  const retryable = result.failed.length > 0;
  const summary = refusalSummary(result);
  const retryAfter = { 'retry-after': '1' };
  if (dryRun) {
    return json(200, {
      accepted: result.events.length,
      refused,
      events: result.events,
      refusals: result.refusals,
      skipped: Object.fromEntries(result.skipped),
    });
  }
  switch (format.protocol) {
    case 'prometheus-remote-write':
      if (retryable)
        return text(
          503,
          `${result.failed.length} events not written (retry): ${result.failed[0]?.reason}`,
          retryAfter,
        );
      return refused > 0 ? text(400, summary) : { status: 204, headers: {}, body: '' };
    case 'otlp': {
      if (retryable)
        return json(
          503,
          { message: `${result.failed.length} events not written: ${result.failed[0]?.reason}` },
          retryAfter,
        );
      const body = encodeOtlpResponse(format.encoding, refused, refused > 0 ? summary : '');
      const type = format.encoding === 'json' ? 'application/json' : 'application/x-protobuf';
      return { status: 200, headers: { 'content-type': type }, body };
    }
    case 'influx-line':
      if (retryable)
        return json(
          503,
          {
            code: 'unavailable',
            message: `${result.failed.length} points not written: ${result.failed[0]?.reason}`,
          },
          retryAfter,
        );
      if (refused === 0) return { status: 204, headers: {}, body: '' };
      return route.operationId === 'influxWriteV1'
        ? json(400, { error: `partial write: ${summary}` })
        : json(400, { code: 'invalid', message: `partial write: ${summary}` });
    case 'cloudwatch-firehose': {
      const requestId = request.headers['x-amz-firehose-request-id'] ?? '';
      if (retryable)
        return json(
          503,
          JSON.parse(firehoseResponse(requestId, now, `${result.failed.length} events not written; retry`)),
        );
      return json(200, JSON.parse(firehoseResponse(requestId, now)));
    }
    default:
      return json(200, { accepted: result.written });
  }
}

/** A body the route cannot read, answered in the protocol's terms. */
function badData(route: ApiRoute, request: IngestRequest, error: IngestDecodeError): IngestResponse {
  const { status, message } = error;
  switch (route.operationId) {
    case 'prometheusRemoteWrite':
      return text(status, message);
    case 'influxWriteV1':
      return json(status, { error: message });
    case 'influxWriteV2':
      return json(status, { code: status === 413 ? 'request too large' : 'invalid', message });
    case 'cloudwatchMetricStream':
      return json(
        status,
        JSON.parse(firehoseResponse(request.headers['x-amz-firehose-request-id'] ?? '', Date.now(), message)),
      );
    default:
      return json(status, { message });
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
