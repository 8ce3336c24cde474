import {
  BatchGetItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DETECTOR_DIMENSIONS } from '../../adapters/cloudwatch-watch-source.ts';
import { DEFAULT_MODEL_DIR } from '../../models/model-store.ts';

/**
 * The production entry point as Lambda runs it: environment, middy with Powertools, SDK clients and the model
 * from MODEL_DIR, with every AWS call answered by aws-sdk-client-mock.
 */
const dynamodb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const timestream = mockClient(TimestreamWriteClient);

const ENV = {
  STATE_TABLE: 'seismo-state',
  PUBLISHED_TABLE: 'seismo-published',
  ALERTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:anomalies',
  DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/seismo-dlq',
  TIMESERIES_BACKEND: 'timestream',
  TIMESTREAM_DATABASE: 'seismo',
  TIMESTREAM_TABLE: 'scores',
  MODEL_DIR: DEFAULT_MODEL_DIR,
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_METRICS_NAMESPACE: 'Seismo',
  // The test asserts on AWS calls; Powertools writes its JSON logs past the console spies.
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
const saved: Record<string, string | undefined> = {};

const context = {
  functionName: 'seismo-detect',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:seismo-detect',
  memoryLimitInMB: '1769',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/seismo-detect',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

function event(records: readonly string[]): KinesisStreamEvent {
  return {
    Records: records.map((data, i) => ({
      eventID: `shardId-000000000000:${i}`,
      eventName: 'aws:kinesis:record',
      eventSource: 'aws:kinesis',
      eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/seismo-events',
      eventVersion: '1.0',
      awsRegion: 'eu-west-1',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/detect',
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'cpu',
        sequenceNumber: String(4900 + i),
        data: Buffer.from(data).toString('base64'),
        approximateArrivalTimestamp: 1_700_000_000,
      },
    })),
  };
}

describe('detect Lambda entry point', () => {
  beforeAll(() => {
    for (const [name, value] of Object.entries(ENV)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    dynamodb.on(BatchGetItemCommand).resolves({ Responses: { [ENV.STATE_TABLE]: [] } });
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(UpdateItemCommand).resolves({});
    timestream.on(WriteRecordsCommand).resolves({ RecordsIngested: { Total: 3 } });
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [] });
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    for (const mock of [dynamodb, sns, sqs, timestream]) mock.restore();
  });

  it('wires the environment into a working handler: scores go to Timestream, bad records to SQS, state to DynamoDB', async () => {
    // Prepare
    const { handler } = await import('../../functions/detect/handler.ts');
    const records = [
      JSON.stringify({ series: 'cpu', timestamp: 1_700_000_000_000, value: 41 }),
      JSON.stringify({ series: 'cpu', timestamp: 1_700_000_060_000, value: 42 }),
      '{"series":"cpu","timestamp":',
      JSON.stringify({ series: 'mem', timestamp: 1_700_000_000_000, values: { used: 3, free: 5 } }),
    ];
    const stdout: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout.push(String(chunk));
      return true;
    });
    // Act
    const response = await handler(event(records), context).finally(() => write.mockRestore());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const written = timestream
      .commandCalls(WriteRecordsCommand)
      .flatMap((c) => c.args[0].input.Records ?? []);
    expect(written).toHaveLength(4);
    expect(timestream.commandCalls(WriteRecordsCommand)[0]?.args[0].input).toMatchObject({
      DatabaseName: 'seismo',
      TableName: 'scores',
    });
    const deadLetters = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input;
    expect(deadLetters?.QueueUrl).toBe(ENV.DLQ_URL);
    expect(JSON.parse(deadLetters?.Entries?.[0]?.MessageBody ?? '{}')).toMatchObject({
      reason: expect.stringMatching(/^malformed JSON/),
      sequenceNumber: '4902',
    });
    const saves = dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(saves.map((s) => s.Item?.pk?.S).sort()).toEqual(['cpu', 'mem\u001ffree', 'mem\u001fused']);
    expect(
      saves.every((s) => s.TableName === ENV.STATE_TABLE && s.Item?.state?.B instanceof Uint8Array),
    ).toBe(true);
    // Metrics (EMF): per model version and service, never per series (a dimension per series is a
    // CloudWatch custom metric per series, billed each month).
    const emf = stdout
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } });
    expect(emf.length).toBeGreaterThan(0);
    const dimensionSets = emf.flatMap((e) => e._aws.CloudWatchMetrics.flatMap((m) => m.Dimensions));
    // Bounded dimensions only: the model version, and a rejection's kind on the per-reason count.
    expect(new Set(dimensionSets.flat())).toEqual(new Set(['service', 'ModelVersion', 'Reason']));
    expect(dimensionSets).toContainEqual(['service', 'Reason']);
    // The retraining watch sums PointsScored and AnomaliesOpened under exactly these dimensions.
    const counts = emf
      .flatMap((e) => e._aws.CloudWatchMetrics)
      .filter((m) => (m as { Metrics?: { Name: string }[] }).Metrics?.some((x) => x.Name === 'PointsScored'));
    expect(counts.flatMap((m) => m.Dimensions).map((d) => [...d].sort())).toEqual(
      counts.map(() => [...DETECTOR_DIMENSIONS].sort()),
    );
  });
});
