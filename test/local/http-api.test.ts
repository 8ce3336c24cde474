import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTimeSeriesStore } from '../../adapters/memory-stores.ts';
import { type HttpApi, startHttpApi } from '../../local/http-api.ts';
import { point } from '../adapters/fixtures.ts';

/** A raw HTTP/1.1 exchange over a socket: fetch would normalise or refuse the very targets under test. */
interface RawResponse {
  readonly status: number | 'no answer';
  readonly body: string;
}

/** Sends `head` (request line and headers, CRLF-separated, no final blank line) and reads until close. */
function raw(api: HttpApi, head: string): Promise<RawResponse> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1];
      resolve({
        status: status ? Number(status) : 'no answer',
        body: text.slice(text.indexOf('\r\n\r\n') + 4),
      });
    };
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', done);
    socket.once('error', () => {});
    socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
  });
}

const get = (api: HttpApi, target: string) => raw(api, `GET ${target} HTTP/1.1`);

describe('local HTTP endpoint', () => {
  let api: HttpApi;

  beforeAll(async () => {
    const scores = new MemoryTimeSeriesStore();
    await scores.write([point({ series: 'demo', timestamp: 1_000 })]);
    api = await startHttpApi({ scores, alerts: () => [], health: () => ({}) });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers its routes, with a percent-encoded series name', async () => {
    // Act
    const health = await get(api, '/health');
    const scores = await get(api, '/v1/series/%64emo/scores?from=0');
    const unknown = await get(api, '/v1/series/nope/scores');

    // Assess
    expect(health.status).toBe(200);
    expect(scores.status).toBe(200);
    expect(JSON.parse(scores.body)).toMatchObject({ series: 'demo', points: [{ timestamp: 1_000 }] });
    expect(unknown.status).toBe(404);
  });

  it.each([
    ['an empty path segment', '//'],
    ['an authority where the path should be', '//evil.example/v1/series'],
    ['an empty segment inside the path', '/v1//series'],
    ['a truncated UTF-8 percent-encoding', '/v1/series/%E0%A4%A/scores'],
    ['a percent sign without hex digits', '/v1/series/%zz/scores'],
    ['an encoded byte that is not UTF-8', '/v1/series/%FF/scores'],
    ['the asterisk form', '*'],
    ['an absolute URL that is not one', 'http://[::1/health'],
  ])('answers 400 to %s (%s) and keeps serving', async (_what, target) => {
    // Act
    const bad = await get(api, target);
    const after = await get(api, '/health');

    // Assess
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/request target|percent-encod/);
    expect(after.status).toBe(200);
  });

  it.each([
    ['a NUL byte in the target', 'GET /v1/\0series HTTP/1.1'],
    ['a path without a leading slash', 'GET v1/series HTTP/1.1'],
    ['an unknown HTTP version', 'GET /health HTTP/7.1'],
    ['a control character in the method', 'G\x01T /health HTTP/1.1'],
    ['a space inside the target', 'GET /v1/ser ies HTTP/1.1'],
    ['a 100 KB path', `GET /${'a'.repeat(100_000)} HTTP/1.1`],
  ])('leaves %s to Node, which refuses it with a 4xx, and keeps serving', async (_what, head) => {
    // Act
    const bad = await raw(api, head);
    const after = await get(api, '/health');

    // Assess
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    expect(after.status).toBe(200);
  });

  it('takes an absolute-form target by its path, as RFC 9112 asks of a server', async () => {
    // Act
    const response = await get(api, 'http://127.0.0.1/v1/series');

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ series: [{ name: 'demo', channels: ['value'] }] });
  });
});
