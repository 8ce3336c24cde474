import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SqsAlertDeadLetters } from '../../adapters/alerting/sqs-alert-queues.ts';
import { ALERTING_ENV, required } from '../alerting/environment.ts';
import { alertingClients, productionAlertingDeps } from '../alerting/production.ts';
import { AlertingRuntime } from '../alerting/runtime.ts';
import { createRouteHandler, type RouteHandler } from './route-handler.ts';

const logger = new Logger({ serviceName: 'seismo-route' });
const metrics = new Metrics({ namespace: 'Seismo', serviceName: 'seismo-route' });
const tracer = new Tracer({ serviceName: 'seismo-route' });

let ready: RouteHandler | undefined;

/** The container's router, built once: config, clients and stores. */
function router(): RouteHandler {
  if (!ready) {
    const clients = alertingClients(tracer);
    const runtime = new AlertingRuntime(productionAlertingDeps(clients, { logger, metrics }));
    ready = createRouteHandler(
      runtime,
      new SqsAlertDeadLetters(clients.sqs, required(process.env, ALERTING_ENV.deadLetterUrl)),
    );
  }
  return ready;
}

// In Lambda, build during the init phase (a bad config fails the cold start, loudly).
if (process.env.AWS_LAMBDA_FUNCTION_NAME) router();

/** The Lambda entry point: the router behind Powertools logging, metrics (EMF) and tracing. */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => router()(event));
