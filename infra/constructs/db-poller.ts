import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WATERMARK_KEY } from '../../adapters/poller/dynamodb-watermark-store.ts';
import type { DbPollerConfig } from '../ingest-sources-config.ts';
import { SeismoFunction, type TableAction } from './seismo-function.ts';

/** The poller's handler module: it exports `handler`. */
export const DB_POLL_ENTRY = fileURLToPath(new URL('../../functions/db-poll/handler.ts', import.meta.url));

/** What the poller calls on the watermark table: a consistent GetItem, then a conditional PutItem per page. */
export const WATERMARK_TABLE_ACTIONS: readonly [TableAction, ...TableAction[]] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
];

/** Where the poller's function runs when the database is private: an existing VPC, its subnets and groups. */
export interface DbPollerNetwork {
  readonly vpc: IVpc;
  /** Private subnets with a route to the database and to Kinesis, DynamoDB, SQS and Secrets Manager. */
  readonly subnets: readonly ISubnet[];
  /** Groups the database's security group admits on its port. */
  readonly securityGroups: readonly ISecurityGroup[];
}

/** Props of {@link SeismoDbPoller}. */
export interface SeismoDbPollerProps {
  readonly config: DbPollerConfig;
  readonly stream: IStream;
  /** The secret holding the database password (read-only). */
  readonly secret: ISecret;
  /** Attach the function to a VPC (the usual case: the database is private). */
  readonly network?: DbPollerNetwork;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A scheduled database poller: an EventBridge rule (every minute by default) invokes a function
 * that reads new rows from PostgreSQL after a watermark kept in its own DynamoDB table, puts them on the
 * stream and then advances the watermark; rows that make no valid event go to a dead-letter queue with the
 * reason. One run at a time (reserved concurrency 1), so runs never race for the watermark.
 */
export class SeismoDbPoller extends Construct {
  readonly fn: SeismoFunction;
  /** One item per source: `{source, ts, id, rows, updatedAt}`. */
  readonly watermarkTable: Table;
  /** Rows that make no valid event, one message each with the reason and the row. */
  readonly deadLetterQueue: Queue;
  /** The EventBridge rule that invokes the function on schedule (through its resource policy, no role). */
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: SeismoDbPollerProps) {
    super(scope, id);
    const { config, removalPolicy } = props;
    const key = new Key(this, 'key', {
      description: 'Seismo: encrypts the database poller watermarks and dead letters',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.watermarkTable = new Table(this, 'watermarks', {
      partitionKey: { name: WATERMARK_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      removalPolicy,
    });
    this.deadLetterQueue = new Queue(this, 'dead-letters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the poller; a DLQ of a DLQ only moves the problem.',
    });

    const network = props.network;
    this.fn = new SeismoFunction(this, 'poll', {
      entry: DB_POLL_ENTRY,
      handler: 'handler',
      description: `Seismo database poller: reads new rows of ${config.source.name} into the stream`,
      memorySize: 512,
      // Under the one-minute schedule, so runs never overlap (and never throttle); a run starts no page in
      // its last 15 s, and the next run continues where it stopped.
      timeout: Duration.seconds(50),
      // One run at a time: overlapping runs would only conflict on the watermark.
      reservedConcurrentExecutions: 1,
      logRemovalPolicy: removalPolicy,
      ...(network
        ? {
            vpc: network.vpc,
            vpcSubnets: { subnets: [...network.subnets] },
            securityGroups: [...network.securityGroups],
            allowPublicSubnet: false,
          }
        : {}),
      environment: {
        POLLER_SOURCE: JSON.stringify(config.source),
        DB_HOST: config.connection.host,
        DB_PORT: String(config.connection.port),
        DB_NAME: config.connection.database,
        DB_USER: config.connection.user,
        DB_SSL: config.connection.ssl ? '1' : '0',
        // Node on Lambda leaves the RDS certificate authorities out unless told where they are.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
      bundling: {
        // pg loads its optional native binding only when asked for; it is never installed.
        externalModules: ['@aws-sdk/*', 'pg-native'],
      },
    });
    this.fn
      .bindTable(this.watermarkTable, 'WATERMARK_TABLE', WATERMARK_TABLE_ACTIONS)
      .bindStream(props.stream, 'STREAM_NAME', 'write')
      .bindQueue(this.deadLetterQueue, 'DLQ_URL')
      .bindSecret(props.secret, 'DB_SECRET_ARN');
    if (network && this.fn.role) {
      Validations.of(this.fn.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          "A function in a VPC needs to create and delete its network interfaces; AWS's managed policy for exactly that, added by CDK, is kept current by AWS.",
      });
    }

    this.schedule = new Rule(this, 'schedule', {
      schedule: Schedule.rate(Duration.minutes(config.scheduleMinutes)),
      description: `Seismo: poll ${config.source.name} every ${config.scheduleMinutes} minute(s)`,
      // The next run picks up where this one stopped: no retry that could overlap it.
      targets: [new LambdaFunction(this.fn, { retryAttempts: 0 })],
    });
  }
}
