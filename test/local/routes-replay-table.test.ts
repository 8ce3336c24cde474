import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbTransitionLog } from '../../adapters/alerting/dynamodb-transition-log.ts';
import { main } from '../../cli/main.ts';
import type { AlertTransition } from '../../core/alerting/alert-transition.ts';
import { createAlertingTables, LOCAL_ALERTING_TABLES } from '../../local/alerting-tables.ts';
import { type Emulator, localDynamoDbClient, startDynalite } from '../../local/emulators.ts';
import { writeStackInfo } from '../../local/stack-info.ts';
import { memoryIo } from '../cli/support.ts';
import { transition } from '../core/alerting/fixtures.ts';

const EXAMPLE = resolve(import.meta.dirname, '../../config/alerting.example.yaml');
const DAY = Date.UTC(2026, 10, 20, 9, 0);
const WINDOW = ['--since', '7d', '--until', '2026-11-21T00:00:00Z'];

async function run(...argv: string[]) {
  const { io, stdout, stderr } = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

/** Eight critical episodes that open a minute apart and resolve 40 minutes later, across two UTC days. */
function episodes(): AlertTransition[] {
  return Array.from({ length: 8 }, (_, i) => {
    // Half of them the day before, so the replay must read more than one day's partition.
    const start = DAY + i * 60_000 - (i % 2) * 86_400_000;
    const opened = transition({
      episodeId: `ep${i}`,
      series: `checkout/s${i}`,
      severity: 'critical',
      startedAt: start,
      lastSeenAt: start,
    });
    return [opened, { ...opened, kind: 'resolved' as const, lastSeenAt: start + 40 * 60_000 }];
  }).flat();
}

/** The report without its first line, which names the source. */
function report(stdout: string): string {
  return stdout.split('\n').slice(1).join('\n');
}

describe('seismo routes replay from the transitions table (dynalite, local stack)', () => {
  let dynalite: Emulator;
  let client: DynamoDBClient;
  let dir: string;

  beforeAll(async () => {
    dynalite = await startDynalite({ createTableMs: 0 });
    client = localDynamoDbClient(dynalite.endpoint);
    await createAlertingTables(client);
    const log = new DynamoDbTransitionLog(client, { tableName: LOCAL_ALERTING_TABLES.transitions });
    // A repeated delivery is recorded once, as the router's log keys it: the replay must not see it twice.
    for (const t of [...episodes(), ...episodes()]) await log.record(t, t.lastSeenAt);
    // Outside the window: a month before.
    const old = DAY - 30 * 86_400_000;
    await log.record(transition({ episodeId: 'old', startedAt: old, lastSeenAt: old }), old);
    dir = await mkdtemp(join(tmpdir(), 'seismo-replay-table-'));
    await writeFile(
      join(dir, 'episodes.jsonl'),
      `${episodes()
        .map((t) => JSON.stringify(t))
        .join('\n')}\n`,
    );
    await writeStackInfo(
      {
        version: 1,
        pid: process.pid,
        region: 'us-east-1',
        kinesisEndpoint: 'http://127.0.0.1:1',
        streamName: 'unused',
        dynamodbEndpoint: dynalite.endpoint,
        httpUrl: 'http://127.0.0.1:1',
        startedAt: new Date().toISOString(),
        emulatorPids: { kinesis: 0, dynamodb: 0 },
        alerting: { ackUrl: 'http://127.0.0.1:1/', tables: LOCAL_ALERTING_TABLES },
      },
      join(dir, 'local.json'),
    );
  });
  afterEach(() => vi.unstubAllEnvs());
  afterAll(async () => {
    client?.destroy();
    await dynalite?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('replays the stored window exactly as the same transitions from a file', async () => {
    // Prepare
    vi.stubEnv('SEISMO_STACK_FILE', join(dir, 'local.json'));
    vi.stubEnv('SEISMO_ALERT_TRANSITIONS_TABLE', '');

    // Act
    const fromTable = await run('routes', 'replay', '--config', EXAMPLE, ...WINDOW);
    const fromFile = await run(
      'routes',
      'replay',
      '--config',
      EXAMPLE,
      '--from-file',
      join(dir, 'episodes.jsonl'),
      ...WINDOW,
    );

    // Assess
    expect(fromTable.stderr).toBe('');
    expect(fromTable.code).toBe(0);
    expect(fromTable.stdout.split('\n')[0]).toBe(
      `config ${EXAMPLE}, episodes from local table ${LOCAL_ALERTING_TABLES.transitions} at ${dynalite.endpoint}`,
    );
    expect(fromTable.stdout).toContain(
      'replayed 16 transitions of 8 episodes from 2026-11-14 00:00 UTC to 2026-11-21 00:00 UTC',
    );
    expect(report(fromTable.stdout)).toBe(report(fromFile.stdout));
  });
});

describe('seismo routes replay from a deployed transitions table', () => {
  // Mocking the class patches every DynamoDBClient: made here, not at collection, so dynalite's is real above.
  let dynamodb: AwsClientStub<DynamoDBClient>;
  beforeAll(() => {
    dynamodb = mockClient(DynamoDBClient);
  });

  afterEach(() => {
    dynamodb.reset();
    vi.unstubAllEnvs();
  });
  afterAll(() => dynamodb.restore());

  it('queries each UTC day of the window and reports unreadable items without stopping', async () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    const t = transition({ severity: 'critical', startedAt: DAY, lastSeenAt: DAY });
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':day': { S: '2026-11-20' } } }, false)
      .resolves({
        Items: [
          { day: { S: '2026-11-20' }, id: { S: 'a' }, body: { S: JSON.stringify(t) } },
          { day: { S: '2026-11-20' }, id: { S: 'b' }, body: { S: '{"kind":"opened"}' } },
        ],
      });

    // Act
    const r = await run('routes', 'replay', '--config', EXAMPLE, '--table', 'prod-transitions', ...WINDOW);

    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('episodes from table prod-transitions (eu-west-1)');
    expect(r.stdout).toContain('replayed 1 transitions of 1 episodes');
    expect(r.stderr).toContain('prod-transitions 2026-11-20/b: not an episode transition');
    expect(dynamodb).toReceiveCommandTimes(QueryCommand, 7);
    expect(dynamodb).not.toReceiveCommand(PutItemCommand);
    const days = dynamodb
      .commandCalls(QueryCommand)
      .map((c) => c.args[0].input.ExpressionAttributeValues?.[':day']?.S);
    expect(days).toEqual([
      '2026-11-14',
      '2026-11-15',
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
    ]);
  });
});
