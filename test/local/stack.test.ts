import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../adapters/dynamodb-state-store.ts';
import type { CliIo } from '../../cli/command.ts';
import { replayCsv, resolveTarget } from '../../cli/replay-command.ts';
import type { ScoredPoint } from '../../core/detection-types.ts';
import { decodeCheckpoint } from '../../functions/detect/checkpoint.ts';
import { type Emulators, startEmulators } from '../../local/emulators.ts';
import { CPU_SPIKE_CSV, CPU_SPIKE_INCIDENT, CPU_SPIKE_ROWS } from '../../local/samples/cpu-spike.ts';
import { type LocalStack, stackInfoOf, startLocalStack } from '../../local/stack.ts';
import { writeStackInfo } from '../../local/stack-info.ts';
import { terminalControlsIn } from '../support/terminal-controls.ts';
import { processExists, waitUntil } from '../support/wait-until.ts';

const START = Date.UTC(2026, 10, 16);
const STEP_MS = 5 * 60_000;

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

describe('local stack', () => {
  let emulators: Emulators;
  let stack: LocalStack;
  let dir: string;
  let terminal: () => string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-stack-'));
    emulators = await startEmulators({ dynalite: { createTableMs: 50 } });
    const out = new PassThrough();
    terminal = collect(out);
    const run = `${process.pid}`;
    stack = await startLocalStack({
      emulators,
      streamName: `stack-events-${run}`,
      stateTable: `stack-state-${run}`,
      ledgerTable: `stack-published-${run}`,
      out,
      color: false,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await emulators?.stop();
    await rm(dir, { recursive: true, force: true });
    expect(processExists(emulators.kinesis.pid) || processExists(emulators.dynamodb.pid)).toBe(false);
  });

  it('replays the sample through the real handler: scores, DynamoDB state and the spike alert', async () => {
    // Prepare: publish the stack the way npm start does, and let replay find it.
    const stackFile = join(dir, 'local.json');
    await writeStackInfo(stackInfoOf(stack), stackFile);
    const stderr = new PassThrough();
    const io: CliIo = { stdout: new PassThrough(), stderr, stderrIsTty: false };
    const target = await resolveTarget({ stackFile });

    // Act
    const started = Date.now();
    const summary = await replayCsv({ file: CPU_SPIKE_CSV, series: 'demo' }, target, io);
    target.client.destroy();
    await waitUntil(
      'the spike alert',
      () => stack.alerts.transitions.some((t) => t.kind === 'opened'),
      30_000,
    );
    const alertAfterMs = Date.now() - started;
    await waitUntil('every point scored', () => stack.scores.query('demo').length === CPU_SPIKE_ROWS);

    // Assess
    expect(summary).toMatchObject({ rows: CPU_SPIKE_ROWS, sent: CPU_SPIKE_ROWS, badRows: 0 });
    expect(alertAfterMs).toBeLessThan(30_000);
    const opened = stack.alerts.transitions.filter((t) => t.kind === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ series: 'demo', startedAt: START + CPU_SPIKE_INCIDENT.from * STEP_MS });
    // Published through the real SNS publisher: the message a subscriber gets, with its id and summary.
    expect(opened[0]?.id).toBe(`${opened[0]?.episodeId}#opened`);
    expect(opened[0]?.summary).toContain('demo');
    expect(terminal()).toMatch(/OPENED {4}demo at 2026-11-22T14:20:00Z: value 92\.61/);

    // The checkpoint is saved before its scores are written; both are done once the last point is stored.
    const stateStore = new DynamoDbStateStore(stack.dynamodb, { tableName: stack.stateTable });
    const storedCount = async () => {
      const stored = await stateStore.load(['demo']);
      const state = stored.get('demo')?.state;
      return state === undefined ? 0 : decodeCheckpoint(state, 'demo').state.features.count;
    };
    await waitUntil('the last checkpoint', async () => (await storedCount()) === CPU_SPIKE_ROWS);
    expect(await storedCount()).toBe(CPU_SPIKE_ROWS);
    const ledger = await stack.dynamodb.send(new ScanCommand({ TableName: stack.ledgerTable }));
    expect(ledger.Items?.map((i) => [i.id?.S, i.status?.S])).toContainEqual([
      `${opened[0]?.episodeId}#opened`,
      'sent',
    ]);
    expect(stack.deadLetters.entries).toEqual([]);
    expect(stack.failedBatches).toEqual([]);
  });

  it('prints a hostile partition key and reason escaped, one line per dead letter', async () => {
    // Prepare: clear the screen, retitle the window, forge an alert line, reverse the text after it.
    const hostile = 'k\x1b[2J\x1b]0;pwned\x07\r\n▲ OPENED    prod\u009b31m\u202Eevil';
    const before = stack.deadLetters.entries.length;

    // Act
    await stack.kinesis.send(
      new PutRecordCommand({
        StreamName: stack.streamName,
        PartitionKey: hostile,
        Data: new TextEncoder().encode(`{"series": "${hostile.slice(0, 4)}\u0007", "oops`),
      }),
    );
    await waitUntil('the dead letter', () => stack.deadLetters.entries.length > before);

    // Assess
    expect(stack.deadLetters.entries.at(-1)?.partitionKey).toBe(hostile);
    const printed = terminal();
    expect(terminalControlsIn(printed).filter((c) => c !== 'U+000A')).toEqual([]);
    const line = printed.split('\n').find((l) => l.startsWith('dead letter'));
    expect(line).toContain(
      '(partition key k\\x1b[2J\\x1b]0;pwned\\x07\\r\\n▲ OPENED    prod\\x9b31m\\u202eevil)',
    );
  });

  it('serves health, series, scores by time range and alerts over HTTP', async () => {
    // Prepare
    const from = new Date(START + CPU_SPIKE_INCIDENT.from * STEP_MS).toISOString();
    const to = START + CPU_SPIKE_INCIDENT.to * STEP_MS;

    // Act
    const get = async (path: string) => {
      const response = await fetch(`${stack.httpUrl}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const health = await get('/health');
    const series = await get('/v1/series');
    const scores = await get(`/v1/series/demo/scores?from=${from}&to=${to}`);
    const alerts = await get('/v1/alerts');
    const unknown = await get('/v1/series/nope/scores');
    const bad = await get('/v1/series/demo/scores?from=yesterday');

    // Assess
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', streamName: stack.streamName } });
    expect(series.body).toEqual({ series: [{ name: 'demo', channels: ['value'] }] });
    const points = scores.body.points as ScoredPoint[];
    expect(points).toHaveLength(CPU_SPIKE_INCIDENT.to - CPU_SPIKE_INCIDENT.from);
    expect(points.every((p) => p.anomalous)).toBe(true);
    expect((alerts.body.alerts as unknown[]).length).toBeGreaterThanOrEqual(1);
    expect(unknown.status).toBe(404);
    expect(bad).toMatchObject({ status: 400, body: { error: expect.stringContaining('"from"') } });
  });
});
