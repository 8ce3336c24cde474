import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type NabFile, type NabRow, readCorpusText } from './corpus.ts';

/**
 * NAB-format result files: `<root>/<detector>/<category>/<detector>_<file>.csv` with at least the columns
 * `timestamp,value,anomaly_score` (NAB's own files carry more columns, which are ignored on read).
 */

/** The rows of a result CSV. */
export interface NabResult {
  readonly timestamps: string[];
  readonly values: Float64Array;
  readonly anomalyScores: Float64Array;
}

/** Path of the result CSV of `detector` for a data file, under `root`. */
export function resultPath(root: string, detector: string, file: Pick<NabFile, 'category' | 'name'>): string {
  return join(root, detector, file.category, `${detector}_${basename(file.name)}`);
}

/** Renders rows and their anomaly scores as a NAB result CSV (`timestamp,value,anomaly_score`). */
export function formatResultCsv(rows: readonly NabRow[], anomalyScores: ArrayLike<number>): string {
  if (rows.length !== anomalyScores.length) {
    throw new Error(`${anomalyScores.length} anomaly scores for ${rows.length} rows`);
  }
  const lines = ['timestamp,value,anomaly_score'];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as NabRow;
    lines.push(`${row.timestamp},${row.value},${anomalyScores[i]}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the result CSV of one file to `<root>/<detector>/<category>/<detector>_<file>.csv` and returns its path. */
export async function writeResultCsv(
  root: string,
  file: Pick<NabFile, 'category' | 'name' | 'rows'>,
  anomalyScores: ArrayLike<number>,
  detector = 'seismo',
): Promise<string> {
  const path = resultPath(root, detector, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, formatResultCsv(file.rows, anomalyScores));
  return path;
}

/** Parses the text of a NAB result CSV, locating the columns by header name. */
export function parseResultCsv(text: string, source = 'result csv'): NabResult {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const tsCol = header.indexOf('timestamp');
  const valueCol = header.indexOf('value');
  const scoreCol = header.indexOf('anomaly_score');
  if (tsCol < 0 || valueCol < 0 || scoreCol < 0) {
    throw new Error(`${source}: header must contain timestamp,value,anomaly_score`);
  }
  const n = lines.length - 1;
  const timestamps: string[] = new Array(n);
  const values = new Float64Array(n);
  const anomalyScores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const cells = (lines[i + 1] as string).split(',');
    const score = Number(cells[scoreCol]);
    if (!Number.isFinite(score))
      throw new Error(`${source}:${i + 2}: bad anomaly_score "${cells[scoreCol]}"`);
    timestamps[i] = (cells[tsCol] ?? '').trim();
    values[i] = Number(cells[valueCol]);
    anomalyScores[i] = score;
  }
  return { timestamps, values, anomalyScores };
}

/** Reads one result CSV from disk: `path` itself, else its gzipped `path.gz` (as the shipped corpus keeps them). */
export async function readResultCsv(path: string): Promise<NabResult> {
  const found = existsSync(path) || !existsSync(`${path}.gz`) ? path : `${path}.gz`;
  return parseResultCsv(await readCorpusText(found), found);
}

/**
 * Reads the result CSV of `detector` for every corpus file from `root` (e.g. `<nab>/results` for the
 * published numenta files), checking that its timestamps match the data rows.
 */
export async function readDetectorResults(
  root: string,
  detector: string,
  files: readonly NabFile[],
): Promise<NabResult[]> {
  return Promise.all(
    files.map(async (file) => {
      const path = resultPath(root, detector, file);
      const result = await readResultCsv(path);
      if (
        result.timestamps.length !== file.rows.length ||
        result.timestamps.some((t, i) => t !== file.rows[i]?.timestamp)
      ) {
        throw new Error(`${path}: timestamps do not match data/${file.key}`);
      }
      return result;
    }),
  );
}
