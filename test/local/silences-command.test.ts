import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbControlStore } from '../../adapters/alerting/dynamodb-control-store.ts';
import { DynamoDbFeedbackStore } from '../../adapters/alerting/dynamodb-feedback-store.ts';
import { DynamoDbTransitionLog } from '../../adapters/alerting/dynamodb-transition-log.ts';
import { main } from '../../cli/main.ts';
import { isSilenced, type Silence } from '../../core/alerting/silences.ts';
import { createAlertingTables, LOCAL_ALERTING_TABLES } from '../../local/alerting-tables.ts';
import { type Emulator, localDynamoDbClient, startDynalite } from '../../local/emulators.ts';
import { writeStackInfo } from '../../local/stack-info.ts';
import { memoryIo } from '../cli/support.ts';
import { transition } from '../core/alerting/fixtures.ts';

async function run(...argv: string[]) {
  const { io, stdout, stderr } = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

/** A stack file as `npm start` writes it, naming this process (so it reads as live) and dynalite. */
async function writeStack(file: string, dynamodbEndpoint: string, alerting: boolean): Promise<void> {
  await writeStackInfo(
    {
      version: 1,
      pid: process.pid,
      region: 'us-east-1',
      kinesisEndpoint: 'http://127.0.0.1:1',
      streamName: 'unused',
      dynamodbEndpoint,
      httpUrl: 'http://127.0.0.1:1',
      startedAt: new Date().toISOString(),
      emulatorPids: { kinesis: 0, dynamodb: 0 },
      ...(alerting && { alerting: { ackUrl: 'http://127.0.0.1:1/', tables: LOCAL_ALERTING_TABLES } }),
    },
    file,
  );
}

describe('seismo silences and alerts label on the local stack (dynalite)', () => {
  let dynalite: Emulator;
  let client: DynamoDBClient;
  let dir: string;
  let stackFile: string;

  beforeAll(async () => {
    dynalite = await startDynalite({ createTableMs: 0 });
    client = localDynamoDbClient(dynalite.endpoint);
    await createAlertingTables(client);
    dir = await mkdtemp(join(tmpdir(), 'seismo-silences-'));
    stackFile = join(dir, 'local.json');
    await writeStack(stackFile, dynalite.endpoint, true);
  });
  afterEach(() => vi.unstubAllEnvs());
  afterAll(async () => {
    client?.destroy();
    await dynalite?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates a silence the router then honours, lists it and expires it', async () => {
    // Prepare
    vi.stubEnv('SEISMO_STACK_FILE', stackFile);
    vi.stubEnv('SEISMO_ALERT_CONTROL_TABLE', '');
    const store = new DynamoDbControlStore(client, { tableName: LOCAL_ALERTING_TABLES.control });
    const labels = { series: 'checkout/latency', channel: 'value', severity: 'critical', kind: 'opened' };

    // Act
    const created = await run(
      'silences',
      'create',
      'series="checkout/latency"',
      '--for',
      '1h',
      '--comment',
      'deploy',
      '--author',
      'ana',
      '--json',
    );
    const silence = JSON.parse(created.stdout) as Silence;
    const silencedAfterCreate = isSilenced(await store.silences(), labels, Date.now());
    const listed = await run('silences', 'list');
    const expired = await run('silences', 'expire', silence.id);
    const silencedAfterExpire = isSilenced(await store.silences(), labels, Date.now() + 1);
    const listedAfter = await run('silences', 'list', '--json');

    // Assess
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(silencedAfterCreate).toBe(true);
    expect(listed.stdout).toContain(
      `1 current or future silences in local table ${LOCAL_ALERTING_TABLES.control} at ${dynalite.endpoint}`,
    );
    expect(listed.stdout).toContain(`${silence.id}  active  series="checkout/latency"`);
    expect(expired.code).toBe(0);
    expect(expired.stdout).toMatch(new RegExp(`^${silence.id}: expired at `));
    expect(silencedAfterExpire).toBe(false);
    expect(JSON.parse(listedAfter.stdout)).toEqual([]);
  });

  it('alerts label stores a feedback label the store reads back, for an episode the router recorded', async () => {
    // Prepare
    vi.stubEnv('SEISMO_STACK_FILE', stackFile);
    for (const kind of ['TRANSITIONS', 'FEEDBACK', 'CONTROL']) vi.stubEnv(`SEISMO_ALERT_${kind}_TABLE`, '');
    const started = Date.now() - 3_600_000;
    const opened = transition({ episodeId: 'ep-local', startedAt: started, lastSeenAt: started });
    const log = new DynamoDbTransitionLog(client, { tableName: LOCAL_ALERTING_TABLES.transitions });
    await log.record(opened, started);
    await log.record({ ...opened, kind: 'resolved', lastSeenAt: started + 60_000 }, started + 60_000);
    const feedback = new DynamoDbFeedbackStore(client, { tableName: LOCAL_ALERTING_TABLES.feedback });
    const store = new DynamoDbControlStore(client, { tableName: LOCAL_ALERTING_TABLES.control });

    // Act
    const r = await run(
      'alerts',
      'label',
      'ep-local',
      '--not-anomaly',
      '--silence-for-a-day',
      '--who',
      'ana',
    );

    // Assess
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await feedback.list('ep-local')).toEqual([
      expect.objectContaining({
        episodeId: 'ep-local',
        who: 'ana',
        series: opened.series,
        from: started,
        to: started + 60_000,
        via: 'cli',
        silenceForADay: true,
      }),
    ]);
    const labels = { series: opened.series, channel: opened.channel, severity: 'warning', kind: 'opened' };
    expect(isSilenced(await store.silences(), labels, Date.now())).toBe(true);
  });

  it('says so (exit 1) when no stack runs, or the stack runs without the alert path', async () => {
    // Prepare
    const noAlerting = join(dir, 'no-alerting.json');
    await writeStack(noAlerting, dynalite.endpoint, false);
    vi.stubEnv('SEISMO_ALERT_CONTROL_TABLE', '');

    // Act
    vi.stubEnv('SEISMO_STACK_FILE', join(dir, 'absent.json'));
    const absent = await run('silences', 'list');
    vi.stubEnv('SEISMO_STACK_FILE', noAlerting);
    const without = await run('silences', 'list');

    // Assess
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(
      /no local stack is running .* or name the deployed table with --table NAME/,
    );
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/runs without the alert path/);
  });
});
