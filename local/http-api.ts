import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MemoryTimeSeriesStore } from '../adapters/memory-stores.ts';
import type { EpisodeTransition } from '../core/detection-types.ts';
import { SINGLE_CHANNEL } from '../core/events/event-schema.ts';

/**
 * The local stack's read-only HTTP endpoint on 127.0.0.1, a small subset of the REST API:
 * `GET /health`, `GET /v1/series` (names and channels), `GET /v1/series/{name}/scores?from=&to=&channel=`
 * (channel `value` by default) and `GET /v1/alerts`.
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

/** Thrown for a request the endpoint cannot read; answered with 400 and the message. */
class BadRequest extends Error {}

const SCORES = /^\/v1\/series\/(.+)\/scores$/;
/** How much of a refused request target the error message quotes. */
const QUOTED_TARGET = 200;

/** Serves the endpoint on 127.0.0.1:`port` (0 for any free port). */
export async function startHttpApi(sources: HttpApiSources, port = 0): Promise<HttpApi> {
  const server = createServer((req, res) => {
    if (sources.routes?.(req, res)) return;
    if (req.method !== 'GET')
      return send(res, 405, { error: `${req.method} is not supported; this API is read-only` });
    try {
      const { path, query } = requestTarget(req.url ?? '');
      if (path === '/health') return send(res, 200, { status: 'ok', ...sources.health() });
      if (path === '/v1/series') {
        const series = sources.scores
          .series()
          .map((name) => ({ name, channels: sources.scores.channels(name) }));
        return send(res, 200, { series });
      }
      if (path === '/v1/alerts') return send(res, 200, { alerts: sources.alerts() });
      const match = SCORES.exec(path);
      if (match) {
        const series = decodeSegment(match[1] as string);
        if (!sources.scores.series().includes(series)) {
          return send(res, 404, { error: `no scores for series "${series}" yet (see GET /v1/series)` });
        }
        const from = timeParam(query, 'from');
        const to = timeParam(query, 'to');
        const channel = query.get('channel') ?? SINGLE_CHANNEL;
        if (!sources.scores.channels(series).includes(channel)) {
          const known = sources.scores.channels(series).join(', ');
          return send(res, 404, {
            error: `series "${series}" has no channel "${channel}" (it has: ${known})`,
          });
        }
        return send(res, 200, {
          series,
          channel,
          points: sources.scores.query(series, { from, to }, channel),
        });
      }
      return send(res, 404, {
        error: `no route ${path}; try /health, /v1/series, /v1/series/NAME/scores, /v1/alerts`,
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

/**
 * The path (still percent-encoded) and query of a request target. Only a path that starts with one "/" and
 * has no empty segment is read (origin-form), or an absolute `http(s)://` URL, which RFC 9112 asks a server to
 * accept; anything else (`//host/path`, `*`, `//`) is a bad request rather than a URL to resolve.
 */
function requestTarget(target: string): { path: string; query: URLSearchParams } {
  let pathAndQuery = target;
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      pathAndQuery = `${url.pathname}${url.search}`;
    } catch {
      throw new BadRequest(`request target ${quote(target)} is not a valid absolute URL`);
    }
  }
  const q = pathAndQuery.indexOf('?');
  const path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  if (!path.startsWith('/') || path.includes('//')) {
    throw new BadRequest(
      `request target ${quote(target)} must be a path that starts with one "/" and has no empty segment`,
    );
  }
  return { path, query: new URLSearchParams(q === -1 ? '' : pathAndQuery.slice(q + 1)) };
}

/** A percent-decoded path segment; bad percent-encoding (not %XX, or not UTF-8) is a bad request. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest(
      `path segment ${quote(segment)} is not valid percent-encoding (%XX escapes of UTF-8 bytes)`,
    );
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > QUOTED_TARGET ? `${text.slice(0, QUOTED_TARGET)}…` : text);
}

/** `from` / `to` as epoch ms, from epoch ms or ISO 8601 text; undefined when absent. */
function timeParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (Number.isNaN(ms))
    throw new BadRequest(`query parameter "${name}" must be epoch ms or ISO 8601, got "${text}"`);
  return ms;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
