import { fileURLToPath } from 'node:url';
import { type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  Cluster,
  type ContainerDefinition,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Props of {@link FargateTraining}. */
export interface FargateTrainingProps {
  readonly bucket: IBucket;
  readonly registryTable: ITable;
  /** The same environment the retraining Lambda gets (bucket, table, detector, model directory). */
  readonly environment: Record<string, string>;
  readonly removalPolicy: RemovalPolicy;
}

/** The repository root: the image is built from it (what it copies is in functions/retrain/Dockerfile). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the autoencoder trains on every row when that does not fit a Lambda's 15 minutes (beyond about 20
 * series × 10,000 points): a Fargate task running the Train step's own code, started and awaited by the
 * state machine (ECS RunTask .sync). A VPC of public subnets without NAT (the task needs S3 and ECR, nothing
 * listens), flow logs on, Container Insights on.
 */
export class FargateTraining extends Construct {
  readonly cluster: Cluster;
  readonly taskDefinition: FargateTaskDefinition;
  readonly container: ContainerDefinition;

  constructor(scope: Construct, id: string, props: FargateTrainingProps) {
    super(scope, id);
    const vpc = new Vpc(this, 'vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC }],
    });
    vpc.addFlowLog('flow-log');
    this.cluster = new Cluster(this, 'cluster', { vpc, containerInsightsV2: ContainerInsights.ENABLED });
    this.taskDefinition = new FargateTaskDefinition(this, 'task', {
      // One training process is single-threaded; 8 GB holds 10 M rows and the network with room to spare.
      cpu: 2048,
      memoryLimitMiB: 8192,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    this.container = this.taskDefinition.addContainer('train', {
      image: ContainerImage.fromAsset(ROOT, {
        file: 'functions/retrain/Dockerfile',
        platform: Platform.LINUX_ARM64,
      }),
      environment: {
        ...props.environment,
        MODEL_DIR: '/app/models/default',
        // On Fargate the autoencoder sees every row.
        RETRAIN_SETTINGS: JSON.stringify({ autoencoderMaxRows: Number.MAX_SAFE_INTEGER }),
      },
      logging: LogDrivers.awsLogs({
        streamPrefix: 'train',
        logGroup: new LogGroup(this, 'logs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: props.removalPolicy,
        }),
      }),
    });
    props.bucket.grantReadWrite(this.taskDefinition.taskRole);
    props.registryTable.grantReadData(this.taskDefinition.taskRole);
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The environment holds resource names and settings only; the task has no secrets.',
    });
    const bucketId = Stack.of(this).getLogicalId(props.bucket.node.defaultChild as never);
    const tableId = Stack.of(this).getLogicalId(props.registryTable.node.defaultChild as never);
    Validations.of(this.taskDefinition.taskRole).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
        reason: 'Reads and writes its own learning bucket only.',
      },
      { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: 'CDK grant on the learning bucket only.' },
      { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: 'CDK grant on the learning bucket only.' },
      { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: 'CDK grant on the learning bucket only.' },
      { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: 'CDK grant on the learning bucket only.' },
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: 'CDK grant on the learning bucket only.' },
      {
        id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`,
        reason: 'CDK grant on the registry table (it has no index).',
      },
    );
    if (this.taskDefinition.executionRole) {
      Validations.of(this.taskDefinition.executionRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken has no resource-level permissions.',
      });
    }
  }
}
