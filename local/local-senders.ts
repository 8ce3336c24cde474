import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbControlStore } from '../adapters/alerting/dynamodb-control-store.ts';
import { DynamoDbNotificationLog } from '../adapters/alerting/dynamodb-notification-log.ts';
import { PagerDutyTransport } from '../adapters/alerting/pagerduty-transport.ts';
import { SesEmailTransport } from '../adapters/alerting/ses-email-transport.ts';
import { createSlackClient, SlackTransport } from '../adapters/alerting/slack-transport.ts';
import { WebhookTransport } from '../adapters/alerting/webhook-transport.ts';
import type { ReceiverType } from '../core/alerting/config-schema.ts';
import type { AlertingLogger } from '../functions/alerting/deps.ts';
import type { DeadLetterQueue, SecretSource } from '../functions/alerting/ports.ts';
import { type ChannelDelivery, createSender, type SenderHandler } from '../functions/send/sender.ts';
import { emailDelivery } from '../functions/send-email/email-delivery.ts';
import { pagerDutyDelivery } from '../functions/send-pagerduty/pagerduty-delivery.ts';
import { slackDelivery } from '../functions/send-slack/slack-delivery.ts';
import { webhookDelivery } from '../functions/send-webhook/webhook-delivery.ts';
import type { AlertingTableNames } from './alerting-tables.ts';
import type { LocalQueue } from './local-queue.ts';
import type { AlertStandIns } from './stand-ins/alert-stand-ins.ts';
import { localSesClient } from './stand-ins/ses-stand-in.ts';

/** What the local senders are built from. */
export interface LocalSendersOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tables: AlertingTableNames;
  readonly standIns: AlertStandIns;
  readonly secrets: SecretSource;
  readonly queues: Readonly<Record<ReceiverType, LocalQueue>>;
  readonly deadLetters: (channel: ReceiverType) => DeadLetterQueue;
  readonly clock: () => number;
  readonly logger: AlertingLogger;
}

/**
 * The four senders as deployed (the same sender core, deliveries and transports) pointed at the stand-ins:
 * the Slack client at the Slack stand-in, SES at the emulator, PagerDuty at its stand-in, and the webhook
 * transport with `allowHttp` and `127.0.0.1` let through its SSRF guard, which production never sets.
 * Returns the handlers and a function that closes the transports' kept-alive connections.
 */
export function localSenders(options: LocalSendersOptions): {
  handlers: Record<ReceiverType, SenderHandler>;
  close: () => void;
} {
  const { standIns, secrets } = options;
  const webhook = new WebhookTransport({ allowHttp: true, allowPrivateAddresses: ['127.0.0.1'] });
  const pagerduty = new PagerDutyTransport({ baseUrl: standIns.pagerduty.url });
  const deliveries: Record<ReceiverType, ChannelDelivery> = {
    slack: slackDelivery(
      new SlackTransport(createSlackClient(standIns.slack.token, { slackApiUrl: standIns.slack.url })),
    ),
    email: emailDelivery(
      new SesEmailTransport(localSesClient(standIns.email.endpoint, 2), {
        fromAddress: 'Seismo <alerts@seismo.local>',
        configurationSetName: 'seismo-local',
      }),
    ),
    webhook: webhookDelivery(webhook, secrets),
    pagerduty: pagerDutyDelivery(pagerduty, secrets),
  };
  const log = new DynamoDbNotificationLog(options.dynamodb, {
    tableName: options.tables.log,
    now: options.clock,
  });
  const control = new DynamoDbControlStore(options.dynamodb, {
    tableName: options.tables.control,
    now: options.clock,
  });
  const handlers = Object.fromEntries(
    (Object.keys(deliveries) as ReceiverType[]).map((channel) => {
      const queue = options.queues[channel];
      return [
        channel,
        createSender({
          channel,
          log,
          queue: { changeVisibility: async (handle, seconds) => queue.changeVisibility(handle, seconds) },
          deadLetters: options.deadLetters(channel),
          ...(channel === 'webhook' && { control }),
          deliver: deliveries[channel],
          clock: options.clock,
          logger: options.logger,
        }),
      ];
    }),
  ) as Record<ReceiverType, SenderHandler>;
  return {
    handlers,
    close: () => {
      webhook.close();
      pagerduty.close();
    },
  };
}
