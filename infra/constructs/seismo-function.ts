import { Aws, Duration, Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  Architecture,
  type EventSourceMapping,
  type EventSourceMappingOptions,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-timestream';
import type { Construct } from 'constructs';
import { FunctionRole, VPC_NETWORKING_ACTIONS } from './function-role.ts';

/**
 * esbuild output is ESM, but some dependencies (and `onnxruntime-node`, loaded from the layer) still call
 * `require`; this gives them one. The alias avoids clashing with a bundled `createRequire`.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __seismoCreateRequire } from 'node:module'; const require = __seismoCreateRequire(import.meta.url);";

/**
 * The only modules left out of a SeismoFunction's bundle: native addons a layer provides. The AWS SDK is not
 * among them, so a function runs the SDK versions its tests ran.
 */
export const SEISMO_EXTERNAL_MODULES = ['onnxruntime-node'] as const;

/**
 * A DynamoDB item action a function may be granted on a table: name the API calls the function's code makes,
 * no more (never a CDK `grant*Data` set, which brings Scan, DeleteItem, BatchWriteItem and the stream reads).
 */
export type TableAction =
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:Query'
  | 'dynamodb:Scan'
  | 'dynamodb:UpdateItem';

/**
 * What a Lambda event source mapping's poller calls on a stream with a standard iterator (AWS Lambda guide,
 * "Process Amazon Kinesis Data Streams records with Lambda"). Left out on purpose: `kinesis:ListStreams` (the
 * guide says the mapping does not need it, and it cannot be scoped to one stream anyway) and
 * `kinesis:SubscribeToShard` / `kinesis:DescribeStreamConsumer`, which only enhanced fan-out consumers use
 * (their resource is a consumer ARN, not the stream).
 */
export const STREAM_POLLING_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
] as const;

/** Options of {@link SeismoFunction.addStreamEventSource}: the mapping's settings, with a queue for failed batches. */
export interface StreamEventSourceOptions
  extends Omit<
    EventSourceMappingOptions,
    'eventSourceArn' | 'onFailure' | 'kafkaBootstrapServers' | 'kafkaTopic'
  > {
  /** Where Lambda sends the metadata of batches it gave up on (the function needs to send to it). */
  readonly onFailure?: IQueue;
}

