import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeployedAlertingConfig } from '../../infra/alerting-config.ts';
import { SeismoConfigError } from '../../infra/config.ts';
import { logicalIds, synthSeismo } from './support.ts';

const ref = (prefix: string) => ({ Ref: Match.stringLikeRegexp(`^${prefix}`) });
const arnOf = (prefix: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}`), 'Arn'] });

describe('SeismoAlerting', () => {
  const { template } = synthSeismo();

  it('creates the anomalies topic encrypted with a rotating customer-managed key, TLS only', () => {
    // Assess
    // The stack has other topics (ops alarms); alerting owns one.
    expect(logicalIds(template, 'AWS::SNS::Topic', 'alerting')).toHaveLength(1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf('alertingkey') });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('delivers the topic raw to an encrypted queue with a dead-letter queue, read by the router in batches', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      Endpoint: arnOf('alertinganomaliesqueue'),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: arnOf('alertingdatakey'),
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: arnOf('alertinganomaliesqueuedeadletters'), maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf('alertinganomaliesqueue'),
      FunctionName: ref('alertingroute'),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gives each channel a FIFO queue with a dead-letter queue and a sender; Slack with a capped concurrency', () => {
    // Assess
    for (const channel of ['slack', 'email', 'webhook', 'pagerduty']) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        FifoThroughputLimit: 'perMessageGroupId',
        DeduplicationScope: 'messageGroup',
        KmsMasterKeyId: arnOf('alertingdatakey'),
        RedrivePolicy: {
          deadLetterTargetArn: arnOf(`alertingnotifications${channel}queuedeadletters`),
          maxReceiveCount: 50,
        },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(`alertingnotifications${channel}queue`),
        FunctionName: ref(`alertingnotificationssend${channel}`),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ...(channel === 'slack' ? { ScalingConfig: { MaximumConcurrency: 2 } } : {}),
      });
    }
    expect(logicalIds(template, 'AWS::Lambda::EventSourceMapping', 'alerting')).toHaveLength(5);
  });

  it('keeps five encrypted tables with PITR; all but the feedback labels expire', () => {
    // Act
    const tables = logicalIds(template, 'AWS::DynamoDB::Table', 'alertingtables');
    const all = template.findResources('AWS::DynamoDB::Table');

    // Assess
    expect(tables).toHaveLength(5);
    for (const id of tables) {
      const props = all[id]?.Properties;
      expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(props.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
      if (id.startsWith('alertingtablesfeedback')) expect(props.TimeToLiveSpecification).toBeUndefined();
      else expect(props.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    }
  });

  it('lets EventBridge Scheduler invoke only the escalator and dead-letter to the timer queue', () => {
    // Assess
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'seismo-dev-alert-timer' });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf('alertingtimerdeadletters') } },
    });
  });

  it('serves the ack handler on a Function URL whose auth is the signature each route checks', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: arnOf('alertingack'),
    });
  });

  it('creates the secrets empty, with descriptions, receiver secrets under the names the config gives', () => {
    // Assess
    for (const name of ['seismo/pagerduty/payments', 'seismo/webhooks/partner']) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: name,
        Description: Match.stringLikeRegexp('^Seismo: '),
        KmsKeyId: arnOf('alertingdatakey'),
      });
    }
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('Bot User OAuth Token'),
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('Signing Secret'),
    });
  });

  it('lets the email sender send only as the configured identity, through its configuration set', () => {
    // Assess
    template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref('alertingnotificationssendemailrole')],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ses:SendEmail',
            Resource: Match.arrayWith([
              { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':identity/example.com$')])] },
            ]),
          }),
        ]),
      },
    });
  });

  it('alarms to the ops topic when anything lands in an alerting dead-letter queue', () => {
    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: { AlarmName?: string; AlarmActions?: unknown[] } }).Properties,
    );
    const named = (part: string) => alarms.filter((a) => String(a.AlarmName).includes(part));

    // Assess
    for (const queue of ['anomalies', 'timer', 'slack', 'email', 'webhook', 'pagerduty']) {
      const found = named(`alert-${queue}-dead-letters-Queue-Message-Count-Max-Critical`);
      expect(found, queue).toHaveLength(1);
      expect(found[0]?.AlarmActions).toHaveLength(1);
    }
  });
});

describe('the routing config at synth', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seismo-routing-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops the synth with each problem, its path in the file and the rule', () => {
    // Prepare
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'version: 1\nreceivers: [{name: a, type: slack, channel: "#a"}]\nroute:\n  receivers: [a]\n  routes: [{matchers: [\'severity=~~"x"\'], receivers: [b]}]\n',
    );

    // Act
    const act = () => synthSeismo({ alertingConfig: file });

    // Assess
    expect(act).toThrow(SeismoConfigError);
    expect(act).toThrow(
      /alertingConfig .*bad\.yaml: route\.routes\[0\]\.matchers\[0\]: unknown operator "=~~"/,
    );
  });

  it('names a file it cannot read', () => {
    // Act
    const act = () => loadDeployedAlertingConfig(join(dir, 'missing.yaml'));

    // Assess
    expect(act).toThrow(/alertingConfig: cannot read .*missing\.yaml/);
  });
});
