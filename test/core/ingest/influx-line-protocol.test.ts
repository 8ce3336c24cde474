import { Point } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { parseLineProtocol, parsePrecision } from '../../../core/ingest/influx-line-protocol.ts';

const NOW = 1_700_000_000_000;
const ns = { precision: 'ns', now: NOW } as const;

/** Parses one line and fails the test if it was refused. */
function one(line: string, options: Parameters<typeof parseLineProtocol>[1] = ns) {
  const { points, errors } = parseLineProtocol(line, options);
  expect(errors).toEqual([]);
  expect(points).toHaveLength(1);
  return points[0] as NonNullable<(typeof points)[0]>;
}

describe('parseLineProtocol against the official InfluxDB client writer', () => {
  // Names with every character the client escapes: commas, spaces, equals signs, quotes, backslashes.
  const cases: { name: string; measurement: string; tags: Record<string, string>; field: string }[] = [
    { name: 'plain', measurement: 'cpu', tags: { host: 'a' }, field: 'usage' },
    {
      name: 'spaces and commas',
      measurement: 'disk io,total',
      tags: { 'mount point': '/var, /tmp' },
      field: 'bytes read',
    },
    { name: 'equals signs', measurement: 'a=b', tags: { 'k=1': 'v=2' }, field: 'f=3' },
    {
      name: 'quotes and unicode',
      measurement: 'température"',
      tags: { ville: 'Zürich "alt"' },
      field: 'wert"',
    },
    { name: 'a lone backslash', measurement: 'c:\\temp', tags: { path: 'C:\\data\\x' }, field: 'f\\g' },
  ];

  it.each(cases)('reads back what Point writes: $name', ({ measurement, tags, field }) => {
    // Prepare
    const point = new Point(measurement).floatField(field, 1.25).timestamp('1700000000123456789');
    for (const [k, v] of Object.entries(tags)) point.tag(k, v);
    const line = point.toLineProtocol() as string;

    // Act
    const parsed = one(line);

    // Assess
    expect(parsed.measurement).toBe(measurement);
    expect(parsed.tags).toEqual(tags);
    expect(parsed.fields).toEqual({ [field]: { type: 'float', value: 1.25 } });
    expect(parsed.timestamp).toBe(1_700_000_000_123);
  });

  it('reads every field type the client writes: float, integer, unsigned, boolean, string with escapes', () => {
    // Prepare
    const line = new Point('m')
      .floatField('f', -1.5e-3)
      .intField('i', -42)
      .uintField('u', '18446744073709551615')
      .booleanField('b', false)
      .stringField('s', 'he said "hi" \\ and\nleft')
      .timestamp('1700000000000000000')
      .toLineProtocol() as string;

    // Act
    const parsed = one(line);

    // Assess
    expect(parsed.fields).toEqual({
      f: { type: 'float', value: -1.5e-3 },
      i: { type: 'integer', value: -42 },
      u: { type: 'unsigned', value: 2 ** 64 },
      b: { type: 'boolean', value: false },
      s: { type: 'string', value: 'he said "hi" \\ and\nleft' },
    });
  });

  it('keeps line numbers across a string field holding a line break', () => {
    // Prepare
    const body = [
      new Point('a').stringField('s', 'x\ny').floatField('v', 1).toLineProtocol(),
      'b v=2',
      'c v=oops',
    ].join('\n');

    // Act
    const { points, errors } = parseLineProtocol(body, ns);

    // Assess
    expect(points.map((p) => [p.measurement, p.line])).toEqual([
      ['a', 1],
      ['b', 3],
    ]);
    expect(errors).toEqual([
      { line: 4, reason: expect.stringMatching(/field "v" value "oops" is not a float/) },
    ]);
  });
});

describe('parseLineProtocol', () => {
  it('converts timestamps exactly at every precision, and uses the receive time when there is none', () => {
    // Act / Assess
    expect(one('m v=1 1700000000123456789').timestamp).toBe(1_700_000_000_123);
    expect(one('m v=1 1700000000123456', { precision: 'us', now: NOW }).timestamp).toBe(1_700_000_000_123);
    expect(one('m v=1 1700000000123', { precision: 'ms', now: NOW }).timestamp).toBe(1_700_000_000_123);
    expect(one('m v=1 1700000000', { precision: 's', now: NOW }).timestamp).toBe(1_700_000_000_000);
    expect(one('m v=1 28333333', { precision: 'm', now: NOW }).timestamp).toBe(28_333_333 * 60_000);
    expect(one('m v=1').timestamp).toBe(NOW);
    expect(one('m v=1 -1500000', ns).timestamp).toBe(-2);
  });

  it('names the precisions of both write APIs and refuses others', () => {
    // Act / Assess
    expect(['n', 'ns', 'u', 'us', 'ms', 's', 'm', 'h', null, ''].map(parsePrecision)).toEqual([
      'ns',
      'ns',
      'us',
      'us',
      'ms',
      's',
      'm',
      'h',
      'ns',
      'ns',
    ]);
    expect(parsePrecision('d')).toBeUndefined();
  });

  it('skips comments, blank lines and CRLF endings', () => {
    // Act
    const { points, errors } = parseLineProtocol('# a comment\r\n\r\nm,t=1 v=1 1\r\n  \n', ns);

    // Assess
    expect(errors).toEqual([]);
    expect(points).toEqual([
      {
        measurement: 'm',
        tags: { t: '1' },
        fields: { v: { type: 'float', value: 1 } },
        timestamp: 0,
        line: 3,
      },
    ]);
  });

  it.each([
    ['no fields', 'cpu', /missing fields/],
    ['a tag without value', 'cpu,host v=1', /tag "host" has no "=value"/],
    ['an empty tag value', 'cpu,host= v=1', /tag "host" has an empty value/],
    ['a bad integer', 'cpu v=1.5i', /is not a float, integer/],
    ['a bad timestamp', 'cpu v=1 12:00', /timestamp "12:00" is not an integer/],
    ['a field without key', 'cpu =1', /a field key is empty/],
    ['no measurement', ',t=1 v=1', /missing measurement/],
  ])('refuses %s with the line and the rule', (_name, line, rule) => {
    // Act
    const { points, errors } = parseLineProtocol(`ok v=1\n${line}\nok v=2`, ns);

    // Assess
    expect(points).toHaveLength(2);
    expect(errors).toEqual([{ line: 2, reason: expect.stringMatching(rule) }]);
  });

  it('refuses an unclosed string, which runs to the end of the body as a string with line breaks would', () => {
    // Act
    const { points, errors } = parseLineProtocol('ok v=1\ncpu v="open\nok v=2', ns);

    // Assess
    expect(points.map((p) => p.line)).toEqual([1]);
    expect(errors).toEqual([
      { line: 2, reason: expect.stringMatching(/string field "v" has no closing quote/) },
    ]);
  });
});