/** Props of {@link SeismoFunction}: NodejsFunction props minus what the house defaults fix. */
export interface SeismoFunctionProps
  extends Omit<NodejsFunctionProps, 'runtime' | 'architecture' | 'logGroup'> {
  /** How long the function's logs are kept (default one month). */
  readonly logRetention?: RetentionDays;
  /** What happens to the log group when the stack goes (default DESTROY). */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The house Lambda function: Node 22 on arm64, active tracing, an explicit log group with retention,
 * source maps, ESM output and `bind*()` helpers that grant access and set the environment variable together.
 */
export class SeismoFunction extends NodejsFunction {
  /** The function's log group, created explicitly so its retention is ours, not "never expire". */
  readonly logGroupResource: LogGroup;

  constructor(scope: Construct, id: string, props: SeismoFunctionProps) {
    const { logRetention, logRemovalPolicy, bundling, environment, ...rest } = props;
    // Log group and role are siblings, not children: they must exist before super() runs.
    const logGroup = new LogGroup(scope, `${id}-logs`, {
      retention: logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // Our own role, allowed to write to this log group only, instead of AWSLambdaBasicExecutionRole's logs on "*".
    // Statements on "*" are confined to known resource-less actions (X-Ray, Timestream endpoint discovery).
    const role =
      props.role ??
      new FunctionRole(scope, `${id}-role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of ${scope.node.path}/${id}`,
      });
    logGroup.grantWrite(role);
    super(scope, id, {
      // Graviton: about 20% cheaper per GB-second than x86, and the layer ships arm64 binaries only.
      architecture: Architecture.ARM_64,
      runtime: Runtime.NODEJS_22_X,
      tracing: Tracing.ACTIVE,
      memorySize: 256,
      timeout: Duration.seconds(30),
      logGroup,
      ...rest,
      role,
      environment: {
        // Stack traces point at the TypeScript source, through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
        ...environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        // Prefer packages' ESM entry points so esbuild can tree-shake them.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        banner: ESM_REQUIRE_BANNER,
        // The AWS SDK is bundled at the versions in package-lock.json, the ones the tests ran, instead of
        // whatever copy the runtime ships that day; onnxruntime-node is a native addon that comes from the layer.
        externalModules: [...SEISMO_EXTERNAL_MODULES],
        ...bundling,
      },
    });
    this.logGroupResource = logGroup;
    // Our own role gets no AWSLambdaVPCAccessExecutionRole: grant its network-interface actions ourselves.
    if (rest.vpc) {
      this.addToRolePolicy(new PolicyStatement({ actions: [...VPC_NETWORKING_ACTIONS], resources: ['*'] }));
    }
    acknowledgeHouseFindings(this);
  }

  /**
   * Grants exactly `actions` on a DynamoDB table, and decrypting through DynamoDB with its key if it has one
   * (DynamoDB decrypts the table key as the caller, for reads and writes alike; the service generates it
   * itself), and puts the table's name in `envName`.
   */
  bindTable(table: ITable, envName: string, actions: readonly [TableAction, ...TableAction[]]): this {
    table.grant(this, ...actions);
    if (table.encryptionKey) this.allowKey(table.encryptionKey, ['kms:Decrypt'], 'dynamodb');
    this.addEnvironment(envName, table.tableName);
    return this;
  }

  /** Grants publishing to an SNS topic (and what its KMS key needs for that) and puts its ARN in `envName`. */
  bindTopic(topic: ITopic, envName: string): this {
    this.addToRolePolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
    if (topic.masterKey) this.allowKey(topic.masterKey, ['kms:GenerateDataKey', 'kms:Decrypt']);
    this.addEnvironment(envName, topic.topicArn);
    return this;
  }

  /** Grants sending to (or consuming from) an SQS queue and puts its URL in `envName`. */
  bindQueue(queue: IQueue, envName: string, access: 'send' | 'consume' = 'send'): this {
    if (access === 'send') this.allowSending(queue);
    else queue.grantConsumeMessages(this);
    this.addEnvironment(envName, queue.queueUrl);
    return this;
  }

  /** Grants reading or writing a Kinesis stream through the SDK and puts its name in `envName`. */
  bindStream(stream: IStream, envName: string, access: 'read' | 'write'): this {
    if (access === 'read') {
      stream.grantRead(this);
    } else {
      const write = ['kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'];
      this.addToRolePolicy(new PolicyStatement({ actions: write, resources: [stream.streamArn] }));
      if (stream.encryptionKey) this.allowKey(stream.encryptionKey, ['kms:GenerateDataKey']);
    }
    this.addEnvironment(envName, stream.streamName);
    return this;
  }

  /**
   * Invokes this function with a Kinesis stream's records through an event source mapping (standard iterator)
   * and grants what the mapping needs, no more: {@link STREAM_POLLING_ACTIONS} on the stream, decrypting with
   * its key, and sending to the on-failure queue. The mapping's id is the one CDK's `KinesisEventSource` gives,
   * so a stack that used it keeps its mapping (a replaced mapping would re-read the stream from its start).
   */
  addStreamEventSource(stream: IStream, options: StreamEventSourceOptions): EventSourceMapping {
    const { onFailure, ...rest } = options;
    this.addToRolePolicy(
      new PolicyStatement({ actions: [...STREAM_POLLING_ACTIONS], resources: [stream.streamArn] }),
    );
    if (stream.encryptionKey) this.allowKey(stream.encryptionKey, ['kms:Decrypt']);
    if (onFailure) this.allowSending(onFailure);
    return this.addEventSourceMapping(`KinesisEventSource:${Names.nodeUniqueId(stream.node)}`, {
      ...rest,
      eventSourceArn: stream.streamArn,
      ...(onFailure ? { onFailure: { bind: () => ({ destination: onFailure.queueArn }) } } : {}),
    });
  }

  /** Grants reading a Secrets Manager secret's value (and decrypting it) and puts its ARN in `envName`. */
  bindSecret(secret: ISecret, envName: string): this {
    this.allowSecret(secret);
    this.addEnvironment(envName, secret.secretArn);
    return this;
  }

  /**
   * Grants reading a secret's value (and decrypting it through Secrets Manager) without naming it in the
   * environment: for secrets the code finds by the name a config gives (a webhook receiver's signing secret).
   */
  allowSecret(secret: ISecret): this {
    this.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    if (secret.encryptionKey) this.allowKey(secret.encryptionKey, ['kms:Decrypt'], 'secretsmanager');
    return this;
  }

  /** Grants writing records to a Timestream table and puts the database and table names in the given variables. */
  bindTimestream(
    store: { readonly database: CfnDatabase; readonly table: CfnTable },
    env: { readonly database: string; readonly table: string },
  ): this {
    this.addToRolePolicy(
      new PolicyStatement({ actions: ['timestream:WriteRecords'], resources: [store.table.attrArn] }),
    );
    // Timestream's endpoint discovery has no resource to scope to.
    this.addToRolePolicy(
      new PolicyStatement({ actions: ['timestream:DescribeEndpoints'], resources: ['*'] }),
    );
    this.addEnvironment(env.database, store.database.ref);
    this.addEnvironment(env.table, store.table.attrName);
    return this;
  }

  /** Grants `s3:GetObject` under an `s3://bucket/prefix` URI and puts the URI in `envName`. */
  bindObjects(uri: string, envName: string): this {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!match?.[1] || !match[2]) throw new Error(`bindObjects: "${uri}" is not an s3://bucket/prefix URI`);
    const resource = `arn:${Aws.PARTITION}:s3:::${match[1]}/${match[2]}*`;
    this.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [resource] }));
    if (this.role) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${match[1]}/${match[2]}*]`,
        reason:
          'Read-only access to the objects under one configured prefix (the model folder), nothing else in the bucket.',
      });
    }
    this.addEnvironment(envName, uri);
    return this;
  }

  /**
   * `sqs:SendMessage` on a queue and, if it is encrypted, exactly what a producer needs of its key (not
   * CDK's `grantSendMessages`, which brings `kms:ReEncrypt*` and `kms:GenerateDataKey*`): for a queue the
   * function, or Lambda on its behalf (an asynchronous invocation's on-failure destination), sends to.
   */
  allowSending(queue: IQueue): void {
    this.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    if (queue.encryptionMasterKey)
      this.allowKey(queue.encryptionMasterKey, ['kms:GenerateDataKey', 'kms:Decrypt']);
  }

  /** Exact KMS actions on one key; with `viaService`, only when that service calls KMS on the function's behalf. */
  private allowKey(key: IKey, actions: readonly string[], viaService?: string): void {
    const conditions = viaService
      ? { StringEquals: { 'kms:ViaService': `${viaService}.${Aws.REGION}.amazonaws.com` } }
      : undefined;
    this.addToRolePolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: [key.keyArn],
        ...(conditions ? { conditions } : {}),
      }),
    );
  }
}

/**
 * cdk-nag findings every SeismoFunction has by construction, each acknowledged with the reason it is
 * acceptable. `AwsSolutions-IAM5[Resource::*]` is not among them: {@link FunctionRole} acknowledges it on the
 * statements of resource-less actions alone.
 */
function acknowledgeHouseFindings(fn: SeismoFunction): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'Node 22 is pinned on purpose: the toolchain, local stack, tests and the onnxruntime layer are built and verified on it; moving to Node 24 is a deliberate, tested change.',
  });
}
