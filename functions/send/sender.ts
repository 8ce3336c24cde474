import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type {
  AttemptContext,
  EndpointDisabled,
  PermanentFailure,
  RetryLater,
} from '../../adapters/alerting/delivery.ts';
import {
  type ChannelMessage,
  InvalidChannelMessageError,
  parseChannelMessage,
} from '../../core/alerting/channel-message.ts';
import type { ReceiverType } from '../../core/alerting/config-schema.ts';
import type { AlertingLogger } from '../alerting/deps.ts';
import type { ControlStore, DeadLetterQueue, LogEntry, NotificationLog } from '../alerting/ports.ts';

/**
 * What the four senders share: an SQS (FIFO) consumer that reads one channel message at a time per
 * (incident, receiver) group, skips what the notification log says was already delivered (or superseded),
 * delivers through the channel's transport, and maps the typed outcome: delivered (recorded in the log, with
 * the channel's handle on the message), retry-later (the message comes back after `delayMs`, by changing its
 * visibility), permanent (dead-lettered with the reason, counted by code), endpoint-disabled (the receiver is
 * disabled in the control table, so the router stops sending to it, and the message dead-lettered).
 */

/** A channel's delivery of one message: the transport's outcome, or a reason it did not need one. */
export type SendResult =
  | { readonly kind: 'delivered'; readonly ref?: string; readonly note?: string }
  | { readonly kind: 'skipped'; readonly reason: string }
  | RetryLater
  | PermanentFailure
  | EndpointDisabled;

/** Delivers one message; `entry` is its notification log item (the Slack `ref` lives there). */
export type ChannelDelivery = (
  message: ChannelMessage,
  entry: LogEntry | undefined,
  attempt: AttemptContext,
) => Promise<SendResult>;

/** The queue operations a sender uses besides receiving. */
export interface SenderQueue {
  /** Hides the message for `seconds` more (SQS ChangeMessageVisibility): when it comes back. */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

/** What a sender is made of. */
export interface SenderDeps {
  readonly channel: ReceiverType;
  readonly log: NotificationLog;
  readonly queue: SenderQueue;
  readonly deadLetters: DeadLetterQueue;
  /** Needed by the webhook sender, to disable an endpoint that answered 410. */
  readonly control?: Pick<ControlStore, 'disableReceiver'>;
  readonly deliver: ChannelDelivery;
  readonly clock?: () => number;
  readonly logger?: AlertingLogger;
  readonly metrics?: Pick<Metrics, 'addMetric'>;
  /** Called after each message is settled, for the local stack's terminal and the tests. */
  readonly onSettled?: (message: ChannelMessage, result: SendResult) => void;
}

/** A sender Lambda's shape. */
export type SenderHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** Thrown to report a batch item failure after its visibility was set for the retry. */
export class RetryLaterSignal extends Error {
  override readonly name = 'RetryLaterSignal';
}

/** Creates a sender; see the module comment. */
export function createSender(deps: SenderDeps): SenderHandler {
  const clock = deps.clock ?? Date.now;
  const count = (name: string) => deps.metrics?.addMetric(name, MetricUnit.Count, 1);
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    let message: ChannelMessage;
    try {
      message = parseChannelMessage(record.body);
    } catch (error) {
      if (!(error instanceof InvalidChannelMessageError)) throw error;
      await deadLetter(record, 'invalid-message', error.message);
      return;
    }
    const entry = await deps.log.get(message.key);
    const revision = message.notification.revision;
    if (entry?.delivered !== undefined && entry.delivered >= revision) {
      // A repeat (a queue redelivery, a router retry) or an older revision after a newer one: nothing to do.
      count(entry.delivered === revision ? 'DuplicatesSkipped' : 'StaleSkipped');
      return;
    }
    const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1') || 1;
    const result = await deps.deliver(message, entry, { attempt });
    deps.onSettled?.(message, result);
    switch (result.kind) {
      case 'delivered':
      case 'skipped':
        await deps.log.markDelivered(
          message.key,
          revision,
          result.kind === 'delivered' ? result.ref : entry?.ref,
        );
        count(result.kind === 'delivered' ? 'Delivered' : 'NotForThisChannel');
        return;
      case 'retry-later': {
        const seconds = Math.min(43_200, Math.max(0, Math.ceil(result.delayMs / 1_000)));
        await deps.queue.changeVisibility(record.receiptHandle, seconds);
        count(`RetryLater_${result.code}`);
        deps.logger?.warn('delivery will be retried', {
          receiver: message.receiver.name,
          notification: message.notification.id,
          code: result.code,
          reason: result.reason,
          inSeconds: seconds,
          maybeDelivered: result.maybeDelivered,
        });
        throw new RetryLaterSignal(result.reason);
      }
      case 'permanent':
        await deadLetter(record, result.code, `${result.reason} (${result.scope})`, message);
        return;
      case 'endpoint-disabled':
        await deps.control?.disableReceiver({
          name: message.receiver.name,
          at: clock(),
          reason: result.reason,
        });
        deps.logger?.error('receiver disabled: the router stops sending to it until it is enabled again', {
          receiver: message.receiver.name,
          reason: result.reason,
        });
        count('EndpointsDisabled');
        await deadLetter(record, result.code, result.reason, message);
        return;
    }
  };

  async function deadLetter(
    record: SQSRecord,
    code: string,
    reason: string,
    message?: ChannelMessage,
  ): Promise<void> {
    await deps.deadLetters.send({
      reason,
      code,
      body: record.body,
      messageId: record.messageId,
      ...(record.attributes.MessageGroupId !== undefined && { groupId: record.attributes.MessageGroupId }),
      receivedAt: clock(),
    });
    count(`DeadLettered_${code}`);
    deps.logger?.error('notification dead-lettered', {
      channel: deps.channel,
      receiver: message?.receiver.name,
      notification: message?.notification.id,
      code,
      reason,
    });
  }

  return async (event) => {
    const processor = new SqsFifoPartialProcessorAsync();
    return processPartialResponse(event, handleRecord, processor, {
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });
  };
}
