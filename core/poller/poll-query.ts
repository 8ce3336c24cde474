import type { PollerSource } from './poller-config.ts';

/**
 * The SQL of one page, built from a validated source (identifiers checked, then double-quoted; every value a
 * parameter): rows after the watermark in `(timestamp, id)` order, no newer than the database's clock minus
 * the delay. Comparing the pair, not the timestamp alone, pages through rows sharing a timestamp without
 * skipping or repeating any. The timestamp and id also come back as text, exactly as the database holds
 * them, and are handed back as parameters next time: no precision is lost on the way (microseconds stay).
 */

/** A position in the source: the last row read, as the database prints its timestamp and id. */
export interface Watermark {
  readonly ts: string;
  readonly id: string;
}

/** Column aliases the query adds; chosen so they cannot clash with the source's own columns. */
export const ROW_ID = '__seismo_id';
export const ROW_TS = '__seismo_ts';
export const ROW_MS = '__seismo_ms';

function quote(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** Epoch ms of the timestamp column, as float8 (fractions of a ms survive; the event truncates). */
function epochMs(source: PollerSource, column: string): string {
  switch (source.timestampType) {
    case 'timestamp':
      return `(extract(epoch from ${column}) * 1000)::float8`;
    case 'epoch_ms':
      return `(${column})::float8`;
    case 'epoch_s':
      return `(${column} * 1000)::float8`;
  }
}

/** The newest timestamp a run may read: the database's clock minus `$n` seconds. */
function upperBound(source: PollerSource, param: string): string {
  switch (source.timestampType) {
    case 'timestamp':
      return `now() - make_interval(secs => ${param})`;
    case 'epoch_ms':
      return `(extract(epoch from now()) * 1000 - ${param} * 1000)`;
    case 'epoch_s':
      return `(extract(epoch from now()) - ${param})`;
  }
}

/** A page query and its parameters. */
export interface PageQuery {
  readonly text: string;
  readonly values: readonly (string | number)[];
}

/** The query for the page after `after` (from the start when undefined) of at most `limit` rows. */
export function pageQuery(source: PollerSource, after: Watermark | undefined, limit: number): PageQuery {
  const ts = `src.${quote(source.timestampColumn)}`;
  const id = `src.${quote(source.idColumn)}`;
  const from = source.table ? quote(source.table) : `(${source.query})`;
  const columns = [
    `${id}::text AS ${ROW_ID}`,
    `${ts}::text AS ${ROW_TS}`,
    `${epochMs(source, ts)} AS ${ROW_MS}`,
    ...[source.seriesColumn, ...source.valueColumns, ...source.dimensionColumns]
      .filter((c): c is string => c !== undefined)
      .map((c) => `src.${quote(c)}`),
  ];
  const values: (string | number)[] = [source.delaySeconds, limit];
  const where = [`${ts} <= ${upperBound(source, '$1')}`];
  if (after) {
    values.push(after.ts, after.id);
    where.push(`(${ts}, ${id}) > ($3, $4)`);
  }
  const text =
    `SELECT ${[...new Set(columns)].join(', ')} FROM ${from} AS src ` +
    `WHERE ${where.join(' AND ')} ORDER BY ${ts}, ${id} LIMIT $2`;
  return { text, values };
}
