import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DynamoDbSeriesRegistry } from '../../adapters/ingest/dynamodb-series-registry.ts';
import { KinesisEventWriter } from '../../adapters/ingest/kinesis-event-writer.ts';
import { openApiDocument } from '../../core/ingest/openapi.ts';
import { requestOf, resultOf } from './api-gateway-event.ts';
import type { IngestStats } from './ingest-stats.ts';
import { allowListOf, readTranslateConfig } from './translate-config.ts';
import { createTranslateHandler } from './translate-handler.ts';

/**
 * The translate Lambda behind API Gateway's protocol routes: configuration read once at load, SDK clients and
 * the series cache kept for the container's life, one EMF document per request with what came in, what was
 * written and what was refused, by reason.
 */

const config = readTranslateConfig();
const logger = new Logger();
const metrics = new Metrics();
const kinesis = new KinesisClient({});
const dynamodb = new DynamoDBClient({});

async function firehoseAccessKey(): Promise<string | undefined> {
  if (!config.firehoseAccessKeySecretArn) return undefined;
  const secrets = new SecretsManagerClient({});
  const secret = await secrets.send(
    new GetSecretValueCommand({ SecretId: config.firehoseAccessKeySecretArn }),
  );
  return secret.SecretString;
}

const translator = createTranslateHandler({
  rules: config.rules,
  allowList: (tenant) => allowListOf(config, tenant),
  admission: new DynamoDbSeriesRegistry(dynamodb, {
    tableName: config.seriesTable,
    defaultCap: config.seriesCap,
    caps: config.seriesCaps,
  }),
  writer: new KinesisEventWriter(kinesis, { streamName: config.streamName }),
  ...((await firehoseAccessKey().then((key) => (key ? { firehoseAccessKey: key } : {}))) as object),
  openApi: () => openApiDocument(),
});

function record(stats: IngestStats): void {
  metrics.addDimension('route', stats.route);
  metrics.addMetric('SamplesIn', MetricUnit.Count, stats.samples);
  metrics.addMetric('EventsWritten', MetricUnit.Count, stats.written);
  metrics.addMetric('EventsFailed', MetricUnit.Count, stats.failed);
  for (const [code, count] of Object.entries(stats.refused))
    metrics.addMetric(`Refused-${code}`, MetricUnit.Count, count);
  if (Object.keys(stats.refused).length > 0 || stats.failed > 0) logger.warn('ingest refusals', { ...stats });
}

async function translate(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const outcome = await translator(requestOf(event));
  if (outcome.stats) record(outcome.stats);
  return resultOf(outcome.response);
}

/** The Lambda entry point. */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>(translate)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
