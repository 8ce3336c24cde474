import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDbSeriesRegistry } from '../adapters/ingest/dynamodb-series-registry.ts';
import { KinesisEventWriter } from '../adapters/ingest/kinesis-event-writer.ts';
import { findRoute } from '../core/ingest/api-routes.ts';
import { DEFAULT_MAPPING_RULES, type MappingRules } from '../core/ingest/mapping-rules.ts';
import { openApiDocument } from '../core/ingest/openapi.ts';
import type { AllowList } from '../core/ingest/to-events.ts';
import { type IngestRequest, type IngestResponse, json } from '../functions/translate/ingest-http.ts';
import type { IngestStats } from '../functions/translate/ingest-stats.ts';
import { DEFAULT_SERIES_CAP } from '../functions/translate/translate-config.ts';
import { createTranslateHandler } from '../functions/translate/translate-handler.ts';
import { putEvents } from './events-route.ts';

/**
 * The ingestion API on the local server: the same routes as the deployed API (`core/ingest/api-routes.ts`),
 * `POST /v1/events` through API Gateway's own templates to kinesis-mock and every protocol route through the
 * translator function's handler, with its series cap on dynalite. API keys stand in for API Gateway's: a key
 * names its tenant. SigV4 (`/iam/...`) is not emulated and answers 403.
 */

/** What the local routes write to and check against. */
export interface IngestRoutesOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly dynamodb: DynamoDBClient;
  readonly seriesTable: string;
  /** API key → tenant. */
  readonly apiKeys: ReadonlyMap<string, string>;
  readonly firehoseAccessKey: string;
  readonly rules?: MappingRules;
  readonly seriesCap?: number;
  readonly allowList?: (tenant: string) => AllowList | undefined;
  /** Called with the figures of every translated request (the terminal's activity line, tests). */
  readonly onStats?: (stats: IngestStats) => void;
}

/** A request handler that answers ingestion routes and returns false for anything else. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Bodies past this are not read at all (the routes' own limits are lower and answer 413 with a reason). */
const HARD_BODY_LIMIT = 64 * 1024 * 1024;

/** A fresh API key, as API Gateway generates them: 40 random characters. */
export function newApiKey(): string {
  return randomBytes(30).toString('base64url');
}

/** Builds the handler; it serves until the server closes. */
export function createIngestRoutes(options: IngestRoutesOptions): RouteHandler {
  const translator = createTranslateHandler({
    rules: options.rules ?? DEFAULT_MAPPING_RULES,
    ...(options.allowList ? { allowList: options.allowList } : {}),
    admission: new DynamoDbSeriesRegistry(options.dynamodb, {
      tableName: options.seriesTable,
      defaultCap: options.seriesCap ?? DEFAULT_SERIES_CAP,
    }),
    writer: new KinesisEventWriter(options.kinesis, { streamName: options.streamName }),
    firehoseAccessKey: options.firehoseAccessKey,
    openApi: () => openApiDocument(),
  });

  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return false; // an unreadable target: the endpoint itself answers it with a 400
    }
    const found = findRoute(req.method ?? 'GET', url.pathname);
    if (!found) return false;
    void readBody(req)
      .then(async ({ body, length }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const request: IngestRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers,
          body,
        };
        if (length > HARD_BODY_LIMIT)
          return json(413, { message: `body is ${length} bytes, over ${HARD_BODY_LIMIT}` });
        if (found.iam)
          return json(403, {
            message:
              'SigV4 (/iam/...) is not emulated locally; send the x-api-key header to the same route without /iam',
          });
        let tenant: string | undefined;
        if (found.route.auth === 'api-key') {
          const key = apiKeyOf(headers);
          tenant = key === undefined ? undefined : options.apiKeys.get(key);
          if (tenant === undefined) {
            return json(403, {
              message:
                key === undefined
                  ? 'Forbidden: the x-api-key header (or Authorization: Bearer <key>) is missing'
                  : 'Forbidden: invalid API key',
            });
          }
        }
        if (found.route.integration === 'kinesis') {
          return putEvents({ ...request, ...(tenant ? { tenant } : {}) }, options);
        }
        const outcome = await translator({ ...request, ...(tenant ? { tenant } : {}) });
        if (outcome.stats) options.onStats?.(outcome.stats);
        return outcome.response;
      })
      .catch((error: unknown) => json(500, { message: (error as Error).message }))
      .then((response) => send(res, response));
    return true;
  };
}

/**
 * The caller's key: the `x-api-key` header (what API Gateway reads), else the credentials of an
 * `Authorization: Bearer …` or `Token …` header, which clients that cannot set other headers send: Debian's
 * Prometheus 2.42 build drops `remote_write.headers` but sends `authorization`, InfluxDB clients send their
 * token as `Token …`. (Deployed, API Gateway reads `x-api-key` only; see docs/ingestion.md.)
 */
export function apiKeyOf(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const key = headers['x-api-key'];
  if (key !== undefined) return key;
  const match = /^(?:Bearer|Token)\s+(\S+)$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

/** The body and its length; past the hard limit only the length counts and the rest is drained. */
async function readBody(req: IncomingMessage): Promise<{ body: Buffer; length: number }> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length <= HARD_BODY_LIMIT) chunks.push(chunk as Buffer);
  }
  return { body: length > HARD_BODY_LIMIT ? Buffer.alloc(0) : Buffer.concat(chunks), length };
}

function send(res: ServerResponse, response: IngestResponse): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : Buffer.from(response.body);
  res.writeHead(response.status, { ...response.headers, 'content-length': body.length });
  res.end(body);
}
