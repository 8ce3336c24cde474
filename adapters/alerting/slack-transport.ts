/**
 * Slack delivery through the Web API (`chat.postMessage`, then `chat.update` of the same message), not
 * incoming webhooks, which return no message id and so cannot be updated.
 */
import {
  type ChatPostMessageArguments,
  type ChatUpdateArguments,
  type Logger,
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import { ChannelPacer } from './channel-pacer.ts';
import {
  type AttemptContext,
  DEFAULT_RETRY_POLICY,
  type DeliveryOutcome,
  describeError,
  FIRST_ATTEMPT,
  permanent,
  type RetryPolicy,
  retryLater,
} from './delivery.ts';
import { permanentSlackError, SLACK_RETRYABLE_ERRORS } from './slack-errors.ts';

/** One Block Kit block, as `@slack/web-api` types it. */
export type SlackBlock = Extract<ChatPostMessageArguments, { blocks: unknown[] }>['blocks'][number];

/** A rendered Slack message for one channel. */
export interface SlackMessage {
  /** Channel ID (`C...`, preferred) or name; the receipt always carries the ID Slack answered. */
  readonly channel: string;
  /** Notification and accessibility text; also the whole message when there are no blocks. */
  readonly text: string;
  readonly blocks?: readonly SlackBlock[];
  /** Message metadata (scope-free to write), e.g. the alert id, so a post can be found again. */
  readonly metadata?: { readonly event_type: string; readonly event_payload: Record<string, unknown> };
}

/** A new rendering of a message already posted. */
export interface SlackUpdate extends SlackMessage {
  /** The `ts` from the post's receipt. */
  readonly ts: string;
}

/** Where the message lives: Slack's channel ID and the message's `ts`, which `chat.update` needs. */
export interface SlackReceipt {
  readonly channel: string;
  readonly ts: string;
}

/** How {@link createSlackClient} configures the WebClient. */
export interface SlackClientOptions {
  /** `https://slack.com/api/` by default; the stand-in's URL locally and in tests. */
  readonly slackApiUrl?: string;
  /** Deadline per HTTP request; 10 s by default (the WebClient's own default is none). */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * A WebClient configured for a sender Lambda: no retries of its own (`retries: 0`; the default retries for
 * up to 30 minutes) and `rejectRateLimitedCalls` (the default sleeps Retry-After inside the call and pauses
 * every other call of the client), so a 429 comes back at once as a retry-later outcome and the SQS message
 * returns after Retry-After instead of holding the Lambda.
 */
export function createSlackClient(token: string, options: SlackClientOptions = {}): WebClient {
  return new WebClient(token, {
    slackApiUrl: options.slackApiUrl ?? 'https://slack.com/api/',
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
    ...(options.logger ? { logger: options.logger } : { logLevel: LogLevel.WARN }),
  });
}

/** Construction options of {@link SlackTransport}. */
export interface SlackTransportOptions {
  /** Per-channel pacing; one for the container by default (1 per second, at most 3 s of waiting). */
  readonly pacer?: ChannelPacer;
  readonly retryPolicy?: Partial<RetryPolicy>;
}

/**
 * Posts and updates Slack messages with one outcome per call. Errors map by Slack's code: `ratelimited` and
 * 429 (Retry-After honoured, and the channel paused in this container), Slack's own transient errors, 5xx,
 * timeouts and network errors retry-later; token and scope problems permanent for the whole channel
 * (`invalid_auth`, `missing_scope`, ...), channel problems for the receiver (`channel_not_found`,
 * `not_in_channel`, `is_archived`), content and `message_not_found` (on update) for the message; unknown
 * codes are permanent for the message. Give it a client from {@link createSlackClient}.
 */
export class SlackTransport {
  private readonly pacer: ChannelPacer;
  private readonly policy: RetryPolicy;

  constructor(
    private readonly client: WebClient,
    options: SlackTransportOptions = {},
  ) {
    this.pacer = options.pacer ?? new ChannelPacer();
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
  }

  /**
   * Posts a new message (`chat.postMessage`) without link unfurls (an alert's links would otherwise grow
   * previews). Not idempotent: see `maybeDelivered` on retry-later.
   */
  async post(
    message: SlackMessage,
    context: AttemptContext = FIRST_ATTEMPT,
  ): Promise<DeliveryOutcome<SlackReceipt>> {
    const args = {
      channel: message.channel,
      text: message.text,
      unfurl_links: false,
      unfurl_media: false,
      ...contentOf(message),
    };
    return this.call('chat.postMessage', message.channel, context, async () => {
      const result = await this.client.chat.postMessage(args as ChatPostMessageArguments);
      if (result.channel) this.pacer.alias(message.channel, result.channel);
      return { channel: result.channel ?? '', ts: result.ts ?? '' };
    });
  }

  /** Replaces a posted message's text and blocks (`chat.update`); repeating it is harmless. */
  async update(
    update: SlackUpdate,
    context: AttemptContext = FIRST_ATTEMPT,
  ): Promise<DeliveryOutcome<SlackReceipt>> {
    const args = { channel: update.channel, ts: update.ts, text: update.text, ...contentOf(update) };
    return this.call('chat.update', update.channel, context, async () => {
      const result = await this.client.chat.update(args as ChatUpdateArguments);
      return { channel: result.channel ?? update.channel, ts: result.ts ?? update.ts };
    });
  }

  private async call(
    method: string,
    channel: string,
    context: AttemptContext,
    send: () => Promise<SlackReceipt>,
  ): Promise<DeliveryOutcome<SlackReceipt>> {
    const turn = await this.pacer.acquire(channel);
    if (turn.kind === 'later') {
      const reason =
        turn.cause === 'paused'
          ? `${channel} is rate limited by Slack for ${turn.delayMs} ms more`
          : `${channel} already has posts queued in this container for ${turn.delayMs} ms (1 per second)`;
      const fields = { code: turn.cause, reason, maybeDelivered: false, retryAfterMs: turn.delayMs };
      return retryLater(fields, context, this.policy);
    }
    try {
      const receipt = await send();
      if (!receipt.channel || !receipt.ts) {
        const reason = `Slack answered ${method} without channel or ts; the message may exist but cannot be updated`;
        return permanent('malformed-response', reason, 'message');
      }
      return { kind: 'delivered', receipt };
    } catch (error) {
      return this.classify(method, channel, error, context);
    }
  }

  private classify(
    method: string,
    channel: string,
    error: unknown,
    context: AttemptContext,
  ): DeliveryOutcome<SlackReceipt> {
    if (error instanceof WebAPIRateLimitedError) {
      const retryAfterMs = error.retryAfter * 1_000;
      this.pacer.pause(channel, retryAfterMs);
      const reason = `Slack rate-limited ${method} to ${channel}: Retry-After ${error.retryAfter} s`;
      return retryLater(
        { code: 'ratelimited', reason, maybeDelivered: false, retryAfterMs, status: 429 },
        context,
        this.policy,
      );
    }
    if (error instanceof WebAPIPlatformError) {
      const code = String(error.data.error ?? 'unknown_error');
      const needed = (error.data as { needed?: unknown }).needed;
      const details = [
        ...(error.data.response_metadata?.messages ?? []),
        ...(typeof needed === 'string' ? [`needed: ${needed}`] : []),
      ].join('; ');
      const said = details ? ` (${details})` : '';
      if (SLACK_RETRYABLE_ERRORS.has(code)) {
        const retryAfter = error.data.response_metadata?.retryAfter;
        const retryAfterMs = typeof retryAfter === 'number' ? retryAfter * 1_000 : undefined;
        if (retryAfterMs !== undefined) this.pacer.pause(channel, retryAfterMs);
        const reason = `Slack answered ${code} to ${method} for ${channel}${said}`;
        return retryLater({ code, reason, maybeDelivered: false, retryAfterMs }, context, this.policy);
      }
      const { scope, hint } = permanentSlackError(code);
      return permanent(code, `Slack answered ${code} to ${method} for ${channel}: ${hint}${said}`, scope);
    }
    if (error instanceof WebAPIHTTPError) {
      const reason = `Slack answered HTTP ${error.statusCode} to ${method} for ${channel}`;
      if (error.statusCode >= 500) {
        const fields = {
          code: `http-${error.statusCode}`,
          reason,
          maybeDelivered: false,
          status: error.statusCode,
        };
        return retryLater(fields, context, this.policy);
      }
      return permanent(
        `http-${error.statusCode}`,
        `${reason}: check slackApiUrl`,
        'channel',
        error.statusCode,
      );
    }
    if (error instanceof WebAPIRequestError) {
      // Unless the connection was never made, the post may have reached Slack (a timeout): a retry may duplicate.
      const cause = (error.original.cause ?? error.original) as NodeJS.ErrnoException;
      // fetch's timeout is a DOMException, whose numeric `code` is no socket error code.
      const timedOut = cause.name === 'TimeoutError' || cause.name === 'AbortError';
      const code = timedOut ? 'timeout' : typeof cause.code === 'string' ? cause.code : 'request-error';
      const reason = `${method} for ${channel} failed: ${describeError(cause)}`;
      const maybeDelivered = method === 'chat.postMessage' && !NOT_CONNECTED.has(code);
      return retryLater({ code, reason, maybeDelivered }, context, this.policy);
    }
    throw error;
  }
}

/** Socket errors raised before anything was sent. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function contentOf(message: SlackMessage): Record<string, unknown> {
  return {
    ...(message.blocks && { blocks: [...message.blocks] }),
    ...(message.metadata && { metadata: message.metadata }),
  };
}
