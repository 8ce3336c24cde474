import { fileURLToPath } from 'node:url';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { SeismoFunction } from '../../infra/constructs/seismo-function.ts';
import { functionEnv, testApp } from './support.ts';

const entry = fileURLToPath(new URL('./fixtures/noop-handler.ts', import.meta.url));

function fixture(): { stack: Stack; fn: SeismoFunction } {
  const stack = new Stack(testApp(), 'test');
  const fn = new SeismoFunction(stack, 'fn', { entry, logRetention: RetentionDays.ONE_WEEK });
  return { stack, fn };
}

const statements = (template: Template): { Action: string | string[]; Resource: unknown }[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p.Properties as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } })
        .PolicyDocument.Statement,
  );

describe('SeismoFunction', () => {
  it('applies the house defaults: arm64, Node 22, tracing, source maps, its own log group', () => {
    // Prepare
    const { stack } = fixture();

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      Runtime: 'nodejs22.x',
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^fnlogs') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('uses a role that may write to its own log group only, with no AWS managed policy', () => {
    // Prepare
    const { stack } = fixture();

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    expect(statements(template)).toContainEqual(
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^fnlogs/), 'Arn'] },
      }),
    );
  });

  it('binds a table read-only: name in the environment, read actions only', () => {
    // Prepare
    const { stack, fn } = fixture();
    const table = new Table(stack, 'table', { partitionKey: { name: 'key', type: AttributeType.STRING } });

    // Act
    fn.bindTable(table, 'THE_TABLE', 'read');
    const template = Template.fromStack(stack);

    // Assess
    expect(functionEnv(template).THE_TABLE).toEqual({ Ref: expect.stringMatching(/^table/) });
    const actions = statements(template).flatMap((s) => s.Action);
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).not.toContain('dynamodb:PutItem');
  });

  it('binds topic, queue, stream and secret: each grants and sets its variable', () => {
    // Prepare
    const { stack, fn } = fixture();

    // Act
    fn.bindTopic(new Topic(stack, 'topic'), 'TOPIC_ARN')
      .bindQueue(new Queue(stack, 'queue'), 'QUEUE_URL')
      .bindStream(new Stream(stack, 'stream'), 'STREAM_NAME', 'write')
      .bindSecret(new Secret(stack, 'secret'), 'SECRET_ARN');
    const template = Template.fromStack(stack);

    // Assess
    expect(functionEnv(template)).toMatchObject({
      TOPIC_ARN: { Ref: expect.stringMatching(/^topic/) },
      QUEUE_URL: { Ref: expect.stringMatching(/^queue/) },
      STREAM_NAME: { Ref: expect.stringMatching(/^stream/) },
      SECRET_ARN: { Ref: expect.stringMatching(/^secret/) },
    });
    const actions = statements(template).flatMap((s) => s.Action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'sns:Publish',
        'sqs:SendMessage',
        'kinesis:PutRecords',
        'secretsmanager:GetSecretValue',
      ]),
    );
  });

  it('refuses an object binding that is not an s3:// URI', () => {
    // Prepare
    const { fn } = fixture();

    // Act
    const act = () => fn.bindObjects('https://bucket/key', 'MODEL_S3_URI');

    // Assess
    expect(act).toThrow(/not an s3:\/\/bucket\/prefix URI/);
  });
});
