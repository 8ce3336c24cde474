import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { timerId } from '../../core/alerting/incident-core.ts';
import { createSilence, type Silence, silenceReminderTimer } from '../../core/alerting/silences.ts';
import { inRecurrence } from '../../core/alerting/time-intervals.ts';
import { memoryIo } from './support.ts';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;

async function run(...argv: string[]) {
  const { io, stdout, stderr } = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

function stored(silence: Silence) {
  return {
    kind: { S: 'silence' },
    id: { S: silence.id },
    body: { S: JSON.stringify(silence) },
    endsAt: { N: String(silence.endsAt) },
  };
}

function silence(fields: Partial<Silence> = {}): Silence {
  return {
    ...createSilence(
      {
        matchers: [{ name: 'series', op: '=', value: 'checkout/latency' }],
        startsAt: NOW - HOUR,
        endsAt: NOW + HOUR,
        author: 'ana',
        comment: 'deploy',
      },
      NOW - HOUR,
    ),
    ...fields,
  };
}

describe('seismo silences against a deployed control table', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const scheduler = mockClient(SchedulerClient);

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    vi.stubEnv('SEISMO_ALERT_CONTROL_TABLE', 'prod-control');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
  });
  afterEach(() => {
    dynamodb.reset();
    scheduler.reset();
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });
  afterAll(() => {
    dynamodb.restore();
    scheduler.restore();
  });

  it('create stores the silence with its matchers, author and comment', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    const r = await run(
      'silences',
      'create',
      'series="checkout/latency"',
      'team=~"pay.*"',
      '--for',
      '2h',
      '--comment',
      'deploying checkout',
      '--author',
      'ana',
      '--json',
    );

    // Assess
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { reminderAt, ...out } = JSON.parse(r.stdout) as Silence & { reminderAt: number | null };
    // No scheduler settings in the environment: no reminder, and none promised.
    expect(reminderAt).toBeNull();
    expect(out).toMatchObject({
      matchers: [
        { name: 'series', op: '=', value: 'checkout/latency' },
        { name: 'team', op: '=~', value: 'pay.*' },
      ],
      startsAt: NOW,
      endsAt: NOW + 2 * HOUR,
      author: 'ana',
      comment: 'deploying checkout',
    });
    expect(dynamodb).toReceiveCommandTimes(PutItemCommand, 1);
    const input = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input?.TableName).toBe('prod-control');
    expect(input?.Item?.kind).toEqual({ S: 'silence' });
    expect(input?.Item?.id).toEqual({ S: out.id });
    expect(JSON.parse(input?.Item?.body?.S ?? '')).toEqual(out);
  });

  it('create with a window stores a recurring silence that holds only inside it, on the zone wall clock', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    const r = await run(
      'silences',
      'create',
      'service="db"',
      '--until',
      '2027-06-01T00:00:00Z',
      '--weekdays',
      'sunday',
      '--times-of-day',
      '01:00-04:00',
      '--time-zone',
      'America/New_York',
      '--comment',
      'weekly maintenance',
      '--author',
      'ops',
      '--json',
    );

    // Assess
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Silence;
    if (!out.recurrence) throw new Error('no recurrence stored');
    expect(out.recurrence.timeZone).toBe('America/New_York');
    // Sunday 2026-12-06 02:00 New York (UTC-5) is inside; the same Sunday 05:00 is not.
    expect(inRecurrence(out.recurrence, Date.parse('2026-12-06T07:00:00Z'))).toBe(true);
    expect(inRecurrence(out.recurrence, Date.parse('2026-12-06T10:00:00Z'))).toBe(false);
    const body = JSON.parse(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.body?.S ?? '');
    expect(body.recurrence).toEqual(out.recurrence);
  });

  it('a wrong command line exits 2 and writes nothing', async () => {
    // Act
    const results = await Promise.all([
      run('silences', 'create', '--for', '1h', '--comment', 'x'),
      run('silences', 'create', 'series="a', '--for', '1h', '--comment', 'x'),
      run('silences', 'create', 'series="a"', '--for', '1h'),
      run('silences', 'create', 'series="a"', '--comment', 'x'),
      run('silences', 'create', 'series="a"', '--for', 'soon', '--comment', 'x'),
      run('silences', 'create', 'series="a"', '--for', '1h', '--comment', 'x', '--weekdays', 'funday'),
      run('silences', 'create', 'series="a"', '--for', '1h', '--comment', 'x', '--times-of-day', '9-5'),
      run('silences', 'frobnicate'),
      run('silences', 'expire'),
      run('silences', 'list', '--table', 't', '--local'),
    ]);

    // Assess
    expect(results.map((r) => r.code)).toEqual(Array(results.length).fill(2));
    expect(results[1]?.stderr).toMatch(/matcher series="a:/);
    expect(results[5]?.stderr).toMatch(/--weekdays: "funday" is not a weekday/);
    expect(dynamodb).not.toReceiveCommand(PutItemCommand);
  });

  it('refuses (exit 1) a silence that would mute everything or has already ended', async () => {
    // Act
    const everything = await run('silences', 'create', 'series=~".*"', '--for', '1h', '--comment', 'x');
    const past = await run(
      'silences',
      'create',
      'series="a"',
      '--start',
      '2026-11-01T00:00:00Z',
      '--for',
      '1h',
      '--comment',
      'x',
    );

    // Assess
    expect(everything.code).toBe(1);
    expect(everything.stderr).toMatch(/would silence every episode/);
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/would have ended/);
    expect(dynamodb).not.toReceiveCommand(PutItemCommand);
  });

  it('list shows current and future silences, and --all the ended ones too', async () => {
    // Prepare
    const active = silence();
    const ended = silence({ id: 'sil-ended', endsAt: NOW - 1 });
    const future = silence({ id: 'sil-future', startsAt: NOW + HOUR, endsAt: NOW + 2 * HOUR });
    dynamodb.on(QueryCommand).resolves({ Items: [ended, future, active].map(stored) });

    // Act
    const current = await run('silences', 'list');
    const all = await run('silences', 'list', '--all', '--json');

    // Assess
    expect(current.code).toBe(0);
    expect(current.stdout).toContain('2 current or future silences in table prod-control (eu-west-1)');
    expect(current.stdout).toContain(`${active.id}  active  series="checkout/latency"`);
    expect(current.stdout).toContain('sil-future  pending');
    expect(current.stdout).not.toContain('sil-ended');
    expect(current.stdout).toContain('by ana: deploy');
    const listed = JSON.parse(all.stdout) as (Silence & { state: string })[];
    // By start, then id: the ended and the active one start together.
    expect(listed.map((s) => [s.id, s.state])).toEqual([
      [active.id, 'active'],
      ['sil-ended', 'ended'],
      ['sil-future', 'pending'],
    ]);
    expect(dynamodb).toReceiveCommandWith(QueryCommand, {
      TableName: 'prod-control',
      ExpressionAttributeValues: { ':kind': { S: 'silence' } },
    });
  });

  it('expire ends a silence now, says so for one already ended, and exits 1 for an unknown id', async () => {
    // Prepare
    const active = silence();
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(GetItemCommand, { Key: { kind: { S: 'silence' }, id: { S: active.id } } }).resolves({
      Item: stored(active),
    });
    dynamodb
      .on(GetItemCommand, { Key: { kind: { S: 'silence' }, id: { S: 'sil-old' } } })
      .resolves({ Item: stored(silence({ id: 'sil-old', endsAt: NOW - HOUR })) });
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    const r = await run('silences', 'expire', active.id, 'sil-old', 'sil-missing');

    // Assess
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${active.id}: expired at 2026-11-30 12:00 UTC`);
    expect(r.stdout).toContain('sil-old: already ended at 2026-11-30 11:00 UTC');
    expect(r.stdout).toContain('sil-missing: not found in table prod-control');
    expect(dynamodb).toReceiveCommandTimes(PutItemCommand, 1);
    const body = JSON.parse(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.body?.S ?? '');
    expect(body).toMatchObject({ id: active.id, endsAt: NOW, author: 'ana' });
  });

  it('with the scheduler settings, plans the reminder and stores the remindBefore it was planned with', async () => {
    // Prepare
    vi.stubEnv('SEISMO_ALERT_SCHEDULE_GROUP', 'seismo-alert-timers');
    vi.stubEnv('SEISMO_ALERT_TIMER_FUNCTION_ARN', 'arn:aws:lambda:eu-west-1:1:function:escalator');
    vi.stubEnv('SEISMO_ALERT_SCHEDULER_ROLE_ARN', 'arn:aws:iam::1:role/scheduler');
    vi.stubEnv('SEISMO_ALERT_TIMER_DEAD_LETTER_ARN', 'arn:aws:sqs:eu-west-1:1:timer-dlq');
    dynamodb.on(PutItemCommand).resolves({});
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    const r = await run(
      'silences',
      'create',
      'series="a"',
      '--for',
      '2h',
      '--remind-before',
      '30m',
      '--comment',
      'x',
      '--json',
    );

    // Assess
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Silence & { reminderAt: number };
    expect(out.remindBefore).toBe(30 * 60_000);
    expect(out.reminderAt).toBe(NOW + 90 * 60_000);
    expect(scheduler).toReceiveCommandWith(CreateScheduleCommand, {
      GroupName: 'seismo-alert-timers',
      ScheduleExpression: 'at(2026-11-30T13:30:00)',
    });
    const body = JSON.parse(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.body?.S ?? '');
    expect(body.remindBefore).toBe(30 * 60_000);
  });

  it('expire with the scheduler settings deletes the reminder still planned', async () => {
    // Prepare
    for (const [name, value] of Object.entries({
      SEISMO_ALERT_SCHEDULE_GROUP: 'seismo-alert-timers',
      SEISMO_ALERT_TIMER_FUNCTION_ARN: 'arn:f',
      SEISMO_ALERT_SCHEDULER_ROLE_ARN: 'arn:r',
      SEISMO_ALERT_TIMER_DEAD_LETTER_ARN: 'arn:q',
    }))
      vi.stubEnv(name, value);
    const active = silence({ remindBefore: 10 * 60_000 });
    dynamodb.on(GetItemCommand).resolves({ Item: stored(active) });
    dynamodb.on(PutItemCommand).resolves({});
    scheduler.on(DeleteScheduleCommand).resolves({});

    // Act
    const r = await run('silences', 'expire', active.id);

    // Assess
    expect(r.code).toBe(0);
    const reminder = silenceReminderTimer(active, 0, Number.NEGATIVE_INFINITY);
    if (!reminder) throw new Error('the fixture silence has no reminder');
    expect(scheduler).toReceiveCommandWith(DeleteScheduleCommand, {
      Name: timerId(reminder),
      GroupName: 'seismo-alert-timers',
    });
  });

  it('half the scheduler settings, or --remind-before without them, is a usage error', async () => {
    // Act
    const noScheduler = await run(
      'silences',
      'create',
      'series="a"',
      '--for',
      '2h',
      '--remind-before',
      '5m',
      '--comment',
      'x',
    );
    vi.stubEnv('SEISMO_ALERT_SCHEDULE_GROUP', 'seismo-alert-timers');
    const half = await run('silences', 'create', 'series="a"', '--for', '2h', '--comment', 'x');

    // Assess
    expect(noScheduler.code).toBe(2);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/missing SEISMO_ALERT_TIMER_FUNCTION_ARN, SEISMO_ALERT_SCHEDULER_ROLE_ARN/);
    expect(dynamodb).not.toReceiveCommand(PutItemCommand);
  });

  it('a table that does not exist is a clear error (exit 1), not a stack trace', async () => {
    // Prepare
    dynamodb
      .on(QueryCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));

    // Act
    const r = await run('silences', 'list', '--table', 'nope');

    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/table nope \(eu-west-1\) does not exist/);
  });
});
