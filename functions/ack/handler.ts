import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { ALERTING_ENV, required } from '../alerting/environment.ts';
import { alertingClients, productionAlertingDeps } from '../alerting/production.ts';
import { AlertingRuntime } from '../alerting/runtime.ts';
import { type AckHandler, type AckResponse, createAckHandler } from './ack-handler.ts';
import { postToResponseUrl } from './slack-response.ts';

const logger = new Logger({ serviceName: 'seismo-ack' });
const metrics = new Metrics({ namespace: 'Seismo', serviceName: 'seismo-ack' });
const tracer = new Tracer({ serviceName: 'seismo-ack' });

let ready: AckHandler | undefined;

/** The container's ack handler, built once. */
function ack(): AckHandler {
  if (!ready) {
    const clients = alertingClients(tracer);
    ready = createAckHandler({
      runtime: new AlertingRuntime(productionAlertingDeps(clients, { logger, metrics })),
      secrets: clients.secrets,
      slackSigningSecret: required(process.env, ALERTING_ENV.slackSigningSecret),
      linkKey: required(process.env, ALERTING_ENV.linkKeySecret),
      respond: postToResponseUrl,
    });
  }
  return ready;
}

if (process.env.AWS_LAMBDA_FUNCTION_NAME) ack();

/** The Lambda entry point behind the Function URL. */
export const handler = middy<LambdaFunctionURLEvent, AckResponse>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => ack()(event));
