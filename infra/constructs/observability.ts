import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { ComparisonOperator, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefaultDashboardFactory, MonitoringFacade, SnsAlarmActionStrategy } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { businessMetricGroups, DETECT_SERVICE_NAME } from './business-metrics.ts';

/** The real-time objective: the detector is at most this far behind the stream... */
export const REALTIME_ITERATOR_AGE = Duration.seconds(60);
/** ...for at most this many consecutive one-minute periods before someone is told. */
export const REALTIME_BREACH_MINUTES = 5;

/** Alarm on the first period that breaches: for things that should never happen at all. */
const AT_ONCE = { datapointsToAlarm: 1, evaluationPeriods: 1 } as const;

/** `detector-dead-letters` → `detector dead letters`, for dashboard titles and alarm descriptions. */
const spoken = (name: string): string => name.replaceAll('-', ' ');

/** Props of {@link SeismoObservability}. */
export interface SeismoObservabilityProps {
  /** The stage; prefixes alarm and dashboard names so stages never collide. */
  readonly stage: string;
  /** What happens to the ops topic's key when the stack goes. */
  readonly removalPolicy: RemovalPolicy;
}

/** Options of {@link SeismoObservability.monitorFunction}. */
export interface MonitoredFunctionOptions {
  /** The function's timeout: a p99 duration above 80% of it raises an alarm. */
  readonly timeout: Duration;
}

/** Options of {@link SeismoObservability.monitorStreamConsumer}. */
export interface MonitoredConsumerOptions extends MonitoredFunctionOptions {
  /** How long the stream keeps records: an iterator age above half of it means data is about to be lost. */
  readonly streamRetention: Duration;
}

/**
 * Alarms and dashboards for a Seismo stage, built with cdk-monitoring-constructs. Alarms notify the ops topic
 * (subscribe a pager or an email to it). There are two dashboards: `<prefix>` (operations: the stream, the
 * functions, tables, queues and topics, with their alarms) and `<prefix>-business` (what the detector saw, from
 * its EMF metrics, per model version). Each concern adds its resources through the `monitor*` methods, so a
 * construct added later (alerting's router and senders, their queues) joins the same alarms and dashboards.
 * Every `name` is kebab-case (`detector-dead-letters`): it is part of the alarm names.
 */
export class SeismoObservability extends Construct {
  /** Where every alarm sends its notification (and its return to OK). */
  readonly opsTopic: Topic;
  /** The operations facade: alarms and the operations dashboard. */
  readonly operations: MonitoringFacade;
  /** The business dashboard's facade. */
  readonly business: MonitoringFacade;

  constructor(scope: Construct, id: string, props: SeismoObservabilityProps) {
    super(scope, id);
    const prefix = `seismo-${props.stage}`;
    const key = new Key(this, 'ops-key', {
      description: 'Seismo: encrypts the ops alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic as itself.
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.opsTopic = new Topic(this, 'ops', {
      displayName: `Seismo ${props.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    const action = new SnsAlarmActionStrategy({ onAlarmTopic: this.opsTopic, onOkTopic: this.opsTopic });
    this.operations = new MonitoringFacade(this, 'operations', {
      alarmFactoryDefaults: { alarmNamePrefix: prefix, actionsEnabled: true, action },
      // One-minute resolution: the objective is stated in minutes.
      metricFactoryDefaults: { period: Duration.minutes(1) },
      dashboardFactory: new DefaultDashboardFactory(this, 'operations-dashboards', {
        dashboardNamePrefix: prefix,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: true,
      }),
    });
    this.business = new MonitoringFacade(this, 'business', {
      alarmFactoryDefaults: { alarmNamePrefix: `${prefix}-business`, actionsEnabled: true, action },
      metricFactoryDefaults: { period: Duration.minutes(1) },
      dashboardFactory: new DefaultDashboardFactory(this, 'business-dashboards', {
        dashboardNamePrefix: `${prefix}-business`,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });
    this.business.monitorCustom({
      alarmFriendlyName: 'detector',
      humanReadableName: 'What the detector saw (EMF metrics, namespace Seismo, per model version)',
      metricGroups: businessMetricGroups(),
    });
    this.operations.monitorCustom({
      alarmFriendlyName: 'detector-models',
      humanReadableName: 'Models the detector serves (registry hot reload)',
      metricGroups: [
        {
          title: 'Registry versions not loaded (the last good model is served)',
          metrics: [
            {
              // Published under the service dimension alone (functions/detect/handler.ts), so an alarm can watch it.
              metric: new Metric({
                namespace: 'Seismo',
                metricName: 'ModelLoadFailed',
                dimensionsMap: { service: DETECT_SERVICE_NAME },
                statistic: 'Sum',
                period: Duration.minutes(5),
              }),
              alarmFriendlyName: 'model-load-failed',
              addAlarm: {
                Critical: {
                  threshold: 0,
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  ...AT_ONCE,
                  alarmDescriptionOverride:
                    'The detector could not load the registry version it was pointed at (checksum, feature list or download): it serves the last good model. See its log "model registry: ... not loaded".',
                },
              },
            },
          ],
        },
      ],
    });
  }

  /** Incoming records and bytes, write throttles (alarm above zero for 3 of 5 minutes) and the stream's iterator age. */
  monitorStream(stream: IStream, name: string): this {
    this.operations.monitorKinesisDataStream({
      streamName: stream.streamName,
      alarmFriendlyName: name,
      humanReadableName: `Kinesis: ${spoken(name)}`,
      addWriteProvisionedThroughputExceededAlarm: {
        Warning: { maxRecordsThrottledThreshold: 0, datapointsToAlarm: 3, evaluationPeriods: 5 },
      },
    });
    return this;
  }

  /** Errors and throttles above zero (over 5 minutes) and a p99 duration above 80% of the timeout. */
  monitorFunction(fn: IFunction, name: string, options: MonitoredFunctionOptions): this {
    this.operations.monitorLambdaFunction(this.functionProps(fn, name, options));
    return this;
  }

  /**
   * A function fed by a Kinesis event source: what {@link monitorFunction} watches, plus its iterator age
   * against the real-time objective (above {@link REALTIME_ITERATOR_AGE} for {@link REALTIME_BREACH_MINUTES}
   * minutes) and the data-loss guard (above half the stream's retention).
   */
  monitorStreamConsumer(fn: IFunction, name: string, options: MonitoredConsumerOptions): this {
    const halfRetention = options.streamRetention.toMilliseconds() / 2;
    this.operations.monitorLambdaFunction({
      ...this.functionProps(fn, name, options),
      isIterator: true,
      addMaxIteratorAgeAlarm: {
        RealTime: {
          maxAgeInMillis: REALTIME_ITERATOR_AGE.toMilliseconds(),
          datapointsToAlarm: REALTIME_BREACH_MINUTES,
          evaluationPeriods: REALTIME_BREACH_MINUTES,
          alarmDescriptionOverride: `${spoken(name)} is more than ${REALTIME_ITERATOR_AGE.toSeconds()} s behind the stream for ${REALTIME_BREACH_MINUTES} minutes: alerts are late`,
        },
        DataLoss: {
          maxAgeInMillis: halfRetention,
          datapointsToAlarm: 1,
          evaluationPeriods: 1,
          alarmDescriptionOverride: `${spoken(name)} is more than half the stream's retention behind: records expire unread unless it catches up`,
        },
      },
    });
    return this;
  }

