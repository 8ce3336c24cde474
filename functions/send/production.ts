import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoDbControlStore } from '../../adapters/alerting/dynamodb-control-store.ts';
import { DynamoDbNotificationLog } from '../../adapters/alerting/dynamodb-notification-log.ts';
import { SecretsManagerSource } from '../../adapters/alerting/secrets-manager-source.ts';
import { SqsAlertDeadLetters, SqsSenderQueue } from '../../adapters/alerting/sqs-alert-queues.ts';
import type { ReceiverType } from '../../core/alerting/config-schema.ts';
import { ALERTING_ENV as E, required } from '../alerting/environment.ts';
import { type ChannelDelivery, createSender, type SenderHandler } from './sender.ts';

/** What a sender's channel part gets to build its delivery from. */
export interface SenderContext {
  readonly secrets: SecretsManagerSource;
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A sender's Lambda entry point: the shared SQS consumer (notification log, visibility, dead letters, and
 * the control table when the channel can disable endpoints) around the channel's delivery, built once per
 * container, behind Powertools logging, metrics and tracing.
 */
export function senderLambda(
  channel: ReceiverType,
  delivery: (context: SenderContext) => ChannelDelivery,
  options: { readonly canDisable?: boolean } = {},
) {
  const service = `seismo-send-${channel}`;
  const logger = new Logger({ serviceName: service });
  const metrics = new Metrics({ namespace: 'Seismo', serviceName: service });
  const tracer = new Tracer({ serviceName: service });
  let ready: SenderHandler | undefined;
  const build = (): SenderHandler => {
    if (ready) return ready;
    const env = process.env;
    const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient({}));
    const sqs = tracer.captureAWSv3Client(new SQSClient({}));
    const secrets = new SecretsManagerSource(tracer.captureAWSv3Client(new SecretsManagerClient({})));
    ready = createSender({
      channel,
      log: new DynamoDbNotificationLog(dynamodb, { tableName: required(env, E.logTable) }),
      queue: new SqsSenderQueue(sqs, required(env, E.queue)),
      deadLetters: new SqsAlertDeadLetters(sqs, required(env, E.deadLetterUrl)),
      ...(options.canDisable && {
        control: new DynamoDbControlStore(dynamodb, { tableName: required(env, E.controlTable) }),
      }),
      deliver: delivery({ secrets, tracer, logger, env }),
      logger,
      metrics,
    });
    return ready;
  };
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) build();
  return middy<SQSEvent, SQSBatchResponse>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler((event) => build()(event));
}
