import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { alertingClients, productionAlertingDeps } from '../alerting/production.ts';
import { AlertingRuntime } from '../alerting/runtime.ts';
import { createEscalateHandler, type EscalateHandler, type TimerResult } from './escalate-handler.ts';

const logger = new Logger({ serviceName: 'seismo-escalate' });
const metrics = new Metrics({ namespace: 'Seismo', serviceName: 'seismo-escalate' });
const tracer = new Tracer({ serviceName: 'seismo-escalate' });

let ready: EscalateHandler | undefined;

/** The container's escalator, built once. */
function escalator(): EscalateHandler {
  ready ??= createEscalateHandler(
    new AlertingRuntime(productionAlertingDeps(alertingClients(tracer), { logger, metrics })),
  );
  return ready;
}

if (process.env.AWS_LAMBDA_FUNCTION_NAME) escalator();

/** The Lambda entry point, invoked by EventBridge Scheduler with `{"timer": ...}`. */
export const handler = middy<unknown, TimerResult>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => escalator()(event));
