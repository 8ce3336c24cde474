import {
  RejectedRecordsException,
  ThrottlingException,
  TimestreamWriteClient,
  TimestreamWriteServiceException,
  ValidationException,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { TimestreamStore, TimestreamWriteFailedError } from '../../adapters/timestream-store.ts';
import { point, points, recordingBackoff } from './fixtures.ts';

const client = new TimestreamWriteClient({ region: 'eu-west-1' });

function store(maxAttempts = 4) {
  const { backoff, sleeps } = recordingBackoff(maxAttempts);
  return {
    store: new TimestreamStore(client, { databaseName: 'seismo', tableName: 'scores', backoff }),
    sleeps,
  };
}

function rejected(records: { RecordIndex: number; Reason: string; ExistingVersion?: number }[]) {
  return new RejectedRecordsException({
    message: 'One or more records have been rejected.',
    $metadata: {},
    RejectedRecords: records,
  });
}

describe('TimestreamStore', () => {
  const timestream = mockClient(TimestreamWriteClient);
  afterEach(() => timestream.reset());

  it('writes multi-measure records in calls of at most 100', async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).resolves({});
    const { store: subject } = store();

    // Act
    await subject.write(points(250));

    // Assess
    expect(timestream).toHaveReceivedCommandTimes(WriteRecordsCommand, 3);
    const sizes = timestream.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input.Records?.length);
    expect(sizes).toEqual([100, 100, 50]);
    expect(timestream).toHaveReceivedNthCommandWith(WriteRecordsCommand, 1, {
      DatabaseName: 'seismo',
      TableName: 'scores',
      CommonAttributes: { MeasureName: 'score', MeasureValueType: 'MULTI', TimeUnit: 'MILLISECONDS' },
    });
  });

  it('maps a point to dimensions and measures', async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).resolves({});
    const { store: subject } = store();

    // Act
    await subject.write([
      point({ dimensions: { zone: 'b', series: 'ignored', empty: '', az: 'a' }, rawScore: Number.NaN }),
    ]);

    // Assess
    expect(timestream).toHaveReceivedCommandWith(WriteRecordsCommand, {
      Records: [
        {
          Dimensions: [
            { Name: 'series', Value: 'api/latency' },
            { Name: 'az', Value: 'a' },
            { Name: 'zone', Value: 'b' },
          ],
          Time: '1700000000000',
          MeasureValues: [
            { Name: 'value', Value: '42.5', Type: 'DOUBLE' },
            { Name: 'probability', Value: '0.93', Type: 'DOUBLE' },
            { Name: 'anomalous', Value: 'true', Type: 'BOOLEAN' },
            { Name: 'model_version', Value: 'if-2026-01-01', Type: 'VARCHAR' },
          ],
        },
      ],
    });
  });

  it('retries throttling and 5xx with growing backoff, then succeeds', async () => {
    // Prepare
    const unavailable = new TimestreamWriteServiceException({
      name: 'ServiceUnavailable',
      $fault: 'server',
      message: 'try later',
      $metadata: { httpStatusCode: 503 },
    });
    timestream
      .on(WriteRecordsCommand)
      .rejectsOnce(
        new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: {} }),
      )
      .rejectsOnce(unavailable)
      .resolves({});
    const { store: subject, sleeps } = store();

    // Act
    await subject.write(points(3));

    // Assess
    expect(timestream).toHaveReceivedCommandTimes(WriteRecordsCommand, 3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up after the bounded attempts with a typed error', async () => {
    // Prepare
    timestream
      .on(WriteRecordsCommand)
      .rejects(
        new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: {} }),
      );
    const { store: subject } = store(3);

    // Act
    const result = subject.write(points(2));

    // Assess
    await expect(result).rejects.toBeInstanceOf(TimestreamWriteFailedError);
    await expect(result).rejects.toMatchObject({ attempts: 3, table: 'seismo.scores' });
    expect(timestream).toHaveReceivedCommandTimes(WriteRecordsCommand, 3);
  });

  it('does not retry a validation error', async () => {
    // Prepare
    timestream
      .on(WriteRecordsCommand)
      .rejects(new ValidationException({ message: 'bad', Message: 'bad', $metadata: {} }));
    const { store: subject } = store();

    // Act
    const result = subject.write(points(1));

    // Assess
    await expect(result).rejects.toBeInstanceOf(ValidationException);
    expect(timestream).toHaveReceivedCommandTimes(WriteRecordsCommand, 1);
  });

  it('drops records rejected as duplicates without another call', async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).rejects(
      rejected([
        {
          RecordIndex: 0,
          Reason: 'A record with the same time, dimensions and measure name already exists',
          ExistingVersion: 1,
        },
        { RecordIndex: 2, Reason: 'The record has an older version than the one stored' },
      ]),
    );
    const { store: subject } = store();

    // Act
    await subject.write(points(3));

    // Assess
    expect(timestream).toHaveReceivedCommandTimes(WriteRecordsCommand, 1);
  });

  it('retries other rejected records once, alone', async () => {
    // Prepare
    timestream
      .on(WriteRecordsCommand)
      .rejectsOnce(
        rejected([
          { RecordIndex: 1, Reason: 'Memory store is busy' },
          { RecordIndex: 2, Reason: 'duplicate', ExistingVersion: 1 },
        ]),
      )
      .resolves({});
    const { store: subject } = store();
    const batch = points(3);

    // Act
    await subject.write(batch);

    // Assess
    expect(timestream).toHaveReceivedCommandTimes(WriteRecordsCommand, 2);
    expect(timestream).toHaveReceivedNthCommandWith(WriteRecordsCommand, 2, {
      Records: [expect.objectContaining({ Time: String(batch[1]?.timestamp) })],
    });
  });

  it('returns the records still rejected after their retry, with the reason, and stores the rest', async () => {
    // Prepare
    const reason = 'The record timestamp is outside the time range of the memory store';
    timestream
      .on(WriteRecordsCommand)
      .rejectsOnce(
        rejected([
          { RecordIndex: 0, Reason: reason },
          { RecordIndex: 1, Reason: reason },
        ]),
      )
      .rejectsOnce(rejected([{ RecordIndex: 1, Reason: reason }]));
    const { store: subject } = store();
    const batch = [point({ series: 'a', timestamp: 1 }), point({ series: 'b', timestamp: 2 })];

    // Act
    const { rejected: refused } = await subject.write(batch);

    // Assess
    expect(refused).toEqual([{ point: batch[1], reason: expect.stringContaining(reason) }]);
    expect(timestream).toHaveReceivedCommandTimes(WriteRecordsCommand, 2);
  });

  it('writes a named channel as its own dimension, so series "a/b" and series "a" channel "b" stay apart', async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).resolves({});
    const { store: subject } = store();

    // Act
    await subject.write([point({ series: 'a/b' }), point({ series: 'a', channel: 'b' })]);

    // Assess
    const records = timestream.commandCalls(WriteRecordsCommand)[0]?.args[0].input.Records ?? [];
    const identity = records.map((r) =>
      (r.Dimensions ?? []).filter((d) => d.Name === 'series' || d.Name === 'channel'),
    );
    expect(identity).toEqual([
      [{ Name: 'series', Value: 'a/b' }],
      [
        { Name: 'series', Value: 'a' },
        { Name: 'channel', Value: 'b' },
      ],
    ]);
  });

  it("refuses without a call a record whose dimensions exceed Timestream's 2 KB", async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).resolves({});
    const { store: subject } = store();
    const big = point({
      dimensions: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`d${i}`, 'v'.repeat(250)])),
    });

    // Act
    const { rejected: refused } = await subject.write([big, point()]);

    // Assess
    expect(refused).toEqual([{ point: big, reason: expect.stringMatching(/over Timestream's 2048/) }]);
    expect(timestream.commandCalls(WriteRecordsCommand)[0]?.args[0].input.Records).toHaveLength(1);
  });
});
