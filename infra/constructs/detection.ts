import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type EventSourceMapping, type ILayerVersion, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALLOW_INSECURE_INFLUX_ENV } from '../../functions/detect/influx-url.ts';
import type { SeismoConfig } from '../config.ts';
import { OnnxRuntimeLayer } from './onnx-layer.ts';
import { SeismoFunction, type TableAction } from './seismo-function.ts';
import type { TimeseriesStore } from './storage.ts';
import { STREAM_RETENTION } from './stream.ts';

/** The detector's handler module: it exports `handler`. */
export const DETECT_ENTRY = fileURLToPath(new URL('../../functions/detect/handler.ts', import.meta.url));

/** The detector's timeout; the duration alarm watches for batches nearing it. */
export const DETECT_TIMEOUT = Duration.seconds(60);

/** Failed batches are retried at most this many times before their metadata goes to the failure queue. */
export const DETECT_RETRY_ATTEMPTS = 5;
/**
 * Records older than this are not retried any more: their shard and sequence range go to the failure queue.
 * Three quarters of the stream's retention: they are skipped while a quarter of it (6 h) is left to replay
 * them from that range, and the data-loss alarm (iterator age above half the retention) fires 6 h before
 * any is skipped.
 */
export const DETECT_MAX_RECORD_AGE = Duration.minutes((STREAM_RETENTION.toMinutes() * 3) / 4);

/**
 * What the detector calls on the state table: `DynamoDbStateStore` loads with BatchGetItem and saves each
 * checkpoint with a conditional PutItem (keeping a quarantined checkpoint aside is a PutItem as well).
 */
export const DETECT_STATE_TABLE_ACTIONS: readonly [TableAction, ...TableAction[]] = [
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
];

/**
 * What the detector calls on the publish-ledger table: `DynamoDbPublishLedger` claims a transition with a
 * conditional PutItem and marks it sent with an UpdateItem.
 */
export const DETECT_LEDGER_TABLE_ACTIONS: readonly [TableAction, ...TableAction[]] = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/** Props of {@link SeismoDetection}. */
export interface SeismoDetectionProps {
  /** Event-source settings and the optional model URI. */
  readonly config: SeismoConfig['detection'];
  readonly stream: IStream;
  readonly stateTable: ITable;
  readonly publishedTable: ITable;
  readonly alertsTopic: ITopic;
  readonly timeseries: TimeseriesStore;
  /** The onnxruntime layer, which also carries the default model. */
  readonly onnxLayer: ILayerVersion;
  /** What happens to the queues' key and the log group when the stack goes. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The detector: a Lambda function consuming the stream in batches, with a dead-letter queue for bad records
 * (the handler sends them with the reason) and an on-failure queue for batches Lambda gave up retrying.
 */
export class SeismoDetection extends Construct {
  /** The detector function. */
  readonly fn: SeismoFunction;
  /** Bad records, one message each with the reason; the handler writes here (DLQ_URL). */
  readonly deadLetterQueue: Queue;
  /** Metadata (shard, sequence range) of batches whose retries ran out; written by Lambda, for replay. */
  readonly failureQueue: Queue;
  /** The Kinesis event source mapping. */
  readonly eventSource: EventSourceMapping;

