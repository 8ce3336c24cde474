import { z } from 'zod';
import { EVENT_LIMITS } from '../events/event-schema.ts';

/**
 * What a database poller reads and how rows become events: the source (a table or a query), the columns that
 * order it (`timestamp`, then `id` to break ties), the series (a column or a constant), value and dimension
 * columns, and the delay that waits for late commits. Validated once, with messages naming the field.
 */

/** A SQL identifier Seismo quotes itself: letters, digits and `_`, not starting with a digit. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const identifier = (field: string) =>
  z
    .string({ error: `${field} must be a column name` })
    .regex(IDENTIFIER, `${field} must be a plain column name (letters, digits, _; at most 63)`);

/** How the timestamp column stores time. */
export const TIMESTAMP_TYPES = ['timestamp', 'epoch_ms', 'epoch_s'] as const;
export type TimestampType = (typeof TIMESTAMP_TYPES)[number];

/** The poller's source and mapping, as configured (the `dbPoller.source` context key, POLLER_SOURCE). */
export const PollerSourceSchema = z
  .strictObject(
    {
      /** Names the watermark: one per source; renaming starts over from the beginning. */
      name: z
        .string({ error: 'name is required' })
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'name must be 1-64 letters, digits, ".", "_" or "-"'),
      table: z
        .string()
        .regex(
          /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/,
          'table must be "table" or "schema.table" (plain names)',
        )
        .optional(),
      query: z
        .string()
        .min(1)
        .refine((q) => !q.includes(';'), 'query must be one SELECT without ";"')
        .refine((q) => /^\s*(select|with)\b/i.test(q), 'query must start with SELECT or WITH')
        .optional(),
      idColumn: identifier('idColumn'),
      timestampColumn: identifier('timestampColumn'),
      timestampType: z
        .enum(TIMESTAMP_TYPES, { error: 'timestampType must be timestamp, epoch_ms or epoch_s' })
        .default('timestamp'),
      seriesColumn: identifier('seriesColumn').optional(),
      series: z.string().min(1).max(EVENT_LIMITS.seriesLength).optional(),
      valueColumns: z
        .array(identifier('valueColumns[]'))
        .min(1, 'valueColumns must name at least one column')
        .max(EVENT_LIMITS.channels, `valueColumns may name at most ${EVENT_LIMITS.channels} columns`),
      dimensionColumns: z
        .array(identifier('dimensionColumns[]'))
        .max(EVENT_LIMITS.dimensions, `dimensionColumns may name at most ${EVENT_LIMITS.dimensions} columns`)
        .default([]),
      kind: z.enum(['gauge', 'counter'], { error: 'kind must be gauge or counter' }).optional(),
      /** Rows newer than now minus this are left for a later run, so transactions still open can commit. */
      delaySeconds: z.number().int().min(0).max(86_400).default(60),
      pageSize: z.number().int().min(1).max(10_000).default(1_000),
      maxRowsPerRun: z.number().int().min(1).max(10_000_000).default(100_000),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.join(', ')}`
          : 'must be an object',
    },
  )
  .superRefine((source, ctx) => {
    if ((source.table === undefined) === (source.query === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['table'],
        message: 'exactly one of table and query is required',
      });
    }
    if ((source.seriesColumn === undefined) === (source.series === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['series'],
        message: 'exactly one of seriesColumn (a column per row) and series (one name for all) is required',
      });
    }
    const used = [source.idColumn, source.timestampColumn, ...source.valueColumns];
    const clash = source.dimensionColumns.find((d) => used.includes(d));
    if (clash)
      ctx.addIssue({
        code: 'custom',
        path: ['dimensionColumns'],
        message: `"${clash}" is also an id, timestamp or value column`,
      });
  });

/** A validated poller source. */
export type PollerSource = z.output<typeof PollerSourceSchema>;

/** Thrown for a source configuration that breaks a rule; the message names each field and rule. */
export class PollerConfigError extends Error {
  override readonly name = 'PollerConfigError';
}

/** Validates a source configuration (JSON already parsed); throws {@link PollerConfigError} listing every problem. */
export function parsePollerSource(input: unknown): PollerSource {
  const result = PollerSourceSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    return path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message;
  });
  throw new PollerConfigError(`invalid poller source: ${problems.join('; ')}`);
}
