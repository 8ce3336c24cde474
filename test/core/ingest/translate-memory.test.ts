import fc from 'fast-check';
import SnappyJS from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING_RULES, type MappingRules } from '../../../core/ingest/mapping-rules.ts';
import type { DecodedSamples } from '../../../core/ingest/metric-sample.ts';
import { decodeOtlpProtobuf, encodeOtlpProtobuf, otlpSamples } from '../../../core/ingest/otlp-metrics.ts';
import {
  decodeWriteRequestBytes,
  encodeRemoteWrite,
  remoteWriteSamples,
} from '../../../core/ingest/prometheus-remote-write.ts';
import { type AllowList, samplesToEvents } from '../../../core/ingest/to-events.ts';
import {
  DEFAULT_MAX_FUTURE_MS,
  type IngestFormat,
  type Translation,
  translate,
} from '../../../core/ingest/translate.ts';

/**
 * The translator remembers across requests what a label set names (by its bytes, then by its labels object, per
 * mapping rules and allow-list). These tests hold every translation to the one made from scratch: protobufjs,
 * then the mapping with rules and allow-list objects it has never seen.
 */

const T = 1_700_000_000_000;
const REMOTE_WRITE = { protocol: 'prometheus-remote-write' } as const;
const OTLP = { protocol: 'otlp', encoding: 'protobuf' } as const;

type Series = Parameters<typeof encodeRemoteWrite>[0]['timeseries'][number];
const series = (name: string, labels: Record<string, string>, value = 1): Series => ({
  labels: [
    { name: '__name__', value: name },
    ...Object.entries(labels).map(([n, v]) => ({ name: n, value: v })),
  ].sort((a, b) => (a.name < b.name ? -1 : 1)),
  samples: [{ value, timestamp: T }],
});

/** The translation made without any memory: fresh rules and allow-list objects, protobufjs' objects. */
function fromScratch(
  body: Uint8Array,
  rules: MappingRules,
  allow: AllowList | undefined,
  format: IngestFormat = REMOTE_WRITE,
): Translation {
  const decoded: DecodedSamples =
    format.protocol === 'otlp'
      ? otlpSamples(decodeOtlpProtobuf(body), rules, T)
      : remoteWriteSamples(decodeWriteRequestBytes(SnappyJS.uncompress(body)), rules);
  const mapped = samplesToEvents(decoded.samples, structuredClone(rules), {
    ...(allow ? { allow: structuredClone(allow) } : {}),
    window: { now: T, maxFutureMs: DEFAULT_MAX_FUTURE_MS },
  });
  for (const [rule, count] of mapped.skipped)
    decoded.skipped.set(rule, (decoded.skipped.get(rule) ?? 0) + count);
  return {
    events: mapped.events,
    refusals: [...decoded.refusals, ...mapped.refusals],
    skipped: decoded.skipped,
    samples: decoded.samples.length,
  };
}

const comparable = (t: Translation) => ({ ...t, skipped: [...t.skipped] });

/** Rules and tenants' allow-lists as a running translator holds them: the same objects request after request. */
const RULES: readonly MappingRules[] = [
  DEFAULT_MAPPING_RULES,
  { ...DEFAULT_MAPPING_RULES, dimensionLabels: ['instance'] },
  { ...DEFAULT_MAPPING_RULES, dropLabels: ['code'], histograms: 'drop' },
  { ...DEFAULT_MAPPING_RULES, seriesLabels: ['job'] },
  { ...DEFAULT_MAPPING_RULES, channelGroups: [{ metric: 'cpu_.*', channelLabel: 'mode' }] },
];
const TENANTS: readonly (AllowList | undefined)[] = [
  undefined,
  { labels: ['job', 'mode'] },
  { metrics: ['up|cpu_.*'] },
  { metrics: ['.*'], labels: ['instance'] },
];

const seriesArb: fc.Arbitrary<Series> = fc
  .tuple(
    fc.constantFrom(
      'up',
      'cpu_seconds_total',
      'http_requests_total',
      'rpc_seconds_bucket',
      'rpc_seconds_sum',
    ),
    fc.dictionary(
      fc.constantFrom('code', 'instance', 'job', 'mode'),
      fc.constantFrom('a', 'b', 'user', 'system'),
      { maxKeys: 4 },
    ),
    fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(Number.NaN, 1e101)),
  )
  .map(([name, labels, value]) => series(name, labels, value));

