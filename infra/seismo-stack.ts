import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { LayerBuildOptions } from '../layers/onnxruntime/build-layer.ts';
import { loadDeployedAlertingConfig } from './alerting-config.ts';
import type { SeismoConfig } from './config.ts';
import { SeismoAlerting } from './constructs/alerting.ts';
import { alertingOutputs } from './constructs/alerting-outputs.ts';
import { SeismoDetection } from './constructs/detection.ts';
import { OnnxRuntimeLayer } from './constructs/onnx-layer.ts';
import { SeismoStorage } from './constructs/storage.ts';
import { SeismoStream } from './constructs/stream.ts';

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

  constructor(scope: Construct, id: string, props: SeismoStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Production data outlives the stack; other stages clean up after themselves.
    const removalPolicy = config.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.ingest = new SeismoStream(this, 'ingest', { capacity: config.stream, removalPolicy });
    this.storage = new SeismoStorage(this, 'storage', { timeseries: config.timeseries, removalPolicy });
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

    new CfnOutput(this, 'stream-name', {
      value: this.ingest.stream.streamName,
      description: 'Kinesis stream producers write to',
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
  }
}
