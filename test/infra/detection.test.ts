import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionEnv, INFLUX_CONTEXT, logicalIds, synthSeismo } from './support.ts';

const ref = (prefix: string) => ({ Ref: Match.stringLikeRegexp(`^${prefix}`) });
const arnOf = (prefix: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}`), 'Arn'] });

describe('SeismoDetection', () => {
  const { template } = synthSeismo();

  it('runs the detector on Node 22, arm64, traced, with the onnxruntime layer', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
      Layers: [ref('onnxruntimelayer')],
      MemorySize: 1769,
      LoggingConfig: { LogGroup: ref('detectiondetectlogs') },
    });
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['arm64'],
      CompatibleRuntimes: ['nodejs22.x'],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('sets every environment variable the detector reads (Timestream backend)', () => {
    // Act
    const env = functionEnv(template, 'detectiondetect');

    // Assess
    expect(env).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'seismo-detect',
      POWERTOOLS_METRICS_NAMESPACE: 'Seismo',
      MODEL_DIR: '/opt/models/default',
      TIMESERIES_BACKEND: 'timestream',
      STATE_TABLE: { Ref: expect.stringMatching(/^storagestate/) },
      PUBLISHED_TABLE: { Ref: expect.stringMatching(/^storagepublished/) },
      ALERTS_TOPIC_ARN: { Ref: expect.stringMatching(/^alertinganomalies/) },
      DLQ_URL: { Ref: expect.stringMatching(/^detectiondeadletters/) },
      TIMESTREAM_DATABASE: { Ref: expect.stringMatching(/^storagetimestreamdb/) },
      TIMESTREAM_TABLE: { 'Fn::GetAtt': [expect.stringMatching(/^storagetimestreampoints/), 'Name'] },
      // Events older than the table's magnetic retention (365 days by default) are refused at validation.
      EVENT_MAX_AGE_DAYS: '365',
      // The model registry it follows without a deploy (functions/detect/model-watcher.ts).
      LEARNING_BUCKET: { Ref: expect.stringMatching(/^retraininglearning/) },
      REGISTRY_TABLE: { Ref: expect.stringMatching(/^retrainingregistry/) },
    });
    expect(Object.keys(env).filter((k) => k.startsWith('INFLUX_') || k === 'MODEL_S3_URI')).toEqual([]);
  });

  it('consumes the stream with bounded retries, bisection, partial batch responses and an on-failure queue', () => {
    // Assess
    expect(logicalIds(template, 'AWS::Lambda::EventSourceMapping', 'detection')).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf('ingestevents'),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 64800,
      DestinationConfig: { OnFailure: { Destination: arnOf('detectionfailedbatches') } },
    });
  });

  it('encrypts both queues with KMS and denies them plain HTTP', () => {
    // Act
    const queues = template.findResources('AWS::SQS::Queue');
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    const ours = logicalIds(template, 'AWS::SQS::Queue', 'detection');

    // Assess
    expect(ours).toHaveLength(2);
    for (const id of ours) {
      expect(queues[id]?.Properties).toMatchObject({
        KmsMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^detectionqueueskey/), 'Arn'] },
        MessageRetentionPeriod: 1209600,
      });
    }
    const ourPolicies = logicalIds(template, 'AWS::SQS::QueuePolicy', 'detection');
    expect(ourPolicies).toHaveLength(2);
    for (const id of ourPolicies) {
      expect(policies[id]?.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  it('grants what the bindings promise (tables, topic, queue, Timestream, stream) with no managed policy', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
            Resource: arnOf('storagestate'),
          }),
          Match.objectLike({
            Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
            Resource: arnOf('storagepublished'),
          }),
          Match.objectLike({ Action: 'sns:Publish', Resource: ref('alertinganomalies') }),
          Match.objectLike({ Action: 'sqs:SendMessage' }),
          Match.objectLike({ Action: 'timestream:WriteRecords', Resource: arnOf('storagetimestreampoints') }),
          Match.objectLike({
            Action: Match.arrayWith(['kinesis:GetRecords']),
            Resource: arnOf('ingestevents'),
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });
});

describe('SeismoDetection with the InfluxDB backend and a model URI', () => {
  const { template } = synthSeismo({ ...INFLUX_CONTEXT, modelS3Uri: 's3://my-models/seismo/current/' });

  it('passes InfluxDB settings and the token secret instead of Timestream names', () => {
    // Act
    const env = functionEnv(template, 'detectiondetect');

    // Assess
    expect(env).toMatchObject({
      TIMESERIES_BACKEND: 'influxdb',
      INFLUX_URL: 'https://influx.example.com:8086',
      INFLUX_ORG: 'acme',
      INFLUX_BUCKET: 'seismo',
      INFLUX_TOKEN_SECRET_ARN: { Ref: expect.stringMatching(/^storageinfluxtoken/) },
      MODEL_S3_URI: 's3://my-models/seismo/current/',
    });
    expect(env).not.toHaveProperty('TIMESTREAM_DATABASE');
    template.resourceCountIs('AWS::Timestream::Database', 0);
  });

  it('grants reading the token secret and the model objects only', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'secretsmanager:GetSecretValue',
            Resource: ref('storageinfluxtoken'),
          }),
          Match.objectLike({
            Action: 's3:GetObject',
            // Beside the registry's artifacts, which the detector follows as well.
            Resource: Match.arrayWith([
              { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-models/seismo/current/*']] },
            ]),
          }),
        ]),
      },
    });
  });
});

describe('SeismoDetection with an http:// InfluxDB for local development', () => {
  it('tells the function, which refuses http:// otherwise, that this is local development', () => {
    // Prepare
    const influx = { ...INFLUX_CONTEXT.influx, url: 'http://127.0.0.1:8086' };

    // Act
    const local = functionEnv(
      synthSeismo({ ...INFLUX_CONTEXT, influx, allowInsecureInflux: true }).template,
      'detectiondetect',
    );
    const deployed = functionEnv(synthSeismo(INFLUX_CONTEXT).template, 'detectiondetect');

    // Assess
    expect(local).toMatchObject({ INFLUX_URL: 'http://127.0.0.1:8086', SEISMO_ALLOW_INSECURE_INFLUX: '1' });
    expect(deployed).not.toHaveProperty('SEISMO_ALLOW_INSECURE_INFLUX');
  });
});

describe('SeismoStack', () => {
  it('takes stream capacity and event-source settings from the context', () => {
    // Act
    const { template } = synthSeismo({
      streamMode: 'PROVISIONED',
      shardCount: 3,
      batchSize: 2000,
      parallelizationFactor: 4,
    });

    // Assess
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 3,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 2000,
      ParallelizationFactor: 4,
    });
  });

  it('retains stateful resources in prod and destroys them elsewhere', () => {
    // Act
    const prod = synthSeismo({ stage: 'prod' }).template;
    const dev = synthSeismo({ stage: 'dev' }).template;

    // Assess
    prod.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
    prod.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    dev.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });
});
