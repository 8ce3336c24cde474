import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/**
 * Loader for the Numenta Anomaly Benchmark corpus (data files, anomaly windows, cost profiles).
 * Rows are kept in file order, exactly as NAB streams them (some files hold duplicate timestamps).
 */

/** One row of a NAB data file. */
export interface NabRow {
  readonly timestamp: string;
  readonly value: number;
}

/** One anomaly window as written in combined_windows.json, timestamps normalised to `YYYY-MM-DD HH:MM:SS`. */
export interface NabWindow {
  readonly start: string;
  readonly end: string;
}

/** One data file of the corpus with its labelled windows. */
export interface NabFile {
  /** Category folder, e.g. `realKnownCause`. */
  readonly category: string;
  /** File name with extension, e.g. `nyc_taxi.csv`. */
  readonly name: string;
  /** `<category>/<name>`, the key used in combined_windows.json. */
  readonly key: string;
  readonly rows: readonly NabRow[];
  readonly windows: readonly NabWindow[];
}

/** The names of the three NAB application profiles. */
export type ProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** The three profile names in their conventional order. */
export const PROFILE_NAMES: readonly ProfileName[] = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];

/** Cost weights of one profile (the TN weight of NAB is unused and dropped). */
export interface CostProfile {
  readonly tp: number;
  readonly fn: number;
  readonly fp: number;
}

/** The whole corpus as loaded from disk. */
export interface NabCorpus {
  /** Absolute path of the corpus directory. */
  readonly dir: string;
  /** The data files, sorted by key. */
  readonly files: readonly NabFile[];
  readonly profiles: Readonly<Record<ProfileName, CostProfile>>;
}

