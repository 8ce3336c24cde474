import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { StreamConfig } from '../config.ts';

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
      // 24 h is the included retention; the detector reads within seconds, and its retries give up after a day.
      retentionPeriod: Duration.hours(24),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason:
        'A customer-managed key is deliberate: its key policy, rotation and CloudTrail audit are ours, like every Seismo data store; the per-request KMS cost is accepted.',
    });
  }
}
