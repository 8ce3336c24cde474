import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { CliError, type CliIo } from './command.ts';
import { csvReadError, readCsv } from './csv-file.ts';
import { type CsvLayout, describeLayout } from './csv-layout.ts';
import type { EventTable } from './event-table.ts';
import { badRowsNote, count, plural } from './progress.ts';
import type { TableScores } from './score-batch.ts';
import type { ScoreSummary } from './score-command.ts';

/** What `seismo score` writes: the scored CSV (second pass over the file) and the summary on stderr. */

/** Second pass: writes every row of the file with its score, in the file's order; returns the anomalous rows. */
export async function writeScored(
  options: { readonly file: string; readonly out?: string },
  layout: CsvLayout,
  table: EventTable,
  scores: TableScores,
  io: CliIo,
): Promise<number> {
  const sink = options.out ? await openOutput(options.out) : io.stdout;
  const csv = stringify();
  csv.pipe(sink, { end: sink !== io.stdout });
  const write = async (cells: readonly unknown[]) => {
    if (!csv.write(cells)) await once(csv, 'drain');
  };
  const { input, rows } = readCsv(options.file, layout);
  let row = 0;
  let anomalous = 0;
  try {
    await write([...layout.columns, 'anomaly_score', 'anomaly']);
    for await (const { record } of rows) {
      const cells = layout.columns.map((name) => record[name] ?? '');
      const probability = scores.probability[row];
      const flag = scores.anomalous[row] ?? 0;
      anomalous += flag;
      row += 1;
      await write(
        probability === undefined || Number.isNaN(probability)
          ? [...cells, '', '']
          : [...cells, probability, flag],
      );
    }
    if (row !== table.rows)
      throw new CliError(`${options.file} changed while being read (${table.rows} rows, then ${row})`);
  } catch (error) {
    input.destroy();
    csv.destroy();
    if (sink !== io.stdout) sink.destroy();
    throw csvReadError(options.file, error);
  }
  csv.end();
  await finished(csv);
  if (sink !== io.stdout) await finished(sink);
  return anomalous;
}

/** Opens the output file, a `CliError` naming it when it cannot be written. */
async function openOutput(path: string): Promise<Writable> {
  const stream = createWriteStream(path);
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
  return stream;
}

/** The summary of a run: what was scored, what was not and why, and how the file was read. */
export function formatSummary(s: ScoreSummary, layout: CsvLayout, out: string | undefined): string {
  const rate = s.seconds > 0 ? s.rows / s.seconds : 0;
  const columns = s.valueColumns.map((c) => `"${c}"`).join(', ');
  const which =
    s.seriesColumn === undefined
      ? `series "${s.series[0] ?? ''}"`
      : `${count(s.series.length)} series (column "${s.seriesColumn}")`;
  const sorted =
    s.outOfOrderRows > 0 ? " (each series scored oldest first; the output keeps the file's order)" : '';
  const shape = describeLayout(layout);
  return [
    `scored ${count(s.scoredRows)} of ${plural(s.rows, 'row')} of ${which} in ${s.seconds.toFixed(2)} s (${count(rate)} rows/s): ` +
      `${plural(s.anomalousRows, 'anomalous row')}, ${plural(s.episodesOpened, 'episode')} opened`,
    `${plural(s.badRows, 'bad row')}${badRowsNote(s.badRows)}, ${plural(s.repeatedRows, 'repeated timestamp')}, ` +
      `${plural(s.outOfOrderRows, 'row')} out of time order${sorted}`,
    `timestamp column "${s.timestampColumn}", value column${s.valueColumns.length === 1 ? '' : 's'} ${columns}` +
      `${shape ? `, ${shape}` : ''}; model ${s.modelVersion}${out ? `; wrote ${out}` : ''}`,
    '',
  ].join('\n');
}
