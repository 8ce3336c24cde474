import type { ScoredPoint } from '../core/detection-types.ts';
import type { RejectedPoint, TimeSeriesStore, WriteResult } from '../core/ports.ts';
import { type BackoffOptions, backoffDelay, resolveBackoff } from './backoff.ts';
import { InfluxLineProtocolError, toLine } from './influx-line-protocol.ts';

/** An InfluxDB 1.x target: `/write?db=..&precision=ms`, optionally with a retention policy and basic auth. */
export interface InfluxV1Target {
  readonly version: 1;
  /** Base URL, e.g. `http://127.0.0.1:8086`. */
  readonly url: string;
  readonly database: string;
  readonly retentionPolicy?: string;
  readonly username?: string;
  readonly password?: string;
}

/** An InfluxDB 2.x target (also Amazon Timestream for InfluxDB): `/api/v2/write` with a token. */
export interface InfluxV2Target {
  readonly version: 2;
  readonly url: string;
  readonly org: string;
  readonly bucket: string;
  readonly token: string;
}

/** Where and how the line-protocol store writes. */
export interface InfluxLineStoreOptions {
  readonly target: InfluxV1Target | InfluxV2Target;
  /** Measurement the points go to; `seismo_score` by default. */
  readonly measurement?: string;
  /** Lines per HTTP request; 5000 by default, as InfluxDB recommends. */
  readonly batchSize?: number;
  /** Per-request timeout; 10 s by default. */
  readonly timeoutMs?: number;
  /** Retries of 429, 5xx and network errors; a Retry-After header lengthens the wait. */
  readonly backoff?: Partial<BackoffOptions>;
  /** Longest Retry-After honoured; 30 s by default. */
  readonly maxRetryAfterMs?: number;
  /** The fetch to use; the global one by default. */
  readonly fetch?: typeof fetch;
}

/** Thrown when InfluxDB refuses a write (4xx): carries the status and the server's own message. */
export class InfluxWriteRejectedError extends Error {
  override readonly name = 'InfluxWriteRejectedError';
  constructor(
    readonly status: number,
    readonly serverMessage: string,
    readonly endpoint: string,
    readonly lines: number,
  ) {
    super(`InfluxDB at ${endpoint} rejected a write of ${lines} line(s) with ${status}: ${serverMessage}`);
  }
}

/** Thrown when a write still fails (429, 5xx or network) after every attempt. */
export class InfluxWriteFailedError extends Error {
  override readonly name = 'InfluxWriteFailedError';
  constructor(
    readonly endpoint: string,
    readonly attempts: number,
    readonly lastFailure: string,
    options?: ErrorOptions,
  ) {
    super(`InfluxDB write to ${endpoint} failed after ${attempts} attempt(s): ${lastFailure}`, options);
  }
}

/** Statuses that say the data itself was refused (bad line, too large, outside retention), not the request. */
const DATA_REFUSED = new Set([400, 413, 422]);

/**
 * {@link TimeSeriesStore} writing InfluxDB line protocol over HTTP at millisecond precision, to 1.x or 2.x.
 * Idempotent: InfluxDB keeps one point per series, tag set and timestamp, the last write winning. When
 * InfluxDB refuses the data of a request (400, 413, 422), the request is split in halves until the refused
 * lines stand alone; those come back as rejected with InfluxDB's message, and every other line is stored.
 * Other refusals (401, 403, 404: credentials, bucket) throw, as they concern every point alike.
 */
