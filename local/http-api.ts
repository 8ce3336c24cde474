import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MemoryTimeSeriesStore } from '../adapters/memory-stores.ts';
import type { EpisodeTransition } from '../core/detection-types.ts';

/**
 * The local stack's read-only HTTP endpoint on 127.0.0.1, a small subset of the REST API:
 * `GET /health`, `GET /v1/series`, `GET /v1/series/{name}/scores?from=&to=` and `GET /v1/alerts`.
 */

/** What the endpoint reads from. */
export interface HttpApiSources {
  readonly scores: MemoryTimeSeriesStore;
  readonly alerts: () => readonly EpisodeTransition[];
  /** Extra fields for /health (stream, counters). */
  readonly health: () => Record<string, unknown>;
  /** Routes mounted before the read-only ones (the ingestion API); true when they answered the request. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** A listening endpoint: its base URL and how to close it. */
export interface HttpApi {
  readonly url: string;
  close(): Promise<void>;
}

/** Thrown for a query parameter the endpoint cannot read; answered with 400 and the message. */
class BadRequest extends Error {}

const SCORES = /^\/v1\/series\/(.+)\/scores$/;

/** Serves the endpoint on 127.0.0.1:`port` (0 for any free port). */
export async function startHttpApi(sources: HttpApiSources, port = 0): Promise<HttpApi> {
  const server = createServer((req, res) => {
    if (sources.routes?.(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET')
      return send(res, 405, { error: `${req.method} is not supported; this API is read-only` });
    try {
      if (url.pathname === '/health') return send(res, 200, { status: 'ok', ...sources.health() });
      if (url.pathname === '/v1/series') return send(res, 200, { series: sources.scores.series() });
      if (url.pathname === '/v1/alerts') return send(res, 200, { alerts: sources.alerts() });
      const match = SCORES.exec(url.pathname);
      if (match) {
        const series = decodeURIComponent(match[1] as string);
        if (!sources.scores.series().includes(series)) {
          return send(res, 404, { error: `no scores for series "${series}" yet (see GET /v1/series)` });
        }
        const from = timeParam(url, 'from');
        const to = timeParam(url, 'to');
        return send(res, 200, { series, points: sources.scores.query(series, { from, to }) });
      }
      return send(res, 404, {
        error: `no route ${url.pathname}; try /health, /v1/series, /v1/series/NAME/scores, /v1/alerts`,
      });
    } catch (error) {
      if (error instanceof BadRequest) return send(res, 400, { error: error.message });
      return send(res, 500, { error: (error as Error).message });
    }
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** `from` / `to` as epoch ms, from epoch ms or ISO 8601 text; undefined when absent. */
function timeParam(url: URL, name: string): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (Number.isNaN(ms))
    throw new BadRequest(`query parameter "${name}" must be epoch ms or ISO 8601, got "${text}"`);
  return ms;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(`${JSON.stringify(body)}\n`);
}
