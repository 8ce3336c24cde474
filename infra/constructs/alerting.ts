import { fileURLToPath } from 'node:url';
import { Aws, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type FunctionUrl, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALERTING_ENV as E } from '../../functions/alerting/environment.ts';
import type { DeployedAlertingConfig } from '../alerting-config.ts';
import { type QueueWithDeadLetters, queueWithDeadLetters } from './alert-queues.ts';
import { AlertingTables } from './alerting-tables.ts';
import { CHANNELS, SeismoNotifications } from './notifications.ts';
import { SeismoFunction, type TableAction } from './seismo-function.ts';

const entry = (path: string) => fileURLToPath(new URL(`../../functions/${path}/handler.ts`, import.meta.url));

/** What each alerting function calls on each table: the adapters' calls, no more (see the least-privilege test). */
export const ALERTING_TABLE_ACTIONS: Readonly<
  Record<
    'route' | 'escalate' | 'ack',
    Partial<
      Record<
        'state' | 'log' | 'control' | 'feedback' | 'transitions',
        readonly [TableAction, ...TableAction[]]
      >
    >
  >
> = {
  route: {
    state: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    log: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    control: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    transitions: ['dynamodb:PutItem'],
  },
  escalate: {
    state: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    log: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    control: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  },
  ack: {
    state: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    log: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    control: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    feedback: ['dynamodb:PutItem'],
  },
};

/** The router's, escalator's and ack handler's Lambda timeout; the anomalies queue's visibility is six times it. */
const FUNCTION_TIMEOUT = Duration.seconds(30);

/** Props of {@link SeismoAlerting}. */
export interface SeismoAlertingProps {
  /** What happens to the key, tables and logs when the stack goes. */
  readonly removalPolicy: RemovalPolicy;
  /** The routing config, validated at synth; bundled into the functions. */
  readonly routing: DeployedAlertingConfig;
  /** The From of alert email. */
  readonly emailFrom: string;
}

/**
 * Alert delivery, from the `anomalies` topic to people: the topic delivers (raw) to a queue read by the
 * router; the router keeps incident state and the notification log in DynamoDB and enqueues per channel
 * (see {@link SeismoNotifications}); timers are EventBridge Scheduler one-time schedules in their own group
 * that invoke the escalator; the ack handler answers Slack's buttons and the signed links behind a Function
 * URL. Every function holds only the calls its code makes.
 */
export class SeismoAlerting extends Construct {
  /** The topic alerts are published to. */
  readonly topic: Topic;
  /** Encrypts the topic; publishers get it through `grantPublish`. */
  readonly key: Key;
  /** Encrypts the queues, tables and secrets of alert delivery. */
  readonly dataKey: Key;
  readonly tables: AlertingTables;
  readonly notifications: SeismoNotifications;
  /** The topic's subscription queue, read by the router. */
  readonly anomalies: QueueWithDeadLetters;
  readonly router: SeismoFunction;
  readonly escalator: SeismoFunction;
  readonly ack: SeismoFunction;
  readonly ackUrl: FunctionUrl;
  readonly scheduleGroup: ScheduleGroup;
  readonly schedulerRole: Role;
  /** Timers Scheduler could not deliver, and escalator invocations that failed every retry. */
  readonly timerDeadLetters: Queue;
  readonly linkKeySecret: Secret;
  readonly slackSigningSecret: Secret;

