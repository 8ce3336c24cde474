import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import {
  DETECT_METRIC_DIMENSIONS,
  DETECT_METRIC_GROUPS,
  DETECT_METRICS_BY_DIMENSION,
  DETECT_METRICS_NAMESPACE,
  DETECT_SERVICE_NAME,
} from '../../infra/constructs/business-metrics.ts';
import { STREAM_RETENTION } from '../../infra/constructs/stream.ts';
import { SeismoStack } from '../../infra/seismo-stack.ts';
import { functionEnv, synthSeismo, testApp } from './support.ts';

type Resource = { Properties: Record<string, unknown> };

/** The alarm whose name ends with `suffix` (there must be exactly one). */
function alarm(template: Template, suffix: string): Record<string, unknown> {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
    String((a as Resource).Properties.AlarmName).endsWith(suffix),
  );
  expect(found, `alarms ending with ${suffix}`).toHaveLength(1);
  return (found[0] as Resource).Properties;
}

/** The metric an alarm evaluates (its first metric stat). */
function alarmMetric(props: Record<string, unknown>) {
  const metrics = props.Metrics as {
    MetricStat?: { Metric: Record<string, unknown>; Period: number; Stat: string };
  }[];
  const stat = metrics.find((m) => m.MetricStat)?.MetricStat;
  if (!stat) throw new Error('alarm has no metric stat');
  return stat;
}

/** A dashboard body with its tokens flattened, as text. */
function dashboardText(template: Template, name: string): string {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')).map(
    (d) => (d as Resource).Properties,
  );
  const found = dashboards.filter((d) => d.DashboardName === name);
  expect(found).toHaveLength(1);
  const body = (found[0] as { DashboardBody: { 'Fn::Join': [string, unknown[]] } }).DashboardBody;
  return body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<token>')).join('');
}