export class InfluxLineStore implements TimeSeriesStore {
  private readonly backoff: BackoffOptions;
  private readonly measurement: string;
  private readonly batchSize: number;
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: InfluxLineStoreOptions) {
    this.backoff = resolveBackoff(options.backoff);
    this.measurement = options.measurement ?? 'seismo_score';
    this.batchSize = options.batchSize ?? 5_000;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`batchSize must be an integer >= 1, got ${this.batchSize}`);
    }
    this.fetch = options.fetch ?? globalThis.fetch;
    const { endpoint, headers } = writeRequest(options.target);
    this.endpoint = endpoint;
    this.headers = headers;
  }

  async write(points: readonly ScoredPoint[]): Promise<WriteResult> {
    const rejected: RejectedPoint[] = [];
    const encoded: { point: ScoredPoint; line: string }[] = [];
    for (const point of points) {
      try {
        encoded.push({ point, line: toLine(this.measurement, point) });
      } catch (error) {
        if (!(error instanceof InfluxLineProtocolError)) throw error;
        rejected.push({ point, reason: error.message });
      }
    }
    for (let i = 0; i < encoded.length; i += this.batchSize) {
      await this.postIsolating(encoded.slice(i, i + this.batchSize), rejected);
    }
    return { rejected };
  }

  /** Posts the lines; when InfluxDB refuses their data, halves them until each refused line is alone. */
  private async postIsolating(
    lines: readonly { point: ScoredPoint; line: string }[],
    rejected: RejectedPoint[],
  ): Promise<void> {
    try {
      await this.post(lines.map((l) => l.line));
    } catch (error) {
      if (!(error instanceof InfluxWriteRejectedError) || !DATA_REFUSED.has(error.status)) throw error;
      if (lines.length === 1) {
        rejected.push({ point: (lines[0] as { point: ScoredPoint }).point, reason: error.message });
        return;
      }
      const half = Math.ceil(lines.length / 2);
      await this.postIsolating(lines.slice(0, half), rejected);
      await this.postIsolating(lines.slice(half), rejected);
    }
  }

  private async post(lines: readonly string[]): Promise<void> {
    const body = lines.join('\n');
    let lastFailure = '';
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.backoff.maxAttempts; attempt++) {
      let retryAfterMs = 0;
      try {
        const response = await this.fetch(this.endpoint, {
          method: 'POST',
          headers: this.headers,
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        if (response.ok) {
          await response.body?.cancel();
          return;
        }
        const message = await serverMessage(response);
        if (response.status !== 429 && response.status < 500) {
          throw new InfluxWriteRejectedError(response.status, message, this.endpoint, lines.length);
        }
        lastFailure = `${response.status}: ${message}`;
        lastError = undefined;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      } catch (error) {
        if (error instanceof InfluxWriteRejectedError) throw error;
        lastFailure = error instanceof Error ? error.message : String(error);
        lastError = error;
      }
      if (attempt < this.backoff.maxAttempts) {
        const wait = Math.max(backoffDelay(attempt - 1, this.backoff), retryAfterMs);
        await this.backoff.sleep(Math.min(wait, this.options.maxRetryAfterMs ?? 30_000));
      }
    }
    throw new InfluxWriteFailedError(
      this.endpoint,
      this.backoff.maxAttempts,
      lastFailure,
      lastError === undefined ? undefined : { cause: lastError },
    );
  }
}

function writeRequest(target: InfluxV1Target | InfluxV2Target): {
  endpoint: string;
  headers: Record<string, string>;
} {
  const base = target.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (target.version === 1) {
    const params = new URLSearchParams({ db: target.database, precision: 'ms' });
    if (target.retentionPolicy) params.set('rp', target.retentionPolicy);
    if (target.username !== undefined) {
      const credentials = `${target.username}:${target.password ?? ''}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    return { endpoint: `${base}/write?${params}`, headers };
  }
  const params = new URLSearchParams({ org: target.org, bucket: target.bucket, precision: 'ms' });
  headers.authorization = `Token ${target.token}`;
  return { endpoint: `${base}/api/v2/write?${params}`, headers };
}

/** The server's explanation: `error` (1.x) or `message` (2.x) of a JSON body, else the body text. */
async function serverMessage(response: Response): Promise<string> {
  const text = (await response.text().catch(() => '')).trim();
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof json.error === 'string') return json.error;
    if (typeof json.message === 'string') return json.message;
  } catch {
    // Not JSON: the text is the message.
  }
  return text === '' ? response.statusText || 'no message' : text.slice(0, 1_000);
}

/** Retry-After as delta-seconds or an HTTP date, in ms; 0 when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number {
  if (header === null || header.trim() === '') return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}
