import { PassThrough } from 'node:stream';
import type { CliIo } from '../../cli/command.ts';

/** Streams that collect what a command writes. */
export function memoryIo(): { io: CliIo; stdout: () => string; stderr: () => string } {
  const collect = (stream: PassThrough) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    return () => Buffer.concat(chunks).toString('utf8');
  };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  return { io: { stdout, stderr, stderrIsTty: false }, stdout: collect(stdout), stderr: collect(stderr) };
}

/** Deterministic noise (mulberry32 + Box-Muller), so a failing run can be replayed. */
export function gaussian(seed: number): () => number {
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

/** Start of the generated series: 2024-01-01T00:00:00Z. */
export const T0 = Date.UTC(2024, 0, 1);
/** Five minutes between rows. */
export const STEP_MS = 5 * 60_000;
const ROWS_PER_DAY = (24 * 3_600_000) / STEP_MS;

/** One generated row: epoch ms and value. */
export interface SeriesRow {
  readonly at: number;
  readonly value: string;
}

/** `rows` points of a daily sine with noise, scaled by `scale`, with one spike at row `spike`. */
export function sineWithSpike(rows: number, spike: number, seed: number, scale = 1): SeriesRow[] {
  const noise = gaussian(seed);
  return Array.from({ length: rows }, (_, i) => {
    const base = 10 * Math.sin((2 * Math.PI * i) / ROWS_PER_DAY) + 0.5 * noise();
    return { at: T0 + i * STEP_MS, value: (scale * (i === spike ? base + 80 : base + 50)).toFixed(4) };
  });
}

/** ISO 8601 text of epoch ms, as most exports write it. */
export function iso(at: number): string {
  return new Date(at).toISOString();
}
