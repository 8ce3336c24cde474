import { ArnFormat, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { CfnMetricStream, ComparisonOperator, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { LogGroup, LogStream, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { MetricStreamConfig } from '../ingest-sources-config.ts';
import type { SeismoObservability } from './observability.ts';

/** Props of {@link SeismoMetricStream}. */
export interface SeismoMetricStreamProps {
  readonly config: MetricStreamConfig;
  /** The ingestion API whose `/v1/cloudwatch/firehose` route the delivery stream posts to. */
  readonly api: RestApi;
  /** The access key that route expects in X-Amz-Firehose-Access-Key (the whole secret string). */
  readonly accessKey: ISecret;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * CloudWatch metrics into Seismo: a metric stream (account and region wide, optionally filtered by namespace)
 * delivering to a Firehose stream whose HTTP endpoint destination is the ingestion API's metric-stream route,
 * with the access key the translator checks. Requests Firehose could not deliver after its retries land in a
 * bucket (Firehose's failed-data backup), so none is lost silently.
 */
export class SeismoMetricStream extends Construct {
  readonly deliveryStream: CfnDeliveryStream;
  readonly metricStream: CfnMetricStream;
  /** Requests the API did not take after Firehose's retries, as Firehose wrote them. */
  readonly failedDeliveries: Bucket;

  constructor(scope: Construct, id: string, props: SeismoMetricStreamProps) {
    super(scope, id);
    const { config, removalPolicy } = props;

    this.failedDeliveries = new Bucket(this, 'failed-deliveries', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy,
    });
    Validations.of(this.failedDeliveries).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "Written only by the metric stream's Firehose role with requests it could not deliver; access logs of a bucket nobody else touches add a bucket and no insight.",
    });
    const logGroup = new LogGroup(this, 'delivery-logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const logStream = new LogStream(this, 'delivery-log-stream', { logGroup, removalPolicy });

    const firehoseRole = new Role(this, 'firehose-role', {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com'),
      description:
        'Seismo metric stream: Firehose writes undeliverable requests to its bucket and logs errors',
    });
    // The actions Firehose's S3 backup documents, on this bucket only.
    firehoseRole.addToPolicy(
      new PolicyStatement({
        actions: [
          's3:AbortMultipartUpload',
          's3:GetBucketLocation',
          's3:ListBucket',
          's3:ListBucketMultipartUploads',
        ],
        resources: [this.failedDeliveries.bucketArn],
      }),
    );
    firehoseRole.addToPolicy(
      new PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: [this.failedDeliveries.arnForObjects('*')],
      }),
    );
    firehoseRole.addToPolicy(
      new PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(firehoseRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.failedDeliveries.node.defaultChild as CfnBucket)}.Arn>/*]`,
      reason: 'Firehose names each backup object itself: writing any key of this one bucket is the need.',
    });

    this.deliveryStream = new CfnDeliveryStream(this, 'delivery', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      httpEndpointDestinationConfiguration: {
        endpointConfiguration: {
          name: 'Seismo ingestion API',
          url: `${props.api.urlForPath('/v1/cloudwatch/firehose')}?format=${config.outputFormat}`,
          // A dynamic reference: CloudFormation reads the secret at deploy time; the template never holds it.
          accessKey: props.accessKey.secretValue.unsafeUnwrap(),
        },
        // API Gateway reads a gzip'd JSON body as text: send it as it is.
        requestConfiguration: { contentEncoding: 'NONE' },
        // 1 MiB of records is about 1.4 MB once base64'd in Firehose's envelope, well under the 4 MiB body limit.
        bufferingHints: { sizeInMBs: 1, intervalInSeconds: config.bufferSeconds },
        retryOptions: { durationInSeconds: 300 },
        roleArn: firehoseRole.roleArn,
        s3BackupMode: 'FailedDataOnly',
        s3Configuration: {
          bucketArn: this.failedDeliveries.bucketArn,
          roleArn: firehoseRole.roleArn,
          prefix: 'failed/',
          errorOutputPrefix: 'errors/',
          compressionFormat: 'GZIP',
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    // Firehose checks its role when the stream is created: the policy must exist by then.
    const policy = firehoseRole.node.tryFindChild('DefaultPolicy');
    if (policy) this.deliveryStream.node.addDependency(policy);

    const streamRole = new Role(this, 'metric-stream-role', {
      assumedBy: new ServicePrincipal('streams.metrics.cloudwatch.amazonaws.com'),
      description: 'Seismo metric stream: CloudWatch puts metric records on its Firehose stream',
    });
    streamRole.addToPolicy(
      new PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [this.deliveryStream.attrArn],
      }),
    );
    this.metricStream = new CfnMetricStream(this, 'metric-stream', {
      firehoseArn: this.deliveryStream.attrArn,
      roleArn: streamRole.roleArn,
      outputFormat: config.outputFormat,
      ...(config.includeNamespaces
        ? { includeFilters: config.includeNamespaces.map((namespace) => ({ namespace })) }
        : {}),
      ...(config.excludeNamespaces
        ? { excludeFilters: config.excludeNamespaces.map((namespace) => ({ namespace })) }
        : {}),
    });
    this.metricStream.node.addDependency(streamRole);
  }

  /**
   * An alarm when Firehose's requests to the API fail (a rotated access key, the API refusing, the translator
   * answering 5xx): it retries for 5 minutes, then parks the data in the failed-deliveries bucket.
   */
  monitor(observability: SeismoObservability): this {
    observability.operations.monitorCustom({
      alarmFriendlyName: 'metric-stream',
      humanReadableName: 'CloudWatch metric stream: Firehose deliveries to the ingestion API',
      metricGroups: [
        {
          title: 'Share of delivery requests the API took (1 = all)',
          metrics: [
            {
              metric: new Metric({
                namespace: 'AWS/Firehose',
                metricName: 'DeliveryToHttpEndpoint.Success',
                dimensionsMap: { DeliveryStreamName: this.deliveryStream.ref },
                statistic: 'Minimum',
                period: Duration.minutes(5),
              }),
              alarmFriendlyName: 'delivery',
              addAlarm: {
                Critical: {
                  threshold: 1,
                  comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                  alarmDescriptionOverride:
                    'Firehose could not deliver metric-stream data to the ingestion API; after 5 minutes of retries it lands in the metric stream failed-deliveries bucket. Check the delivery log group and the translator.',
                },
              },
            },
          ],
        },
      ],
    });
    return this;
  }
}
