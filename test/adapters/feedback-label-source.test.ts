import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbFeedbackStore } from '../../adapters/alerting/dynamodb-feedback-store.ts';
import { FeedbackTableLabelSource } from '../../adapters/alerting/feedback-label-source.ts';
import { createAlertingTables, LOCAL_ALERTING_TABLES } from '../../local/alerting-tables.ts';
import { type Emulator, localDynamoDbClient, startDynalite } from '../../local/emulators.ts';

const H = 3_600_000;

describe('FeedbackTableLabelSource', () => {
  let dynalite: Emulator;
  let client: DynamoDBClient;
  beforeAll(async () => {
    dynalite = await startDynalite({ createTableMs: 0 });
    client = localDynamoDbClient(dynalite.endpoint);
    await createAlertingTables(client);
  });
  afterAll(async () => {
    client?.destroy();
    await dynalite?.stop();
  });

  it("reads back, as retraining's labels, what the alert buttons and the command line stored", async () => {
    // Prepare: a false alarm from a button, a confirmation from the CLI, and one outside the window.
    const store = new DynamoDbFeedbackStore(client, { tableName: LOCAL_ALERTING_TABLES.feedback });
    const base = { channel: 'value', at: 5 * H, via: 'slack' };
    await store.put({ ...base, episodeId: 'e1', who: 'alice', series: 'a', from: 1 * H, to: 2 * H });
    await store.put({
      ...base,
      episodeId: 'e2',
      who: 'bob',
      series: 'b',
      from: 3 * H,
      to: 4 * H,
      via: 'cli',
      verdict: 'anomaly',
    });
    await store.put({ ...base, episodeId: 'e3', who: 'carol', series: 'c', from: 20 * H, to: 21 * H });

    // Act
    const labels = await new FeedbackTableLabelSource(client, LOCAL_ALERTING_TABLES.feedback).labels(
      0,
      10 * H,
    );

    // Assess
    expect(labels.sort((x, y) => x.from - y.from)).toEqual([
      {
        episodeId: 'e1',
        who: 'alice',
        series: 'a',
        channel: 'value',
        from: H,
        to: 2 * H,
        at: 5 * H,
        verdict: 'not-anomaly',
      },
      {
        episodeId: 'e2',
        who: 'bob',
        series: 'b',
        channel: 'value',
        from: 3 * H,
        to: 4 * H,
        at: 5 * H,
        verdict: 'anomaly',
      },
    ]);
  });

  it('follows every page of the scan and skips items that carry no verdict it knows', async () => {
    // Prepare
    const mock = mockClient(DynamoDBClient);
    const item = (id: string, label: string) => ({
      episodeId: { S: id },
      who: { S: 'x' },
      series: { S: 's' },
      from: { N: '1' },
      to: { N: '2' },
      label: { S: label },
    });
    mock
      .on(ScanCommand)
      .resolvesOnce({ Items: [item('p1', 'not-an-anomaly')], LastEvaluatedKey: { episodeId: { S: 'p1' } } })
      .resolvesOnce({ Items: [item('p2', 'maybe'), item('p3', 'anomaly')] });

    // Act
    const labels = await new FeedbackTableLabelSource(new DynamoDBClient({}), 'feedback').labels(0, 10);

    // Assess
    expect(labels.map((l) => [l.episodeId, l.verdict])).toEqual([
      ['p1', 'not-anomaly'],
      ['p3', 'anomaly'],
    ]);
    const calls = mock.commandCalls(ScanCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.ExclusiveStartKey).toEqual({ episodeId: { S: 'p1' } });
    expect(calls[0]?.args[0].input.ExpressionAttributeValues).toEqual({
      ':from': { N: '0' },
      ':to': { N: '10' },
    });
    mock.restore();
  });
});