  constructor(scope: Construct, id: string, props: SeismoAlertingProps) {
    super(scope, id);
    const { removalPolicy } = props;
    this.key = new Key(this, 'key', {
      description: 'Seismo: encrypts anomaly alerts at rest',
      enableKeyRotation: true,
      removalPolicy,
    });
    // A key of its own: the queue key's policy names the topic (SNS encrypts into the queue), and the topic
    // names its key, so one key for both would be a dependency cycle.
    this.dataKey = new Key(this, 'data-key', {
      description:
        'Seismo: encrypts alert queues, incident state, notification logs and alerting secrets at rest',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.topic = new Topic(this, 'anomalies', {
      displayName: 'Seismo anomalies',
      masterKey: this.key,
      // Publishers and subscribers must use TLS; the topic policy denies plain HTTP.
      enforceSSL: true,
    });
    this.tables = new AlertingTables(this, 'tables', { key: this.dataKey, removalPolicy });
    const config = props.routing.config;
    this.notifications = new SeismoNotifications(this, 'notifications', {
      config,
      emailFrom: props.emailFrom,
      key: this.dataKey,
      logTable: this.tables.log,
      controlTable: this.tables.control,
      removalPolicy,
    });
    this.anomalies = queueWithDeadLetters(this, 'anomalies-queue', {
      key: this.dataKey,
      fifo: false,
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      maxReceiveCount: 5,
    });
    // Raw delivery: the router reads the AlertMessage itself (it also unwraps an SNS envelope, if this changes).
    this.topic.addSubscription(new SqsSubscription(this.anomalies.queue, { rawMessageDelivery: true }));

    this.timerDeadLetters = new Queue(this, 'timer-dead-letters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.dataKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.timerDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the escalation timers; a DLQ of a DLQ only moves the problem.',
    });
    this.scheduleGroup = new ScheduleGroup(this, 'timers', { removalPolicy });
    // A physical name, so the escalator's ARN is known without referencing the function (which would be a cycle).
    const timerName = `${Stack.of(this).stackName}-alert-timer`.slice(0, 64);
    const timerArn = `arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:${timerName}`;
    this.schedulerRole = new Role(this, 'scheduler-role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'EventBridge Scheduler: invokes the Seismo escalator for alert timers',
    });
    this.schedulerRole.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [timerArn] }),
    );
    this.schedulerRole.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.timerDeadLetters.queueArn] }),
    );
    this.schedulerRole.addToPolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.dataKey.keyArn],
      }),
    );

    this.linkKeySecret = new Secret(this, 'link-key', {
      description:
        'Seismo: key that signs action links in email and webhooks (generated; two space-separated during a rotation)',
      encryptionKey: this.dataKey,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    this.slackSigningSecret = new Secret(this, 'slack-signing-secret', {
      description:
        "Seismo: the Slack app's Signing Secret (Basic Information); replace this placeholder after the first deploy",
      encryptionKey: this.dataKey,
    });
    for (const secret of [this.linkKeySecret, this.slackSigningSecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotated by an operator (Slack issues its signing secret; the link key takes a second value while links signed with the old one expire).',
      });
    }

    const bundling = { define: { __SEISMO_ALERTING_CONFIG__: JSON.stringify(props.routing.text) } };
    const make = (name: 'route' | 'escalate' | 'ack', description: string, functionName?: string) => {
      const fn = new SeismoFunction(this, name, {
        entry: entry(name),
        handler: 'handler',
        description,
        timeout: FUNCTION_TIMEOUT,
        logRemovalPolicy: removalPolicy,
        bundling,
        ...(functionName && { functionName }),
        environment: { POWERTOOLS_SERVICE_NAME: `seismo-${name}`, POWERTOOLS_METRICS_NAMESPACE: 'Seismo' },
      });
      const actions = ALERTING_TABLE_ACTIONS[name];
      const tables = this.tables;
      if (actions.state) fn.bindTable(tables.state, E.stateTable, actions.state);
      if (actions.log) fn.bindTable(tables.log, E.logTable, actions.log);
      if (actions.control) fn.bindTable(tables.control, E.controlTable, actions.control);
      if (actions.feedback) fn.bindTable(tables.feedback, E.feedbackTable, actions.feedback);
      if (actions.transitions) fn.bindTable(tables.transitions, E.transitionsTable, actions.transitions);
      for (const channel of CHANNELS)
        fn.bindQueue(this.notifications.queues[channel].queue, E.queueUrl[channel]);
      fn.bindSecret(this.linkKeySecret, E.linkKeySecret);
      this.allowScheduling(fn, timerArn);
      return fn;
    };
    this.ack = make('ack', 'Seismo ack handler: Slack buttons and signed action links');
    this.ack.bindSecret(this.slackSigningSecret, E.slackSigningSecret);
    // Slack cannot sign AWS requests: the URL is public and each route checks its own credential.
    this.ackUrl = this.ack.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    this.router = make(
      'route',
      'Seismo router: routes episode transitions, keeps incidents, enqueues notifications',
    );
    this.router.bindQueue(this.anomalies.deadLetters, E.deadLetterUrl);
    this.router.addEventSource(
      new SqsEventSource(this.anomalies.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    this.escalator = make(
      'escalate',
      'Seismo escalator: runs alert timers (group flushes, escalations, repeats, digests, reminders)',
      timerName,
    );
    // Lambda sends an invocation that failed every retry on, as the escalator's role: exactly SendMessage.
    const timerDeadLetterArn = this.timerDeadLetters.queueArn;
    this.escalator.allowSending(this.timerDeadLetters);
    this.escalator.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: { bind: () => ({ destination: timerDeadLetterArn }) },
    });
    for (const fn of [this.router, this.escalator]) fn.addEnvironment(E.ackBaseUrl, this.ackUrl.url);
  }

  /** CreateSchedule and DeleteSchedule in the timer group only, and passing the scheduler role to Scheduler. */
  private allowScheduling(fn: SeismoFunction, timerArn: string): void {
    const schedules = `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${this.scheduleGroup.scheduleGroupName}/*`;
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
        resources: [schedules],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    fn.addEnvironment(E.scheduleGroup, this.scheduleGroup.scheduleGroupName)
      .addEnvironment(E.timerFunctionArn, timerArn)
      .addEnvironment(E.schedulerRoleArn, this.schedulerRole.roleArn)
      .addEnvironment(E.timerDeadLetterArn, this.timerDeadLetters.queueArn);
    if (fn.role) {
      const group = Stack.of(this).resolve(this.scheduleGroup.scheduleGroupName);
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${group}/*]`,
        reason:
          'Timers are one-time schedules created at run time with names derived from each timer; the grant is confined to the alerting schedule group.',
      });
    }
  }
}
