import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxLineStore, InfluxWriteRejectedError } from '../../adapters/influx-line-store.ts';
import { type InfluxTestServer, influxdTestsEnabled, startInfluxDb } from '../support/influxdb.ts';
import { point } from './fixtures.ts';

const database = `seismo_it_${process.pid}_${Date.now()}`;

describe.runIf(influxdTestsEnabled())('InfluxLineStore against InfluxDB 1.x', () => {
  let server: InfluxTestServer;
  beforeAll(async () => {
    server = await startInfluxDb(database);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function select(q: string) {
    const response = await server.query(q, database);
    const result = response.results[0];
    if (result?.error) throw new Error(result.error);
    return result?.series ?? [];
  }

  it('writes points that read back with their values, tags and timestamps', async () => {
    // Prepare
    const store = new InfluxLineStore({ target: { version: 1, url: server.url, database }, batchSize: 2 });
    const awkward = 'checkout, eu west=1';
    const written = [
      point({
        series: awkward,
        timestamp: 1_700_000_000_123,
        value: 1.25,
        dimensions: { 'team name': 'pay, ops' },
      }),
      point({ series: awkward, timestamp: 1_700_000_001_456, value: -3, rawScore: 1e-7, anomalous: false }),
      point({ series: 'api/latency', timestamp: 1_700_000_002_789, value: 812.5, modelVersion: 'v"2' }),
    ];

    // Act
    await store.write(written);

    // Assess
    const series = await select(
      'SELECT "value", raw_score, probability, anomalous, model_version, "team name" FROM seismo_score ' +
        'GROUP BY "series" ORDER BY time',
    );
    const bySeries = Object.fromEntries(series.map((s) => [s.tags?.series, s]));
    expect(Object.keys(bySeries).sort()).toEqual([awkward, 'api/latency'].sort());
    expect(bySeries[awkward]?.columns).toEqual([
      'time',
      'value',
      'raw_score',
      'probability',
      'anomalous',
      'model_version',
      'team name',
    ]);
    expect(bySeries[awkward]?.values).toEqual([
      [1_700_000_000_123, 1.25, 0.61, 0.93, true, 'if-2026-01-01', 'pay, ops'],
      [1_700_000_001_456, -3, 1e-7, 0.93, false, 'if-2026-01-01', null],
    ]);
    expect(bySeries['api/latency']?.values).toEqual([
      [1_700_000_002_789, 812.5, 0.61, 0.93, true, 'v"2', null],
    ]);
  });

  it('is idempotent for the same series and timestamp', async () => {
    // Prepare
    const store = new InfluxLineStore({
      target: { version: 1, url: server.url, database },
      measurement: 'idem',
    });
    const p = point({ series: 'idem', timestamp: 1_700_000_100_000 });

    // Act
    await store.write([p]);
    await store.write([p, { ...p, value: 7 }]);

    // Assess
    const series = await select('SELECT "value" FROM idem');
    expect(series[0]?.values).toEqual([[1_700_000_100_000, 7]]);
  });

  it('reports the server message when the database does not exist', async () => {
    // Prepare
    const store = new InfluxLineStore({ target: { version: 1, url: server.url, database: 'missing_db' } });

    // Act
    const result = store.write([point()]);

    // Assess
    await expect(result).rejects.toBeInstanceOf(InfluxWriteRejectedError);
    await expect(result).rejects.toMatchObject({
      status: 404,
      serverMessage: 'database not found: "missing_db"',
    });
  });
});
