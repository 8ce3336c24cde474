/**
 * Email delivery through Amazon SES v2 `SendEmail` with simple content (subject, text and HTML bodies) and a
 * configuration set, which carries the event destinations (bounces, complaints) and reputation metrics.
 */
import { SendEmailCommand, type SendEmailCommandOutput } from '@aws-sdk/client-sesv2';
import { isRetryableAwsError } from '../aws-errors.ts';
import {
  type AttemptContext,
  DEFAULT_RETRY_POLICY,
  type DeliveryOutcome,
  describeError,
  type FailureScope,
  FIRST_ATTEMPT,
  permanent,
  type RetryPolicy,
  retryLater,
} from './delivery.ts';

/** The one SES call the transport makes; an `SESv2Client` is one (pointed at the emulator locally). */
export interface SesSendEmailClient {
  send(command: SendEmailCommand): Promise<SendEmailCommandOutput>;
}

/** SES's limit on recipients (To, Cc and Bcc together) per message. */
export const SES_MAX_RECIPIENTS = 50;

/** A rendered email. */
export interface EmailMessage {
  readonly to: readonly string[];
  readonly cc?: readonly string[];
  readonly replyTo?: readonly string[];
  /** One line; line breaks are replaced by spaces (a header cannot hold them). */
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Extra headers, e.g. `X-Seismo-Alert-Id`. */
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
  /** Message tags for the configuration set's event destinations ([A-Za-z0-9_-] names and values). */
  readonly tags?: Readonly<Record<string, string>>;
}

/** SES accepted the message. */
export interface EmailReceipt {
  readonly messageId: string;
}

/** Construction options of {@link SesEmailTransport}. */
export interface SesEmailTransportOptions {
  /** A verified identity (address or an address of a verified domain), e.g. `Seismo <alerts@example.com>`. */
  readonly fromAddress: string;
  /** The configuration set every message goes through. */
  readonly configurationSetName: string;
  /** Backoff for throttling and transient errors; the SDK client's own retries come first. */
  readonly retryPolicy?: Partial<RetryPolicy>;
  /** Backoff for LimitExceededException (a sending quota): a minute at least by default. */
  readonly quotaRetryPolicy?: Partial<RetryPolicy>;
}

/** What to do, per SES error name, about errors that retrying will not fix. */
const PERMANENT: ReadonlyMap<string, { readonly scope: FailureScope; readonly hint: string }> = new Map([
  [
    'MessageRejected',
    {
      scope: 'message',
      hint: 'in the SES sandbox every recipient must be a verified identity (or request production access); else the content was refused',
    },
  ],
  [
    'MailFromDomainNotVerifiedException',
    {
      scope: 'channel',
      hint: 'verify the custom MAIL FROM domain of the sending identity (MX and SPF records)',
    },
  ],
  [
    'AccountSuspendedException',
    { scope: 'channel', hint: 'SES suspended sending for this account: see the SES console and AWS Support' },
  ],
  [
    'SendingPausedException',
    {
      scope: 'channel',
      hint: 'sending is paused for the account or the configuration set: resume it, then redrive the dead-letter queue',
    },
  ],
  [
    'NotFoundException',
    { scope: 'channel', hint: 'the configuration set or identity does not exist in this Region' },
  ],
  ['BadRequestException', { scope: 'message', hint: 'SES refused the request as invalid' }],
]);

/** Socket errors raised before anything was sent. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Sends one email per call. Throttling (`TooManyRequestsException`, `*Throttl*`), 5xx and network errors
 * retry-later with jittered backoff; `LimitExceededException` retry-later after a minute or more (SES uses it
 * for quotas); `MessageRejected`, `MailFromDomainNotVerifiedException`, `AccountSuspendedException`,
 * `SendingPausedException`, `NotFoundException` and other client faults permanent, with the SES message and
 * what to do. Give it a client with few SDK retries (`maxAttempts: 2`): what remains is the queue's to retry.
 */
export class SesEmailTransport {
  private readonly policy: RetryPolicy;
  private readonly quotaPolicy: RetryPolicy;

