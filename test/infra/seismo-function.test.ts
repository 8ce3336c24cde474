import { fileURLToPath } from 'node:url';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { SeismoFunction, STREAM_POLLING_ACTIONS } from '../../infra/constructs/seismo-function.ts';
import { functionEnv, testApp } from './support.ts';

const entry = fileURLToPath(new URL('./fixtures/noop-handler.ts', import.meta.url));

function fixture(): { stack: Stack; fn: SeismoFunction } {
  const stack = new Stack(testApp(), 'test');
  const fn = new SeismoFunction(stack, 'fn', { entry, logRetention: RetentionDays.ONE_WEEK });
  return { stack, fn };
}

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every statement of every IAM policy in the template, its Action always a list. */
const statements = (template: Template): (Statement & { Action: string[] })[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
    (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement.map((s) => ({
      ...s,
      Action: [s.Action].flat(),
    })),
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

  it('binds a table with exactly the actions named, and decrypting through DynamoDB only', () => {
    // Prepare
    const { stack, fn } = fixture();
    const table = new Table(stack, 'table', {
      partitionKey: { name: 'key', type: AttributeType.STRING },
      encryption: TableEncryption.CUSTOMER_MANAGED,
    });

    // Act
    fn.bindTable(table, 'THE_TABLE', ['dynamodb:GetItem', 'dynamodb:PutItem']);
    const template = Template.fromStack(stack);

    // Assess
    expect(functionEnv(template).THE_TABLE).toEqual({ Ref: expect.stringMatching(/^table/) });
    const dynamodb = statements(template).filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    expect(dynamodb.map((s) => s.Action)).toEqual([['dynamodb:GetItem', 'dynamodb:PutItem']]);
    expect(statements(template)).toContainEqual(
      expect.objectContaining({
        Action: ['kms:Decrypt'],
        Condition: { StringEquals: { 'kms:ViaService': expect.anything() } },
      }),
    );
  });

  it('consumes a stream with the polling actions only and may send failed batches to its queue', () => {
    // Prepare
    const { stack, fn } = fixture();
    const stream = new Stream(stack, 'stream', { encryption: StreamEncryption.KMS });
    const failures = new Queue(stack, 'failures', { encryption: QueueEncryption.KMS });

    // Act
    fn.addStreamEventSource(stream, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      onFailure: failures,
    });
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^failures'), 'Arn'] } },
      },
    });
    const actions = statements(template).flatMap((s) => s.Action);
    expect(actions.filter((a) => a.startsWith('kinesis:')).sort()).toEqual(
      [...STREAM_POLLING_ACTIONS].sort(),
    );
    expect(actions.filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
    expect(actions.filter((a) => a.startsWith('kms:')).sort()).toEqual([
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ]);
  });

  it('keeps X-Ray\'s "*" grant in a policy of its own and any other "*" grant in the default policy', () => {
    // Prepare
    const { stack, fn } = fixture();

    // Act
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] }));
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');

    // Assess
    const starActions = Object.fromEntries(
      Object.entries(policies).map(([id, p]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        (
          p.Properties as { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } }
        ).PolicyDocument.Statement.filter((s) => s.Resource === '*').map((s) => s.Action),
      ]),
    );
    expect(starActions).toEqual({
      fnroleDefaultPolicy: ['s3:ListAllMyBuckets'],
      fnrolexraytracing: [['xray:PutTelemetryRecords', 'xray:PutTraceSegments']],
    });
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
