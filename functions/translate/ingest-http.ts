import { gunzipSync, inflateSync } from 'node:zlib';
import { IngestDecodeError } from '../../core/ingest/metric-sample.ts';

/**
 * The translator's view of HTTP, the same behind API Gateway (Lambda proxy events) and on the local server
 * (Node's http): a request with bytes and lower-case headers, and a response to encode.
 */

/** One HTTP request to the translator. */
export interface IngestRequest {
  readonly method: string;
  /** Path below the stage (`/api/v1/write`, `/iam/v1/metrics`). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
  /**
   * Who the caller is, as the gateway established it: the API key's id (or the local key's tenant), or the
   * SigV4 caller's ARN. Absent when the route needs no key or the gateway knew none.
   */
  readonly tenant?: string;
}

/** The translator's answer. */
export interface IngestResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/** Largest body the translator reads, compressed: a Lambda proxy event carries it base64 within 6 MB. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Largest body after gzip or deflate. */
export const MAX_INFLATED_BYTES = 32 * 1024 * 1024;

/** Media type of a Content-Type header, lower case, without parameters. */
export function mediaType(request: IngestRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The body with its Content-Encoding undone (gzip, deflate, identity; snappy only where `snappy` is allowed,
 * which the Prometheus reader undoes itself). Throws {@link IngestDecodeError}: 415 for an encoding the route
 * does not speak, 413 past the inflated limit, 400 for a body that is not what its encoding says.
 */
export function decodedBody(request: IngestRequest, options: { readonly snappy?: boolean } = {}): Uint8Array {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '' || (encoding === 'snappy' && options.snappy))
    return request.body;
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw new IngestDecodeError(
      `Content-Encoding "${encoding}" is not supported here; send gzip, deflate or no encoding`,
      415,
    );
  }
  try {
    const inflate = encoding === 'gzip' ? gunzipSync : inflateSync;
    return inflate(request.body, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new IngestDecodeError(`body inflates past ${MAX_INFLATED_BYTES} bytes`, 413);
    }
    throw new IngestDecodeError(
      `body is not ${encoding} data, as its Content-Encoding says: ${(error as Error).message}`,
    );
  }
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): IngestResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** A plain-text response. */
export function text(status: number, body: string, headers: Record<string, string> = {}): IngestResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}
