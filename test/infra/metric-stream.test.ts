import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { parseConfig, SeismoConfigError } from '../../infra/config.ts';
import { cdkJsonContext, synthSeismo } from './support.ts';

type Json = Record<string, unknown>;

function unacknowledged(app: ReturnType<typeof synthSeismo>['app']): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
  );
}

describe('SeismoMetricStream', () => {
  it('is absent unless the metricStream key is set', () => {
    // Act
    const { template } = synthSeismo();

    // Assess
    template.resourceCountIs('AWS::CloudWatch::MetricStream', 0);
    // The learning archive has a delivery stream of its own.
    expect(
      Object.keys(template.findResources('AWS::KinesisFirehose::DeliveryStream')).filter((id) =>
        id.startsWith('metricstream'),
      ),
    ).toEqual([]);
  });

  it('streams the named namespaces through Firehose to the API route, with the access key the translator checks', () => {
    // Act
    const { template } = synthSeismo({ metricStream: { includeNamespaces: ['AWS/EC2', 'AWS/Lambda'] } });

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::MetricStream', {
      OutputFormat: 'json',
      IncludeFilters: [{ Namespace: 'AWS/EC2' }, { Namespace: 'AWS/Lambda' }],
      FirehoseArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^metricstreamdelivery'), 'Arn'] },
    });
    const delivery = Object.entries(template.findResources('AWS::KinesisFirehose::DeliveryStream')).find(
      ([id]) => id.startsWith('metricstreamdelivery'),
    )?.[1].Properties as Json;
    const http = delivery.HttpEndpointDestinationConfiguration as Json;
    const endpoint = http.EndpointConfiguration as { Url: unknown; AccessKey: unknown };
    const url = JSON.stringify(endpoint.Url);
    expect(url).toMatch(/ingestionapi[A-Za-z0-9]*/);
    expect(url).toContain('/v1/cloudwatch/firehose?format=json');
    // A dynamic reference to the secret the translator reads, never its value.
    expect(JSON.stringify(endpoint.AccessKey)).toMatch(
      /\{\{resolve:secretsmanager:.*ingestionfirehoseaccesskey.*:SecretString:::\}\}/,
    );
    expect(http).toMatchObject({
      RequestConfiguration: { ContentEncoding: 'NONE' },
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
      S3BackupMode: 'FailedDataOnly',
    });
    expect(delivery.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
  });

  it('alarms to the ops topic when a Firehose delivery to the API fails', () => {
    // Act
    const { template } = synthSeismo({ metricStream: {} });

    // Assess
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties as Json)
      .filter((p) => p.MetricName === 'DeliveryToHttpEndpoint.Success');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Namespace: 'AWS/Firehose',
      Dimensions: [
        { Name: 'DeliveryStreamName', Value: { Ref: expect.stringMatching(/^metricstreamdelivery/) } },
      ],
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      AlarmActions: [expect.anything()],
      AlarmName: 'seismo-dev-metric-stream-delivery-Critical',
    });
  });

  it('lets CloudWatch put records on this delivery stream only', () => {
    // Act
    const { template } = synthSeismo({ metricStream: {} });

    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^metricstreamdelivery'), 'Arn'] },
          },
        ],
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^metricstreammetricstreamrole') }],
    });
    template.hasResourceProperties('AWS::CloudWatch::MetricStream', {
      OutputFormat: 'json',
      IncludeFilters: Match.absent(),
      ExcludeFilters: Match.absent(),
    });
  });

  it('is cdk-nag clean in OpenTelemetry format with excluded namespaces', () => {
    // Prepare
    const { app, stack, template } = synthSeismo({
      metricStream: { outputFormat: 'opentelemetry1.0', excludeNamespaces: ['AWS/Usage'] },
    });

    // Act
    const findings = unacknowledged(app);

    // Assess
    expect(findings).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual(
      [],
    );
    template.hasResourceProperties('AWS::CloudWatch::MetricStream', {
      OutputFormat: 'opentelemetry1.0',
      ExcludeFilters: [{ Namespace: 'AWS/Usage' }],
    });
  });

  it('names a bad metricStream key and rule at synth', () => {
    // Act
    let problems: readonly string[] = [];
    try {
      parseConfig({
        ...cdkJsonContext(),
        metricStream: JSON.stringify({
          outputFormat: 'csv',
          includeNamespaces: ['AWS/EC2'],
          excludeNamespaces: ['AWS/S3'],
        }),
      });
    } catch (error) {
      if (!(error instanceof SeismoConfigError)) throw error;
      problems = error.problems;
    }

    // Assess
    expect(problems).toEqual([
      expect.stringContaining('metricStream.outputFormat must be "json" or "opentelemetry1.0" (got "csv")'),
    ]);
    const both = () =>
      parseConfig({
        ...cdkJsonContext(),
        metricStream: { includeNamespaces: ['AWS/EC2'], excludeNamespaces: ['AWS/S3'] },
      });
    expect(both).toThrow(/includeNamespaces or excludeNamespaces, not both/);
  });
});