/** Every metric name the detector emits, read from its source: the dashboard must not drift from it. */
function emittedMetricNames(): string[] {
  const source = readFileSync(new URL('../../functions/detect/detect-handler.ts', import.meta.url), 'utf8');
  return [...source.matchAll(/(?:addMetric|countBy)\(\s*'(\w+)'/g)].map((m) => m[1] as string).sort();
}

describe('SeismoObservability in the stack', () => {
  const { stack, template } = synthSeismo();

  it('alarms when the detector is over 60 s behind for 5 minutes (the real-time objective)', () => {
    // Act
    const props = alarm(template, 'detector-Iterator-Age-Max-RealTime');

    // Assess
    expect(props).toMatchObject({ Threshold: 60_000, EvaluationPeriods: 5, DatapointsToAlarm: 5 });
    expect(alarmMetric(props)).toMatchObject({
      Metric: { Namespace: 'AWS/Lambda', MetricName: 'IteratorAge' },
      Period: 60,
      Stat: 'Maximum',
    });
  });

  it('alarms at once when the detector cannot load the registry version it is pointed at', () => {
    // Act
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => (a as Resource).Properties)
      .filter((p) => (p.MetricName ?? alarmMetric(p).Metric.MetricName) === 'ModelLoadFailed');

    // Assess
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      Namespace: 'Seismo',
      Dimensions: [{ Name: 'service', Value: DETECT_SERVICE_NAME }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      DatapointsToAlarm: 1,
      AlarmActions: [expect.anything()],
    });
  });

  it("alarms at half the stream's retention, and gives records up below the retention", () => {
    // Prepare
    const retentionSeconds = STREAM_RETENTION.toSeconds();

    // Act
    const loss = alarm(template, 'detector-Iterator-Age-Max-DataLoss');
    // The detector's is the one mapping that reads a stream (the alerting functions read queues).
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find(
      (m) => (m as Resource).Properties.StartingPosition !== undefined,
    ) as Resource;
    const stream = Object.values(template.findResources('AWS::Kinesis::Stream'))[0] as Resource;

    // Assess
    expect(loss.Threshold).toBe((retentionSeconds * 1000) / 2);
    expect(stream.Properties.RetentionPeriodHours).toBe(STREAM_RETENTION.toHours());
    const maxAge = mapping.Properties.MaximumRecordAgeInSeconds as number;
    expect(maxAge).toBeLessThan(retentionSeconds);
    expect(maxAge).toBeGreaterThan(retentionSeconds / 2);
  });

  it.each([
    ['detector-Fault-Count-Critical', 'AWS/Lambda', 'Errors', 0],
    ['detector-Throttled-Count-Warning', 'AWS/Lambda', 'Throttles', 0],
    ['detector-Latency-P99-Warning', 'AWS/Lambda', 'Duration', 48_000],
    ['ingest-stream-WriteThroughputExceeded-Warning', 'AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 0],
    ['state-table-Write-Throttled-Events-Warning', 'AWS/DynamoDB', 'WriteThrottleEvents', 0],
    ['state-table-Read-Throttled-Events-Warning', 'AWS/DynamoDB', 'ReadThrottleEvents', 0],
    ['publish-ledger-Write-Throttled-Events-Warning', 'AWS/DynamoDB', 'WriteThrottleEvents', 0],
    [
      'detector-dead-letters-Queue-Message-Count-Max-Critical',
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      0,
    ],
    [
      'detector-failed-batches-Queue-Message-Count-Max-Critical',
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      0,
    ],
    ['anomalies-topic-Topic-Notifications-Failed-Critical', 'AWS/SNS', 'NumberOfNotificationsFailed', 0],
  ])('alarms on %s (%s %s above %d)', (suffix, namespace, metricName, threshold) => {
    // Act
    const props = alarm(template, suffix);

    // Assess
    expect(props.Threshold).toBe(threshold);
    expect(props.ComparisonOperator).toBe('GreaterThanThreshold');
    const all = JSON.stringify(props.Metrics);
    expect(all).toContain(`"Namespace":"${namespace}"`);
    expect(all).toContain(`"MetricName":"${metricName}"`);
  });

  it('sends every alarm, and its return to OK, to the encrypted ops topic', () => {
    // Prepare
    const opsTopic = stack.resolve(stack.observability.opsTopic.topicArn);

    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as Resource).Properties,
    );

    // Assess
    expect(alarms.length).toBeGreaterThanOrEqual(13);
    for (const props of alarms) {
      expect(props.AlarmActions).toEqual([opsTopic]);
      expect(props.OKActions).toEqual([opsTopic]);
    }
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Seismo dev alarms',
      KmsMasterKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasOutput('opstopicarn', Match.anyValue());
  });

  it('builds an operations, an alarm and a business dashboard', () => {
    // Act and assess
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 3);
    const operations = dashboardText(template, 'seismo-dev');
    expect(operations).toContain('IncomingRecords');
    expect(operations).toContain('IteratorAge');
  });

  it('graphs every metric the detector emits on the business dashboard, per model version', () => {
    // Prepare
    const grouped = [
      ...Object.values(DETECT_METRIC_GROUPS).flat(),
      ...Object.keys(DETECT_METRICS_BY_DIMENSION),
      'BatchLatency',
    ].sort();

    // Act
    const business = dashboardText(template, 'seismo-dev-business');

    // Assess
    expect(grouped).toEqual(emittedMetricNames());
    for (const metric of grouped) expect(business).toContain(`MetricName=\\"${metric}\\"`);
    expect(business).toContain(`\\"service\\"=\\"${DETECT_SERVICE_NAME}\\"`);
    expect(functionEnv(template)).toMatchObject({
      POWERTOOLS_SERVICE_NAME: DETECT_SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: DETECT_METRICS_NAMESPACE,
    });
  });

  it('uses no series as a metric dimension, in any alarm or dashboard', () => {
    // Prepare
    const allowed = new Set<string>(DETECT_METRIC_DIMENSIONS);

    // Act: dimension names of alarms' metrics, and the dimension schemas of Seismo searches on dashboards.
    const alarmDimensions = Object.values(template.findResources('AWS::CloudWatch::Alarm')).flatMap((a) =>
      [...JSON.stringify((a as Resource).Properties).matchAll(/"Dimensions":\[(.*?)\]/g)].flatMap((m) =>
        [...(m[1] ?? '').matchAll(/"Name":"(\w+)"/g)].map((n) => n[1]),
      ),
    );
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')).map((d) =>
      JSON.stringify((d as Resource).Properties.DashboardBody),
    );
    const schemas = dashboards.flatMap((body) =>
      [...body.matchAll(/\{(?:\\+")Seismo(?:\\+")((?:,(?:\\+")\w+(?:\\+"))*)\}/g)].map((m) =>
        [...(m[1] ?? '').matchAll(/(\w+)/g)].map((n) => n[1] as string),
      ),
    );

    // Assess
    expect(alarmDimensions.length).toBeGreaterThan(0);
    for (const name of alarmDimensions) expect(name).not.toMatch(/series|channel/i);
    expect(schemas.length).toBe(emittedMetricNames().length + 1);
    for (const dims of schemas) {
      expect(dims).toContain('service');
      for (const name of dims) expect(allowed.has(name), name).toBe(true);
    }
  });
});

describe('SeismoObservability extension', () => {
  it('takes queues and functions other constructs add, with the same alarm actions', () => {
    // Prepare
    const app = testApp();
    const stack = new SeismoStack(app, 'seismo-dev', { config: loadConfig(app.node) });
    const queue = new Queue(stack, 'router-dead-letters', { enforceSSL: true });

    // Act
    stack.observability
      .monitorQueueMustStayEmpty(queue, 'router-dead-letters')
      .monitorFunction(stack.detection.fn, 'router', { timeout: Duration.seconds(30) });
    const template = Template.fromStack(stack);

    // Assess
    const opsTopic = stack.resolve(stack.observability.opsTopic.topicArn);
    expect(alarm(template, 'router-dead-letters-Queue-Message-Count-Max-Critical').AlarmActions).toEqual([
      opsTopic,
    ]);
    expect(alarm(template, 'router-Latency-P99-Warning').Threshold).toBe(24_000);
  });
});
