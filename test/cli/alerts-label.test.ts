import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { utcDay } from '../../adapters/alerting/dynamodb-transition-log.ts';
import { main } from '../../cli/main.ts';
import { transition } from '../core/alerting/fixtures.ts';
import { memoryIo } from './support.ts';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const STARTED = NOW - 3 * 3_600_000;

async function run(...argv: string[]) {
  const { io, stdout, stderr } = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

describe('seismo alerts label against deployed tables', () => {
  const dynamodb = mockClient(DynamoDBClient);

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('SEISMO_ALERT_TRANSITIONS_TABLE', 'prod-transitions');
    vi.stubEnv('SEISMO_ALERT_FEEDBACK_TABLE', 'prod-feedback');
    vi.stubEnv('SEISMO_ALERT_CONTROL_TABLE', 'prod-control');
    vi.stubEnv('SEISMO_USER', 'ana');
    const opened = transition({
      episodeId: 'ep-7',
      series: 'api/errors',
      startedAt: STARTED,
      lastSeenAt: STARTED,
    });
    const resolved = { ...opened, kind: 'resolved' as const, lastSeenAt: STARTED + 600_000 };
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    dynamodb.on(QueryCommand, { ExpressionAttributeValues: { ':day': { S: utcDay(NOW) } } }, false).resolves({
      Items: [opened, resolved].map((t, i) => ({
        day: { S: utcDay(NOW) },
        id: { S: `${i}` },
        body: { S: JSON.stringify(t) },
      })),
    });
    dynamodb.on(PutItemCommand).resolves({});
  });
  afterEach(() => {
    dynamodb.reset();
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });
  afterAll(() => dynamodb.restore());

  it('stores a not-an-anomaly label with the span read from the transitions, and silences for a day', async () => {
    // Act
    const r = await run('alerts', 'label', 'ep-7', '--not-anomaly', '--silence-for-a-day', '--since', '2d');

    // Assess
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ep-7: labelled not-anomaly by ana \(api\/errors\/value, .*\) in table prod-feedback/,
    );
    expect(dynamodb).toReceiveCommandWith(PutItemCommand, {
      TableName: 'prod-feedback',
      Item: expect.objectContaining({
        episodeId: { S: 'ep-7' },
        who: { S: 'ana' },
        series: { S: 'api/errors' },
        from: { N: String(STARTED) },
        to: { N: String(STARTED + 600_000) },
        label: { S: 'not-an-anomaly' },
        via: { S: 'cli' },
        silenceForADay: { BOOL: true },
      }),
    });
    const silence = dynamodb
      .commandCalls(PutItemCommand)
      .find((c) => c.args[0].input.TableName === 'prod-control');
    expect(JSON.parse(silence?.args[0].input.Item?.body?.S ?? '{}')).toMatchObject({
      matchers: [
        { name: 'series', op: '=', value: 'api/errors' },
        { name: 'channel', op: '=', value: 'value' },
      ],
      startsAt: NOW,
      endsAt: NOW + 86_400_000,
      author: 'ana',
    });
    // Two days of the window, one Query each (plus today's partial day).
    expect(dynamodb).toReceiveCommandTimes(QueryCommand, 3);
  });

  it('stores a confirmed anomaly as label "anomaly", and silences nothing', async () => {
    // Act
    const r = await run('alerts', 'label', 'ep-7', '--anomaly', '--who', 'bo', '--json');

    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0].label).toMatchObject({ episodeId: 'ep-7', who: 'bo', verdict: 'anomaly' });
    expect(dynamodb).toReceiveCommandTimes(PutItemCommand, 1);
    expect(dynamodb).toReceiveCommandWith(PutItemCommand, {
      TableName: 'prod-feedback',
      Item: expect.objectContaining({ label: { S: 'anomaly' }, who: { S: 'bo' } }),
    });
  });

  it('labels nothing when one of the episodes is not found (exit 1)', async () => {
    // Act
    const r = await run('alerts', 'label', 'ep-7', 'ep-typo', '--not-anomaly');

    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no episode ep-typo in table prod-transitions .*nothing was labelled/);
    expect(dynamodb).not.toReceiveCommand(PutItemCommand);
  });

  it('a wrong command line exits 2', async () => {
    // Act
    const results = await Promise.all([
      run('alerts', 'label', '--not-anomaly'),
      run('alerts', 'label', 'ep-7'),
      run('alerts', 'label', 'ep-7', '--anomaly', '--not-anomaly'),
      run('alerts', 'label', 'ep-7', '--anomaly', '--silence-for-a-day'),
      run('alerts', 'label', 'ep-7', '--anomaly', '--since', 'long'),
    ]);

    // Assess
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(dynamodb).not.toReceiveCommand(PutItemCommand);
  });
});
