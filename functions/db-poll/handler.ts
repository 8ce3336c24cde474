import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import pg from 'pg';
import { DynamoDbWatermarkStore } from '../../adapters/poller/dynamodb-watermark-store.ts';
import { clientOptions, PostgresRowSource } from '../../adapters/poller/postgres-row-source.ts';
import { SqsDeadLetterQueue } from '../../adapters/sqs-dead-letter-queue.ts';
import { type PollResult, pollOnce } from '../../core/poller/poll-run.ts';
import { SeismoProducer } from '../../producer/seismo-producer.ts';
import { type PollFunctionConfig, passwordFromSecret, readPollConfig } from './poll-config.ts';

/** No new page is started with less than this left: a page and its writes fit comfortably in it. */
const SAFETY_MS = 15_000;

const logger = new Logger({ serviceName: 'seismo-db-poll' });
const tracer = new Tracer({ serviceName: 'seismo-db-poll' });

interface Clients {
  readonly config: PollFunctionConfig;
  readonly secrets: SecretsManagerClient;
  readonly watermarks: DynamoDbWatermarkStore;
  readonly producer: SeismoProducer;
  readonly deadLetters: SqsDeadLetterQueue;
}

let clients: Clients | undefined;
let password: string | undefined;

/** Configuration and AWS clients, made once per container. */
function setup(): Clients {
  if (clients) return clients;
  const config = readPollConfig();
  clients = {
    config,
    secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    watermarks: new DynamoDbWatermarkStore(
      tracer.captureAWSv3Client(new DynamoDBClient({})),
      config.watermarkTable,
    ),
    producer: new SeismoProducer({
      streamName: config.streamName,
      client: tracer.captureAWSv3Client(new KinesisClient({})),
      aggregate: config.aggregate,
    }),
    deadLetters: new SqsDeadLetterQueue(tracer.captureAWSv3Client(new SQSClient({})), {
      queueUrl: config.dlqUrl,
    }),
  };
  return clients;
}

/** The database password, read once per container (and again after a failed login: it may have rotated). */
async function databasePassword(c: Clients): Promise<string> {
  if (password !== undefined) return password;
  const { SecretString } = await c.secrets.send(new GetSecretValueCommand({ SecretId: c.config.secretArn }));
  if (!SecretString) throw new Error(`secret ${c.config.secretArn} has no SecretString`);
  password = passwordFromSecret(SecretString);
  return password;
}

async function poll(_event: unknown, context: Context): Promise<PollResult> {
  const c = setup();
  // One connection per run: a minute apart, a kept connection would mostly outlive failovers and rotations.
  const db = new pg.Client(clientOptions(c.config.connection, await databasePassword(c)));
  try {
    await db.connect();
  } catch (error) {
    // 28P01: invalid password. Read the secret again next time.
    if ((error as { code?: string }).code === '28P01') password = undefined;
    throw error;
  }
  try {
    const result = await pollOnce(c.config.source, {
      rows: new PostgresRowSource(db, c.config.source),
      watermarks: c.watermarks,
      sender: c.producer,
      deadLetters: c.deadLetters,
      hasTime: () => context.getRemainingTimeInMillis() > SAFETY_MS,
    });
    logger.info('poll done', { source: c.config.source.name, ...result });
    return result;
  } finally {
    await db.end().catch(() => {});
  }
}

/** Lambda entry point, invoked by the schedule once a minute. */
export const handler = middy(poll).use(captureLambdaHandler(tracer)).use(injectLambdaContext(logger));