  /** A queue that is normally empty (dead letters, failed batches): an alarm as soon as it holds a message. */
  monitorQueueMustStayEmpty(queue: IQueue, name: string): this {
    this.operations.monitorSqsQueue({
      queue,
      alarmFriendlyName: name,
      humanReadableName: `SQS: ${spoken(name)}`,
      addQueueMaxSizeAlarm: {
        Critical: {
          maxMessageCount: 0,
          ...AT_ONCE,
          alarmDescriptionOverride: `${spoken(name)} holds messages: each is a record or batch that needs a person`,
        },
      },
    });
    return this;
  }

  /** A queue that carries work: depth and age on the dashboard, alarms left to the caller's options. */
  monitorQueue(queue: IQueue, name: string): this {
    this.operations.monitorSqsQueue({
      queue,
      alarmFriendlyName: name,
      humanReadableName: `SQS: ${spoken(name)}`,
    });
    return this;
  }

  /** Read and write throttles above zero (3 of 5 minutes): on-demand tables throttle on sudden hot keys. */
  monitorTable(table: ITable, name: string): this {
    const throttled = { maxThrottledEventsThreshold: 0, datapointsToAlarm: 3, evaluationPeriods: 5 };
    this.operations.monitorDynamoTable({
      table,
      alarmFriendlyName: name,
      humanReadableName: `DynamoDB: ${spoken(name)}`,
      addReadThrottledEventsCountAlarm: { Warning: throttled },
      addWriteThrottledEventsCountAlarm: { Warning: throttled },
    });
    return this;
  }

  /** Failed deliveries to the topic's subscribers, above zero. */
  monitorTopic(topic: ITopic, name: string): this {
    this.operations.monitorSnsTopic({
      topic,
      alarmFriendlyName: name,
      humanReadableName: `SNS: ${spoken(name)}`,
      addMessageNotificationsFailedAlarm: { Critical: { maxNotificationsFailedCount: 0, ...AT_ONCE } },
    });
    return this;
  }

  private functionProps(fn: IFunction, name: string, options: MonitoredFunctionOptions) {
    return {
      lambdaFunction: fn,
      alarmFriendlyName: name,
      humanReadableName: `Lambda: ${spoken(name)}`,
      addFaultCountAlarm: { Critical: { maxErrorCount: 0, period: Duration.minutes(5), ...AT_ONCE } },
      addThrottlesCountAlarm: { Warning: { maxErrorCount: 0, period: Duration.minutes(5), ...AT_ONCE } },
      addLatencyP99Alarm: {
        Warning: {
          maxLatency: Duration.millis(options.timeout.toMilliseconds() * 0.8),
          datapointsToAlarm: 3,
          evaluationPeriods: 5,
        },
      },
    };
  }
}
