/**
 * One HTTP(S) POST on `node:http(s)` with a hard deadline, a capped response body and no redirect following
 * (node:http never follows them): the primitive under the webhook and PagerDuty transports. It runs on
 * `node:http` rather than `fetch` because the SSRF guard (`request-filtering-agent`) is an `http.Agent`.
 */
import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What came back: the status, the headers and at most `maxResponseBytes` of the body, as UTF-8. */
export interface HttpPostResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How to send one POST. */
export interface HttpPostOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Deadline for the whole exchange, connect to last byte read. */
  readonly timeoutMs: number;
  /** The agent that makes connections: the SSRF-filtering one for webhooks, a keep-alive one otherwise. */
  readonly agent?: Agent;
  /** Body bytes kept for error reasons; the rest is read and dropped. 4 KiB by default. */
  readonly maxResponseBytes?: number;
}

/**
 * Thrown when the deadline passes. `requestSent` says whether the whole request had been written, in which
 * case the receiver may have acted on it.
 */
export class HttpTimeoutError extends Error {
  override readonly name = 'HttpTimeoutError';
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    readonly requestSent: boolean,
  ) {
    super(`no answer from ${url} within ${timeoutMs} ms${requestSent ? ' (the request had been sent)' : ''}`);
  }
}

/**
 * Thrown when the request could not be made or its answer not read (DNS failure, refused connection, reset,
 * a refused address). `requestSent` as in {@link HttpTimeoutError}; `cause` is the socket's error.
 */
export class HttpRequestError extends Error {
  override readonly name = 'HttpRequestError';
  constructor(
    readonly url: string,
    readonly requestSent: boolean,
    override readonly cause: Error,
  ) {
    super(`POST ${url} failed: ${cause.message}`, { cause });
  }
}

/** POSTs `body` to `url` and resolves with the response whatever its status; rejects on timeout or I/O error. */
export function httpPost(url: URL, options: HttpPostOptions): Promise<HttpPostResponse> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const limit = options.maxResponseBytes ?? 4_096;
  return new Promise((resolve, reject) => {
    let requestSent = false;
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    const req = send(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
      ...(options.agent && { agent: options.agent }),
    });
    const timer = setTimeout(() => {
      finish(() => reject(new HttpTimeoutError(url.href, options.timeoutMs, requestSent)));
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error) => finish(() => reject(new HttpRequestError(url.href, requestSent, error))));
    req.on('finish', () => {
      requestSent = true;
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept >= limit) return;
        chunks.push(chunk.subarray(0, limit - kept));
        kept += Math.min(chunk.length, limit - kept);
      });
      res.on('error', (error) => finish(() => reject(new HttpRequestError(url.href, true, error))));
      res.on('end', () =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        ),
      );
    });
    req.end(options.body);
  });
}