  constructor(scope: Construct, id: string, props: SeismoDetectionProps) {
    super(scope, id);
    const key = new Key(this, 'queues-key', {
      description: 'Seismo: encrypts the detector dead-letter and failure queues',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.deadLetterQueue = this.queue('dead-letters', key);
    this.failureQueue = this.queue('failed-batches', key);

    const managed = props.timeseries.backend === 'influxdb' ? props.timeseries.managed : undefined;
    this.fn = new SeismoFunction(this, 'detect', {
      // With a provisioned InfluxDB the detector joins its VPC, reaching the rest through endpoints.
      ...(managed && {
        vpc: managed.vpc,
        vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
        securityGroups: [managed.clientSecurityGroup],
      }),
      entry: DETECT_ENTRY,
      handler: 'handler',
      description:
        'Seismo detector: scores stream records, stores points, advances episodes, publishes alerts',
      // 1769 MB buys one full vCPU; ONNX scoring of a whole batch is CPU-bound.
      memorySize: 1769,
      // Room for a 10000-record batch plus a cold start that loads the model; well under the stream's patience.
      timeout: DETECT_TIMEOUT,
      layers: [props.onnxLayer],
      logRemovalPolicy: props.removalPolicy,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'seismo-detect',
        POWERTOOLS_METRICS_NAMESPACE: 'Seismo',
        MODEL_DIR: OnnxRuntimeLayer.MODEL_DIR,
        TIMESERIES_BACKEND: props.timeseries.backend,
      },
    });
    this.fn
      .bindTable(props.stateTable, 'STATE_TABLE', DETECT_STATE_TABLE_ACTIONS)
      .bindTable(props.publishedTable, 'PUBLISHED_TABLE', DETECT_LEDGER_TABLE_ACTIONS)
      .bindTopic(props.alertsTopic, 'ALERTS_TOPIC_ARN')
      .bindQueue(this.deadLetterQueue, 'DLQ_URL');
    const ts = props.timeseries;
    if (ts.backend === 'timestream') {
      this.fn.bindTimestream(ts, { database: 'TIMESTREAM_DATABASE', table: 'TIMESTREAM_TABLE' });
      // Older events would be refused by the table: the detector dead-letters them at validation instead.
      this.fn.addEnvironment('EVENT_MAX_AGE_DAYS', String(ts.acceptsDaysBack));
    } else {
      this.fn
        .addEnvironment('INFLUX_URL', ts.url)
        .addEnvironment('INFLUX_ORG', ts.org)
        .addEnvironment('INFLUX_BUCKET', ts.bucket);
      // The function refuses an http:// URL at start unless told, as the config was, that this is local development.
      if (ts.allowInsecureHttp) this.fn.addEnvironment(ALLOW_INSECURE_INFLUX_ENV, '1');
      this.fn.bindSecret(ts.tokenSecret, 'INFLUX_TOKEN_SECRET_ARN');
      // Created only once its token is stored and its endpoints exist: its first start reads the token.
      for (const dependency of ts.managed?.ready ?? []) this.fn.node.addDependency(dependency);
    }
    if (props.config.modelS3Uri !== undefined) this.fn.bindObjects(props.config.modelS3Uri, 'MODEL_S3_URI');
    if (props.config.settings !== undefined) {
      this.fn.addEnvironment('DETECTION_SETTINGS', JSON.stringify(props.config.settings));
    }

    // The mapping's permissions (stream polling, its key, the failure queue) come with it, nothing more.
    this.eventSource = this.fn.addStreamEventSource(props.stream, {
      // First deploy reads what producers already wrote (within retention): nothing is lost before the mapping exists.
      startingPosition: StartingPosition.TRIM_HORIZON,
      // Larger batches amortize the one onnxruntime call per batch; bounded by Lambda's 10000 and the 6 MB payload.
      batchSize: props.config.batchSize,
      // Waiting briefly fills batches at low traffic; seconds-level alert latency is the budget.
      maxBatchingWindow: Duration.seconds(props.config.maxBatchingWindowSeconds),
      // Concurrent batches per shard; per-series order holds because a partition key maps to one of them.
      parallelizationFactor: props.config.parallelizationFactor,
      // Split a failing batch in two until the poison record is alone, instead of retrying the whole batch.
      bisectBatchOnError: true,
      // The handler names the first failed record; Lambda retries from there, not from the batch start.
      reportBatchItemFailures: true,
      // Bounded, so a record that keeps failing cannot stall its shard until the data expires.
      retryAttempts: DETECT_RETRY_ATTEMPTS,
      // Below the stream's retention, so a record given up on can still be replayed from the stream.
      maxRecordAge: DETECT_MAX_RECORD_AGE,
      // Batches that exhaust retries are recorded (shard and sequence numbers), so they can be replayed.
      onFailure: this.failureQueue,
    });
  }

  private queue(id: string, key: Key): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      // Data keys are reused for 5 minutes: fewer KMS calls when a bad batch floods the queue.
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      // The longest SQS allows: time for an operator to inspect and replay.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter destination (of the detector); a DLQ of a DLQ only moves the problem.',
    });
    return queue;
  }
}
