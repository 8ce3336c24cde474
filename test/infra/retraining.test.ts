import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_KEYS } from '../../adapters/dynamodb-registry-index.ts';
import { DRIFT_ALARM_THRESHOLD, SCORE_DRIFT_METRIC } from '../../core/learning/drift.ts';
import { loadConfig } from '../../infra/config.ts';
import { SeismoStack } from '../../infra/seismo-stack.ts';
import { allStates, resolvedDefinition } from '../support/local-state-machine.ts';
import { synthSeismo, testApp } from './support.ts';

describe('retraining construct', () => {
  let synth: ReturnType<typeof synthSeismo>;
  let states: Map<string, Record<string, unknown>>;
  beforeAll(() => {
    synth = synthSeismo();
    const definition = resolvedDefinition(synth.template);
    states = allStates(definition);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('gives every Task a Retry and a Catch', () => {
    const tasks = [...states].filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBe(13);
    for (const [name, state] of tasks) {
      expect((state.Retry as unknown[] | undefined)?.length ?? 0, `${name} has no Retry`).toBeGreaterThan(0);
      expect((state.Catch as unknown[] | undefined)?.length ?? 0, `${name} has no Catch`).toBeGreaterThan(0);
    }
  });

  it("reads people's answers on alerts from the feedback table, with Scan on it and nothing else", () => {
    // Act
    const functions = Object.values(synth.template.findResources('AWS::Lambda::Function')).map(
      (f) => (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties,
    );
    // The acknowledgement handler writes the table; the retraining steps are the one function that reads it.
    const readers = functions.filter(
      (f) =>
        f.Environment?.Variables?.FEEDBACK_TABLE !== undefined && f.Environment?.Variables?.REGISTRY_TABLE,
    );

    // Assess
    expect(readers).toHaveLength(1);
    expect(readers[0]?.Environment?.Variables).toMatchObject({
      FEEDBACK_TABLE: { Ref: expect.stringMatching(/^alertingtablesfeedback/) },
      REGISTRY_TABLE: expect.anything(),
    });
    const scans = JSON.stringify(synth.template.findResources('AWS::IAM::Policy')).match(
      /"Action":"dynamodb:Scan","Effect":"Allow","Resource":\[?\{"Fn::GetAtt":\["(\w+)"/g,
    );
    expect(scans?.map((m) => /alertingtablesfeedback/.test(m))).toEqual([true]);
  });

  it('bounds every Map and uses JSONPath only', () => {
    const maps = [...states].filter(([, s]) => s.Type === 'Map');
    expect(maps.map(([n]) => n).sort()).toEqual(['extract-features', 'train']);
    for (const [name, state] of maps) expect(state.MaxConcurrency, name).toBeGreaterThan(0);
    expect(
      Number((states.get('extract-features') as { MaxConcurrency: number }).MaxConcurrency),
    ).toBeLessThanOrEqual(10);
    for (const [name, state] of states) expect(state.QueryLanguage ?? 'JSONPath', name).toBe('JSONPath');
  });

  it('archives the stream with Firehose to gzipped JSON lines by day and hour', () => {
    synth.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'archive/day=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
        CompressionFormat: 'GZIP',
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }],
        },
      }),
    });
  });

  it('keeps the registry in one table keyed as the adapter expects, with point-in-time recovery', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: REGISTRY_KEYS.partition, KeyType: 'HASH' },
        { AttributeName: REGISTRY_KEYS.sort, KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('triggers weekly through Scheduler and on the drift alarm through EventBridge', () => {
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 ? * MON *)',
      Target: Match.objectLike({ Input: Match.stringLikeRegexp('aws.scheduler.scheduled-time') }),
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: SCORE_DRIFT_METRIC.namespace,
      MetricName: SCORE_DRIFT_METRIC.name,
      Threshold: DRIFT_ALARM_THRESHOLD,
      Dimensions: [{ Name: 'service', Value: 'seismo-detect' }],
    });
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['CloudWatch Alarm State Change'] }),
    });
  });
});

describe('grantChampionRead', () => {
  it('lets the detector read pointers and registered artifacts only, and stays cdk-nag clean', () => {
    // Act: the stack grants it (the detector's hot reload follows the registry).
    const app = testApp();
    const stack = new SeismoStack(app, 'seismo-dev', { config: loadConfig(app.node) });

    // Assess
    const template = Template.fromStack(stack);
    const detector = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      String((f.Properties as { Description?: string }).Description).startsWith('Seismo detector'),
    );
    const env = (detector as { Properties: { Environment: { Variables: Record<string, unknown> } } })
      .Properties.Environment.Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['LEARNING_BUCKET', 'REGISTRY_TABLE']));
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'dynamodb:GetItem', Resource: Match.anyValue() }),
          Match.objectLike({
            Action: 's3:GetObject',
            Resource: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['/registry/*'])]) }),
          }),
        ]),
      },
    });
    const findings = new AwsSolutionsChecks(app).validateScope(app).violations;
    expect(findings.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('retraining with the autoencoder on Fargate', () => {
  it('awaits an ECS task with Retry and Catch, and stays cdk-nag clean', () => {
    // Prepare / Act
    const { app, template } = synthSeismo({ retrainAutoencoderOnFargate: true });
    const states = allStates(resolvedDefinition(template));

    // Assess
    const fargate = states.get('train-on-fargate') as Record<string, unknown>;
    expect(fargate.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    for (const [name, state] of states) {
      if (state.Type !== 'Task') continue;
      expect((state.Retry as unknown[] | undefined)?.length ?? 0, `${name} has no Retry`).toBeGreaterThan(0);
      expect((state.Catch as unknown[] | undefined)?.length ?? 0, `${name} has no Catch`).toBeGreaterThan(0);
    }
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    expect(new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => v.ruleName)).toEqual([]);
  });
});