  constructor(
    private readonly client: SesSendEmailClient,
    private readonly options: SesEmailTransportOptions,
  ) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
    this.quotaPolicy = {
      ...DEFAULT_RETRY_POLICY,
      baseDelayMs: 60_000,
      minDelayMs: 60_000,
      ...options.quotaRetryPolicy,
    };
  }

  /** Sends `message`; never throws for anything SES answers. */
  async send(
    message: EmailMessage,
    context: AttemptContext = FIRST_ATTEMPT,
  ): Promise<DeliveryOutcome<EmailReceipt>> {
    const recipients = message.to.length + (message.cc?.length ?? 0);
    if (message.to.length === 0) return permanent('invalid-message', 'the email has no recipient', 'message');
    if (recipients > SES_MAX_RECIPIENTS) {
      const reason = `${recipients} recipients; SES takes at most ${SES_MAX_RECIPIENTS} per message`;
      return permanent('too-many-recipients', reason, 'message');
    }
    try {
      const output = await this.client.send(this.command(message));
      if (!output.MessageId) {
        return permanent('malformed-response', 'SES accepted the email but returned no MessageId', 'message');
      }
      return { kind: 'delivered', receipt: { messageId: output.MessageId } };
    } catch (error) {
      return this.classify(message, error, context);
    }
  }

  private command(message: EmailMessage): SendEmailCommand {
    const tags = Object.entries(message.tags ?? {}).map(([Name, Value]) => ({ Name, Value }));
    return new SendEmailCommand({
      FromEmailAddress: this.options.fromAddress,
      Destination: {
        ToAddresses: [...message.to],
        ...(message.cc && message.cc.length > 0 && { CcAddresses: [...message.cc] }),
      },
      ...(message.replyTo && message.replyTo.length > 0 && { ReplyToAddresses: [...message.replyTo] }),
      ConfigurationSetName: this.options.configurationSetName,
      ...(tags.length > 0 && { EmailTags: tags }),
      Content: {
        Simple: {
          Subject: { Data: message.subject.replace(/[\r\n]+/g, ' '), Charset: 'UTF-8' },
          Body: {
            Text: { Data: message.text, Charset: 'UTF-8' },
            Html: { Data: message.html, Charset: 'UTF-8' },
          },
          ...(message.headers &&
            message.headers.length > 0 && {
              Headers: message.headers.map((h) => ({ Name: h.name, Value: h.value })),
            }),
        },
      },
    });
  }

  private classify(
    message: EmailMessage,
    error: unknown,
    context: AttemptContext,
  ): DeliveryOutcome<EmailReceipt> {
    const to = message.to.join(', ');
    const name = error instanceof Error ? error.name : 'Error';
    const said = error instanceof Error ? error.message : String(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const known = PERMANENT.get(name);
    if (known) {
      return permanent(name, `SES ${name} for ${to}: ${said}; ${known.hint}`, known.scope, status);
    }
    if (name === 'LimitExceededException') {
      const reason = `SES ${name} for ${to}: ${said}; a sending quota is exhausted (see GetAccount SendQuota)`;
      return retryLater({ code: name, reason, maybeDelivered: false, status }, context, this.quotaPolicy);
    }
    if (name === 'TooManyRequestsException' || isRetryableAwsError(error)) {
      const reason = `SES ${name} for ${to}: ${said}`;
      return retryLater({ code: name, reason, maybeDelivered: false, status }, context, this.policy);
    }
    if (status === undefined) {
      // No HTTP answer: a socket error or timeout. SendEmail has no idempotency token, so it may be duplicated.
      const code = (error as NodeJS.ErrnoException).code ?? name;
      const maybeDelivered = !NOT_CONNECTED.has(code);
      const reason = `SES SendEmail for ${to} got no answer: ${describeError(error)}`;
      return retryLater({ code, reason, maybeDelivered }, context, this.policy);
    }
    return permanent(name, `SES ${name} (HTTP ${status}) for ${to}: ${said}`, 'message', status);
  }
}
