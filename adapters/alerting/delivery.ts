/**
 * The outcome every channel transport returns, so a sender Lambda (an SQS consumer) can act on it without
 * knowing the channel: delete the message, delay it, dead-letter it, or disable the receiver. Transports
 * return these for every failure a receiver or provider can cause; they throw only on programming errors.
 */
import { backoffDelay, resolveBackoff } from '../backoff.ts';

/** The provider accepted the message; `receipt` carries its ids (Slack channel and ts, SES MessageId, ...). */
export interface Delivered<Receipt> {
  readonly kind: 'delivered';
  readonly receipt: Receipt;
}

/**
 * A transient failure: try again after `delayMs` (Retry-After honoured, else jittered backoff), capped at
 * {@link MAX_RETRY_DELAY_MS} so an SQS `DelaySeconds` or visibility change can carry it.
 */
export interface RetryLater {
  readonly kind: 'retry-later';
  /** Machine-readable cause: a provider error code (`ratelimited`, `TooManyRequestsException`) or `http-503`. */
  readonly code: string;
  /** What happened, for a person reading the log or the dead-letter queue. */
  readonly reason: string;
  readonly delayMs: number;
  /** The wait asked for (a provider's Retry-After, or the Slack pacer's next slot); `delayMs` is never shorter. */
  readonly retryAfterMs?: number;
  /**
   * True when the provider may have acted although we saw no answer (a timeout after the request was sent).
   * Retrying then may duplicate a non-idempotent send (a Slack post, an email); webhooks and PagerDuty carry
   * their own dedup ids, and a Slack update or PagerDuty event repeats harmlessly.
   */
  readonly maybeDelivered: boolean;
  readonly status?: number;
}

/** What a permanent failure is about, so the sender knows what else will fail the same way. */
export type FailureScope =
  /** This message only (invalid blocks, a rejected recipient, a 400 on this payload). */
  | 'message'
  /** Everything for this receiver (a Slack channel not found, a webhook URL answering 404, a bad routing key). */
  | 'receiver'
  /** Everything on this channel (a revoked Slack token, a suspended SES account, an unverified domain). */
  | 'channel';

/** Will never succeed as it is: dead-letter it with `reason`, count it by `code`, and do not retry. */
export interface PermanentFailure {
  readonly kind: 'permanent';
  readonly code: string;
  readonly reason: string;
  readonly scope: FailureScope;
  readonly status?: number;
}

/**
 * The receiver asked to be removed (a webhook answering 410 Gone, as Standard Webhooks specifies): disable the
 * endpoint, stop sending to it, and tell its owner; nothing will be delivered there until they re-enable it.
 */
export interface EndpointDisabled {
  readonly kind: 'endpoint-disabled';
  readonly code: string;
  readonly reason: string;
  readonly status?: number;
}

/** Every possible result of one delivery attempt. */
export type DeliveryOutcome<Receipt> = Delivered<Receipt> | RetryLater | PermanentFailure | EndpointDisabled;

/** Per-attempt context from the sender. */
export interface AttemptContext {
  /** 1 for the first attempt; an SQS consumer passes the message's `ApproximateReceiveCount`. */
  readonly attempt: number;
}

/** The first attempt, for callers that keep no count. */
export const FIRST_ATTEMPT: AttemptContext = { attempt: 1 };

/** SQS's longest `DelaySeconds` (15 minutes): the cap on any `delayMs`. */
export const MAX_RETRY_DELAY_MS = 900_000;

/** How a transport spaces retries when the provider gives no Retry-After. */
export interface RetryPolicy {
  /** Upper bound of the first retry's delay; doubles per attempt. */
  readonly baseDelayMs: number;
  /** Cap of the exponential part, at most {@link MAX_RETRY_DELAY_MS}. */
  readonly maxDelayMs: number;
  /** Never retry sooner than this (SQS counts in whole seconds). */
  readonly minDelayMs: number;
  /** Uniform in [0, 1); injectable for deterministic tests. */
  readonly random: () => number;
}

/** 2 s doubling to 15 min with full jitter, at least 1 s: attempt 5 waits up to 32 s, attempt 10 up to 15 min. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 2_000,
  maxDelayMs: MAX_RETRY_DELAY_MS,
  minDelayMs: 1_000,
  random: Math.random,
};

/**
 * Delay before the next attempt: at least the provider's Retry-After plus up to 10% (at most 1 s) of jitter so
 * that the queued messages do not return at the same instant; else full-jitter exponential backoff from
 * `adapters/backoff.ts` by attempt number. Always within [minDelayMs, MAX_RETRY_DELAY_MS].
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, policy: RetryPolicy): number {
  let delay: number;
  if (retryAfterMs !== undefined) {
    delay = retryAfterMs + Math.round(policy.random() * Math.min(1_000, retryAfterMs * 0.1));
  } else {
    const backoff = resolveBackoff({
      baseDelayMs: policy.baseDelayMs,
      maxDelayMs: Math.min(policy.maxDelayMs, MAX_RETRY_DELAY_MS),
      random: policy.random,
    });
    delay = backoffDelay(Math.max(0, attempt - 1), backoff);
  }
  return Math.min(MAX_RETRY_DELAY_MS, Math.max(policy.minDelayMs, delay));
}

/** Builds a {@link RetryLater}, computing its delay with {@link retryDelayMs}. */
export function retryLater(
  fields: {
    readonly code: string;
    readonly reason: string;
    readonly maybeDelivered: boolean;
    readonly retryAfterMs?: number | undefined;
    readonly status?: number | undefined;
  },
  context: AttemptContext,
  policy: RetryPolicy,
): RetryLater {
  const { retryAfterMs, status, ...rest } = fields;
  return {
    kind: 'retry-later',
    ...rest,
    delayMs: retryDelayMs(context.attempt, retryAfterMs, policy),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(status !== undefined && { status }),
  };
}

/** Builds a {@link PermanentFailure}. */
export function permanent(
  code: string,
  reason: string,
  scope: FailureScope,
  status?: number,
): PermanentFailure {
  return { kind: 'permanent', code, reason, scope, ...(status !== undefined && { status }) };
}

/**
 * Parses an HTTP `Retry-After` header (delta-seconds or an HTTP-date) into milliseconds from `now`;
 * undefined when absent or unparseable, 0 for a date in the past.
 */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  // An HTTP-date names its day and month; Date.parse alone would read '-5' as a year.
  if (!/[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A short description of a thrown value for a `reason`: its name, code and message. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return `${error.name}${code ? ` ${code}` : ''}: ${error.message}`;
}
