import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../../models/random.ts';

/** Where the sample lives: `local/samples/cpu-spike.csv`, shipped for the README's "try it". */
export const CPU_SPIKE_CSV = join(dirname(fileURLToPath(import.meta.url)), 'cpu-spike.csv');

/** Rows in the sample: almost seven days at five-minute steps. */
export const CPU_SPIKE_ROWS = 2000;
/** 0-based data rows of the incident: CPU pinned near 95% for half an hour, near the end of the file. */
export const CPU_SPIKE_INCIDENT = { from: 1900, to: 1906 } as const;

const START = Date.UTC(2026, 10, 16);
const STEP_MS = 5 * 60_000;
const ROWS_PER_DAY = (24 * 3_600_000) / STEP_MS;

/**
 * The sample's text, generated deterministically (seeded noise): a host's CPU utilisation in percent with a
 * daily cycle (busy afternoons, quiet nights) and noise, then a runaway process pins it for half an hour.
 */
export function cpuSpikeCsv(): string {
  const random = new Random(3);
  const lines = ['timestamp,cpu_percent'];
  for (let i = 0; i < CPU_SPIKE_ROWS; i++) {
    const phase = (2 * Math.PI * (i - ROWS_PER_DAY / 4)) / ROWS_PER_DAY;
    let cpu = 38 + 18 * Math.sin(phase) + random.normal(0, 2.5);
    if (i >= CPU_SPIKE_INCIDENT.from && i < CPU_SPIKE_INCIDENT.to) cpu = 94 + random.normal(0, 1.5);
    const at = new Date(START + i * STEP_MS).toISOString().replace('.000Z', 'Z');
    lines.push(`${at},${Math.min(100, Math.max(0, cpu)).toFixed(2)}`);
  }
  return `${lines.join('\n')}\n`;
}

// `npx tsx local/samples/cpu-spike.ts` rewrites the CSV; a test holds the shipped file to this generator.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(CPU_SPIKE_CSV, cpuSpikeCsv());
  console.log(`wrote ${CPU_SPIKE_CSV}`);
}
