/**
 * Webhook delivery under the Standard Webhooks specification, signed with its official library and sent
 * through an SSRF-filtering agent that checks the address each connection actually goes to.
 */
import { randomBytes } from 'node:crypto';
import { isIP, type LookupFunction } from 'node:net';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { Webhook } from 'standardwebhooks';
import {
  type AttemptContext,
  DEFAULT_RETRY_POLICY,
  type DeliveryOutcome,
  FIRST_ATTEMPT,
  parseRetryAfter,
  permanent,
  type RetryPolicy,
  retryLater,
} from './delivery.ts';
import { HttpRequestError, HttpTimeoutError, httpPost } from './http-post.ts';

/** Where a webhook receiver listens and the secrets it verifies with. */
export interface WebhookEndpoint {
  readonly url: string;
  /**
   * Standard Webhooks secrets (`whsec_` + base64 of 24 to 64 random bytes). During a rotation give two, the
   * new and the old: each message then carries both signatures and a receiver holding either one verifies.
   */
  readonly secrets: readonly string[];
}

/** One rendered webhook message. */
export interface WebhookMessage {
  /** `webhook-id`: identical on every attempt of one message, so that receivers can deduplicate retries. */
  readonly id: string;
  /** The JSON body as rendered (`{type, timestamp, data}`); signed and sent byte for byte. */
  readonly body: string;
}

/** A receiver answered 2xx. */
export interface WebhookReceipt {
  readonly webhookId: string;
  readonly status: number;
}

/** Construction options of {@link WebhookTransport}. */
export interface WebhookTransportOptions {
  /** Deadline per attempt, connect to last byte; 10 s by default. */
  readonly timeoutMs?: number;
  /**
   * Addresses (IPs or CIDRs) the SSRF guard lets through although private, for local development and tests
   * only (e.g. `['127.0.0.1']`). Empty by default: production refuses every non-public address. An entry
   * matches the connected address literally, so `127.0.0.1` does not open `::ffff:7f00:1`.
   */
  readonly allowPrivateAddresses?: readonly string[];
  /** Accept `http:` URLs; by default only `https:` (the body carries alert details). */
  readonly allowHttp?: boolean;
  /** DNS lookup used for connections (the guard checks every address it returns); `dns.lookup` by default. */
  readonly lookup?: LookupFunction;
  readonly retryPolicy?: Partial<RetryPolicy>;
  /** Clock for `webhook-timestamp`, in epoch milliseconds. */
  readonly now?: () => number;
  readonly userAgent?: string;
}

/** Thrown at construction when `allowPrivateAddresses` holds something that is neither an IP nor a CIDR. */
export class InvalidAllowListError extends Error {
  override readonly name = 'InvalidAllowListError';
  constructor(readonly entries: readonly string[]) {
    super(
      `allowPrivateAddresses must list IPs or CIDRs (e.g. 127.0.0.1, 10.1.0.0/16); not: ${entries.join(', ')}`,
    );
  }
}

/** A new Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64, for a new receiver. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Message of the errors request-filtering-agent raises for a refused address (it sets no error code). */
const REFUSED_ADDRESS = /is not allowed\. Because/;
const RETRYABLE_STATUS = new Set([408, 429]);
const MESSAGE_STATUS = new Set([400, 413, 415, 422]);

/**
 * Delivers signed webhooks. Headers: `webhook-id` (the message's id), `webhook-timestamp` (this attempt, in
 * seconds), `webhook-signature` (`v1,<base64>` per secret, space-separated). Outcomes: 2xx delivered; 3xx
 * permanent, naming the Location, which is never followed; 408, 429, 5xx, timeouts and network errors
 * retry-later with jittered backoff honouring Retry-After; 410 endpoint-disabled; other 4xx permanent; a URL
 * whose address is private, loopback, link-local, CGNAT, IPv4-mapped IPv6 or unspecified permanent
 * (`address-refused`), checked on each connection's resolved address, so DNS rebinding cannot slip past.
 */
