import { describe, expect, it } from 'vitest';
import { pageQuery } from '../../../core/poller/poll-query.ts';
import { PollerConfigError, parsePollerSource } from '../../../core/poller/poller-config.ts';

const base = {
  name: 'orders',
  table: 'shop.order_metrics',
  idColumn: 'id',
  timestampColumn: 'created_at',
  seriesColumn: 'store',
  valueColumns: ['total'],
};

describe('parsePollerSource', () => {
  it('fills the defaults: timestamp column, no dimensions, a minute of delay, pages of 1,000', () => {
    // Act / Assess
    expect(parsePollerSource(base)).toEqual({
      ...base,
      timestampType: 'timestamp',
      dimensionColumns: [],
      delaySeconds: 60,
      pageSize: 1000,
      maxRowsPerRun: 100_000,
    });
  });

  it.each([
    [{ ...base, table: undefined }, 'table: exactly one of table and query is required'],
    [{ ...base, query: 'SELECT 1' }, 'table: exactly one of table and query is required'],
    [
      { ...base, series: 'x' },
      'series: exactly one of seriesColumn (a column per row) and series (one name for all) is required',
    ],
    [{ ...base, idColumn: 'id; DROP TABLE x' }, 'idColumn must be a plain column name'],
    [{ ...base, table: 'a.b.c' }, 'table must be "table" or "schema.table"'],
    [{ ...base, table: undefined, query: 'SELECT 1; DELETE FROM x' }, 'query must be one SELECT without ";"'],
    [{ ...base, table: undefined, query: 'DELETE FROM x' }, 'query must start with SELECT or WITH'],
    [{ ...base, valueColumns: [] }, 'valueColumns must name at least one column'],
    [
      { ...base, dimensionColumns: ['total'] },
      'dimensionColumns: "total" is also an id, timestamp or value column',
    ],
    [{ ...base, delaySeconds: -1 }, 'delaySeconds'],
    [{ ...base, password: 'x' }, 'unknown field(s) password'],
  ])('refuses %j naming the field and rule', (input, message) => {
    // Act / Assess
    expect(() => parsePollerSource(input)).toThrow(PollerConfigError);
    expect(() => parsePollerSource(input)).toThrow(message);
  });
});

describe('pageQuery', () => {
  it('quotes identifiers, parameterizes values and compares (timestamp, id) after the watermark', () => {
    // Act
    const first = pageQuery(parsePollerSource({ ...base, dimensionColumns: ['region'] }), undefined, 500);
    const next = pageQuery(parsePollerSource(base), { ts: '2026-01-01 00:00:00.5+00', id: '42' }, 500);

    // Assess
    expect(first.text).toBe(
      'SELECT src."id"::text AS __seismo_id, src."created_at"::text AS __seismo_ts, ' +
        '(extract(epoch from src."created_at") * 1000)::float8 AS __seismo_ms, src."store", src."total", src."region" ' +
        'FROM "shop"."order_metrics" AS src WHERE src."created_at" <= now() - make_interval(secs => $1) ' +
        'ORDER BY src."created_at", src."id" LIMIT $2',
    );
    expect(first.values).toEqual([60, 500]);
    expect(next.text).toContain('AND (src."created_at", src."id") > ($3, $4) ORDER BY');
    expect(next.values).toEqual([60, 500, '2026-01-01 00:00:00.5+00', '42']);
  });

  it('wraps a query and bounds epoch columns by the database clock', () => {
    // Act
    const q = pageQuery(
      parsePollerSource({
        ...base,
        table: undefined,
        query: 'SELECT * FROM readings JOIN sensors USING (sensor_id)',
        timestampType: 'epoch_s',
      }),
      undefined,
      10,
    );

    // Assess
    expect(q.text).toContain('FROM (SELECT * FROM readings JOIN sensors USING (sensor_id)) AS src');
    expect(q.text).toContain('src."created_at" <= (extract(epoch from now()) - $1)');
    expect(q.text).toContain('(src."created_at" * 1000)::float8 AS __seismo_ms');
  });
});
