import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type IEventSourceDlq, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import {
  AuthenticationMethod,
  type KafkaEventSourceProps,
  ManagedKafkaEventSource,
  SelfManagedKafkaEventSource,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { MappingRules } from '../../core/ingest/mapping-rules.ts';
import type { KafkaConfig } from '../ingest-sources-config.ts';
import { SeismoFunction } from './seismo-function.ts';

/** The Kafka ingest handler module: it exports `handler`. */
export const KAFKA_INGEST_ENTRY = fileURLToPath(
  new URL('../../functions/kafka-ingest/handler.ts', import.meta.url),
);

/**
 * What Lambda's pollers need to reach self-managed brokers inside a VPC (network interfaces in its subnets);
 * EC2 has no resource-level permissions for these Describe calls, and the interfaces do not exist yet.
 */
export const KAFKA_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
] as const;

/** Where self-managed brokers are reached, when they are in a VPC. */
export interface KafkaNetwork {
  readonly vpc: IVpc;
  readonly subnets: readonly ISubnet[];
  readonly securityGroup: ISecurityGroup;
}

/** Props of {@link SeismoKafkaIngest}. */
export interface SeismoKafkaIngestProps {
  readonly config: KafkaConfig;
  /** The translator's mapping rules, for records in its protocols; its defaults when absent. */
  readonly mappingRules?: MappingRules;
  readonly stream: IStream;
  /** SASL/SCRAM (or basic, or mTLS) credentials of the brokers; required for brokers on the internet. */
  readonly secret?: ISecret;
  /** Self-managed brokers inside a VPC. */
  readonly network?: KafkaNetwork;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Kafka into the stream: an event source mapping (Amazon MSK or self-managed Apache Kafka) in provisioned mode,
 * which is what gives Kafka mappings retries, bisection and partial batch responses, invoking a function that
 * maps records to events. Records that cannot be read go to a dead-letter queue with the reason (the handler);
 * partitions whose events the stream refused are redelivered from the failed record (partial batch response);
 * a batch still failing after its retries is written whole, payload and metadata, to an S3 bucket by Lambda
 * (on-failure destination). Nothing read from Kafka is dropped.
 */
export class SeismoKafkaIngest extends Construct {
  readonly fn: SeismoFunction;
  /** Records that cannot become events, one message each with the reason and the original value. */
  readonly deadLetterQueue: Queue;
  /** Batches whose retries ran out, as Lambda's invocation records (with the records themselves). */
  readonly failedBatches: Bucket;

  constructor(scope: Construct, id: string, props: SeismoKafkaIngestProps) {
    super(scope, id);
    const { config, removalPolicy } = props;
    const key = new Key(this, 'key', {
      description: 'Seismo: encrypts the Kafka ingest dead letters and failed batches',
      enableKeyRotation: true,
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
      reason: 'This queue is itself the dead-letter destination of the Kafka ingest function.',
    });
    this.failedBatches = new Bucket(this, 'failed-batches', {
      encryption: BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      removalPolicy,
    });
    Validations.of(this.failedBatches).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "Written only by Lambda's event source mapping, with the function's role; each object is one failed batch. Access logs of an archive nobody else touches add a bucket and no insight.",
    });

    this.fn = new SeismoFunction(this, 'ingest', {
      entry: KAFKA_INGEST_ENTRY,
      handler: 'handler',
      description: `Seismo Kafka ingest: maps records of ${config.topic} to events on the stream`,
      memorySize: 512,
      timeout: Duration.seconds(60),
      logRemovalPolicy: removalPolicy,
      environment: {
        KAFKA_AGGREGATE: config.aggregate ? '1' : '0',
        KAFKA_DEFAULT_FORMAT: config.defaultFormat,
        ...(props.mappingRules ? { MAPPING_RULES: JSON.stringify(props.mappingRules) } : {}),
      },
    });
    this.fn.bindStream(props.stream, 'STREAM_NAME', 'write').bindQueue(this.deadLetterQueue, 'DLQ_URL');

    // Lambda writes failed batches with the function's role: PutObject and ListBucket, per its guide.
    this.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.failedBatches.arnForObjects('*')] }),
    );
    this.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.failedBatches.bucketArn] }),
    );
    this.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [key.keyArn] }),
    );
    if (this.fn.role) {
      Validations.of(this.fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.failedBatches.node.defaultChild as CfnBucket)}.Arn>/*]`,
        reason:
          'Lambda names each failed-batch object itself: writing any key of this one bucket is the need.',
      });
    }
    const onFailure: IEventSourceDlq = { bind: () => ({ destination: this.failedBatches.bucketArn }) };

    const common: KafkaEventSourceProps = {
      topic: config.topic,
      startingPosition: StartingPosition[config.startingPosition],
      batchSize: config.batchSize,
      maxBatchingWindow: Duration.seconds(config.maxBatchingWindowSeconds),
      ...(config.consumerGroupId ? { consumerGroupId: config.consumerGroupId } : {}),
      ...(props.secret ? { secret: props.secret } : {}),
      onFailure,
      // Kafka mappings get retries, bisection and partial batch responses in provisioned mode only.
      provisionedPollerConfig: {
        minimumPollers: config.minimumPollers,
        maximumPollers: config.maximumPollers,
      },
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: config.retryAttempts,
    };
    if (config.mode === 'msk') {
      this.fn.addEventSource(new ManagedKafkaEventSource({ ...common, clusterArn: config.clusterArn ?? '' }));
      if (this.fn.role) {
        Validations.of(this.fn.role).acknowledge({
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole]',
          reason:
            "The MSK event source mapping polls with the function's role: it needs the cluster's brokers and network interfaces in its VPC, which AWS's managed policy for MSK mappings (added by CDK) grants and keeps current.",
        });
      }
    } else {
      const network = props.network;
      this.fn.addEventSource(
        new SelfManagedKafkaEventSource({
          ...common,
          bootstrapServers: config.bootstrapServers ?? [],
          ...(config.authentication
            ? { authenticationMethod: AuthenticationMethod[config.authentication] }
            : {}),
          ...(network
            ? {
                vpc: network.vpc,
                vpcSubnets: { subnets: [...network.subnets] },
                securityGroup: network.securityGroup,
              }
            : {}),
        }),
      );
      if (network && this.fn.role) {
        const enis = new Policy(this, 'broker-network', {
          roles: [this.fn.role],
          statements: [new PolicyStatement({ actions: [...KAFKA_VPC_ACTIONS], resources: ['*'] })],
        });
        Validations.of(enis).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            "Lambda's pollers create network interfaces in the brokers' subnets with the function's role; EC2 has no resource-level permissions for these Describe calls, and the interfaces do not exist beforehand.",
        });
      }
    }
  }
}
