/**
 * PagerDuty Events API v2: trigger, acknowledge and resolve alerts by `dedup_key`. Events are idempotent per
 * dedup key on PagerDuty's side, so retrying one that may have arrived is harmless.
 */
import { Agent } from 'node:https';
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

/** PagerDuty's production endpoint host. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com';
/** PagerDuty's limit on `payload.summary`. */
export const PAGERDUTY_SUMMARY_MAX = 1_024;
/** PagerDuty's limit on `dedup_key`. */
export const PAGERDUTY_DEDUP_KEY_MAX = 255;

/** The severities PagerDuty accepts, lowercase as it requires. */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';
/** What an event does to the alert named by its dedup key. */
export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

/** The alert body of a trigger event. */
export interface PagerDutyPayload {
  /** Shown as the incident title; truncated to {@link PAGERDUTY_SUMMARY_MAX} characters if longer. */
  readonly summary: string;
  /** The affected system (for Seismo: the series). */
  readonly source: string;
  readonly severity: PagerDutySeverity;
  /** ISO 8601; when the anomaly started. */
  readonly timestamp?: string;
  readonly component?: string;
  readonly group?: string;
  readonly class?: string;
  readonly customDetails?: Readonly<Record<string, unknown>>;
}

/** One event for one routing key (an integration key of a PagerDuty service). */
export interface PagerDutyEvent {
  readonly routingKey: string;
  readonly action: PagerDutyAction;
  /** The episode id: the same key triggers, acknowledges and resolves one alert. */
  readonly dedupKey: string;
  /** Required for `trigger`, ignored otherwise. */
  readonly payload?: PagerDutyPayload;
  readonly links?: readonly { readonly href: string; readonly text?: string }[];
  readonly client?: string;
  readonly clientUrl?: string;
}

/** PagerDuty accepted the event (202). */
export interface PagerDutyReceipt {
  readonly dedupKey: string;
  readonly status: number;
  /** True when the summary was cut to {@link PAGERDUTY_SUMMARY_MAX} characters to be accepted. */
  readonly summaryTruncated: boolean;
}

/** Construction options of {@link PagerDutyTransport}. */
export interface PagerDutyTransportOptions {
  /** Scheme and host of the Events API; {@link PAGERDUTY_EVENTS_URL} by default, the stand-in's URL locally. */
  readonly baseUrl?: string;
  /** Deadline per attempt; 10 s by default. */
  readonly timeoutMs?: number;
  readonly retryPolicy?: Partial<RetryPolicy>;
  readonly now?: () => number;
}

/**
 * Sends Events API v2 events. 202 delivered; 400 permanent with PagerDuty's `errors` (scope `receiver` when
 * they name the routing key, else `message`); 401/403/404 permanent for the receiver; 429, 5xx, timeouts and
 * network errors retry-later. A summary over 1,024 characters is truncated with an ellipsis rather than
 * rejected, and the receipt says so.
 */
export class PagerDutyTransport {
  private readonly url: URL;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly policy: RetryPolicy;
  private readonly now: () => number;

  constructor(private readonly options: PagerDutyTransportOptions = {}) {
    this.url = new URL('/v2/enqueue', options.baseUrl ?? PAGERDUTY_EVENTS_URL);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    this.now = options.now ?? Date.now;
  }

  /** Sends `event` once; never throws for anything PagerDuty answers. */
  async send(
    event: PagerDutyEvent,
    context: AttemptContext = FIRST_ATTEMPT,
  ): Promise<DeliveryOutcome<PagerDutyReceipt>> {
    if (event.routingKey.trim() === '') {
      return permanent('invalid-routing-key', 'the receiver has no PagerDuty routing key', 'receiver');
    }
    if (event.dedupKey === '' || event.dedupKey.length > PAGERDUTY_DEDUP_KEY_MAX) {
      const reason = `dedup_key must be 1..${PAGERDUTY_DEDUP_KEY_MAX} characters, got ${event.dedupKey.length}`;
      return permanent('invalid-event', reason, 'message');
    }
    if (event.action === 'trigger' && !event.payload) {
      return permanent(
        'invalid-event',
        'a trigger event needs a payload (summary, source, severity)',
        'message',
      );
    }
    const { body, summaryTruncated } = toWire(event);
    try {
      const response = await httpPost(this.url, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: this.options.timeoutMs ?? 10_000,
        ...(this.url.protocol === 'https:' && { agent: this.agent }),
      });
      const status = response.status;
      const answer = parseJson(response.body);
      if (status >= 200 && status < 300) {
        const dedupKey = typeof answer?.dedup_key === 'string' ? answer.dedup_key : event.dedupKey;
        return { kind: 'delivered', receipt: { dedupKey, status, summaryTruncated } };
      }
      const errors = Array.isArray(answer?.errors) ? answer.errors.map(String) : [];
      const detail =
        errors.length > 0 ? errors.join('; ') : String(answer?.message ?? response.body).slice(0, 200);
      const reason = `PagerDuty answered ${status} to ${event.action} ${event.dedupKey}: ${detail}`;
      if (status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.now());
        const fields = { code: `http-${status}`, reason, maybeDelivered: false, retryAfterMs, status };
        return retryLater(fields, context, this.policy);
      }
      const scope = status === 400 && !/routing.?key/i.test(detail) ? 'message' : 'receiver';
      return permanent(status === 400 ? 'invalid-event' : `http-${status}`, reason, scope, status);
    } catch (error) {
      if (error instanceof HttpTimeoutError || error instanceof HttpRequestError) {
        const code = error instanceof HttpTimeoutError ? 'timeout' : networkCode(error);
        const reason = `PagerDuty ${event.action} ${event.dedupKey}: ${error.message}`;
        // Idempotent by dedup_key: a repeat of an event that did arrive changes nothing.
        return retryLater({ code, reason, maybeDelivered: error.requestSent }, context, this.policy);
      }
      throw error;
    }
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/**
 * Cuts `summary` to at most `max` UTF-16 units (so also at most `max` code points, however PagerDuty counts),
 * never splitting a surrogate pair, and marks the cut with an ellipsis.
 */
export function truncateSummary(summary: string, max = PAGERDUTY_SUMMARY_MAX): string {
  if (summary.length <= max) return summary;
  const cut = summary.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  return `${last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut}…`;
}

function toWire(event: PagerDutyEvent): { body: Record<string, unknown>; summaryTruncated: boolean } {
  const body: Record<string, unknown> = {
    routing_key: event.routingKey,
    event_action: event.action,
    dedup_key: event.dedupKey,
  };
  let summaryTruncated = false;
  if (event.action === 'trigger' && event.payload) {
    const p = event.payload;
    const summary = truncateSummary(p.summary);
    summaryTruncated = summary !== p.summary;
    body.payload = {
      summary,
      source: p.source,
      severity: p.severity,
      ...(p.timestamp && { timestamp: p.timestamp }),
      ...(p.component && { component: p.component }),
      ...(p.group && { group: p.group }),
      ...(p.class && { class: p.class }),
      ...(p.customDetails && { custom_details: p.customDetails }),
    };
    if (event.links) body.links = event.links;
    if (event.client) body.client = event.client;
    if (event.clientUrl) body.client_url = event.clientUrl;
  }
  return { body, summaryTruncated };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function networkCode(error: HttpRequestError): string {
  return (error.cause as NodeJS.ErrnoException).code ?? 'network-error';
}
