import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, IAM_PREFIX } from '../../../core/ingest/api-routes.ts';
import type { LocalStack } from '../../../local/stack.ts';
import { startIngestStack } from '../../support/ingest-stack.ts';
import { waitUntil } from '../../support/wait-until.ts';

const run = promisify(execFile);

/** The fields of the API's JSON answers these tests read. */
interface Answer {
  message: string;
  accepted: number;
  events: unknown[];
  refusals: unknown[];
  paths: Record<string, object>;
}
const answerOf = async (response: Response): Promise<Answer> => (await response.json()) as Answer;
const T = Date.now() - 3_600_000;

describe('local ingestion API: POST /v1/events and bad input', () => {
  let stack: LocalStack;
  let stop: () => Promise<void>;
  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${stack.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': stack.ingest.apiKey, ...headers },
      body,
    });
  const events = (series: string, n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({
      series,
      timestamp: T + (from + i) * 60_000,
      value: 50 + Math.sin(i),
    }));

  beforeAll(async () => {
    ({ stack, stop } = await startIngestStack('events-api'));
  });
  afterAll(async () => stop?.());

  it('takes events from curl, answers per event, and they end as scored points', async () => {
    // Prepare
    const body = JSON.stringify({ events: events('curl-demo', 20) });

    // Act
    const { stdout } = await run('curl', [
      '-sS',
      '-w',
      '\n%{http_code}',
      '-H',
      'content-type: application/json',
      '-H',
      `x-api-key: ${stack.ingest.apiKey}`,
      '--data-binary',
      body,
      `${stack.httpUrl}/v1/events`,
    ]);
    const lines = stdout.trim().split('\n');
    const status = lines.pop();
    const answer = lines.join('\n');

    // Assess
    expect(status).toBe('200');
    const parsed = JSON.parse(answer as string);
    expect(parsed).toMatchObject({ accepted: 20, failed: 0 });
    expect(parsed.results).toHaveLength(20);
    expect(parsed.results[3]).toEqual({ index: 3, status: 'accepted' });
    await waitUntil('20 scored points', () => stack.scores.query('curl-demo').length === 20);
  });

  it('refuses a missing or wrong key with 403 and writes nothing', async () => {
    // Act
    const missing = await fetch(`${stack.httpUrl}/v1/events`, { method: 'POST', body: '{}' });
    const wrong = await post('/v1/events', JSON.stringify({ events: events('wrong-key', 1) }), {
      'x-api-key': 'nope',
    });

    // Assess
    expect(missing.status).toBe(403);
    expect(await answerOf(missing)).toEqual({
      message: 'Forbidden: the x-api-key header (or Authorization: Bearer <key>) is missing',
    });
    expect(wrong.status).toBe(403);
    expect(await answerOf(wrong)).toEqual({ message: 'Forbidden: invalid API key' });
  });

  it('refuses 501 events, and an event breaking the schema, naming the rule (API Gateway validator)', async () => {
    // Act
    const tooMany = await post('/v1/events', JSON.stringify({ events: events('too-many', 501) }));
    const badValue = await post(
      '/v1/events',
      JSON.stringify({ events: [{ series: 's', timestamp: T, value: 'high' }] }),
    );

    // Assess
    expect(tooMany.status).toBe(400);
    expect((await answerOf(tooMany)).message).toMatch(
      /Invalid request body: \/events must NOT have more than 500 items/,
    );
    expect(badValue.status).toBe(400);
    expect((await answerOf(badValue)).message).toMatch(
      /Invalid request body: .*\/events\/0\/value must be number/,
    );
  });

  it('refuses a 5.1 MiB body with 413 and a body that is not what its content type says with 400 or 415', async () => {
    // Prepare
    const big = JSON.stringify({
      events: [{ series: 'big', timestamp: T, value: 1, dimensions: { pad: 'x'.repeat(5.1 * 1024 * 1024) } }],
    });

    // Act
    const tooBig = await post('/v1/events', big);
    const notJson = await post('/v1/events', gzipSync('{"events":[]}'));
    const textPlain = await post('/v1/events', JSON.stringify({ events: events('t', 1) }), {
      'content-type': 'text/plain',
    });

    // Assess
    expect(tooBig.status).toBe(413);
    expect(notJson.status).toBe(400);
    expect((await answerOf(notJson)).message).toMatch(/Invalid request body: not JSON/);
    expect(textPlain.status).toBe(415);
  });

  it('leaves what only the detector can check to the detector: an impossible date passes the gateway, then is dead-lettered with the reason', async () => {
    // Act
    const response = await post(
      '/v1/events',
      JSON.stringify({ events: [{ series: 'late', timestamp: '2023-02-30T00:00:00Z', value: 1 }] }),
    );

    // Assess
    expect(response.status).toBe(200);
    await waitUntil('the dead letter', () =>
      stack.deadLetters.entries.some(
        (l) => l.partitionKey === 'late' && /cannot parse "2023-02-30T00:00:00Z"/.test(l.reason),
      ),
    );
  });

  it('refuses ?dryRun=true on the Kinesis route (nothing written) and answers it on /v1/events/dry-run', async () => {
    // Prepare
    const body = JSON.stringify({
      events: [...events('dry', 2), { series: 'dry', timestamp: 1_700_000_000, value: 1 }],
    });

    // Act
    const refused = await post('/v1/events?dryRun=true', JSON.stringify({ events: events('dry', 2) }));
    const dry = await post('/v1/events/dry-run', body);

    // Assess
    expect(refused.status).toBe(400);
    expect((await answerOf(refused)).message).toMatch(/dryRun is answered by POST \/v1\/events\/dry-run/);
    expect(dry.status).toBe(200);
    const answer = await answerOf(dry);
    expect(answer.accepted).toBe(2);
    expect(answer.events[0]).toEqual({ series: 'dry', timestamp: T, values: { value: 50 }, dimensions: {} });
    expect(answer.refusals).toEqual([
      {
        code: 'invalid-event',
        origin: 'events[2]',
        reason: 'invalid event: timestamp: looks like epoch seconds; send epoch milliseconds',
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stack.scores.query('dry')).toEqual([]);
  });

  it('serves the OpenAPI document, describing exactly the routes it serves', async () => {
    // Act
    const response = await fetch(`${stack.httpUrl}/v1/openapi.json`);
    const document = await answerOf(response);

    // Assess
    expect(response.status).toBe(200);
    const described = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const served = API_ROUTES.flatMap((r) => [
      `${r.method} ${r.path}`,
      ...(r.iam ? [`${r.method} ${IAM_PREFIX}${r.path}`] : []),
    ]);
    expect(described.sort()).toEqual(served.sort());
  });

  it('leaves the read-only routes where they were', async () => {
    // Act
    const health = await fetch(`${stack.httpUrl}/health`);
    const post405 = await fetch(`${stack.httpUrl}/v1/series`, { method: 'POST' });

    // Assess
    expect(health.status).toBe(200);
    expect(post405.status).toBe(405);
  });
});
