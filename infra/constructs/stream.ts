import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { StreamConfig } from '../config.ts';

/**
 * How long the stream keeps records: 24 h is the retention included in the price. The detector's event source
 * gives up on records well before this (DETECT_MAX_RECORD_AGE) and an alarm fires at half of it.
 */
export const STREAM_RETENTION = Duration.hours(24);

/** Props of {@link SeismoStream}. */
export interface SeismoStreamProps {
  /** On-demand, or provisioned with a fixed shard count. */
  readonly capacity: StreamConfig;
  /** What happens to the stream and its key when the stack goes. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The Kinesis stream every event enters by, encrypted with a customer-managed KMS key. The partition key is
 * the series, so one series stays in order on one shard.
 */
export class SeismoStream extends Construct {
  /** The ingest stream. */
  readonly stream: Stream;
  /** The stream's encryption key; producers and consumers get it through the stream's grants. */
  readonly key: Key;

  constructor(scope: Construct, id: string, props: SeismoStreamProps) {
    super(scope, id);
    this.key = new Key(this, 'key', {
      description: 'Seismo: encrypts the ingest stream',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.stream = new Stream(this, 'events', {
      encryption: StreamEncryption.KMS,
      encryptionKey: this.key,
      // ON_DEMAND scales with traffic and suits spiky producers; PROVISIONED is cheaper at steady, known load.
      streamMode: props.capacity.mode === 'PROVISIONED' ? StreamMode.PROVISIONED : StreamMode.ON_DEMAND,
      ...(props.capacity.mode === 'PROVISIONED' ? { shardCount: props.capacity.shardCount } : {}),
      // The detector reads within seconds; its retries give up at three quarters of this.
      retentionPeriod: STREAM_RETENTION,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason:
        'A customer-managed key is deliberate: its key policy, rotation and CloudTrail audit are ours, like every Seismo data store; the per-request KMS cost is accepted.',
    });
  }
}
