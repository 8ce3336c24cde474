import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { iso, memoryIo, type SeriesRow, sineWithSpike } from './support.ts';

/**
 * Each shape of input that once gave a silently wrong result: scored here against the same data in the plain
 * shape (ISO timestamps, oldest first, comma-separated, with a header), which must give the same scores.
 */

const ROWS = 700;
const SPIKE = 600;

/** What one `seismo score ... --out FILE` run left behind. */
interface Run {
  readonly code: number;
  readonly stderr: string;
  /** Output rows (header first), or undefined when no file was written. */
  readonly output?: string[][];
}

describe('seismo score on files that are not in the plain shape', () => {
  let dir: string;
  let runs = 0;
  const series = sineWithSpike(ROWS, SPIKE, 11);
  let plain: Run;

  async function score(name: string, text: string, ...args: string[]): Promise<Run> {
    const file = join(dir, name);
    await writeFile(file, text);
    const out = join(dir, `out-${++runs}.csv`);
    const memory = memoryIo();
    const code = await main(['score', file, '--series', 'cpu', '--out', out, ...args], memory.io);
    const output = existsSync(out) ? (parse(await readFile(out, 'utf8')) as string[][]) : undefined;
    return { code, stderr: memory.stderr(), output };
  }

  /** Score and anomaly flag by timestamp text, to compare runs whose rows are in different orders. */
  function scoresByTime(run: Run, timeColumn = 0): Map<string, string> {
    const rows = run.output?.slice(1) ?? [];
    return new Map(rows.map((row) => [row[timeColumn] as string, row.slice(-2).join(' ')]));
  }

  function csv(rows: readonly SeriesRow[], header = 'timestamp,value', cell = (r: SeriesRow) => iso(r.at)) {
    return `${[header, ...rows.map((r) => `${cell(r)},${r.value}`)].join('\n')}\n`;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-shapes-'));
    plain = await score('plain.csv', csv(series));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the spike in the plain file (the reference for the other shapes)', () => {
    // Assess
    expect(plain.code).toBe(0);
    expect(plain.output).toHaveLength(ROWS + 1);
    expect(plain.output?.[SPIKE + 1]?.[3]).toBe('1');
  });

  it('scores a newest-first file oldest first, keeps its row order, and counts the rows out of order', async () => {
    // Act
    const run = await score('newest-first.csv', csv([...series].reverse()));
    // Assess
    expect(run.code).toBe(0);
    expect(run.output?.slice(1).map((row) => row[0])).toEqual([...series].reverse().map((r) => iso(r.at)));
    expect(scoresByTime(run)).toEqual(scoresByTime(plain));
    expect(run.stderr).toContain(`${ROWS - 1} rows out of time order`);
  });

  it('reads a file without a header as data from its first line, and says so', async () => {
    // Act
    const run = await score('no-header.csv', csv(series).split('\n').slice(1).join('\n'));
    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/no header row: the first line ".*" is data/);
    expect(run.output?.[0]).toEqual(['column_1', 'column_2', 'anomaly_score', 'anomaly']);
    expect(run.output).toHaveLength(ROWS + 1);
    expect(scoresByTime(run)).toEqual(scoresByTime(plain));
  });

  it('still reads the first line as a header with --header', async () => {
    // Act
    const run = await score('forced.csv', csv(series, '2024,2025'), '--header');
    // Assess
    expect(run.code).toBe(0);
    expect(run.output?.[0]).toEqual(['2024', '2025', 'anomaly_score', 'anomaly']);
    expect(run.output).toHaveLength(ROWS + 1);
  });

  it('detects a semicolon as the delimiter, and takes one from --delimiter', async () => {
    // Prepare
    const text = csv(series).replaceAll(',', ';');
    // Act
    const detected = await score('semicolon.csv', text);
    const named = await score('semicolon-named.csv', text, '--delimiter', ';');
    const tabs = await score('tabs.tsv', csv(series).replaceAll(',', '\t'), '--delimiter', 'tab');
    // Assess
    expect(detected.code).toBe(0);
    expect(detected.stderr).toContain('value column "value"');
    expect(detected.stderr).toContain('delimiter ";"');
    expect(scoresByTime(detected)).toEqual(scoresByTime(plain));
    expect(scoresByTime(named)).toEqual(scoresByTime(plain));
    expect(scoresByTime(tabs)).toEqual(scoresByTime(plain));
  });

  it('refuses epoch seconds with exit 1, no output and a hint; scores them with --time-unit s', async () => {
    // Prepare
    const text = csv(series, 'timestamp,value', (r) => String(r.at / 1000));
    // Act
    const refused = await score('seconds.csv', text);
    const scored = await score('seconds-2.csv', text, '--time-unit', 's');
    // Assess
    expect(refused.code).toBe(1);
    expect(refused.output).toBeUndefined();
    expect(refused.stderr).toContain(`no row of`);
    expect(refused.stderr).toMatch(/hint: .*epoch seconds.*--time-unit s/);
    expect(scored.code).toBe(0);
    const byMs = (run: Run) =>
      new Map([...scoresByTime(run)].map(([t, s]) => [String(Number(t) * 1000), s] as const));
    const plainByMs = new Map([...scoresByTime(plain)].map(([t, s]) => [String(Date.parse(t)), s] as const));
    expect(byMs(scored)).toEqual(plainByMs);
  });

  it('reads epoch milliseconds given as --time-unit ms as they are', async () => {
    // Act
    const run = await score(
      'ms.csv',
      csv(series, 'timestamp,value', (r) => String(r.at)),
      '--time-unit',
      'ms',
    );
    // Assess
    expect(run.code).toBe(0);
    expect([...scoresByTime(run).values()]).toEqual([...scoresByTime(plain).values()]);
  });

  it('refuses a --time-unit other than s or ms as a usage error', async () => {
    // Act
    const run = await score('unit.csv', csv(series), '--time-unit', 'us');
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--time-unit must be s or ms');
  });

  it('exits 1 when no row can be scored, naming the reason', async () => {
    // Act
    const run = await score('words.csv', 'timestamp,value\nyesterday,1\ntoday,2\n');
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no row of .*words\.csv could be scored: 2 bad rows/);
  });

  describe('a file in long format (one host column, two series)', () => {
    const other = sineWithSpike(ROWS, 300, 12, 3);
    const long = () => {
      const lines = ['timestamp,host,value'];
      for (let i = 0; i < ROWS; i++) {
        lines.push(`${iso(series[i]?.at ?? 0)},web-1,${series[i]?.value}`);
        lines.push(`${iso(other[i]?.at ?? 0)},web-2,${other[i]?.value}`);
      }
      return `${lines.join('\n')}\n`;
    };

    it('scores each series on its own with --series-column, as if each were its own file', async () => {
      // Prepare
      const alone = await score('web-2.csv', csv(other), '--series', 'web-2');
      const file = join(dir, 'long.csv');
      await writeFile(file, long());
      const out = join(dir, 'long-out.csv');
      const memory = memoryIo();
      // Act
      const code = await main(['score', file, '--series-column', 'host', '--out', out], memory.io);
      const rows = parse(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[];
      // Assess
      expect(code).toBe(0);
      const scores = (host: string) =>
        rows.filter((r) => r.host === host).map((r) => `${r.anomaly_score} ${r.anomaly}`);
      expect(scores('web-1')).toEqual([...scoresByTime(plain).values()]);
      expect(scores('web-2')).toEqual([...scoresByTime(alone).values()]);
      expect(memory.stderr()).toContain('2 series');
      expect(memory.stderr()).toContain('0 repeated timestamps');
    });

    it('refuses to score it as one series, naming the column that splits it', async () => {
      // Prepare
      const file = join(dir, 'long-2.csv');
      await writeFile(file, long());
      const memory = memoryIo();
      // Act
      const code = await main(['score', file, '--out', join(dir, 'never.csv')], memory.io);
      // Assess
      expect(code).toBe(2);
      expect(memory.stderr()).toMatch(/several series in one file.*--series-column host/s);
      expect(existsSync(join(dir, 'never.csv'))).toBe(false);
    });

    it("runs the README's long-format command: --series-column host --time-unit s", async () => {
      // Prepare
      const file = join(dir, 'hosts.csv');
      await writeFile(
        file,
        long().replace(/^(\d{4}-[^,]+)/gm, (t) => String(Date.parse(t) / 1000)),
      );
      const memory = memoryIo();
      // Act
      const code = await main(
        ['score', file, '--series-column', 'host', '--time-unit', 's', '--out', join(dir, 'hosts-out.csv')],
        memory.io,
      );
      // Assess
      expect(code).toBe(0);
      expect(memory.stderr()).toContain('scored 1,400 of 1,400 rows of 2 series');
    });

    it('refuses --series together with --series-column', async () => {
      // Act
      const run = await score('long-3.csv', long(), '--series-column', 'host');
      // Assess
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--series and --series-column');
    });
  });
});
