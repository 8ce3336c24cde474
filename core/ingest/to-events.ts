import type { EventInput, MeasurementEvent, TimeWindow } from '../events/event-schema.ts';
import { EventValidator } from './event-validator.ts';
import type { MappingRules } from './mapping-rules.ts';
import { type MetricSample, type Refusal, skip } from './metric-sample.ts';

/**
 * Samples to events, by the mapping rules: the series is the metric name and its sorted identifying labels in
 * Prometheus' text form (`http_requests_total{code="200",job="api"}`), dimensions are the labels the rules name,
 * samples of one series, time and kind that carry channels become one multi-channel event, and every event is
 * validated exactly as the detector validates it (`parseEvent`, remembered per series identity by
 * {@link EventValidator}), so what is refused here would have been dead-lettered there, and says why.
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
  /** Labels dropped for not being on the allow-list, tallied each request the identity is named in. */
  readonly droppedLabels: number;
}

/** Compiled form of the rules, built once per rules object. */
interface Compiled {
  readonly drop: ReadonlySet<string>;
  readonly dimensions: ReadonlySet<string>;
  readonly seriesLabels: ReadonlySet<string> | undefined;
  readonly groups: readonly { readonly metric: RegExp; readonly channelLabel: string }[];
  readonly allowMetrics: readonly RegExp[] | undefined;
  readonly allowLabels: ReadonlySet<string> | undefined;
  /** No label is dropped, made a dimension or a channel, or filtered: every one names the series. */
  readonly plain: boolean;
  /**
   * Identities by labels object, across requests: the remote-write reader hands out the same labels object for a
   * label set it has seen, so a known series is named once per rules and allow-list, not once per request.
   */
  readonly identities: WeakMap<Readonly<Record<string, string>>, KnownIdentity>;
}

/** A labels object names one identity per metric name: the first inline (the common case), others in a map. */
interface KnownIdentity {
  readonly name: string;
  readonly identity: Identity;
  others?: Map<string, Identity>;
}

/** One validator per process (container): its memory of series identities serves every request. */
const sharedValidator = new EventValidator();

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
      plain:
        rules.dropLabels.length === 0 &&
        rules.dimensionLabels.length === 0 &&
        rules.seriesLabels === 'all' &&
        rules.channelGroups.length === 0 &&
        allow.labels === undefined,
      identities: new WeakMap(),
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
  // One scan for the common case, a value with nothing to escape.
  return NEEDS_QUOTING.test(value) ? value.replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

const NEEDS_QUOTING = /["\n]/;

function identityOf(sample: MetricSample, c: Compiled): Identity {
  let group: Compiled['groups'][number] | undefined;
  for (const g of c.groups) {
    if (g.metric.test(sample.name)) {
      group = g;
      break;
    }
  }
  let channel: string | undefined;
  let dimensions: Record<string, string> | undefined;
  let series = '';
  let droppedLabels = 0;
  let names = Object.keys(sample.labels);
  // Remote write sends labels sorted; others may not.
  for (let i = 1; i < names.length; i += 1) {
    if ((names[i - 1] as string) > (names[i] as string)) {
      names = names.sort();
      break;
    }
  }
  // Every label names the series under the default rules: no set to consult (each lookup hashes a name the
  // decoder has just made).
  if (c.plain) {
    for (let i = 0; i < names.length; i += 1) {
      const name = names[i] as string;
      series += `${i === 0 ? '' : ','}${name}="${quote(sample.labels[name] as string)}"`;
    }
    return {
      series: series === '' ? sample.name : `${sample.name}{${series}}`,
      dimensions,
      channel,
      droppedLabels,
    };
  }
  for (const name of names) {
    const value = sample.labels[name] as string;
    if (c.drop.has(name)) continue;
    if (c.allowLabels && !c.allowLabels.has(name)) {
      droppedLabels += 1;
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
    series += `${series === '' ? '' : ','}${name}="${quote(value)}"`;
  }
  series = series === '' ? sample.name : `${sample.name}{${series}}`;
  return { series, dimensions, channel, droppedLabels };
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
  const identities = c.identities;
  // Identities whose dropped labels this request has tallied: once per labels object and name, as if each
  // request named its series anew.
  let tallied: Set<Identity> | undefined;
  let lastLabels: Readonly<Record<string, string>> | undefined;
  let lastName: string | undefined;
  let lastIdentity: Identity | undefined;
  // Samples that fill channels of one event gather here, keyed by series, time and kind.
  const pending = new Map<
    string,
    { input: EventInput & { values: Record<string, number> }; origin: string }
  >();
  // Events in the order of their first sample: made already, or the key of a multi-channel one still filling.
  const order: (string | MeasurementEvent)[] = [];

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
    // Decoders share one labels object among the samples of a series, and put those samples side by side:
    // the last identity usually serves, else the memory by labels object, else the series is named once.
    let identity: Identity;
    if (sample.labels === lastLabels && sample.name === lastName) identity = lastIdentity as Identity;
    else {
      const known = identities.get(sample.labels);
      let found = known?.name === sample.name ? known.identity : known?.others?.get(sample.name);
      if (!found) {
        found = identityOf(sample, c);
        if (!known) identities.set(sample.labels, { name: sample.name, identity: found });
        else {
          known.others ??= new Map();
          known.others.set(sample.name, found);
        }
      }
      if (found.droppedLabels > 0) {
        tallied ??= new Set();
        if (!tallied.has(found)) {
          tallied.add(found);
          skip(skipped, 'label not on the allow-list (dropped)', found.droppedLabels);
        }
      }
      identity = found;
      lastLabels = sample.labels;
      lastName = sample.name;
      lastIdentity = identity;
    }
    const channel = identity.channel ?? sample.channel;
    if (channel === undefined) {
      // One value per series, the common case: validated and made an event right away, in order.
      const parsed = sharedValidator.validateValue(
        identity.series,
        sample.timestamp,
        sample.value,
        identity.dimensions,
        sample.kind === 'counter' ? 'counter' : undefined,
        options.window,
      );
      if (parsed.ok) order.push(parsed.event);
      else
        refusals.push({
          code: 'invalid-event',
          origin: sample.origin,
          reason: `${identity.series}: ${parsed.error.message}`,
        });
      continue;
    }
    const key = `${identity.series}\u0000${sample.timestamp}\u0000${sample.kind}`;
    const open = pending.get(key);
    if (open) {
      open.input.values[channel] = sample.value;
    } else {
      const input: EventInput & { values: Record<string, number> } = {
        series: identity.series,
        timestamp: sample.timestamp,
        values: { [channel]: sample.value },
      };
      if (identity.dimensions) input.dimensions = identity.dimensions;
      if (sample.kind === 'counter') input.kind = 'counter';
      pending.set(key, { input, origin: sample.origin });
      order.push(key);
    }
  }

  const events: MeasurementEvent[] = [];
  for (const entry of order) {
    if (typeof entry !== 'string') {
      events.push(entry);
      continue;
    }
    const { input, origin } = pending.get(entry) as { input: EventInput; origin: string };
    const parsed = sharedValidator.validate(input, options.window);
    if (parsed.ok) events.push(parsed.event);
    else refusals.push({ code: 'invalid-event', origin, reason: `${input.series}: ${parsed.error.message}` });
  }
  return { events, refusals, skipped };
}
