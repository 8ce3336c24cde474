import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction, ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke as ScheduleLambda } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, QueryLanguage, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { REGISTRY_KEYS } from '../../adapters/dynamodb-registry-index.ts';
import { DRIFT_ALARM_THRESHOLD, SCORE_DRIFT_METRIC } from '../../core/learning/drift.ts';
import { OnnxRuntimeLayer } from './onnx-layer.ts';
import { retrainingDefinition } from './retraining-definition.ts';
import { FargateTraining } from './retraining-fargate.ts';
import { SeismoFunction } from './seismo-function.ts';

/** The retraining steps' module (every step, routed by `step`). */
export const RETRAIN_ENTRY = fileURLToPath(new URL('../../functions/retrain/handler.ts', import.meta.url));
/** The trigger's module: schedule and drift alarm to a deterministically named execution. */
export const RETRAIN_TRIGGER_ENTRY = fileURLToPath(
  new URL('../../functions/retrain/trigger-handler.ts', import.meta.url),
);

/** Props of {@link SeismoRetraining}. */
export interface SeismoRetrainingProps {
  /** The ingest stream Firehose archives. */
  readonly stream: IStream;
  /** The detector function: its metrics are watched after a promotion. */
  readonly detector: IFunction;
  /** The onnxruntime layer (evaluation runs the models) with the default model, the champion before any promotion. */
  readonly onnxLayer: ILayerVersion;
  readonly removalPolicy: RemovalPolicy;
  /** Parallel feature-extraction Lambdas (Map concurrency): bounded so retraining never starves the detector. */
  readonly maxConcurrency?: number;
  /** Git revision recorded in model cards. */
  readonly gitRevision?: string;
  /**
   * Train the autoencoder on every row in a Fargate task (a VPC, a cluster, an image built at deploy) instead
   * of on a 200,000-row sample in the Lambda. Off by default: the sample fits 15 minutes at any fleet size.
   */
  readonly autoencoderOnFargate?: boolean;
}

/**
 * Learning from history: Firehose archives the stream to S3 (JSON lines, gzip, by day and hour); a Step
 * Functions state machine retrains weekly, on a drift alarm or on request, judges the challenger against the
 * champion, registers it (S3 create-only, pointers and log in one DynamoDB table), shadows, promotes, watches
 * and rolls back; an `ops` SNS topic carries its notifications (not the `anomalies` topic, whose subscribers
 * expect episode transitions).
 */
export class SeismoRetraining extends Construct {
  /** Archive (`archive/`), run work files (`runs/`) and registry artifacts (`registry/`). */
  readonly bucket: Bucket;
  /** Registry pointers, version list and promotion log. */
  readonly registryTable: Table;
  /** Retraining notifications: failures, rejections, promotions, rollbacks. */
  readonly opsTopic: Topic;
  readonly stateMachine: StateMachine;
  readonly steps: SeismoFunction;
  readonly trigger: SeismoFunction;
  readonly driftAlarm: Alarm;
  readonly deliveryStream: CfnDeliveryStream;

