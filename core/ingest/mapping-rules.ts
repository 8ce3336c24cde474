import { z } from 'zod';

/**
 * How samples become events: which labels name the series, which travel as dimensions, which samples fill the
 * channels of one multi-channel event, and what happens to the values that are not plain numbers. A typed
 * object with defaults; `parseMappingRules` reads the same shape from JSON (a config file later), naming the
 * key and the rule of anything wrong.
 */

/** Metrics whose samples become channels of one event instead of a series each. */
export interface ChannelGroup {
  /** Regular expression (anchored) a metric name must match. */
  readonly metric: string;
  /** The label whose value names the channel (e.g. `mode` for `node_cpu_seconds_total`); it leaves the series. */
  readonly channelLabel: string;
}

/** The mapping of samples to events. */
export interface MappingRules {
  /**
   * Labels that identify a series, besides the metric name: `all` (the default) takes every label that is not
   * a dimension or dropped; a list takes those only, the others are dropped.
   */
  readonly seriesLabels: 'all' | readonly string[];
  /** Labels that travel as event dimensions (stored tags) instead of naming the series. */
  readonly dimensionLabels: readonly string[];
  /** Labels dropped altogether (churning ones: pod hashes, request ids). */
  readonly dropLabels: readonly string[];
  /** OTLP resource attributes that identify the series (as labels); other resource attributes are dropped. */
  readonly resourceAttributes: readonly string[];
  /** Metrics whose samples are channels of one event, the channel named by a label. */
  readonly channelGroups: readonly ChannelGroup[];
  /**
   * Histograms and summaries: `sum-count` (default) keeps `_sum` and `_count` (counters when cumulative) and
   * summary quantiles (gauges), dropping buckets; `drop` leaves them all out.
   */
  readonly histograms: 'sum-count' | 'drop';
  /** InfluxDB string fields: `ignore` (default; counted) or `refuse` (the point's other fields still pass). */
  readonly stringFields: 'ignore' | 'refuse';
  /** InfluxDB booleans: `number` (default; true is 1, false is 0) or `ignore`. */
  readonly booleanFields: 'number' | 'ignore';
}

/** The rules used unless configured otherwise. */
export const DEFAULT_MAPPING_RULES: MappingRules = {
  seriesLabels: 'all',
  dimensionLabels: [],
  dropLabels: [],
  resourceAttributes: ['service.namespace', 'service.name', 'service.instance.id', 'host.name'],
  channelGroups: [],
  histograms: 'sum-count',
  stringFields: 'ignore',
  booleanFields: 'number',
};

const regex = z.string().refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be a valid regular expression' },
);

const labelList = z.array(z.string().min(1, { error: 'label names must not be empty' }));

const MappingRulesSchema = z.strictObject({
  seriesLabels: z.union([z.literal('all'), labelList], { error: 'must be "all" or a list of label names' }),
  dimensionLabels: labelList,
  dropLabels: labelList,
  resourceAttributes: labelList,
  channelGroups: z.array(
    z.strictObject({ metric: regex, channelLabel: z.string().min(1, { error: 'must not be empty' }) }),
  ),
  histograms: z.enum(['sum-count', 'drop'], { error: 'must be "sum-count" or "drop"' }),
  stringFields: z.enum(['ignore', 'refuse'], { error: 'must be "ignore" or "refuse"' }),
  booleanFields: z.enum(['number', 'ignore'], { error: 'must be "number" or "ignore"' }),
});

/** Thrown for mapping rules that cannot be used; lists every key and rule broken. */
export class MappingRulesError extends Error {
  override readonly name = 'MappingRulesError';
}

/** Reads mapping rules from JSON-shaped input, filling unset keys from the defaults. */
export function parseMappingRules(input: unknown): MappingRules {
  const merged = { ...DEFAULT_MAPPING_RULES, ...(typeof input === 'object' && input !== null ? input : {}) };
  const result = MappingRulesSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(rules)'}: ${i.message}`);
    throw new MappingRulesError(`invalid mapping rules: ${problems.join('; ')}`);
  }
  return result.data;
}
