import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import type { LayerBuildOptions } from '../layers/onnxruntime/build-layer.ts';
import { loadDeployedAlertingConfig } from './alerting-config.ts';
import type { SeismoConfig } from './config.ts';
import { SeismoAlerting } from './constructs/alerting.ts';
import { alertingOutputs } from './constructs/alerting-outputs.ts';
import { DETECT_TIMEOUT, SeismoDetection } from './constructs/detection.ts';
import { IngestSources } from './constructs/ingest-sources.ts';
import { IngestionApi } from './constructs/ingestion-api.ts';
import { SeismoMetricStream } from './constructs/metric-stream.ts';
import { SeismoObservability } from './constructs/observability.ts';
import { OnnxRuntimeLayer } from './constructs/onnx-layer.ts';
import { SeismoRetraining } from './constructs/retraining.ts';
import { SeismoStorage } from './constructs/storage.ts';
import { SeismoStream, STREAM_RETENTION } from './constructs/stream.ts';

/** Props of {@link SeismoStack}. */
export interface SeismoStackProps extends StackProps {
  /** The validated deploy configuration. */
  readonly config: SeismoConfig;
  /** Where and how the onnxruntime layer is built (default: `layers/onnxruntime/dist`). */
  readonly layerBuild?: LayerBuildOptions;
}

/**
 * One Seismo deployment: the stream, storage, alerting and detection, each a construct of its own, wired
 * together here. Environment-agnostic, so it synthesizes offline.
 */
export class SeismoStack extends Stack {
  /** The ingest stream construct. */
  readonly ingest: SeismoStream;
  /** Tables and time-series store. */
  readonly storage: SeismoStorage;
  /** The anomalies topic and alert delivery (router, escalator, ack handler, senders). */
  readonly alerting: SeismoAlerting;
  /** The detector function, its event source and queues. */
  readonly detection: SeismoDetection;
  /** Archive, registry and the retraining state machine. */
  readonly retraining: SeismoRetraining;
  /** The ingestion API: events straight to the stream, protocols through the translator. */
  readonly ingestion: IngestionApi;
  /** Alarms (to the ops topic) and dashboards; other constructs add theirs with its `monitor*` methods. */
  readonly observability: SeismoObservability;
  /** Optional Kafka and database-poller sources (context keys `kafka`, `dbPoller`). */
  readonly sources: IngestSources;
  /** A CloudWatch metric stream into the translator (context key `metricStream`), when configured. */
  readonly metricStream?: SeismoMetricStream;

