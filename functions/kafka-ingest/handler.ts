import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { SqsDeadLetterQueue } from '../../adapters/sqs-dead-letter-queue.ts';
import {
  DEFAULT_MAPPING_RULES,
  type MappingRules,
  parseMappingRules,
} from '../../core/ingest/mapping-rules.ts';
import type { PayloadFormats } from '../../core/kafka/kafka-payload.ts';
import type { LambdaKafkaEvent } from '../../core/kafka/kafka-records.ts';
import type { KafkaBatchResponse } from '../../core/kafka/partial-failures.ts';
import { kafkaFormats } from '../../core/kafka/protocol-formats.ts';
import { SeismoProducer } from '../../producer/seismo-producer.ts';
import { ingestKafkaBatch, type KafkaIngestDeps } from './kafka-ingest.ts';

/** The Kafka ingest function's configuration, from its environment. */
export interface KafkaIngestConfig {
  readonly streamName: string;
  readonly dlqUrl: string;
  /** Format of records without a content-type header (KAFKA_DEFAULT_FORMAT); `events-json` by default. */
  readonly defaultFormat: string;
  /** KPL-aggregate each series' events on the stream (KAFKA_AGGREGATE=1). */
  readonly aggregate: boolean;
}

/** Thrown for a missing or invalid environment variable; names it and the rule. */
export class KafkaConfigError extends Error {
  override readonly name = 'KafkaConfigError';
}

/** Reads and checks the configuration once, at load; throws {@link KafkaConfigError} naming what to fix. */
export function readKafkaIngestConfig(
  env: NodeJS.ProcessEnv = process.env,
  formats: PayloadFormats = FORMATS,
): KafkaIngestConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new KafkaConfigError(`environment variable ${name} is required`);
    return value;
  };
  const defaultFormat = env.KAFKA_DEFAULT_FORMAT || formats.defaultFormat;
  if (!formats.decoders.has(defaultFormat)) {
    throw new KafkaConfigError(
      `KAFKA_DEFAULT_FORMAT "${defaultFormat}" is not a format this function reads (known: ${[...formats.decoders.keys()].join(', ')})`,
    );
  }
  const aggregate = env.KAFKA_AGGREGATE ?? '0';
  if (aggregate !== '0' && aggregate !== '1') {
    throw new KafkaConfigError(`KAFKA_AGGREGATE must be 1, 0 or unset, got "${aggregate}"`);
  }
  return {
    streamName: required('STREAM_NAME'),
    dlqUrl: required('DLQ_URL'),
    defaultFormat,
    aggregate: aggregate === '1',
  };
}

/** The translator's mapping rules from MAPPING_RULES (the stack sets the same JSON on both); else its defaults. */
export function readMappingRules(env: NodeJS.ProcessEnv = process.env): MappingRules {
  const text = env.MAPPING_RULES;
  if (text === undefined || text === '') return DEFAULT_MAPPING_RULES;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KafkaConfigError('environment variable MAPPING_RULES must be a JSON object');
  }
  return parseMappingRules(json);
}

/** JSON events and the translator's protocols, mapped by the same rules as the translator's. */
const FORMATS = kafkaFormats(readMappingRules());

const logger = new Logger({ serviceName: 'seismo-kafka-ingest' });
const tracer = new Tracer({ serviceName: 'seismo-kafka-ingest' });

let deps: KafkaIngestDeps | undefined;

/** Clients and configuration, made once per container. */
function dependencies(): KafkaIngestDeps {
  if (deps) return deps;
  const config = readKafkaIngestConfig();
  const formats = { ...FORMATS, defaultFormat: config.defaultFormat };
  deps = {
    sender: new SeismoProducer({
      streamName: config.streamName,
      client: tracer.captureAWSv3Client(new KinesisClient({})),
      aggregate: config.aggregate,
    }),
    deadLetters: new SqsDeadLetterQueue(tracer.captureAWSv3Client(new SQSClient({})), {
      queueUrl: config.dlqUrl,
    }),
    formats,
    now: Date.now,
  };
  return deps;
}

async function ingest(event: LambdaKafkaEvent): Promise<KafkaBatchResponse> {
  const { response, stats } = await ingestKafkaBatch(event, dependencies());
  if (stats.retried > 0)
    logger.warn('stream refused events; their partitions will be redelivered', { ...stats });
  else logger.info('batch ingested', { ...stats });
  return response;
}

/** Lambda entry point for the MSK / self-managed Kafka event source mapping. */
export const handler = middy(ingest).use(captureLambdaHandler(tracer)).use(injectLambdaContext(logger));
