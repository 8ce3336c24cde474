import type { RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Props of {@link SeismoAlerting}. */
export interface SeismoAlertingProps {
  /** What happens to the topic's key when the stack goes. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The `anomalies` SNS topic that episode transitions are published to; notifiers subscribe with filter
 * policies on the message attributes (severity, series, tenant).
 */
export class SeismoAlerting extends Construct {
  /** The topic alerts are published to. */
  readonly topic: Topic;
  /** The topic's encryption key; publishers get it through `grantPublish`. */
  readonly key: Key;

  constructor(scope: Construct, id: string, props: SeismoAlertingProps) {
    super(scope, id);
    this.key = new Key(this, 'key', {
      description: 'Seismo: encrypts anomaly alerts at rest',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.topic = new Topic(this, 'anomalies', {
      displayName: 'Seismo anomalies',
      masterKey: this.key,
      // Publishers and subscribers must use TLS; the topic policy denies plain HTTP.
      enforceSSL: true,
    });
  }
}
