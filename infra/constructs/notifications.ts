import { fileURLToPath } from 'node:url';
import { Aws, Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { AlertingConfig } from '../../core/alerting/config.ts';
import type { ReceiverType } from '../../core/alerting/config-schema.ts';
import { ALERTING_ENV as E } from '../../functions/alerting/environment.ts';
import { type QueueWithDeadLetters, queueWithDeadLetters } from './alert-queues.ts';
import { SeismoFunction, type TableAction } from './seismo-function.ts';

/** The channels, in the order their senders are created. */
export const CHANNELS: readonly ReceiverType[] = ['slack', 'email', 'webhook', 'pagerduty'];

/** Each sender's handler module. */
export const SENDER_ENTRIES: Readonly<Record<ReceiverType, string>> = Object.fromEntries(
  CHANNELS.map((c) => [c, fileURLToPath(new URL(`../../functions/send-${c}/handler.ts`, import.meta.url))]),
) as Record<ReceiverType, string>;

/** What a sender calls on the notification log: GetItem (what was delivered), UpdateItem (mark delivered). */
export const SENDER_LOG_ACTIONS: readonly [TableAction, ...TableAction[]] = [
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
];
/** What the webhook sender calls on the control table: PutItem (disable a receiver that answered 410). */
export const WEBHOOK_CONTROL_ACTIONS: readonly [TableAction, ...TableAction[]] = ['dynamodb:PutItem'];

/** A sender's Lambda timeout; its queue's visibility timeout is six times it. */
const SENDER_TIMEOUT = Duration.seconds(30);
/** Receives before SQS dead-letters on its own: retry-later loops (429s, backoff up to 15 min) must fit. */
const CHANNEL_MAX_RECEIVES = 50;

/** Props of {@link SeismoNotifications}. */
export interface SeismoNotificationsProps {
  readonly config: AlertingConfig;
  /** The From of alert email; its domain must be a verified SES identity. */
  readonly emailFrom: string;
  readonly key: IKey;
  readonly logTable: ITable;
  readonly controlTable: ITable;
  readonly removalPolicy: RemovalPolicy;
  /** Slack sender containers at once (SQS event source `maximumConcurrency`, at least 2); 2 by default. */
  readonly slackMaxConcurrency?: number;
}

/**
 * The four channels: per channel a FIFO queue (grouped by incident and receiver) with its dead-letter queue,
 * and a sender function consuming it with partial batch responses; the Slack consumer's concurrency is
 * capped, so its containers stay near Slack's one message a second per channel. The secrets the senders
 * read are created here, empty of real values, with descriptions saying what to put in them: the Slack bot
 * token, and each webhook signing secret and PagerDuty routing key under the name the routing config gives.
 */
export class SeismoNotifications extends Construct {
  readonly queues: Readonly<Record<ReceiverType, QueueWithDeadLetters>>;
  readonly senders: Readonly<Record<ReceiverType, SeismoFunction>>;
  readonly slackTokenSecret: Secret;
  /** Receiver secrets by the name the config gives them. */
  readonly receiverSecrets: ReadonlyMap<string, Secret>;
  readonly configurationSet: ConfigurationSet;
  private readonly key: IKey;

  constructor(scope: Construct, id: string, props: SeismoNotificationsProps) {
    super(scope, id);
    this.key = props.key;
    const queues = {} as Record<ReceiverType, QueueWithDeadLetters>;
    const senders = {} as Record<ReceiverType, SeismoFunction>;
    for (const channel of CHANNELS) {
      const pair = queueWithDeadLetters(this, `${channel}-queue`, {
        key: props.key,
        fifo: true,
        visibilityTimeout: Duration.seconds(SENDER_TIMEOUT.toSeconds() * 6),
        maxReceiveCount: CHANNEL_MAX_RECEIVES,
      });
      const fn = new SeismoFunction(this, `send-${channel}`, {
        entry: SENDER_ENTRIES[channel],
        handler: 'handler',
        description: `Seismo ${channel} sender: delivers notifications from its queue`,
        timeout: SENDER_TIMEOUT,
        logRemovalPolicy: props.removalPolicy,
        environment: {
          POWERTOOLS_SERVICE_NAME: `seismo-send-${channel}`,
          POWERTOOLS_METRICS_NAMESPACE: 'Seismo',
        },
      });
      fn.bindTable(props.logTable, E.logTable, SENDER_LOG_ACTIONS).bindQueue(
        pair.deadLetters,
        E.deadLetterUrl,
      );
      fn.addEnvironment(E.queue, pair.queue.queueUrl);
      fn.addEventSource(
        new SqsEventSource(pair.queue, {
          batchSize: 10,
          reportBatchItemFailures: true,
          ...(channel === 'slack' && { maxConcurrency: Math.max(2, props.slackMaxConcurrency ?? 2) }),
        }),
      );
      queues[channel] = pair;
      senders[channel] = fn;
    }
    this.queues = queues;
    this.senders = senders;

    this.slackTokenSecret = this.secret(
      'slack-bot-token',
      undefined,
      "Seismo: the Slack app's Bot User OAuth Token (xoxb-...); replace this placeholder after the first deploy",
    );
    senders.slack.bindSecret(this.slackTokenSecret, E.slackTokenSecret);

    const secrets = new Map<string, Secret>();
    for (const receiver of props.config.receivers.values()) {
      if (receiver.type === 'webhook' || receiver.type === 'pagerduty') {
        const name = receiver.type === 'webhook' ? receiver.secretName : receiver.routingKeySecretName;
        const what =
          receiver.type === 'webhook'
            ? `Standard Webhooks signing secret (whsec_...) of webhook receiver ${receiver.name}; two, space-separated, during a rotation`
            : `PagerDuty Events API v2 routing key of receiver ${receiver.name}`;
        const secret = secrets.get(name) ?? this.secret(`receiver-${secrets.size}`, name, `Seismo: ${what}`);
        secrets.set(name, secret);
        senders[receiver.type].allowSecret(secret);
      }
    }
    this.receiverSecrets = secrets;
    senders.webhook.bindTable(props.controlTable, E.controlTable, WEBHOOK_CONTROL_ACTIONS);

    this.configurationSet = new ConfigurationSet(this, 'email', {});
    const domain = /@([^>\s]+)>?\s*$/.exec(props.emailFrom)?.[1] ?? '';
    senders.email
      .addEnvironment(E.emailFrom, props.emailFrom)
      .addEnvironment(E.emailConfigurationSet, this.configurationSet.configurationSetName);
    senders.email.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:identity/${domain}`,
          `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:configuration-set/${this.configurationSet.configurationSetName}`,
        ],
      }),
    );
  }

  private secret(id: string, secretName: string | undefined, description: string): Secret {
    const secret = new Secret(this, id, {
      description,
      ...(secretName !== undefined && { secretName }),
      encryptionKey: this.key,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Issued by Slack, PagerDuty or the webhook receiver, not by AWS: operators rotate it there and put the new value here (webhook secrets take two values during a rotation).',
    });
    return secret;
  }
}