  constructor(scope: Construct, id: string, props: SeismoStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Production data outlives the stack; other stages clean up after themselves.
    const removalPolicy = config.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.ingest = new SeismoStream(this, 'ingest', { capacity: config.stream, removalPolicy });
    this.storage = new SeismoStorage(this, 'storage', {
      timeseries: config.timeseries,
      removalPolicy,
      stage: config.stage,
    });
    this.alerting = new SeismoAlerting(this, 'alerting', {
      removalPolicy,
      routing: loadDeployedAlertingConfig(config.alerting.configPath),
      emailFrom: config.alerting.emailFrom,
    });
    const onnx = new OnnxRuntimeLayer(
      this,
      'onnxruntime',
      props.layerBuild ? { build: props.layerBuild } : {},
    );
    this.detection = new SeismoDetection(this, 'detection', {
      config: config.detection,
      stream: this.ingest.stream,
      stateTable: this.storage.stateTable,
      publishedTable: this.storage.publishedTable,
      alertsTopic: this.alerting.topic,
      timeseries: this.storage.timeseries,
      onnxLayer: onnx.layer,
      removalPolicy,
    });

    this.retraining = new SeismoRetraining(this, 'retraining', {
      stream: this.ingest.stream,
      detector: this.detection.fn,
      onnxLayer: onnx.layer,
      removalPolicy,
      autoencoderOnFargate: config.retraining.autoencoderOnFargate,
    });
    // The detector follows the registry's champion without a deploy (functions/detect/model-watcher.ts).
    this.retraining.grantChampionRead(this.detection.fn);
    // The gate judges on what people answered on alerts (adapters/alerting/feedback-label-source.ts).
    this.retraining.steps.bindTable(this.alerting.tables.feedback, 'FEEDBACK_TABLE', ['dynamodb:Scan']);

    this.ingestion = new IngestionApi(this, 'ingestion', {
      config: config.ingestion,
      ...(config.mappingRules ? { mappingRules: config.mappingRules } : {}),
      stream: this.ingest.stream,
      streamKey: this.ingest.key,
      stageName: config.stage,
      removalPolicy,
    });

    new CfnOutput(this, 'ingestion-url', {
      value: this.ingestion.api.url,
      description: 'Base URL of the ingestion API (POST v1/events, api/v1/write, v1/metrics, ...)',
    });

    this.observability = new SeismoObservability(this, 'observability', {
      stage: config.stage,
      removalPolicy,
    })
      .monitorStream(this.ingest.stream, 'ingest-stream')
      .monitorStreamConsumer(this.detection.fn, 'detector', {
        timeout: DETECT_TIMEOUT,
        streamRetention: STREAM_RETENTION,
      })
      .monitorTable(this.storage.stateTable, 'state-table')
      .monitorTable(this.storage.publishedTable, 'publish-ledger')
      .monitorQueueMustStayEmpty(this.detection.deadLetterQueue, 'detector-dead-letters')
      .monitorQueueMustStayEmpty(this.detection.failureQueue, 'detector-failed-batches')
      .monitorTopic(this.alerting.topic, 'anomalies-topic')
      .monitorFunction(this.ingestion.translator, 'translator', {
        timeout: this.ingestion.translator.timeout ?? Duration.seconds(3),
      })
      .monitorTable(this.ingestion.seriesTable, 'series-table');
    // Alert delivery never drops a notification silently: what fails for good lands in a dead-letter queue
    // with its reason, and someone has to hear that it did.
    this.observability
      .monitorQueueMustStayEmpty(this.alerting.anomalies.deadLetters, 'alert-anomalies-dead-letters')
      .monitorQueueMustStayEmpty(this.alerting.timerDeadLetters, 'alert-timer-dead-letters');
    for (const [channel, { deadLetters }] of Object.entries(this.alerting.notifications.queues))
      this.observability.monitorQueueMustStayEmpty(deadLetters, `alert-${channel}-dead-letters`);
    this.observability.monitorFunction(this.alerting.router, 'alert-routing', {
      timeout: this.alerting.router.timeout ?? Duration.seconds(3),
    });
    // The drift alarm starts a retrain (an EventBridge rule); the people on call hear of it too.
    const ops = new SnsAction(this.observability.opsTopic);
    this.retraining.driftAlarm.addAlarmAction(ops);
    this.retraining.driftAlarm.addOkAction(ops);

    this.sources = new IngestSources(this, 'sources', {
      kafka: config.kafka,
      ...(config.mappingRules ? { mappingRules: config.mappingRules } : {}),
      dbPoller: config.dbPoller,
      stream: this.ingest.stream,
      removalPolicy,
    }).monitor(this.observability);
    if (config.metricStream) {
      this.metricStream = new SeismoMetricStream(this, 'metric-stream', {
        config: config.metricStream,
        api: this.ingestion.api,
        accessKey: this.ingestion.firehoseAccessKey,
        removalPolicy,
      }).monitor(this.observability);
      new CfnOutput(this, 'metric-stream-name', {
        value: this.metricStream.metricStream.ref,
        description: 'CloudWatch metric stream delivering to the ingestion API through Firehose',
      });
    }

    new CfnOutput(this, 'stream-name', {
      value: this.ingest.stream.streamName,
      description: 'Kinesis stream producers write to',
    });
    new CfnOutput(this, 'stream-key-arn', {
      value: this.ingest.key.keyArn,
      description:
        "The stream's KMS key: a producer's role needs kinesis:PutRecords on the stream and kms:GenerateDataKey on this key",
    });
    new CfnOutput(this, 'alerts-topic-arn', {
      value: this.alerting.topic.topicArn,
      description: 'SNS topic of anomaly alerts',
    });
    new CfnOutput(this, 'dead-letter-queue-url', {
      value: this.detection.deadLetterQueue.queueUrl,
      description: 'Records the detector rejected, with the reason',
    });
    alertingOutputs(this, this.alerting);
    const managedInflux = this.storage.timeseries.backend === 'influxdb' && this.storage.timeseries.managed;
    if (managedInflux) {
      new CfnOutput(this, 'influx-instance-arn', {
        value: managedInflux.instance.attrArn,
        description: 'The Timestream for InfluxDB instance scored points are written to',
      });
      new CfnOutput(this, 'influx-url', { value: managedInflux.url, description: 'Its API, inside its VPC' });
      new CfnOutput(this, 'influx-admin-secret-arn', {
        value: managedInflux.adminSecret.secretArn,
        description: 'Its admin user and password (for the InfluxDB UI and CLI)',
      });
      new CfnOutput(this, 'influx-token-secret-arn', {
        value: managedInflux.tokenSecret.secretArn,
        description: "The detector's write token, created by the stack",
      });
    }
    new CfnOutput(this, 'ops-topic-arn', {
      value: this.observability.opsTopic.topicArn,
      description: 'Alarm notifications: subscribe the on-call pager or email here',
    });
    new CfnOutput(this, 'learning-bucket', {
      value: this.retraining.bucket.bucketName,
      description: 'Archive, retraining runs and model registry artifacts (seismo models --bucket)',
    });
    new CfnOutput(this, 'registry-table', {
      value: this.retraining.registryTable.tableName,
      description: 'Model registry pointers and promotion log (seismo models --table)',
    });
    new CfnOutput(this, 'retraining-state-machine-arn', {
      value: this.retraining.stateMachine.stateMachineArn,
      description: 'Retraining state machine (seismo retrain --state-machine)',
    });
  }
}
