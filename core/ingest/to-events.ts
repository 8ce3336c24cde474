import {
  type EventInput,
  type MeasurementEvent,
  parseEvent,
  type TimeWindow,
} from '../events/event-schema.ts';
import type { MappingRules } from './mapping-rules.ts';
import { type MetricSample, type Refusal, skip } from './metric-sample.ts';

/**
 * Samples to events, by the mapping rules: the series is the metric name and its sorted identifying labels in
 * Prometheus' text form (`http_requests_total{code="200",job="api"}`), dimensions are the labels the rules name,
 * samples of one series, time and kind that carry channels become one multi-channel event, and every event is
 * validated exactly as the detector validates it (`parseEvent`), so what is refused here would have been
 * dead-lettered there, and says why.
 */

/** Which metrics and labels a tenant may send; the first line of the cardinality guard. */
export interface AllowList {
  /** Regular expressions (anchored); a metric matching none is refused. Absent: every metric. */
  readonly metrics?: readonly string[];
  /** Label names kept; others are dropped before the series is named. Absent: every label. */
  readonly labels?: readonly string[];
}

/** Events made from a batch of samples, and what was refused or set aside on the way. */
export interface ToEventsResult {
  readonly events: MeasurementEvent[];
  readonly refusals: Refusal[];
  readonly skipped: Map<string, number>;
}

/** How one set of labels maps: the series name, its dimensions and (in a channel group) the channel label's value. */
interface Identity {
  readonly series: string;
  readonly dimensions: Record<string, string> | undefined;
  readonly channel: string | undefined;
}

/** Compiled form of the rules, built once per rules object. */
interface Compiled {
  readonly drop: ReadonlySet<string>;
  readonly dimensions: ReadonlySet<string>;
  readonly seriesLabels: ReadonlySet<string> | undefined;
  readonly groups: readonly { readonly metric: RegExp; readonly channelLabel: string }[];
  readonly allowMetrics: readonly RegExp[] | undefined;
  readonly allowLabels: ReadonlySet<string> | undefined;
}

const compiledCache = new WeakMap<MappingRules, WeakMap<AllowList, Compiled>>();
const NO_ALLOW_LIST: AllowList = {};

function compile(rules: MappingRules, allow: AllowList): Compiled {
  let byAllow = compiledCache.get(rules);
  if (!byAllow) {
    byAllow = new WeakMap();
    compiledCache.set(rules, byAllow);
  }
  let compiled = byAllow.get(allow);
  if (!compiled) {
    compiled = {
      drop: new Set(rules.dropLabels),
      dimensions: new Set(rules.dimensionLabels),
      seriesLabels: rules.seriesLabels === 'all' ? undefined : new Set(rules.seriesLabels),
      groups: rules.channelGroups.map((g) => ({ metric: anchored(g.metric), channelLabel: g.channelLabel })),
      allowMetrics: allow.metrics?.map(anchored),
      allowLabels: allow.labels ? new Set(allow.labels) : undefined,
    };
    byAllow.set(allow, compiled);
  }
  return compiled;
}

function anchored(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/** Quotes a label value as Prometheus' text format does: backslash-escaped `"` and line breaks. */
function quote(value: string): string {
  return /["\n]/.test(value) ? value.replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

function identityOf(sample: MetricSample, c: Compiled, skipped: Map<string, number>): Identity {
  const group = c.groups.find((g) => g.metric.test(sample.name));
  let channel: string | undefined;
  let dimensions: Record<string, string> | undefined;
  const parts: string[] = [];
  for (const name of Object.keys(sample.labels).sort()) {
    const value = sample.labels[name] as string;
    if (c.drop.has(name)) continue;
    if (c.allowLabels && !c.allowLabels.has(name)) {
      skip(skipped, 'label not on the allow-list (dropped)');
      continue;
    }
    if (group && name === group.channelLabel) {
      channel = value;
      continue;
    }
    if (c.dimensions.has(name)) {
      dimensions ??= {};
      dimensions[name] = value;
      continue;
    }
    if (c.seriesLabels && !c.seriesLabels.has(name)) continue;
    parts.push(`${name}="${quote(value)}"`);
  }
  const series = parts.length > 0 ? `${sample.name}{${parts.join(',')}}` : sample.name;
  return { series, dimensions, channel };
}

/**
 * Maps samples to validated events. `window` is the receiving clock's (events more than its `maxFutureMs`
 * ahead are refused, as the detector would); order is kept: events appear in the order of their first sample.
 */
export function samplesToEvents(
  samples: readonly MetricSample[],
  rules: MappingRules,
  options: { readonly allow?: AllowList; readonly window?: TimeWindow } = {},
): ToEventsResult {
  const c = compile(rules, options.allow ?? NO_ALLOW_LIST);
  const refusals: Refusal[] = [];
  const skipped = new Map<string, number>();
  const identities = new Map<Readonly<Record<string, string>>, Map<string, Identity>>();
  // Samples that fill channels of one event gather here, keyed by series, time and kind.
  const pending = new Map<
    string,
    { input: EventInput & { values: Record<string, number> }; origin: string }
  >();
  const order: (string | { input: EventInput; origin: string })[] = [];

  for (const sample of samples) {
    if (!Number.isFinite(sample.value)) {
      refusals.push({
        code: 'not-a-number',
        origin: sample.origin,
        reason: `value of ${sample.name} is ${sample.value}; only finite numbers can be scored`,
      });
      continue;
    }
    if (c.allowMetrics && !c.allowMetrics.some((re) => re.test(sample.name))) {
      refusals.push({
        code: 'metric-not-allowed',
        origin: sample.origin,
        reason: `metric "${sample.name}" is not on the allow-list`,
      });
      continue;
    }
    // Decoders share one labels object among the samples of a series: name it once.
    let byName = identities.get(sample.labels);
    if (!byName) {
      byName = new Map();
      identities.set(sample.labels, byName);
    }
    let identity = byName.get(sample.name);
    if (!identity) {
      identity = identityOf(sample, c, skipped);
      byName.set(sample.name, identity);
    }
    const kind = sample.kind === 'counter' ? ({ kind: 'counter' } as const) : undefined;
    const dims = identity.dimensions ? { dimensions: identity.dimensions } : undefined;
    const channel = identity.channel ?? sample.channel;
    if (channel === undefined) {
      order.push({
        input: {
          series: identity.series,
          timestamp: sample.timestamp,
          value: sample.value,
          ...dims,
          ...kind,
        },
        origin: sample.origin,
      });
      continue;
    }
    const key = `${identity.series}\u0000${sample.timestamp}\u0000${sample.kind}`;
    const open = pending.get(key);
    if (open) {
      open.input.values[channel] = sample.value;
    } else {
      pending.set(key, {
        input: {
          series: identity.series,
          timestamp: sample.timestamp,
          values: { [channel]: sample.value },
          ...dims,
          ...kind,
        },
        origin: sample.origin,
      });
      order.push(key);
    }
  }

  const events: MeasurementEvent[] = [];
  for (const entry of order) {
    const { input, origin } =
      typeof entry === 'string' ? (pending.get(entry) as { input: EventInput; origin: string }) : entry;
    const parsed = parseEvent(input, options.window);
    if (parsed.ok) events.push(parsed.event);
    else refusals.push({ code: 'invalid-event', origin, reason: `${input.series}: ${parsed.error.message}` });
  }
  return { events, refusals, skipped };
}
