import type { CliIo } from './command.ts';

/** Redraw interval when stderr is a terminal. */
const TTY_INTERVAL_MS = 250;
/** Interval between progress lines when stderr is a file or a pipe, so logs stay short. */
const LOG_INTERVAL_MS = 10_000;

/** Bad rows reported one by one; the rest are only counted, so a broken file cannot flood the terminal. */
export const BAD_ROWS_SHOWN = 20;

/** What a progress report says, given the units done, their rate per second and the percentage of the file read. */
export type DescribeProgress = (done: number, perSecond: number, percentRead: number) => string;

/** How a {@link Progress} measures and words a run. */
export interface ProgressProps {
  /** Size of the input file, for the percentage read. */
  readonly totalBytes: number;
  /** `performance.now()` when the run started. */
  readonly started: number;
  readonly describe: DescribeProgress;
  /** No report before this many ms after `started`; default: one interval (250 ms on a terminal, else 10 s). */
  readonly quietMs?: number;
}

/** Progress on stderr: redrawn in place on a terminal, one line every 10 s otherwise, after a quiet start. */
export class Progress {
  private readonly intervalMs: number;
  private nextAt: number;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly props: ProgressProps,
  ) {
    this.intervalMs = io.stderrIsTty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS;
    this.nextAt = props.started + (props.quietMs ?? this.intervalMs);
  }

  /** Reports `done` units and `bytesRead` of the file, unless the last report is more recent than one interval. */
  update(done: number, bytesRead: number): void {
    const now = performance.now();
    if (now < this.nextAt) return;
    this.nextAt = now + this.intervalMs;
    const { totalBytes, started, describe } = this.props;
    const perSecond = done / Math.max(0.001, (now - started) / 1000);
    const percent = totalBytes > 0 ? Math.min(100, (100 * bytesRead) / totalBytes) : 100;
    const text = describe(done, perSecond, percent);
    if (this.io.stderrIsTty) {
      this.io.stderr.write(`\r\x1b[K${text}`);
      this.drawn = true;
    } else {
      this.io.stderr.write(`${text}\n`);
    }
  }

  /** Clears the redrawn line, if any, so the summary starts on a clean line. */
  done(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[K');
  }
}

/** A count rounded to a whole number with thousands separators (`12,345`), the same on every machine. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A count and a noun, the noun in the plural unless the count is exactly one (`1 row`, `2 rows`). */
export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** The note a summary adds when some bad rows were counted but not shown: ` (first 20 shown)`, else empty. */
export function badRowsNote(bad: number): string {
  return bad > BAD_ROWS_SHOWN ? ` (first ${BAD_ROWS_SHOWN} shown)` : '';
}
