import { describe, expect, it } from 'vitest';
import { InfluxLineProtocolError, toLine } from '../../adapters/influx-line-protocol.ts';
import {
  InfluxLineStore,
  type InfluxLineStoreOptions,
  InfluxWriteFailedError,
  InfluxWriteRejectedError,
  parseRetryAfter,
} from '../../adapters/influx-line-store.ts';
import { point, points, recordingBackoff } from './fixtures.ts';

interface Call {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A fetch that answers from a script of responses and records each request. */
function scriptedFetch(...responses: (Response | Error)[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({
      url: String(input),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: String(init?.body),
    });
    const next = responses.length > 1 ? responses.shift() : responses[0];
    if (!next) throw new Error('no scripted response');
    if (next instanceof Error) throw next;
    return next.clone();
  };
  return { fetch: fake as typeof fetch, calls };
}

const noContent = () => new Response(null, { status: 204 });
const v1 = { version: 1, url: 'http://influx.test:8086/', database: 'seismo' } as const;

function store(fetchImpl: typeof fetch, options: Partial<InfluxLineStoreOptions> = {}) {
  const { backoff, sleeps } = recordingBackoff(4);
  return { store: new InfluxLineStore({ target: v1, fetch: fetchImpl, backoff, ...options }), sleeps };
}

describe('toLine', () => {
  it('encodes tags sorted, fields and a millisecond timestamp', () => {
    // Act
    const line = toLine('seismo_score', point({ dimensions: { zone: 'b', az: 'a', empty: '' } }));

    // Assess
    expect(line).toBe(
      'seismo_score,az=a,series=api/latency,zone=b ' +
        'value=42.5,raw_score=0.61,probability=0.93,anomalous=true,model_version="if-2026-01-01" 1700000000000',
    );
  });

  it('escapes commas, spaces and equals signs in names and string fields', () => {
    // Act
    const line = toLine(
      'my measure,x',
      point({
        series: 'checkout, eu west',
        dimensions: { 'team name': 'a=b', 'c:\\tmp': 'x\\y' },
        modelVersion: 'v"1\\2',
        rawScore: Number.POSITIVE_INFINITY,
      }),
    );

    // Assess
    expect(line).toBe(
      String.raw`my\ measure\,x,c:\tmp=x\y,series=checkout\,\ eu\ west,team\ name=a\=b ` +
        String.raw`value=42.5,probability=0.93,anomalous=true,model_version="v\"1\\2" 1700000000000`,
    );
  });

  it.each([
    ['a trailing backslash', { tag: 'end\\' }, /backslash must not end it/],
    ['a backslash before a comma', { tag: 'a\\,b' }, /backslash/],
    ['a line break', { tag: 'two\nlines' }, /control characters/],
  ])('refuses %s with the series and the tag named', (_, dimensions, rule) => {
    // Act
    const encode = () => toLine('m', point({ series: 's1', dimensions }));

    // Assess
    expect(encode).toThrow(InfluxLineProtocolError);
    expect(encode).toThrow(rule);
    expect(encode).toThrow(/value of tag "tag" of series "s1"/);
  });
});

describe('InfluxLineStore', () => {
  it('posts to the v1 write endpoint in batches', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(noContent());
    const { store: subject } = store(fetch, { batchSize: 2 });

    // Act
    await subject.write(points(5));

    // Assess
    expect(calls.map((c) => c.body.split('\n').length)).toEqual([2, 2, 1]);
    expect(calls[0]?.url).toBe('http://influx.test:8086/write?db=seismo&precision=ms');
    expect(calls[0]?.headers.authorization).toBeUndefined();
  });

  it('posts to the v2 write endpoint with a token', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(noContent());
    const target = {
      version: 2,
      url: 'https://tsdb.test',
      org: 'acme corp',
      bucket: 'scores',
      token: 's3cret',
    } as const;
    const subject = new InfluxLineStore({ target, fetch });

    // Act
    await subject.write(points(1));

    // Assess
    expect(calls[0]?.url).toBe('https://tsdb.test/api/v2/write?org=acme+corp&bucket=scores&precision=ms');
    expect(calls[0]?.headers.authorization).toBe('Token s3cret');
  });

  it('sends v1 credentials as basic auth and the retention policy', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(noContent());
    const target = { ...v1, retentionPolicy: 'week', username: 'u', password: 'p' };
    const subject = new InfluxLineStore({ target, fetch });

    // Act
    await subject.write(points(1));

    // Assess
    expect(calls[0]?.url).toContain('&rp=week');
    expect(calls[0]?.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('retries 429 honouring Retry-After, and 5xx with backoff', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(
      new Response('{"error":"slow down"}', { status: 429, headers: { 'retry-after': '2' } }),
      new Response('{"error":"timeout"}', { status: 503 }),
      noContent(),
    );
    const { store: subject, sleeps } = store(fetch);

    // Act
    await subject.write(points(3));

    // Assess
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([2_000, 100]);
  });

  it('retries network errors and gives up with a typed error', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(new TypeError('fetch failed'));
    const { store: subject } = store(fetch);

    // Act
    const result = subject.write(points(1));

    // Assess
    await expect(result).rejects.toBeInstanceOf(InfluxWriteFailedError);
    await expect(result).rejects.toThrow(/after 4 attempt\(s\): fetch failed/);
    expect(calls).toHaveLength(4);
  });

  it('isolates the lines InfluxDB refuses by halving the request, and stores the rest', async () => {
    // Prepare: a fetch that refuses (400) any request holding the line of timestamp ...2000
    const calls: string[] = [];
    const fetch = (async (_url: string, init?: RequestInit) => {
      const body = String(init?.body);
      calls.push(body);
      return body.includes(' 1700000002000')
        ? new Response('{"error":"partial write: field type conflict"}', { status: 400 })
        : new Response(null, { status: 204 });
    }) as typeof globalThis.fetch;
    const { store: subject } = store(fetch);
    const batch = points(5);

    // Act
    const { rejected } = await subject.write(batch);

    // Assess
    expect(rejected).toEqual([
      {
        point: batch[2],
        reason: expect.stringMatching(/rejected a write of 1 line\(s\) with 400: partial write/),
      },
    ]);
    const stored = calls.filter((c) => !c.includes(' 1700000002000')).flatMap((c) => c.split('\n'));
    expect(new Set(stored)).toEqual(
      new Set([0, 1, 3, 4].map((i) => toLine('seismo_score', batch[i] as never))),
    );
  });

  it('throws on a refusal that concerns every point (401), without retrying or splitting', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(new Response('{"error":"authorization failed"}', { status: 401 }));
    const { store: subject } = store(fetch);

    // Act
    const result = subject.write(points(2));

    // Assess
    await expect(result).rejects.toBeInstanceOf(InfluxWriteRejectedError);
    await expect(result).rejects.toMatchObject({
      status: 401,
      serverMessage: 'authorization failed',
      lines: 2,
    });
    expect(calls).toHaveLength(1);
  });

  it('returns a point that cannot be encoded as rejected, and sends the others', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch(noContent());
    const { store: subject } = store(fetch);
    const bad = point({ dimensions: { bad: 'x\\' } });

    // Act
    const { rejected } = await subject.write([point(), bad]);

    // Assess
    expect(rejected).toEqual([{ point: bad, reason: expect.stringMatching(/backslash/) }]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body.split('\n')).toHaveLength(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    // Act, Assess
    expect(parseRetryAfter('1.5')).toBe(1_500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.UTC(2026, 0, 1))).toBe(10_000);
    expect(parseRetryAfter(null)).toBe(0);
    expect(parseRetryAfter('soon')).toBe(0);
  });
});