  constructor(scope: Construct, id: string, props: SeismoRetrainingProps) {
    super(scope, id);
    const { removalPolicy } = props;
    const logs = new Bucket(this, 'access-logs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy,
      autoDeleteObjects: false,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the learning bucket; logging it into itself would loop.',
    });
    this.bucket = new Bucket(this, 'learning', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: logs,
      removalPolicy,
      lifecycleRules: [
        // Run work files are only read by their run; a month leaves time to debug one.
        { prefix: 'runs/', expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(1) },
        { prefix: 'archive/', expiration: Duration.days(400) },
      ],
    });
    this.registryTable = new Table(this, 'registry', {
      partitionKey: { name: REGISTRY_KEYS.partition, type: AttributeType.STRING },
      sortKey: { name: REGISTRY_KEYS.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    const topicKey = new Key(this, 'ops-key', {
      description: 'Seismo: encrypts retraining notifications',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.opsTopic = new Topic(this, 'ops', {
      displayName: 'Seismo operations',
      masterKey: topicKey,
      enforceSSL: true,
    });

    this.deliveryStream = this.archive(props.stream);

    this.steps = new SeismoFunction(this, 'steps', {
      entry: RETRAIN_ENTRY,
      handler: 'handler',
      description:
        'Seismo retraining: plan, extract features, train, evaluate, register, move pointers, watch',
      // Training holds every feature row (200 MB at 1,000 series × 10,000 points) and the autoencoder's sample.
      memorySize: 4096,
      timeout: Duration.minutes(15),
      layers: [props.onnxLayer],
      logRemovalPolicy: removalPolicy,
      environment: {
        LEARNING_BUCKET: this.bucket.bucketName,
        REGISTRY_TABLE: this.registryTable.tableName,
        DETECT_FUNCTION_NAME: props.detector.functionName,
        MODEL_DIR: OnnxRuntimeLayer.MODEL_DIR,
        GIT_REVISION: props.gitRevision ?? 'unknown',
      },
    });
    this.bucket.grantReadWrite(this.steps);
    this.registryTable.grantReadWriteData(this.steps);
    this.steps.addToRolePolicy(
      // GetMetricData has no resource-level permissions.
      new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );
    Validations.of(this.steps.role as Role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/*]`,
        reason:
          'The retraining steps read and write the objects of their own learning bucket (archive, runs, registry).',
      },
      { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: 'CDK grant on the learning bucket only.' },
      { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: 'CDK grant on the learning bucket only.' },
      { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: 'CDK grant on the learning bucket only.' },
      {
        id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
        reason: 'CDK grant on the learning bucket only; run work files are rewritten.',
      },
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: 'CDK grant on the learning bucket only.' },
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.registryTable.node.defaultChild as never)}.Arn>/index/*]`,
        reason: 'CDK grant on the registry table (it has no index).',
      },
    );

    const environment = {
      LEARNING_BUCKET: this.bucket.bucketName,
      REGISTRY_TABLE: this.registryTable.tableName,
      DETECT_FUNCTION_NAME: props.detector.functionName,
      GIT_REVISION: props.gitRevision ?? 'unknown',
    };
    const fargate = props.autoencoderOnFargate
      ? new FargateTraining(this, 'fargate', {
          bucket: this.bucket,
          registryTable: this.registryTable,
          environment,
          removalPolicy,
        })
      : undefined;
    this.stateMachine = new StateMachine(this, 'state-machine', {
      queryLanguage: QueryLanguage.JSON_PATH,
      definitionBody: DefinitionBody.fromChainable(
        retrainingDefinition(this, {
          steps: this.steps,
          opsTopic: this.opsTopic,
          maxConcurrency: props.maxConcurrency ?? 4,
          ...(fargate ? { fargate } : {}),
        }),
      ),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'state-machine-logs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    // The ops topic is KMS-encrypted: publishing needs its key.
    topicKey.grant(this.stateMachine, 'kms:GenerateDataKey', 'kms:Decrypt');
    Validations.of(this.stateMachine.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Action::lambda:InvokeFunction]',
        reason: 'Invoking the retraining steps function (and its versions): one function ARN.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.steps.node.defaultChild as never)}.Arn>:*]`,
        reason: 'The versions of the retraining steps function.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing and log delivery actions have no resource-level permissions.',
      },
    );

    this.trigger = new SeismoFunction(this, 'trigger', {
      entry: RETRAIN_TRIGGER_ENTRY,
      handler: 'handler',
      description:
        'Seismo retraining trigger: weekly schedule and drift alarm start one deterministically named run',
      logRemovalPolicy: removalPolicy,
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
    });
    this.stateMachine.grantStartExecution(this.trigger);

    const schedulerRole = new Role(this, 'scheduler-role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Seismo: the weekly schedule invokes the retraining trigger',
    });
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.trigger.node.defaultChild as never)}.Arn>:*]`,
      reason: 'Invoking the trigger function and its versions: one function.',
    });
    new Schedule(this, 'weekly', {
      description: 'Seismo: weekly retraining',
      schedule: ScheduleExpression.cron({ weekDay: 'MON', hour: '3', minute: '0' }),
      target: new ScheduleLambda(this.trigger, {
        input: ScheduleTargetInput.fromObject({ kind: 'weekly', time: ContextAttribute.scheduledTime }),
        retryAttempts: 3,
        role: schedulerRole,
      }),
    });

    this.driftAlarm = new Alarm(this, 'drift', {
      alarmDescription: `Seismo: the detector's daily raw-score drift (PSI) is above ${DRIFT_ALARM_THRESHOLD}; retraining starts`,
      metric: new Metric({
        namespace: SCORE_DRIFT_METRIC.namespace,
        metricName: SCORE_DRIFT_METRIC.name,
        dimensionsMap: { ...SCORE_DRIFT_METRIC.dimensions },
        statistic: 'Maximum',
        period: Duration.days(1),
      }),
      threshold: DRIFT_ALARM_THRESHOLD,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    new Rule(this, 'drift-to-retrain', {
      description: 'Seismo: a drift alarm starts a retrain',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [this.driftAlarm.alarmArn],
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new LambdaFunction(this.trigger, { retryAttempts: 3 })],
    });
  }

  /**
   * Lets a function read the champion (the detector's hot reload): GetItem on the registry table (the pointers item),
   * GetObject under `registry/`, and LEARNING_BUCKET and REGISTRY_TABLE in its environment, for
   * `s3Registry({ s3, dynamodb, bucket, table })`.
   */
  grantChampionRead(fn: SeismoFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [this.registryTable.tableArn],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects('registry/*')],
      }),
    );
    fn.addEnvironment('LEARNING_BUCKET', this.bucket.bucketName).addEnvironment(
      'REGISTRY_TABLE',
      this.registryTable.tableName,
    );
    Validations.of(fn.role as Role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/registry/*]`,
      reason: 'Reading registered model versions (immutable artifacts under registry/) only.',
    });
  }

  /** Firehose from the stream to `archive/day=…/hour=…/`, gzipped JSON lines (a newline after each record). */
  private archive(stream: IStream): CfnDeliveryStream {
    const role = new Role(this, 'firehose-role', {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com'),
      description: 'Seismo: Firehose reads the ingest stream and writes the archive',
    });
    stream.grantRead(role);
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects('archive*')],
      }),
    );
    const logGroup = new LogGroup(this, 'firehose-logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    const delivery = new CfnDeliveryStream(this, 'archive', {
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: stream.streamArn, roleArn: role.roleArn },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: 'archive/day=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
        errorOutputPrefix: 'archive-errors/!{firehose:error-output-type}/day=!{timestamp:yyyy-MM-dd}/',
        compressionFormat: 'GZIP',
        // Up to 15 minutes or 128 MB per object: few, large objects for the retraining reader.
        bufferingHints: { intervalInSeconds: 900, sizeInMBs: 128 },
        processingConfiguration: {
          enabled: true,
          processors: [{ type: 'AppendDelimiterToRecord', parameters: [] }],
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: 'archive',
        },
      },
    });
    delivery.node.addDependency(role);
    Validations.of(delivery).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'Firehose server-side encryption cannot be set with a Kinesis stream as source: the source stream is KMS-encrypted and the bucket encrypts at rest.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/archive*]`,
      reason: 'Firehose writes objects under archive/ and archive-errors/ only.',
    });
    return delivery;
  }
}