export class WebhookTransport {
  private readonly httpAgent: RequestFilteringHttpAgent;
  private readonly httpsAgent: RequestFilteringHttpsAgent;
  private readonly signers = new Map<string, Webhook>();
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: WebhookTransportOptions = {}) {
    const invalid = (options.allowPrivateAddresses ?? []).filter((entry) => !isAddressOrCidr(entry));
    if (invalid.length > 0) throw new InvalidAllowListError(invalid);
    const guard = {
      keepAlive: true,
      allowPrivateIPAddress: false,
      allowMetaIPAddress: false,
      allowIPAddressList: [...(options.allowPrivateAddresses ?? [])],
      ...(options.lookup && { lookup: options.lookup }),
    };
    this.httpAgent = new RequestFilteringHttpAgent(guard);
    this.httpsAgent = new RequestFilteringHttpsAgent(guard);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Signs and POSTs `message` to `endpoint` once; never throws for anything the receiver does. */
  async send(
    endpoint: WebhookEndpoint,
    message: WebhookMessage,
    context: AttemptContext = FIRST_ATTEMPT,
  ): Promise<DeliveryOutcome<WebhookReceipt>> {
    const url = this.checkUrl(endpoint.url);
    if (typeof url === 'string') return permanent('invalid-url', url, 'receiver');
    if (message.id.trim() === '') return permanent('invalid-message', 'webhook-id is empty', 'message');
    let signature: string;
    const timestamp = new Date(this.now());
    try {
      signature = this.sign(endpoint.secrets, message, timestamp);
    } catch (error) {
      const reason = `cannot sign for ${url.origin}: ${(error as Error).message} (secrets must be whsec_ + base64)`;
      return permanent('invalid-secret', reason, 'receiver');
    }

    try {
      const response = await httpPost(url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': this.options.userAgent ?? 'Seismo-Webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: message.body,
        timeoutMs: this.timeoutMs,
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
      });
      return this.classify(url, message.id, response.status, response.headers, response.body, context);
    } catch (error) {
      return this.classifyError(url, error, context);
    }
  }

  /** Closes kept-alive connections, so a test or the local stack can exit promptly. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private checkUrl(raw: string): URL | string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return `webhook URL ${JSON.stringify(raw)} is not a URL`;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.options.allowHttp)) {
      return `webhook URL ${url.origin} must use https (http only when the transport allows it, for local use)`;
    }
    if (url.username || url.password) {
      return `webhook URL ${url.host} carries credentials; receivers verify the signature instead`;
    }
    return url;
  }

  private sign(secrets: readonly string[], message: WebhookMessage, timestamp: Date): string {
    if (secrets.length === 0) throw new Error('no signing secret configured');
    return secrets
      .map((secret) => {
        let signer = this.signers.get(secret);
        if (!signer) {
          signer = new Webhook(secret);
          this.signers.set(secret, signer);
        }
        return signer.sign(message.id, timestamp, message.body);
      })
      .join(' ');
  }

  private classify(
    url: URL,
    webhookId: string,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    body: string,
    context: AttemptContext,
  ): DeliveryOutcome<WebhookReceipt> {
    const where = `${url.origin}${url.pathname}`;
    const excerpt = body.trim().slice(0, 200);
    const said = excerpt ? `: ${excerpt}` : '';
    if (status >= 200 && status < 300) return { kind: 'delivered', receipt: { webhookId, status } };
    if (status >= 300 && status < 400) {
      const location = headers.location ?? '(no Location)';
      const reason = `${where} answered ${status} redirecting to ${location}; redirects are not followed, configure the final URL`;
      return permanent(`http-${status}`, reason, 'receiver', status);
    }
    if (status === 410) {
      return {
        kind: 'endpoint-disabled',
        code: 'http-410',
        reason: `${where} answered 410 Gone: the endpoint is disabled until its owner re-enables it${said}`,
        status,
      };
    }
    if (status >= 500 || RETRYABLE_STATUS.has(status)) {
      const retryAfterMs = parseRetryAfter(headers['retry-after'], this.now());
      const reason = `${where} answered ${status}${said}`;
      const fields = { code: `http-${status}`, reason, maybeDelivered: false, retryAfterMs, status };
      return retryLater(fields, context, this.policy);
    }
    const scope = MESSAGE_STATUS.has(status) ? 'message' : 'receiver';
    return permanent(`http-${status}`, `${where} answered ${status}, not retried${said}`, scope, status);
  }

  private classifyError(url: URL, error: unknown, context: AttemptContext): DeliveryOutcome<WebhookReceipt> {
    const where = `${url.origin}${url.pathname}`;
    if (error instanceof HttpTimeoutError) {
      const reason = `${where} did not answer within ${error.timeoutMs} ms`;
      return retryLater({ code: 'timeout', reason, maybeDelivered: error.requestSent }, context, this.policy);
    }
    if (error instanceof HttpRequestError) {
      if (REFUSED_ADDRESS.test(error.cause.message)) {
        const reason = `refused to connect to ${url.host}: ${error.cause.message} Webhook receivers must be public.`;
        return permanent('address-refused', reason, 'receiver');
      }
      const code = (error.cause as NodeJS.ErrnoException).code ?? 'network-error';
      const reason = `${where}: ${error.cause.message}`;
      return retryLater({ code, reason, maybeDelivered: error.requestSent }, context, this.policy);
    }
    throw error;
  }
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}
