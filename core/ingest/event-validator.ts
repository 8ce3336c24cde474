import {
  EVENT_LIMITS,
  type EventInput,
  type MeasurementEvent,
  type ParseResult,
  parseEvent,
  SINGLE_CHANNEL,
  type TimeWindow,
} from '../events/event-schema.ts';
import { TIMESTAMP_MS_RANGE } from './event-json-schema.ts';

/**
 * `parseEvent`, remembered per series identity. A Prometheus or OTLP sender repeats the same series every few
 * seconds and only value and time change, while most of what `parseEvent` checks is the identity: name rules,
 * lengths, reserved dimension names, the byte budget. So each identity (series, dimensions, channel names, kind)
 * is validated once by `parseEvent` itself, with a probe value and time, and its verdict kept; a sample of a
 * known-good identity then needs only its value and time checked, which is done here for the plain case (finite,
 * within 1e100, epoch ms in the storable range, within the clock window). Anything else (a refused identity, a
 * value or time outside the plain case, ISO text) goes to `parseEvent`, so every refusal keeps the detector's own
 * words and nothing passes that `parseEvent` would refuse (a property test holds the two to each other).
 */

/** A time any identity's probe can carry (2001-09-09), well inside the storable range. */
const PROBE_TIMESTAMP = 1e12;
/** Identities remembered; past this the memory is dropped and refilled (one parse per identity again). */
const MAX_IDENTITIES = 200_000;

interface Verdict {
  /** The dimensions as `parseEvent` returns them (normalised), when the identity is good. */
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly ok: boolean;
}

/** Validates events as `parseEvent` does, with a per-identity memory; one per container (or per test). */
export class EventValidator {
  private readonly verdicts = new Map<string, Verdict>();
  /** The common identities, a single value without dimensions, by kind and then series: no key to build. */
  private readonly gauges = new Map<string, Verdict>();
  private readonly counters = new Map<string, Verdict>();

  /** The result `parseEvent(input, window)` would give. */
  validate(input: EventInput, window?: TimeWindow): ParseResult {
    if (!hasPlainShape(input)) return parseEvent(input, window);
    const single = input.values === undefined;
    const verdict = this.verdictOf(input, single);
    if (verdict.ok && this.plain(input, single, window)) {
      const timestamp = Math.trunc(input.timestamp as number);
      const event: MeasurementEvent = {
        series: input.series as string,
        timestamp,
        values: single
          ? { [SINGLE_CHANNEL]: input.value as number }
          : (input.values as Record<string, number>),
        dimensions: verdict.dimensions as Readonly<Record<string, string>>,
        ...(input.kind === 'counter' ? { kind: 'counter' as const } : {}),
      };
      return { ok: true, event };
    }
    return parseEvent(input, window);
  }

  /**
   * The result `parseEvent({series, timestamp, value, dimensions?, kind?}, window)` would give, without building
   * that input unless it has to be parsed: the translator's common case, one value per series.
   */
  validateValue(
    series: string,
    timestamp: number,
    value: number,
    dimensions: Readonly<Record<string, string>> | undefined,
    kind: 'counter' | undefined,
    window?: TimeWindow,
  ): ParseResult {
    if (dimensions === undefined) {
      const memory = kind === 'counter' ? this.counters : this.gauges;
      const verdict = memory.get(series);
      if (
        verdict?.ok &&
        timestamp >= TIMESTAMP_MS_RANGE.minimum &&
        timestamp <= TIMESTAMP_MS_RANGE.maximum &&
        (!window ||
          (Math.trunc(timestamp) - window.now <= window.maxFutureMs &&
            (window.maxAgeMs === undefined || window.now - Math.trunc(timestamp) <= window.maxAgeMs))) &&
        plainNumber(value)
      ) {
        const event: MeasurementEvent = {
          series,
          timestamp: Math.trunc(timestamp),
          values: { [SINGLE_CHANNEL]: value },
          dimensions: verdict.dimensions as Readonly<Record<string, string>>,
          ...(kind === 'counter' ? { kind } : {}),
        };
        return { ok: true, event };
      }
    }
    const input: EventInput = { series, timestamp, value };
    if (dimensions !== undefined) input.dimensions = dimensions;
    if (kind !== undefined) input.kind = kind;
    return this.validate(input, window);
  }

  /** The identity's verdict, from memory or from one `parseEvent` of a probe. */
  private verdictOf(input: EventInput, single: boolean): Verdict {
    if (typeof input.series !== 'string') return { ok: false };
    const simple =
      single && input.dimensions === undefined && (input.kind === undefined || input.kind === 'counter');
    const memory = simple ? (input.kind === 'counter' ? this.counters : this.gauges) : this.verdicts;
    const key = simple ? input.series : identityKey(input, single);
    let verdict = memory.get(key);
    if (verdict) return verdict;
    const probe: Record<string, unknown> = { series: input.series, timestamp: PROBE_TIMESTAMP };
    if (single) probe.value = 0;
    else if (typeof input.values === 'object' && input.values !== null && !Array.isArray(input.values)) {
      probe.values = Object.fromEntries(Object.keys(input.values).map((k) => [k, 0]));
    } else probe.values = input.values;
    if (input.dimensions !== undefined) probe.dimensions = input.dimensions;
    if (input.kind !== undefined) probe.kind = input.kind;
    const parsed = parseEvent(probe);
    verdict = parsed.ok ? { ok: true, dimensions: parsed.event.dimensions } : { ok: false };
    if (memory.size >= MAX_IDENTITIES) memory.clear();
    memory.set(key, verdict);
    return verdict;
  }

  /** True when value(s) and timestamp are the plain case this class checks itself. */
  private plain(input: EventInput, single: boolean, window: TimeWindow | undefined): boolean {
    const t = input.timestamp;
    if (typeof t !== 'number' || !(t >= TIMESTAMP_MS_RANGE.minimum && t <= TIMESTAMP_MS_RANGE.maximum))
      return false;
    if (window && Math.trunc(t) - window.now > window.maxFutureMs) return false;
    if (window?.maxAgeMs !== undefined && window.now - Math.trunc(t) > window.maxAgeMs) return false;
    if (single) return plainNumber(input.value);
    for (const k in input.values)
      if (!plainNumber((input.values as Record<string, unknown>)[k])) return false;
    return true;
  }
}

const FIELDS: ReadonlySet<string> = new Set(['series', 'timestamp', 'value', 'values', 'dimensions', 'kind']);

/** An object with known fields only and exactly one of `value` and `values`: else `parseEvent` says why. */
function hasPlainShape(input: EventInput): boolean {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  for (const key in input) if (!FIELDS.has(key)) return false;
  return (input.value === undefined) !== (input.values === undefined);
}

function plainNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= EVENT_LIMITS.absoluteValue;
}

/** What identifies an event's identity for validation: series, dimensions, channel names and kind. */
function identityKey(input: EventInput, single: boolean): string {
  let key = `${input.series as string}\u0000${String(input.kind)}\u0000`;
  if (!single)
    key +=
      typeof input.values === 'object' && input.values !== null
        ? Object.keys(input.values).join('\u0001')
        : '?';
  if (input.dimensions !== undefined) key += `\u0000${JSON.stringify(input.dimensions)}`;
  return key;
}
