import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { FeedbackTableLabelSource } from '../../adapters/alerting/feedback-label-source.ts';
import { s3Archive } from '../../adapters/archive-reader.ts';
import { CloudWatchWatchSource } from '../../adapters/cloudwatch-watch-source.ts';
import { s3Registry } from '../../adapters/model-registry.ts';
import { S3ObjectStore } from '../../adapters/s3-object-store.ts';
import { MemoryLabelSource } from '../../core/learning/labels.ts';
import { DEFAULT_SETTINGS, type RetrainDeps, type RetrainSettings } from './deps.ts';

/** An environment variable that must be set; configuration fails loudly at load. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} must be set`);
  return value;
}

/**
 * The retraining deps of the deployed stack, from the environment: the Lambda and the Fargate task (the
 * autoencoder on every row) build the same ones, so both run the same code against the same stores.
 */
export function awsRetrainDeps(): RetrainDeps {
  const bucket = required('LEARNING_BUCKET');
  const s3 = new S3Client({});
  const dynamodb = new DynamoDBClient({});
  const settings: RetrainSettings = {
    ...DEFAULT_SETTINGS,
    ...(process.env.RETRAIN_SETTINGS
      ? (JSON.parse(process.env.RETRAIN_SETTINGS) as Partial<RetrainSettings>)
      : {}),
  };
  return {
    objects: new S3ObjectStore(s3, bucket),
    archive: s3Archive(s3, bucket),
    // What people answered on alerts; a stack without the alert path trains and judges without labels.
    labels: process.env.FEEDBACK_TABLE
      ? new FeedbackTableLabelSource(dynamodb, process.env.FEEDBACK_TABLE)
      : new MemoryLabelSource(),
    registry: s3Registry({ s3, dynamodb, bucket, table: required('REGISTRY_TABLE') }),
    watch: new CloudWatchWatchSource(new CloudWatchClient({}), {
      namespace: 'Seismo',
      service: 'seismo-detect',
      functionName: required('DETECT_FUNCTION_NAME'),
    }),
    fallbackModelDir: required('MODEL_DIR'),
    settings,
    gitRevision: process.env.GIT_REVISION ?? 'unknown',
    trainerVersion: process.env.SEISMO_VERSION ?? 'unknown',
    now: Date.now,
  };
}
