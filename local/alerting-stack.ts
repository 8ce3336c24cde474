import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbControlStore } from '../adapters/alerting/dynamodb-control-store.ts';
import { DynamoDbFeedbackStore } from '../adapters/alerting/dynamodb-feedback-store.ts';
import { DynamoDbNotificationLog } from '../adapters/alerting/dynamodb-notification-log.ts';
import { DynamoDbTransitionLog } from '../adapters/alerting/dynamodb-transition-log.ts';
import { DynamoDbVersionedStore } from '../adapters/alerting/dynamodb-versioned-store.ts';
import { MapSecretSource } from '../adapters/alerting/secrets-manager-source.ts';
import { generateWebhookSecret } from '../adapters/alerting/webhook-transport.ts';
import type { AlertMessage } from '../adapters/sns-alert-publisher.ts';
import type { AlertingConfig } from '../core/alerting/config.ts';
import { loadAlertingConfig } from '../core/alerting/config-loader.ts';
import type { ReceiverType } from '../core/alerting/config-schema.ts';
import type { IncidentState } from '../core/alerting/incident-types.ts';
import { createAckHandler } from '../functions/ack/ack-handler.ts';
import { createLinkFactory } from '../functions/alerting/action-links.ts';
import type { BudgetItem } from '../functions/alerting/ports.ts';
import { AlertingRuntime } from '../functions/alerting/runtime.ts';
import { createEscalateHandler } from '../functions/escalate/escalate-handler.ts';
import { createRouteHandler } from '../functions/route/route-handler.ts';
import { startLocalAckServer } from './ack-server.ts';
import { type PrintedDelivery, printAlertDeliveries } from './alert-printer.ts';
import { type AlertingTableNames, createAlertingTables, LOCAL_ALERTING_TABLES } from './alerting-tables.ts';
import { alertingLogger, printDeadLetter, printTimerChange } from './alerting-terminal.ts';
import { LocalChannelQueues } from './local-channel-queues.ts';
import { localPageRoutes } from './local-page-routes.ts';
import { LocalQueue, type QueueHandler } from './local-queue.ts';
import { LocalClock, LocalScheduler } from './local-scheduler.ts';
import { localSenders } from './local-senders.ts';
import { type AlertStandIns, startAlertStandIns } from './stand-ins/alert-stand-ins.ts';

/** The routing config `npm start` uses unless told otherwise. */
export const LOCAL_ALERTING_CONFIG = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'config',
  'alerting.local.yaml',
);

/** Names of the local secrets of one-of-a-kind secrets (receiver secrets keep their config names). */
const SECRETS = { slackSigning: 'local/slack-signing-secret', linkKey: 'local/link-key' } as const;

/** Options of the local alerting path; every field has a default. */
export interface LocalAlertingOptions {
  /** Routing config file; SEISMO_ALERTING_CONFIG, else `config/alerting.local.yaml`. */
  readonly configPath?: string;
  readonly tables?: AlertingTableNames;
  /**
   * How old a transition may be and still open an incident, and how long closed ones are kept: ten years by
   * default, since the local story replays week-old samples (deployed: 24 hours).
   */
  readonly retentionMs?: number;
  readonly ackPort?: number;
  /** How long a failed router message stays hidden before it is retried; 2 s by default (deployed: 3 min). */
  readonly retryAfterMs?: number;
}