/** Published threshold and raw score of one detector for one profile (config/thresholds.json). */
export interface PublishedThreshold {
  readonly score: number;
  readonly threshold: number;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The copy of the corpus that ships in the repository (MIT, see its README.md), so the benchmark and its tests
 * work in any clone without a network. Its CSVs are gzipped.
 */
export const SHIPPED_NAB_DIR = join(REPO_ROOT, 'third_party', 'nab');

/** Resolves the corpus directory: the explicit argument, else `NAB_DIR`, else the shipped copy. */
export function resolveNabDir(dir?: string): string {
  const chosen = dir ?? process.env.NAB_DIR ?? SHIPPED_NAB_DIR;
  const abs = resolve(chosen);
  const required = ['data', join('labels', 'combined_windows.json'), join('config', 'profiles.json')];
  const missing = required.filter((p) => !existsSync(join(abs, p)));
  if (missing.length > 0) {
    const source = dir !== undefined ? '--nab' : process.env.NAB_DIR !== undefined ? 'NAB_DIR' : 'default';
    throw new Error(
      `NAB corpus not found at ${abs} (from ${source}): missing ${missing.join(', ')}. ` +
        'Pass --nab DIR or set NAB_DIR to a directory holding data/, labels/ and config/.',
    );
  }
  return abs;
}

/** A corpus CSV name, plain or gzipped (the shipped copy gzips every CSV; a NAB checkout has them plain). */
const CSV_FILE = /\.csv(?:\.gz)?$/;

/** The name of a corpus CSV without its `.gz`: `nyc_taxi.csv.gz` → `nyc_taxi.csv`, the key NAB's labels use. */
export function csvName(file: string): string {
  return file.endsWith('.gz') ? file.slice(0, -3) : file;
}

/** Reads a corpus text file, gunzipping it when its name ends in `.gz`. */
export async function readCorpusText(path: string): Promise<string> {
  const bytes = await readFile(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Normalises a NAB timestamp: window labels carry a `.000000` fraction that data rows do not. */
export function normaliseTimestamp(ts: string): string {
  const t = ts.trim();
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.0+$/.test(t) ? t.slice(0, 19) : t;
}

/** Parses the text of a `timestamp,value` CSV into rows, checking the header and every value. */
export function parseDataCsv(text: string, source = 'data csv'): NabRow[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const tsCol = header.indexOf('timestamp');
  const valueCol = header.indexOf('value');
  if (tsCol < 0 || valueCol < 0) throw new Error(`${source}: header must contain timestamp,value`);
  const rows: NabRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === undefined || line.trim() === '') continue;
    const cells = line.split(',');
    const value = Number(cells[valueCol]);
    const timestamp = cells[tsCol]?.trim();
    if (timestamp === undefined || timestamp === '' || !Number.isFinite(value)) {
      throw new Error(`${source}:${i + 1}: bad row "${line}"`);
    }
    rows.push({ timestamp, value });
  }
  return rows;
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'));
}

function parseProfiles(raw: unknown): Record<ProfileName, CostProfile> {
  const out = {} as Record<ProfileName, CostProfile>;
  for (const name of PROFILE_NAMES) {
    const m = (raw as Record<string, { CostMatrix?: Record<string, number> }>)[name]?.CostMatrix;
    const tp = m?.tpWeight;
    const fn = m?.fnWeight;
    const fp = m?.fpWeight;
    if (typeof tp !== 'number' || typeof fn !== 'number' || typeof fp !== 'number') {
      throw new Error(`config/profiles.json: profile ${name} lacks tpWeight/fnWeight/fpWeight`);
    }
    out[name] = { tp, fn, fp };
  }
  return out;
}

/** Loads the corpus: the data files with their windows, and the cost profiles. */
export async function loadNabCorpus(dir?: string): Promise<NabCorpus> {
  const root = resolveNabDir(dir);
  const windowsRaw = (await readJson(join(root, 'labels', 'combined_windows.json'))) as Record<
    string,
    [string, string][]
  >;
  const profiles = parseProfiles(await readJson(join(root, 'config', 'profiles.json')));

  const keys: { category: string; name: string; file: string }[] = [];
  const dataDir = join(root, 'data');
  for (const entry of await readdir(dataDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const f of await readdir(join(dataDir, entry.name))) {
      if (CSV_FILE.test(f)) keys.push({ category: entry.name, name: csvName(f), file: f });
    }
  }
  keys.sort((a, b) => `${a.category}/${a.name}`.localeCompare(`${b.category}/${b.name}`));

  const files = await Promise.all(
    keys.map(async ({ category, name, file }): Promise<NabFile> => {
      const key = `${category}/${name}`;
      const path = join(dataDir, category, file);
      const rows = parseDataCsv(await readCorpusText(path), path);
      const labelled = windowsRaw[key];
      if (labelled === undefined) throw new Error(`labels/combined_windows.json has no entry for ${key}`);
      const windows = labelled.map(([start, end]) => ({
        start: normaliseTimestamp(start),
        end: normaliseTimestamp(end),
      }));
      return { category, name, key, rows, windows };
    }),
  );
  const known = new Set(files.map((f) => f.key));
  const orphan = Object.keys(windowsRaw).filter((k) => !known.has(k));
  if (orphan.length > 0) throw new Error(`windows for missing data files: ${orphan.join(', ')}`);
  return { dir: root, files, profiles };
}

/** Loads the published per-profile thresholds of one detector from config/thresholds.json. */
export async function loadPublishedThresholds(
  detector: string,
  dir?: string,
): Promise<Record<ProfileName, PublishedThreshold>> {
  const all = (await readJson(join(resolveNabDir(dir), 'config', 'thresholds.json'))) as Record<
    string,
    Record<ProfileName, PublishedThreshold>
  >;
  const entry = all[detector];
  if (entry === undefined) throw new Error(`config/thresholds.json has no detector ${detector}`);
  return entry;
}

/** Loads the published normalised scores of one detector from results/final_results.json. */
export async function loadPublishedFinalScores(
  detector: string,
  dir?: string,
): Promise<Record<ProfileName, number>> {
  const all = (await readJson(join(resolveNabDir(dir), 'results', 'final_results.json'))) as Record<
    string,
    Record<ProfileName, number>
  >;
  const entry = all[detector];
  if (entry === undefined) throw new Error(`results/final_results.json has no detector ${detector}`);
  return entry;
}
