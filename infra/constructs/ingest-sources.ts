import { Duration, Fn, type RemovalPolicy } from 'aws-cdk-lib';
import { type ISubnet, type IVpc, SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SeismoConfig } from '../config.ts';
import type { VpcAttachment } from '../ingest-sources-config.ts';
import { SeismoDbPoller } from './db-poller.ts';
import { SeismoKafkaIngest } from './kafka-ingest.ts';
import type { SeismoObservability } from './observability.ts';

/** Props of {@link IngestSources}. */
export interface IngestSourcesProps {
  readonly kafka?: SeismoConfig['kafka'];
  /** The translator's mapping rules, which Kafka records in its protocols follow too. */
  readonly mappingRules?: SeismoConfig['mappingRules'];
  readonly dbPoller?: SeismoConfig['dbPoller'];
  readonly stream: IStream;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The optional sources that feed the stream besides the API: a Kafka topic and a polled database table, each
 * present only when its context key is set. Existing secrets, VPCs, subnets and security groups named in the
 * configuration are imported by id, so the stack still synthesizes offline.
 */
export class IngestSources extends Construct {
  readonly kafka?: SeismoKafkaIngest;
  readonly dbPoller?: SeismoDbPoller;

  constructor(scope: Construct, id: string, props: IngestSourcesProps) {
    super(scope, id);
    const { kafka, dbPoller, stream, removalPolicy } = props;
    if (kafka) {
      const network = kafka.vpc ? this.network('kafka', kafka.vpc) : undefined;
      this.kafka = new SeismoKafkaIngest(this, 'kafka', {
        config: kafka,
        ...(props.mappingRules ? { mappingRules: props.mappingRules } : {}),
        stream,
        removalPolicy,
        ...(kafka.secretArn
          ? { secret: Secret.fromSecretCompleteArn(this, 'kafka-secret', kafka.secretArn) }
          : {}),
        ...(network
          ? {
              network: {
                vpc: network.vpc,
                subnets: network.subnets,
                securityGroup: network.securityGroups[0] as SecurityGroup,
              },
            }
          : {}),
      });
    }
    if (dbPoller) {
      this.dbPoller = new SeismoDbPoller(this, 'db-poller', {
        config: dbPoller,
        stream,
        secret: Secret.fromSecretCompleteArn(this, 'db-secret', dbPoller.secretArn),
        removalPolicy,
        ...(dbPoller.vpc ? { network: this.network('db', dbPoller.vpc) } : {}),
      });
    }
  }

  /**
   * Adds the sources' alarms and dashboard rows: each function's errors, throttles and duration, each
   * dead-letter queue (which must stay empty), the poller's watermark table.
   */
  monitor(observability: SeismoObservability): this {
    if (this.kafka) {
      observability
        .monitorFunction(this.kafka.fn, 'kafka-ingest', {
          timeout: this.kafka.fn.timeout ?? Duration.seconds(60),
        })
        .monitorQueueMustStayEmpty(this.kafka.deadLetterQueue, 'kafka-dead-letters');
    }
    if (this.dbPoller) {
      observability
        .monitorFunction(this.dbPoller.fn, 'db-poller', {
          timeout: this.dbPoller.fn.timeout ?? Duration.seconds(50),
        })
        .monitorQueueMustStayEmpty(this.dbPoller.deadLetterQueue, 'db-poller-dead-letters')
        .monitorTable(this.dbPoller.watermarkTable, 'db-poller-watermarks');
    }
    return this;
  }

  /** An existing VPC, its subnets and security groups, by id. */
  private network(prefix: string, attachment: VpcAttachment) {
    const vpc: IVpc = Vpc.fromVpcAttributes(this, `${prefix}-vpc`, {
      vpcId: attachment.vpcId,
      // Only the subnets named below are used; the zones are the region's, resolved at deploy.
      availabilityZones: Fn.getAzs(),
    });
    const subnets: ISubnet[] = attachment.subnetIds.map((subnetId) =>
      Subnet.fromSubnetId(this, `${prefix}-${subnetId}`, subnetId),
    );
    const securityGroups = attachment.securityGroupIds.map((groupId) =>
      SecurityGroup.fromSecurityGroupId(this, `${prefix}-${groupId}`, groupId, { mutable: false }),
    );
    return { vpc, subnets, securityGroups };
  }
}