/** The running local alerting path. */
export interface LocalAlerting {
  readonly config: AlertingConfig;
  readonly configPath: string;
  readonly tables: AlertingTableNames;
  readonly clock: LocalClock;
  readonly scheduler: LocalScheduler;
  readonly standIns: AlertStandIns;
  readonly queues: Readonly<Record<ReceiverType | 'anomalies', LocalQueue>>;
  /** The ack handler's local Function URL, which also serves the alert page at `/`. */
  readonly ackUrl: string;
  readonly signingSecret: string;
  readonly deliveries: readonly PrintedDelivery[];
  /** Delivers an SNS message of the anomalies topic, as its SQS subscription would. */
  publish(message: AlertMessage): void;
  /** Resolves when no queue has anything visible or in flight (timers may still be pending). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The alert path of the local stack, wired as deployed: the anomalies topic's messages go into an in-process
 * queue that drives the real router; the router keeps incidents in dynalite and enqueues on four in-process
 * FIFO queues driving the real senders, which deliver to the stand-ins; a local scheduler with a movable
 * clock runs the escalator; the ack handler answers on a local Function URL beside the alert page.
 */
export async function startLocalAlerting(
  dynamodb: DynamoDBClient,
  terminal: { readonly out: Writable; readonly color: boolean },
  options: LocalAlertingOptions = {},
): Promise<LocalAlerting> {
  const configPath = options.configPath ?? process.env.SEISMO_ALERTING_CONFIG ?? LOCAL_ALERTING_CONFIG;
  const loaded = await loadAlertingConfig(configPath);
  const tables = options.tables ?? LOCAL_ALERTING_TABLES;
  const secretValues = new Map<string, string>([
    [SECRETS.slackSigning, randomBytes(16).toString('hex')],
    [SECRETS.linkKey, randomBytes(24).toString('base64url')],
  ]);
  const routingKeys = new Map<string, string>();
  for (const r of loaded.receivers.values()) {
    if (r.type === 'webhook' && !secretValues.has(r.secretName))
      secretValues.set(r.secretName, generateWebhookSecret());
    if (r.type === 'pagerduty') {
      const key = secretValues.get(r.routingKeySecretName) ?? randomBytes(16).toString('hex');
      secretValues.set(r.routingKeySecretName, key);
      routingKeys.set(key, r.name);
    }
  }
  const webhookSecrets = [...loaded.receivers.values()].flatMap((r) =>
    r.type === 'webhook' ? [secretValues.get(r.secretName) as string] : [],
  );
  const [standIns] = await Promise.all([
    startAlertStandIns({
      webhook: { secrets: webhookSecrets },
      pagerduty: { routingKeys: [...routingKeys.keys()] },
    }),
    createAlertingTables(dynamodb, tables),
  ]);
  const cleanup: (() => Promise<void> | void)[] = [() => standIns.stop()];
  const stop = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    // Nothing leaves this machine: webhooks go to the local receiver, one path per receiver.
    const receivers = new Map(
      [...loaded.receivers].map(([name, r]) => [
        name,
        r.type === 'webhook' ? { ...r, url: `${standIns.webhook.url}r/${encodeURIComponent(name)}` } : r,
      ]),
    );
    const config: AlertingConfig = { ...loaded, receivers };
    secretValues.set('local/slack-bot-token', standIns.slack.token);
    const secrets = new MapSecretSource(secretValues);
    const clock = new LocalClock();
    const logger = alertingLogger(terminal);
    let escalate: ReturnType<typeof createEscalateHandler> | undefined;
    const scheduler = new LocalScheduler({
      clock,
      fire: (timer) => (escalate as ReturnType<typeof createEscalateHandler>)({ timer }),
      onDeadLetter: (timer, error) =>
        printDeadLetter(terminal, 'escalator', `timer ${JSON.stringify(timer)}: ${(error as Error).message}`),
      onChange: (change) => printTimerChange(terminal, change, clock.now()),
    });
    cleanup.push(() => scheduler.stop());
    const handlers = {} as Record<ReceiverType | 'anomalies', QueueHandler>;
    const queue = (name: ReceiverType | 'anomalies') =>
      new LocalQueue({
        name,
        fifo: name !== 'anomalies',
        handler: (event) => handlers[name](event),
        visibilityTimeoutMs: options.retryAfterMs ?? 2_000,
        maxReceiveCount: name === 'anomalies' ? 5 : 50,
        concurrency: name === 'anomalies' ? 1 : 2,
        deadLetter: (record, reason) =>
          printDeadLetter(terminal, name, `${reason}; message ${record.messageId}`),
        onError: (error) => logger.error(`${name} handler failed`, { error: (error as Error).message }),
      });
    const queues = {
      anomalies: queue('anomalies'),
      slack: queue('slack'),
      email: queue('email'),
      webhook: queue('webhook'),
      pagerduty: queue('pagerduty'),
    };
    cleanup.push(() => {
      for (const q of Object.values(queues)) q.stop();
    });
    let ackHandler: ReturnType<typeof createAckHandler> | undefined;
    const printed = { deliveries: [] as readonly PrintedDelivery[] };
    const server = await startLocalAckServer(
      (event) => (ackHandler as NonNullable<typeof ackHandler>)(event),
      localPageRoutes({
        standIns,
        scheduler,
        clock,
        deliveries: () => printed.deliveries,
        signingSecret: secretValues.get(SECRETS.slackSigning) as string,
        ack: (event) => (ackHandler as NonNullable<typeof ackHandler>)(event),
        say: (line) => terminal.out.write(`${line}\n`),
      }),
      options.ackPort,
    );
    cleanup.push(() => server.close());
    const runtime = new AlertingRuntime({
      config,
      incidents: new DynamoDbVersionedStore<IncidentState>(dynamodb, { tableName: tables.state }),
      budgets: new DynamoDbVersionedStore<BudgetItem>(dynamodb, { tableName: tables.state }),
      log: new DynamoDbNotificationLog(dynamodb, { tableName: tables.log, now: clock.now }),
      queues: new LocalChannelQueues(queues),
      scheduler,
      control: new DynamoDbControlStore(dynamodb, { tableName: tables.control, now: clock.now }),
      links: createLinkFactory({
        ackBaseUrl: server.url,
        key: async () => secretValues.get(SECRETS.linkKey) as string,
        ...(config.links.dashboardUrl && { dashboardUrl: config.links.dashboardUrl }),
      }),
      clock: clock.now,
      transitions: new DynamoDbTransitionLog(dynamodb, { tableName: tables.transitions }),
      feedback: new DynamoDbFeedbackStore(dynamodb, { tableName: tables.feedback }),
      retention: options.retentionMs ?? 3_650 * 86_400_000,
      controlCacheMs: 1_000,
      logger,
    });
    escalate = createEscalateHandler(runtime);
    ackHandler = createAckHandler({
      runtime,
      secrets,
      slackSigningSecret: SECRETS.slackSigning,
      linkKey: SECRETS.linkKey,
    });
    const deadLetters = (name: string) => ({
      send: async (l: { reason: string; code: string }) =>
        printDeadLetter(terminal, name, `${l.code}: ${l.reason}`),
    });
    handlers.anomalies = createRouteHandler(runtime, deadLetters('router'));
    const senders = localSenders({
      dynamodb,
      tables,
      standIns,
      secrets,
      queues,
      deadLetters,
      clock: clock.now,
      logger,
    });
    Object.assign(handlers, senders.handlers);
    cleanup.push(() => senders.close());
    const printer = printAlertDeliveries(standIns, { ...terminal, routingKeys, pageUrl: server.url });
    printed.deliveries = printer.deliveries;
    cleanup.push(() => printer.stop());
    return {
      config,
      configPath,
      tables,
      clock,
      scheduler,
      standIns,
      queues,
      ackUrl: server.url,
      signingSecret: secretValues.get(SECRETS.slackSigning) as string,
      deliveries: printer.deliveries,
      publish: (message) => {
        queues.anomalies.send(JSON.stringify(message));
      },
      settled: async () => {
        for (let i = 0; i < 3; i++) for (const q of Object.values(queues)) await q.settled();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
