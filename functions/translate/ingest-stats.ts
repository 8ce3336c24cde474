import type { IngestResult } from '../../core/ingest/ingest.ts';
import type { RefusalCode } from '../../core/ingest/metric-sample.ts';

/** The figures of one translated request: what came in, what went on the stream, what was refused and why. */
export interface IngestStats {
  readonly route: string;
  readonly tenant: string;
  readonly samples: number;
  readonly written: number;
  readonly failed: number;
  /** Refusals by {@link RefusalCode}. */
  readonly refused: Readonly<Partial<Record<RefusalCode, number>>>;
  /** Samples set aside by rule, by rule. */
  readonly skipped: Readonly<Record<string, number>>;
}

/** Reasons listed in a response body; the counts cover them all. */
const LISTED_REASONS = 10;

/** The stats of a request. */
export function statsOf(route: string, tenant: string, samples: number, result: IngestResult): IngestStats {
  const refused: Partial<Record<RefusalCode, number>> = {};
  for (const r of result.refusals) refused[r.code] = (refused[r.code] ?? 0) + 1;
  return {
    route,
    tenant,
    samples,
    written: result.written,
    failed: result.failed.length,
    refused,
    skipped: Object.fromEntries(result.skipped),
  };
}

/** "3 refused (2 not-a-number, 1 series-limit): reason; reason; ..." — counts by code, then the first reasons. */
export function refusalSummary(result: IngestResult): string {
  if (result.refusals.length === 0) return '';
  const counts = new Map<string, number>();
  for (const r of result.refusals) counts.set(r.code, (counts.get(r.code) ?? 0) + 1);
  const byCode = [...counts].map(([code, n]) => `${n} ${code}`).join(', ');
  const reasons = result.refusals.slice(0, LISTED_REASONS).map((r) => r.reason);
  const more = result.refusals.length - reasons.length;
  return `${result.refusals.length} refused (${byCode}): ${reasons.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}
