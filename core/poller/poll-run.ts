import type { MeasurementEvent } from '../events/event-schema.ts';
import type { DeadLetterSink } from '../ports.ts';
import type { Watermark } from './poll-query.ts';
import type { PollerSource } from './poller-config.ts';
import { mapRows, type SourceRow } from './row-events.ts';

/**
 * One scheduled run of a database poller, through ports: read the watermark, then page by page read rows
 * after it, dead-letter the rows that make no valid event, put the events on the stream, and only then move
 * the watermark past the page. A crash or a refused write between the stream and the watermark leaves the
 * watermark where it was: the next run reads the page again (duplicates on the stream, never a gap).
 */

/** Reads the source's rows after a watermark, in `(timestamp, id)` order, up to the database clock minus the delay. */
export interface RowSource {
  page(after: Watermark | undefined, limit: number): Promise<readonly SourceRow[]>;
}

/** Where each source's watermark is kept (DynamoDB in production). */
export interface WatermarkStore {
  get(source: string): Promise<Watermark | undefined>;
  /**
   * Moves the watermark from `from` (undefined: none yet) to `to`, only if it is still at `from`; throws
   * {@link WatermarkConflictError} otherwise, so two overlapping runs never move it backwards.
   */
  advance(source: string, from: Watermark | undefined, to: Watermark, rows: number): Promise<void>;
}

/** Puts validated events on the stream; every failure is returned, none thrown. */
export interface EventSender {
  sendValidated(events: readonly { readonly event: MeasurementEvent; readonly index: number }[]): Promise<{
    readonly sent: number;
    readonly failed: readonly { readonly index: number; readonly code: string; readonly message: string }[];
  }>;
}

/** Thrown when another run moved the watermark first; this run stops, nothing is lost. */
export class WatermarkConflictError extends Error {
  override readonly name = 'WatermarkConflictError';
}

/** Thrown when the stream refused events of a page after every retry; the watermark stays before that page. */
export class PollWriteError extends Error {
  override readonly name = 'PollWriteError';
}

/** What a run needs. */
export interface PollDeps {
  readonly rows: RowSource;
  readonly watermarks: WatermarkStore;
  readonly sender: EventSender;
  readonly deadLetters: DeadLetterSink;
  /** True while the run may start another page (the Lambda's remaining time); always by default. */
  readonly hasTime?: () => boolean;
  /** Epoch ms, for the "not ahead of the clock" rule; `Date.now` by default. */
  readonly now?: () => number;
}

/** What a run did. */
export interface PollResult {
  readonly pages: number;
  readonly rows: number;
  readonly sent: number;
  readonly deadLettered: number;
  /** The watermark after the run (undefined if the source had no rows yet). */
  readonly watermark?: Watermark;
  /** Why the run stopped: caught up, the row budget, or the time budget. */
  readonly stoppedBy: 'caught-up' | 'max-rows' | 'time';
}

/** How far ahead of the poller's clock a row's timestamp may be: what the detector accepts. */
const MAX_FUTURE_MS = 5 * 60_000;

/** Runs one poll of `source`; see the module comment for the order of writes. */
export async function pollOnce(source: PollerSource, deps: PollDeps): Promise<PollResult> {
  let watermark = await deps.watermarks.get(source.name);
  const now = deps.now ?? Date.now;
  let pages = 0;
  let rows = 0;
  let sent = 0;
  let deadLettered = 0;
  let stoppedBy: PollResult['stoppedBy'] = 'caught-up';
  while (true) {
    if (rows >= source.maxRowsPerRun) {
      stoppedBy = 'max-rows';
      break;
    }
    if (deps.hasTime && !deps.hasTime()) {
      stoppedBy = 'time';
      break;
    }
    const limit = Math.min(source.pageSize, source.maxRowsPerRun - rows);
    const page = await deps.rows.page(watermark, limit);
    if (page.length === 0) break;
    const mapped = mapRows(source, page, { now: now(), maxFutureMs: MAX_FUTURE_MS });
    if (mapped.deadLetters.length > 0) await deps.deadLetters.send(mapped.deadLetters);
    if (mapped.events.length > 0) {
      const report = await deps.sender.sendValidated(mapped.events);
      if (report.failed.length > 0) {
        const codes = [...new Set(report.failed.map((f) => f.code))].join(', ');
        throw new PollWriteError(
          `${report.failed.length} of ${mapped.events.length} events of ${source.name} were refused by the stream (${codes}); ` +
            'the watermark stays before this page, so the next run reads it again',
        );
      }
      sent += report.sent;
    }
    await deps.watermarks.advance(source.name, watermark, mapped.last, page.length);
    watermark = mapped.last;
    pages += 1;
    rows += page.length;
    deadLettered += mapped.deadLetters.length;
    if (page.length < limit) break;
  }
  return { pages, rows, sent, deadLettered, ...(watermark ? { watermark } : {}), stoppedBy };
}
