import { createHash } from 'node:crypto';
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type ChannelMessage, messageGroupId } from '../../core/alerting/channel-message.ts';
import type { ReceiverType } from '../../core/alerting/config-schema.ts';
import type { AlertDeadLetter, ChannelQueues, DeadLetterQueue } from '../../functions/alerting/ports.ts';
import type { SenderQueue } from '../../functions/send/sender.ts';

/** The SQS calls the alerting adapters make; an `SQSClient` is one. */
export type SqsSend = Pick<SQSClient, 'send'>;

/** SQS's limit on one message body. */
const SQS_MAX_BODY_BYTES = 256 * 1024;

/**
 * {@link ChannelQueues} on SQS FIFO queues, one per channel: message group = the (incident, receiver)
 * (`messageGroupId`), so each receiver hears about an incident in order; deduplication id = the message id,
 * so the same notification enqueued twice within five minutes (a retried carry-out) is dropped by SQS (and
 * later repeats by the sender's log check).
 */
export class SqsChannelQueues implements ChannelQueues {
  constructor(
    private readonly client: SqsSend,
    private readonly queueUrls: Readonly<Record<ReceiverType, string>>,
  ) {}

  async send(message: ChannelMessage): Promise<void> {
    const url = this.queueUrls[message.receiver.type];
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify(message),
        ...(url.endsWith('.fifo') && {
          MessageGroupId: messageGroupId(message),
          MessageDeduplicationId: message.id,
        }),
      }),
    );
  }
}

/** {@link SenderQueue} on SQS: a message comes back after the delay a transport asked for. */
export class SqsSenderQueue implements SenderQueue {
  constructor(
    private readonly client: SqsSend,
    private readonly queueUrl: string,
  ) {}

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}

/**
 * {@link DeadLetterQueue} on SQS (standard or FIFO): the letter is JSON `{reason, code, messageId, receivedAt,
 * body}`; a body that would not fit keeps a prefix, with `truncated`, `originalBytes` and the `sha256` of all.
 */
export class SqsAlertDeadLetters implements DeadLetterQueue {
  constructor(
    private readonly client: SqsSend,
    private readonly queueUrl: string,
  ) {}

  async send(letter: AlertDeadLetter): Promise<void> {
    const fifo = this.queueUrl.endsWith('.fifo');
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: deadLetterBody(letter),
        MessageAttributes: {
          code: { DataType: 'String', StringValue: letter.code.slice(0, 256) || 'unknown' },
        },
        ...(fifo && {
          MessageGroupId: letter.groupId ?? 'dead-letters',
          MessageDeduplicationId: createHash('sha256')
            .update(`${letter.messageId}|${letter.code}`)
            .digest('hex')
            .slice(0, 64),
        }),
      }),
    );
  }
}

/** A dead letter's body, cut down to fit SQS if it has to be. */
export function deadLetterBody(letter: AlertDeadLetter): string {
  const { groupId: _group, ...fields } = letter;
  const whole = JSON.stringify(fields);
  if (Buffer.byteLength(whole) <= SQS_MAX_BODY_BYTES) return whole;
  const bytes = Buffer.from(letter.body, 'utf8');
  const room = SQS_MAX_BODY_BYTES - Buffer.byteLength(JSON.stringify({ ...fields, body: '' })) - 4_096;
  return JSON.stringify({
    ...fields,
    reason: fields.reason.slice(0, 2_000),
    body: bytes.subarray(0, Math.max(0, room)).toString('utf8'),
    truncated: true,
    originalBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  });
}
