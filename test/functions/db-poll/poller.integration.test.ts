import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbWatermarkStore, WATERMARK_KEY } from '../../../adapters/poller/dynamodb-watermark-store.ts';
import { clientOptions, PostgresRowSource } from '../../../adapters/poller/postgres-row-source.ts';
import type { Watermark } from '../../../core/poller/poll-query.ts';
import { pollOnce, WatermarkConflictError, type WatermarkStore } from '../../../core/poller/poll-run.ts';
import { type PollerSource, parsePollerSource } from '../../../core/poller/poller-config.ts';
import {
  type Emulator,
  localDynamoDbClient,
  localKinesisClient,
  startDynalite,
  startKinesisMock,
} from '../../../local/emulators.ts';
import { createStream, createTable } from '../../../local/stack.ts';
import { SeismoProducer } from '../../../producer/seismo-producer.ts';
import { FaultyDeadLetters } from '../../support/fault-injection.ts';
import { type PostgresTestServer, postgresTestsEnabled, startPostgres } from '../../support/postgres.ts';
import { readStream } from '../../support/stream-reader.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(postgresTestsEnabled())(
  'the database poller against PostgreSQL 15, dynalite and kinesis-mock',
  () => {
    let postgres: PostgresTestServer;
    let kinesisMock: Emulator;
    let dynalite: Emulator;
    let kinesis: KinesisClient;
    let dynamodb: DynamoDBClient;
    let db: pg.Client;
    let run = 0;

    beforeAll(async () => {
      [postgres, kinesisMock, dynalite] = await Promise.all([
        startPostgres(),
        startKinesisMock(),
        startDynalite(),
      ]);
      kinesis = localKinesisClient(kinesisMock.endpoint);
      dynamodb = localDynamoDbClient(dynalite.endpoint);
      // The poller's own session settings (UTC, statement timeout), without TLS on loopback.
      db = new pg.Client(clientOptions({ ...postgres, ssl: false }, ''));
      await db.connect();
    }, 120_000);

    afterAll(async () => {
      await db?.end();
      kinesis?.destroy();
      dynamodb?.destroy();
      await Promise.all([postgres?.stop(), kinesisMock?.stop(), dynalite?.stop()]);
    });

    /** A fresh table, stream and watermark table for one test, and the poll that reads them. */
    async function fixture(sourceOverrides: Record<string, unknown> = {}, aggregate = false) {
      const n = ++run;
      const table = `metrics_${n}`;
      await db.query(
        `CREATE TABLE ${table} (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, host text, cpu double precision, mem numeric, region text)`,
      );
      await db.query(`CREATE INDEX ON ${table} (ts, id)`);
      const streamName = `poll-${process.pid}-${n}`;
      const watermarkTable = `watermarks-${process.pid}-${n}`;
      await Promise.all([
        createStream(kinesis, streamName, 1),
        createTable(dynamodb, watermarkTable, WATERMARK_KEY),
      ]);
      const source = parsePollerSource({
        name: `src-${n}`,
        table,
        idColumn: 'id',
        timestampColumn: 'ts',
        seriesColumn: 'host',
        valueColumns: ['cpu', 'mem'],
        dimensionColumns: ['region'],
        delaySeconds: 0,
        pageSize: 3,
        ...sourceOverrides,
      });
      const watermarks = new DynamoDbWatermarkStore(dynamodb, watermarkTable);
      const deadLetters = new FaultyDeadLetters(undefined);
      const producer = new SeismoProducer({ streamName, client: kinesis, aggregate });
      const poll = (store: WatermarkStore = watermarks, over: PollerSource = source) =>
        pollOnce(over, {
          rows: new PostgresRowSource(db, over),
          watermarks: store,
          sender: producer,
          deadLetters,
        });
      const onStream = async () => (await readStream(kinesis, streamName)).events;
      return { table, source, watermarks, deadLetters, poll, onStream };
    }

    it('pages through rows sharing one timestamp across page boundaries, each exactly once, and keeps the watermark in DynamoDB', async () => {
      // Prepare: seven rows at the same microsecond between two others, pages of 3.
      const { table, source, watermarks, poll, onStream } = await fixture();
      await db.query(
        `INSERT INTO ${table} (ts, host, cpu, mem, region) VALUES ('2026-01-01 00:00:00+00', 'a', 0, 0, 'eu')`,
      );
      for (let i = 1; i <= 7; i++) {
        await db.query(
          `INSERT INTO ${table} (ts, host, cpu, mem) VALUES ('2026-01-01 00:00:01.123456+00', $1, $2, $3)`,
          [`h${i % 2}`, i, `${i}.5`],
        );
      }
      await db.query(`INSERT INTO ${table} (ts, host, cpu) VALUES ('2026-01-01 00:00:02+00', 'a', 8)`);

      // Act
      const first = await poll();
      const second = await poll();

      // Assess
      expect(first).toMatchObject({ pages: 3, rows: 9, sent: 9, deadLettered: 0, stoppedBy: 'caught-up' });
      expect(second).toMatchObject({ pages: 0, rows: 0 });
      const events = await onStream();
      expect(events.map((e) => e.values.cpu)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(events[1]).toEqual({
        series: 'h1',
        timestamp: Date.UTC(2026, 0, 1, 0, 0, 1, 123),
        values: { cpu: 1, mem: 1.5 },
        dimensions: {},
      });
      expect(events[0]?.dimensions).toEqual({ region: 'eu' });
      expect(await watermarks.get(source.name)).toEqual({ ts: '2026-01-01 00:00:02+00', id: '9' });
    });

    it('waits out the delay for a transaction that commits late with an older timestamp (and loses it without one)', async () => {
      // Prepare: transaction A takes its timestamp (now(): its start) and commits after B, which is newer.
      const delayed = await fixture({ delaySeconds: 2 });
      const undelayed = await fixture({ delaySeconds: 0 });
      const late = new pg.Client(clientOptions({ ...postgres, ssl: false }, ''));
      await late.connect();
      const insert = `INSERT INTO %t (ts, host, cpu) VALUES (now(), $1, $2)`;
      try {
        await late.query('BEGIN');
        await late.query(insert.replace('%t', delayed.table), ['late', 1]);
        await late.query(insert.replace('%t', undelayed.table), ['late', 1]);
        await sleep(300);
        await db.query(insert.replace('%t', delayed.table), ['early', 2]);
        await db.query(insert.replace('%t', undelayed.table), ['early', 2]);

        // Act: a run while A is still open, A commits (within the delay), runs after the delay has passed.
        const whileOpen = [await delayed.poll(), await undelayed.poll()];
        await late.query('COMMIT');
        await sleep(2_300);
        const after = [await delayed.poll(), await undelayed.poll()];

        // Assess
        expect(whileOpen.map((r) => r.rows)).toEqual([0, 1]);
        expect(after.map((r) => r.rows)).toEqual([2, 0]);
        expect((await delayed.onStream()).map((e) => e.series)).toEqual(['late', 'early']);
        // Without a delay the late row is behind the watermark when it becomes visible: lost. This is why
        // delaySeconds must exceed the longest time between a row's timestamp and its commit.
        expect((await undelayed.onStream()).map((e) => e.series)).toEqual(['early']);
      } finally {
        await late.end();
      }
    });

    it('after a crash between the stream write and the watermark update, re-sends that page: duplicates, never a loss', async () => {
      // Prepare: 8 rows; the second watermark update "crashes" (the events of page 2 are already on the stream).
      const { table, source, watermarks, poll, onStream } = await fixture();
      for (let i = 0; i < 8; i++) {
        await db.query(`INSERT INTO ${table} (ts, host, cpu) VALUES ($1, 'a', $2)`, [
          new Date(Date.UTC(2026, 0, 1, 0, i)),
          i,
        ]);
      }
      let advances = 0;
      const crashing: WatermarkStore = {
        get: (s) => watermarks.get(s),
        advance: async (s, from, to, rows) => {
          if (++advances === 2) throw new Error('process killed before the watermark was written');
          await watermarks.advance(s, from, to, rows);
        },
      };

      // Act
      await expect(poll(crashing)).rejects.toThrow(/process killed/);
      const afterCrash = await watermarks.get(source.name);
      const rerun = await poll();

      // Assess
      expect(afterCrash).toEqual({ ts: '2026-01-01 00:02:00+00', id: '3' });
      expect(rerun).toMatchObject({ rows: 5, sent: 5 });
      const values = (await onStream()).map((e) => e.values.cpu);
      expect(values).toEqual([0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7]);
      expect(new Set(values)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    });

    it('refuses to move a watermark another run moved first', async () => {
      // Prepare
      const { source, watermarks } = await fixture();
      const start: Watermark = { ts: '2026-01-01 00:00:00+00', id: '1' };
      await watermarks.advance(source.name, undefined, start, 1);
      await watermarks.advance(source.name, start, { ts: '2026-01-01 00:00:05+00', id: '2' }, 1);

      // Act
      const stale = watermarks.advance(source.name, start, { ts: '2026-01-01 00:00:03+00', id: '7' }, 1);

      // Assess
      await expect(stale).rejects.toThrow(WatermarkConflictError);
      expect(await watermarks.get(source.name)).toEqual({ ts: '2026-01-01 00:00:05+00', id: '2' });
    });

    it('reads a query with a constant series and epoch-ms times, and dead-letters rows that make no event', async () => {
      // Prepare
      const { table, deadLetters, poll, onStream } = await fixture();
      await db.query(
        `CREATE TABLE ${table}_raw (seq int PRIMARY KEY, at_ms bigint NOT NULL, reading numeric)`,
      );
      await db.query(
        `INSERT INTO ${table}_raw VALUES (1, 1767225600000, 10.25), (2, 1767225601000, NULL), (3, 1767225602000, 12)`,
      );
      const source = parsePollerSource({
        name: `query-${run}`,
        query: `SELECT seq, at_ms, reading * 2 AS doubled FROM ${table}_raw WHERE seq > 0`,
        idColumn: 'seq',
        timestampColumn: 'at_ms',
        timestampType: 'epoch_ms',
        series: 'boiler-7',
        valueColumns: ['doubled'],
        delaySeconds: 0,
      });

      // Act
      const result = await poll(undefined, source);

      // Assess
      expect(result).toMatchObject({ rows: 3, sent: 2, deadLettered: 1 });
      expect((await onStream()).map((e) => [e.series, e.timestamp, e.values.value])).toEqual([
        ['boiler-7', 1767225600000, 20.5],
        ['boiler-7', 1767225602000, 24],
      ]);
      expect(deadLetters.entries).toHaveLength(1);
      expect(deadLetters.entries[0]?.reason).toMatch(
        /^query-\d+ row id 2 at 1767225601000: invalid event: value: /,
      );
    });

    it('measures rows per second from PostgreSQL to the stream', async () => {
      // Prepare: 20,000 rows over 20 hosts.
      // Aggregated, as the poller function sends: a catching-up poll is a burst, beyond one shard's 1,000 records/s.
      const { table, poll, onStream } = await fixture({ pageSize: 1000, dimensionColumns: [] }, true);
      await db.query(
        `INSERT INTO ${table} (ts, host, cpu, mem) SELECT timestamptz '2026-01-01' + g * interval '1 second', 'host-' || (g % 20), g, g / 2.0 FROM generate_series(1, 20000) AS g`,
      );

      // Act
      const started = performance.now();
      const result = await poll();
      const seconds = (performance.now() - started) / 1000;

      // Assess
      expect(result).toMatchObject({ rows: 20_000, sent: 20_000, pages: 20 });
      expect((await onStream()).length).toBe(20_000);
      process.stderr.write(
        `poller: ${Math.round(20_000 / seconds)} rows/s (20,000 rows, pages of 1,000) into kinesis-mock\n`,
      );
    });
  },
);