describe('translate, remembering label sets across requests', () => {
  it('translates every request as from scratch, whatever the rules and tenants before it', () => {
    // Act + Assess
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.array(seriesArb, { maxLength: 6 }),
            fc.integer({ min: 0, max: RULES.length - 1 }),
            fc.integer({ min: 0, max: TENANTS.length - 1 }),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (requests) => {
          for (const [timeseries, r, a] of requests) {
            const body = encodeRemoteWrite({ timeseries });
            const rules = RULES[r] as MappingRules;
            const allow = TENANTS[a];
            const translated = translate(REMOTE_WRITE, body, { rules, now: T, ...(allow ? { allow } : {}) });
            expect(comparable(translated)).toEqual(comparable(fromScratch(body, rules, allow)));
          }
        },
      ),
      { seed: 11, numRuns: 400 },
    );
  });

  it('translates every OTLP request as from scratch, attribute sets shared among metrics and points', () => {
    // Prepare: points of a few attribute sets, so one set recurs in a metric, across metrics and requests.
    const point = fc
      .tuple(
        fc.constantFrom('a', 'b'),
        fc.constantFrom('user', 'system'),
        fc.integer({ min: 0, max: 3 }),
        fc.double({ noNaN: true }),
      )
      .map(([host, mode, dt, asDouble]) => ({
        asDouble,
        timeUnixNano: `${T + dt}000000`,
        attributes: [
          { key: 'host.name', value: { stringValue: host } },
          { key: 'mode', value: { stringValue: mode } },
        ],
      }));
    const metric = fc
      .tuple(fc.constantFrom('cpu_time', 'up', 'queue'), fc.boolean(), fc.array(point, { maxLength: 4 }))
      .map(([name, sum, dataPoints]) =>
        sum
          ? { name, sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints } }
          : { name, gauge: { dataPoints } },
      );
    const body = fc.array(metric, { maxLength: 4 }).map((metrics) =>
      encodeOtlpProtobuf({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
            scopeMetrics: [{ metrics }],
          },
        ],
      }),
    );

    // Act + Assess
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            body,
            fc.integer({ min: 0, max: RULES.length - 1 }),
            fc.integer({ min: 0, max: TENANTS.length - 1 }),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (requests) => {
          for (const [bytes, r, a] of requests) {
            const rules = RULES[r] as MappingRules;
            const allow = TENANTS[a];
            const translated = translate(OTLP, bytes, { rules, now: T, ...(allow ? { allow } : {}) });
            expect(comparable(translated)).toEqual(comparable(fromScratch(bytes, rules, allow, OTLP)));
          }
        },
      ),
      { seed: 13, numRuns: 400 },
    );
  });

  it("keeps tenants apart: one tenant's allow-list never shapes another's series", () => {
    // Prepare
    const body = encodeRemoteWrite({ timeseries: [series('up', { instance: 'h:1', job: 'api' })] });
    const jobOnly: AllowList = { labels: ['job'] };
    const run = (allow?: AllowList) =>
      translate(REMOTE_WRITE, body, { rules: DEFAULT_MAPPING_RULES, now: T, ...(allow ? { allow } : {}) })
        .events[0]?.series;

    // Act
    const first = [run(jobOnly), run(), run({ metrics: ['down'] })];
    const again = [run(), run(jobOnly)];

    // Assess
    expect(first).toEqual(['up{job="api"}', 'up{instance="h:1",job="api"}', undefined]);
    expect(again).toEqual(['up{instance="h:1",job="api"}', 'up{job="api"}']);
  });

  it('serves no series named under rules that have since changed', () => {
    // Prepare
    const body = encodeRemoteWrite({ timeseries: [series('up', { instance: 'h:1', job: 'api' })] });
    const before = DEFAULT_MAPPING_RULES;
    const after: MappingRules = { ...DEFAULT_MAPPING_RULES, dimensionLabels: ['instance'] };
    const run = (rules: MappingRules) => translate(REMOTE_WRITE, body, { rules, now: T }).events[0];

    // Act
    const named = [run(before), run(after), run(before)];

    // Assess
    expect(named.map((e) => [e?.series, e?.dimensions])).toEqual([
      ['up{instance="h:1",job="api"}', {}],
      ['up{job="api"}', { instance: 'h:1' }],
      ['up{instance="h:1",job="api"}', {}],
    ]);
  });

  it('tallies labels dropped by the allow-list per series and request, as when each is named anew', () => {
    // Prepare: one label set twice in a request, and again in the next request.
    const twice = series('up', { instance: 'h:1', job: 'api' });
    const body = encodeRemoteWrite({ timeseries: [twice, twice] });
    const allow: AllowList = { labels: ['job'] };

    // Act
    const tallies = [1, 2].map(
      () =>
        translate(REMOTE_WRITE, body, { rules: DEFAULT_MAPPING_RULES, now: T, allow }).skipped.get(
          'label not on the allow-list (dropped)',
        ) ?? 0,
    );

    // Assess
    expect(tallies).toEqual([2, 2]);
  });
});
