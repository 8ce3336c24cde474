import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import type { AckHandler } from '../functions/ack/ack-handler.ts';
import { readBody } from './stand-ins/http-server.ts';

/**
 * The ack handler's Function URL on 127.0.0.1: each request becomes the Function URL event Lambda would
 * build (raw body, headers, path), so Slack's signature check and the action links run exactly as deployed.
 * Local-only routes beside it (`/local/...`, and `GET /`) serve the alert page: the Slack stand-in's
 * messages with working buttons, pending timers and a control to move the clock forward.
 */

/** The local-only routes' behaviour, supplied by the local alerting stack. */
export interface LocalPageRoutes {
  /** The alert page's HTML (`GET /`); `said` is the last action's answer. */
  page(said: string | undefined, formToken: string): Promise<string>;
  /** Presses a Slack button as Slack would (a signed interactivity request); returns what Seismo answered. */
  press(form: URLSearchParams): Promise<string>;
  /** Moves the local clock forward; returns what happened. */
  advance(form: URLSearchParams): Promise<string>;
}

/** A listening server. */
export interface LocalAckServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1:`port` (any free port by default). */
export async function startLocalAckServer(
  ack: AckHandler,
  routes: LocalPageRoutes,
  port = 0,
): Promise<LocalAckServer> {
  // Forms of the page carry this token, so another site cannot make a browser press buttons here.
  const formToken = crypto.randomUUID();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`error: ${(error as Error).message}\n`);
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    if (url.pathname === '/' && req.method === 'GET') {
      const html = await routes.page(url.searchParams.get('said') ?? undefined, formToken);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    if (url.pathname.startsWith('/local/') && req.method === 'POST') {
      const form = new URLSearchParams(body.toString('utf8'));
      if (form.get('token') !== formToken && req.headers['content-type'] !== 'application/json') {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('missing or wrong form token\n');
        return;
      }
      const query = url.searchParams;
      for (const [k, v] of query) if (!form.has(k)) form.set(k, v);
      const said =
        url.pathname === '/local/slack/press'
          ? await routes.press(form)
          : url.pathname === '/local/clock'
            ? await routes.advance(form)
            : undefined;
      if (said === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(303, { location: `/?said=${encodeURIComponent(said)}` });
      res.end(`${said}\n`);
      return;
    }
    const result = await ack(functionUrlEvent(req, url, body));
    res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
    res.end(result.body ?? '');
  };
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

/** The event Lambda builds for a Function URL request (payload format 2.0). */
export function functionUrlEvent(req: IncomingMessage, url: URL, body: Buffer): LambdaFunctionURLEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const text = body.toString('utf8');
  const binary = Buffer.from(text, 'utf8').compare(body) !== 0;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(url.search && { queryStringParameters: Object.fromEntries(url.searchParams) }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: crypto.randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(body.length > 0 && { body: binary ? body.toString('base64') : text }),
    isBase64Encoded: binary,
  };
}
