import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CONTROL_KEY_ATTRIBUTES } from '../../adapters/alerting/dynamodb-control-store.ts';
import { FEEDBACK_KEY_ATTRIBUTES } from '../../adapters/alerting/dynamodb-feedback-store.ts';
import { NOTIFICATION_LOG_KEY_ATTRIBUTE } from '../../adapters/alerting/dynamodb-notification-log.ts';
import { TRANSITION_KEY_ATTRIBUTES } from '../../adapters/alerting/dynamodb-transition-log.ts';
import { ALERT_STATE_KEY_ATTRIBUTE } from '../../adapters/alerting/dynamodb-versioned-store.ts';
import { TTL_ATTRIBUTE } from './storage.ts';

/** Props of {@link AlertingTables}. */
export interface AlertingTablesProps {
  readonly key: IKey;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The alerting tables. Key names come from the adapters that read them, so the two cannot drift apart; each
 * has PITR and the alerting key, and all but the feedback labels (training data) expire through `expiresAt`.
 */
export class AlertingTables extends Construct {
  /** Incident states per (route, group) and budget states per route, with their outboxes. */
  readonly state: Table;
  /** What was enqueued and delivered per (incident, receiver), and the Slack message of each. */
  readonly log: Table;
  /** Silences, the inhibition index and disabled receivers. */
  readonly control: Table;
  /** "Not an anomaly" labels per episode and person. */
  readonly feedback: Table;
  /** Every transition the router received, by day, for `seismo routes replay`. */
  readonly transitions: Table;

  constructor(scope: Construct, id: string, props: AlertingTablesProps) {
    super(scope, id);
    const table = (name: string, partition: string, sort?: string, ttl = true) =>
      new Table(this, name, {
        partitionKey: { name: partition, type: AttributeType.STRING },
        ...(sort && { sortKey: { name: sort, type: AttributeType.STRING } }),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: props.key,
        ...(ttl && { timeToLiveAttribute: TTL_ATTRIBUTE }),
        deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
        removalPolicy: props.removalPolicy,
      });
    this.state = table('incidents', ALERT_STATE_KEY_ATTRIBUTE);
    this.log = table('notification-log', NOTIFICATION_LOG_KEY_ATTRIBUTE);
    this.control = table('control', CONTROL_KEY_ATTRIBUTES.partition, CONTROL_KEY_ATTRIBUTES.sort);
    this.feedback = table('feedback', FEEDBACK_KEY_ATTRIBUTES.partition, FEEDBACK_KEY_ATTRIBUTES.sort, false);
    this.transitions = table(
      'transitions',
      TRANSITION_KEY_ATTRIBUTES.partition,
      TRANSITION_KEY_ATTRIBUTES.sort,
    );
  }
}
