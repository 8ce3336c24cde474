import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, type CliIo } from '../../cli/command.ts';
import { main } from '../../cli/main.ts';
import { type ScoreSummary, scoreCsv } from '../../cli/score-command.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ROWS = 1500;
/** 0-based data row of the spike (row 1201 in the file, counting the header as line 1). */
const SPIKE = 1200;
/** 0-based data row with an unparseable value. */
const BAD = 300;
/** 0-based data row that repeats the previous row's timestamp, across the first batch boundary. */
const REPEAT = 1000;
const T0 = Date.UTC(2024, 0, 1);
const STEP_MS = 5 * 60_000;
/** A daily cycle, like most metrics: the detector's seasonal feature expects the period of a day. */
const ROWS_PER_DAY = (24 * 3_600_000) / STEP_MS;

/** Deterministic noise (mulberry32 + Box-Muller), so a failing run can be replayed. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A daily sine with noise and one huge spike, a text column, one bad value and one repeated timestamp. */
function spikeCsv(): string {
  const noise = gaussian(7);
  const lines = ['timestamp,value,host'];
  for (let i = 0; i < ROWS; i++) {
    const at = new Date(T0 + (i === REPEAT ? i - 1 : i) * STEP_MS).toISOString();
    const value = i === SPIKE ? 500 : 10 * Math.sin((2 * Math.PI * i) / ROWS_PER_DAY) + 0.5 * noise();
    lines.push(`${at},${i === BAD ? 'n/a' : value.toFixed(4)},web-${i % 3}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Streams that collect what a command writes. */
function memoryIo(): { io: CliIo; stdout: () => string; stderr: () => string } {
  const collect = (stream: PassThrough) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    return () => Buffer.concat(chunks).toString('utf8');
  };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  return { io: { stdout, stderr, stderrIsTty: false }, stdout: collect(stdout), stderr: collect(stderr) };
}

describe('seismo score', () => {
  let dir: string;
  let input: string;
  let inputRows: string[][];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-score-'));
    input = join(dir, 'sine-spike.csv');
    const text = spikeCsv();
    await writeFile(input, text);
    inputRows = parse(text, { from_line: 2 }) as string[][];
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('on a sine with one spike', () => {
    let summary: ScoreSummary;
    let output: string[][];
    let stderr: string;

    beforeAll(async () => {
      const out = join(dir, 'scored.csv');
      const memory = memoryIo();
      summary = await scoreCsv({ file: input, out }, memory.io);
      output = parse(await readFile(out, 'utf8')) as string[][];
      stderr = memory.stderr();
    });

    const scoreOf = (row: number) => Number(output[row + 1]?.[3]);
    const anomalyOf = (row: number) => output[row + 1]?.[4];

    it('keeps every input column and row, then adds the score columns', () => {
      // Assess
      expect(output[0]).toEqual(['timestamp', 'value', 'host', 'anomaly_score', 'anomaly']);
      expect(output).toHaveLength(ROWS + 1);
      expect(output.slice(1).map((row) => row.slice(0, 3))).toEqual(inputRows);
      expect(summary).toMatchObject({ rows: ROWS, scoredRows: ROWS - 1, timestampColumn: 'timestamp' });
      expect(summary.series).toEqual(['sine-spike']);
      expect(summary.valueColumns).toEqual(['value']);
    });

    it('opens an episode at the spike and scores it above every row outside that episode', () => {
      // Prepare
      const episode = output.slice(1).flatMap((row, i) => (row[4] === '1' ? [i] : []));
      const outside = output
        .slice(1)
        .flatMap((row, i) => (row[4] === '1' || row[3] === '' ? [] : [scoreOf(i)]));
      const scores = output.slice(1).map((_, i) => scoreOf(i));
      const peak = scores.reduce((best, score, i) => (score > (scores[best] ?? 0) ? i : best), 0);
      // Assess
      expect(episode[0]).toBe(SPIKE);
      expect(anomalyOf(SPIKE)).toBe('1');
      expect(scoreOf(SPIKE)).toBeGreaterThan(0.99);
      expect(scoreOf(SPIKE)).toBeGreaterThan(Math.max(...outside));
      // Calibration smooths over the last few points, so the peak may land just after the spike itself.
      expect(peak).toBeGreaterThanOrEqual(SPIKE);
      expect(peak).toBeLessThanOrEqual(SPIKE + 5);
      expect(summary.episodesOpened).toBeGreaterThanOrEqual(1);
      expect(summary.anomalousRows).toBe(episode.length);
    });

    it('marks no row of the calm first part anomalous', () => {
      // Assess
      for (let row = 0; row < SPIKE; row++) if (row !== BAD) expect(anomalyOf(row)).toBe('0');
    });

    it('reports a bad row with its number and reason, writes it unscored and goes on', () => {
      // Assess
      expect(stderr).toMatch(
        /row 301 \(line 302\): invalid event: value: must be a finite number .*value="n\/a"/,
      );
      expect(output[BAD + 1]).toEqual([...(inputRows[BAD] as string[]), '', '']);
      expect(summary.badRows).toBe(1);
      expect(stderr).toContain('1 bad row');
      expect(anomalyOf(BAD + 1)).toBe('0');
    });

    it('gives a row that repeats a timestamp the score of the earlier row, across batches', () => {
      // Assess
      expect(output[REPEAT + 1]?.[0]).toBe(output[REPEAT]?.[0]);
      expect(scoreOf(REPEAT)).toBe(scoreOf(REPEAT - 1));
      expect(anomalyOf(REPEAT)).toBe(anomalyOf(REPEAT - 1));
      expect(summary.repeatedRows).toBe(1);
    });
  });

  it('scores several value columns as one multi-channel event per row, the score being the max', async () => {
    // Prepare
    const file = join(dir, 'hosts.csv');
    const lines = ['time,cpu,mem,host'];
    for (let i = 0; i < 300; i++) {
      lines.push(`${T0 + i * 60_000},${50 + (i % 7)},${i === 280 ? 9000 : 70 + (i % 5)},web-1`);
    }
    await writeFile(file, `${lines.join('\n')}\n`);
    const memory = memoryIo();
    // Act
    const summary = await scoreCsv({ file, series: 'web' }, memory.io);
    const rows = parse(memory.stdout(), { columns: true }) as Record<string, string>[];
    // Assess
    expect(summary).toMatchObject({ rows: 300, badRows: 0, timestampColumn: 'time' });
    expect(summary.series).toEqual(['web']);
    expect(summary.valueColumns).toEqual(['cpu', 'mem']);
    expect(rows[280]?.anomaly).toBe('1');
    expect(rows.every((row) => row.anomaly_score !== '')).toBe(true);
  });

  it('names the model directory and the missing card when --model is wrong', async () => {
    // Prepare
    const memory = memoryIo();
    const missing = join(dir, 'no-such-model');
    // Act
    const code = await main(['score', input, '--model', missing], memory.io);
    // Assess
    expect(code).toBe(1);
    expect(memory.stderr()).toContain(`seismo score: cannot load the model from ${missing}`);
    expect(memory.stderr()).toContain('model.json');
    await expect(scoreCsv({ file: input, modelDir: missing }, memoryIo().io)).rejects.toBeInstanceOf(
      CliError,
    );
  });

  it('exits 2 with a clear message for an unknown command, option or column', async () => {
    // Prepare
    const command = memoryIo();
    const option = memoryIo();
    const column = memoryIo();
    // Act
    const codes = [
      await main(['scroe', input], command.io),
      await main(['score', input, '--valeu', 'x'], option.io),
      await main(['score', input, '--value', 'price'], column.io),
    ];
    // Assess
    expect(codes).toEqual([2, 2, 2]);
    expect(command.stderr()).toContain('unknown command "scroe" (commands: score');
    expect(option.stderr()).toContain("Unknown option '--valeu'");
    expect(column.stderr()).toContain('--value "price" is not a column');
    expect(column.stderr()).toContain('columns: timestamp, value, host');
  });

  it('prints help with --help and exits 0', async () => {
    // Prepare
    const top = memoryIo();
    const score = memoryIo();
    // Act
    const codes = [await main(['--help'], top.io), await main(['score', '--help'], score.io)];
    // Assess
    expect(codes).toEqual([0, 0]);
    expect(top.stdout()).toMatch(/Commands:\n\s+score/);
    expect(score.stdout()).toContain('--timestamp COL');
  });

  it('runs as the seismo binary', () => {
    // Act
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/seismo.js'), 'score', input, '--series', 'bin'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    // Assess
    expect(run.stderr).toContain('scored 1,499 of 1,500 rows of series "bin"');
    expect(run.status).toBe(0);
    const rows = parse(run.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(ROWS);
    expect(rows[SPIKE]?.anomaly).toBe('1');
  });
});
