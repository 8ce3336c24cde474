import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbControlStore } from '../../adapters/alerting/dynamodb-control-store.ts';
import { DynamoDbFeedbackStore } from '../../adapters/alerting/dynamodb-feedback-store.ts';
import { DynamoDbNotificationLog } from '../../adapters/alerting/dynamodb-notification-log.ts';
import { DynamoDbTransitionLog } from '../../adapters/alerting/dynamodb-transition-log.ts';
import { DynamoDbVersionedStore } from '../../adapters/alerting/dynamodb-versioned-store.ts';
import { EventBridgeTimerScheduler } from '../../adapters/alerting/eventbridge-timer-scheduler.ts';
import { SecretsManagerSource } from '../../adapters/alerting/secrets-manager-source.ts';
import { SqsChannelQueues } from '../../adapters/alerting/sqs-alert-queues.ts';
import type { IncidentState } from '../../core/alerting/incident-types.ts';
import { createLinkFactory } from './action-links.ts';
import type { AlertingDeps } from './deps.ts';
import { bundledAlertingConfig, ALERTING_ENV as E, required } from './environment.ts';
import type { BudgetItem } from './ports.ts';

/** The SDK clients of one container, created once (and traced). */
export interface AlertingClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly scheduler: SchedulerClient;
  readonly secrets: SecretsManagerSource;
}

/** Creates the clients once per container, each traced by X-Ray. */
export function alertingClients(tracer: Tracer): AlertingClients {
  return {
    dynamodb: tracer.captureAWSv3Client(new DynamoDBClient({})),
    sqs: tracer.captureAWSv3Client(new SQSClient({})),
    scheduler: tracer.captureAWSv3Client(new SchedulerClient({})),
    secrets: new SecretsManagerSource(tracer.captureAWSv3Client(new SecretsManagerClient({}))),
  };
}

/**
 * The router's, escalator's and ack handler's dependencies as deployed, from the environment the CDK
 * construct sets: DynamoDB tables, the channel queues, EventBridge Scheduler and the link key secret.
 * The transitions table and the feedback table are optional (only the router, only the ack handler).
 */
export function productionAlertingDeps(
  clients: AlertingClients,
  observability: { readonly logger: Logger; readonly metrics: Metrics },
  env: NodeJS.ProcessEnv = process.env,
): AlertingDeps {
  const config = bundledAlertingConfig(env);
  const linkKey = env[E.linkKeySecret];
  const ackBaseUrl = env[E.ackBaseUrl];
  return {
    config,
    incidents: new DynamoDbVersionedStore<IncidentState>(clients.dynamodb, {
      tableName: required(env, E.stateTable),
    }),
    budgets: new DynamoDbVersionedStore<BudgetItem>(clients.dynamodb, {
      tableName: required(env, E.stateTable),
    }),
    log: new DynamoDbNotificationLog(clients.dynamodb, { tableName: required(env, E.logTable) }),
    queues: new SqsChannelQueues(clients.sqs, {
      slack: required(env, E.queueUrl.slack),
      email: required(env, E.queueUrl.email),
      webhook: required(env, E.queueUrl.webhook),
      pagerduty: required(env, E.queueUrl.pagerduty),
    }),
    scheduler: new EventBridgeTimerScheduler(clients.scheduler, {
      groupName: required(env, E.scheduleGroup),
      targetArn: required(env, E.timerFunctionArn),
      roleArn: required(env, E.schedulerRoleArn),
      deadLetterArn: required(env, E.timerDeadLetterArn),
    }),
    control: new DynamoDbControlStore(clients.dynamodb, { tableName: required(env, E.controlTable) }),
    links: createLinkFactory({
      ...(ackBaseUrl && { ackBaseUrl }),
      ...(linkKey && { key: async () => (await clients.secrets.get(linkKey)).split(/\s+/)[0] ?? '' }),
      ...(config.links.dashboardUrl && { dashboardUrl: config.links.dashboardUrl }),
    }),
    clock: Date.now,
    ...(env[E.transitionsTable] && {
      transitions: new DynamoDbTransitionLog(clients.dynamodb, {
        tableName: env[E.transitionsTable] as string,
      }),
    }),
    ...(env[E.feedbackTable] && {
      feedback: new DynamoDbFeedbackStore(clients.dynamodb, { tableName: env[E.feedbackTable] as string }),
    }),
    logger: observability.logger,
    metrics: observability.metrics,
  };
}
