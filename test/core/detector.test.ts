import { beforeAll, describe, expect, it } from 'vitest';
import type { EpisodeTransition, ScoredPoint } from '../../core/detection-types.ts';
import {
  type DetectionResult,
  Detector,
  episodeIdOf,
  parseSeriesKey,
  type SeriesDetectorState,
  seriesKey,
} from '../../core/detector.ts';
import { DEFAULT_EPISODE_OPTIONS } from '../../core/episodes/episode-tracker.ts';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../core/features/feature-schema.ts';
import type { ModelCard } from '../../models/model-card.ts';
import { loadModel } from '../../models/model-store.ts';
import { Random } from '../../models/random.ts';

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const CALM_POINTS = 600;

type States = Map<string, SeriesDetectorState>;

/** `n` single-value events one minute apart: `level` plus Gaussian noise of deviation `noise`. */
function calmEvents(
  series: string,
  n: number,
  seed: number,
  options: { level?: number; noise?: number; dimensions?: Record<string, string> } = {},
  start = T0,
): MeasurementEvent[] {
  const { level = 100, noise = 1, dimensions = {} } = options;
  const random = new Random(seed);
  return Array.from({ length: n }, (_, i) => ({
    series,
    timestamp: start + i * MINUTE,
    values: { value: random.normal(level, noise) },
    dimensions,
  }));
}

/** Adds `size` to the value of events [from, from + span). */
function withExcursion(
  events: MeasurementEvent[],
  from: number,
  span: number,
  size: number,
): MeasurementEvent[] {
  return events.map((e, i) =>
    i >= from && i < from + span ? { ...e, values: { value: (e.values.value as number) + size } } : e,
  );
}

/** A varied series of `n` points: seasonality, jittered sampling, a gap, spikes, a level shift and a noise burst. */
function variedEvents(series: string, n: number, seed: number): MeasurementEvent[] {
  const random = new Random(seed);
  const events: MeasurementEvent[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += MINUTE + Math.round(random.normal(0, 5_000)) + (i === 1700 ? 6 * 60 * MINUTE : 0);
    let value = 50 + 10 * Math.sin((2 * Math.PI * i) / 1440) + random.normal(0, 1);
    if (i % 733 === 500) value += 40;
    if (i >= 2200 && i < 2300) value += 15;
    if (i >= 2600 && i < 2650) value += random.normal(0, 10);
    events.push({ series, timestamp: t, values: { value }, dimensions: { kind: 'varied' } });
  }
  return events;
}

/** Runs `events` through the detector in batches of `size`; optionally round-trips `states` through JSON between batches. */
async function runInBatches(
  detector: Detector,
  events: readonly MeasurementEvent[],
  size: number,
  options: { viaJson?: boolean; states?: States } = {},
): Promise<{ points: ScoredPoint[]; surprises: number[]; transitions: EpisodeTransition[]; states: States }> {
  let states = options.states ?? new Map<string, SeriesDetectorState>();
  const points: ScoredPoint[] = [];
  const surprises: number[] = [];
  const transitions: EpisodeTransition[] = [];
  for (let i = 0; i < events.length; i += size) {
    const result = await detector.detect(events.slice(i, i + size), states);
    points.push(...result.points);
    surprises.push(...result.surprises);
    transitions.push(...result.transitions);
    if (options.viaJson)
      states = new Map(JSON.parse(JSON.stringify([...states])) as [string, SeriesDetectorState][]);
  }
  return { points, surprises, transitions, states };
}

const statesJson = (states: States) => JSON.stringify([...states].sort(([a], [b]) => a.localeCompare(b)));

describe('Detector', () => {
  let card: ModelCard;
  let detector: Detector;

  beforeAll(async () => {
    const model = await loadModel();
    card = model.card;
    detector = new Detector(model.scorer);
  });

  it('scores each series of a mixed batch on its own, in input order', async () => {
    // Prepare
    const names = ['tiny', 'medium', 'huge'];
    const perSeries = names.map((name, k) =>
      calmEvents(name, 300, 10 + k, { level: 10 ** (2 * k - 1), noise: 10 ** (2 * k - 3) }),
    );
    const interleaved =
      perSeries[0]?.flatMap((_, i) => perSeries.map((events) => events[i] as MeasurementEvent)) ?? [];
    const states: States = new Map();
    // Act
    const result = await detector.detect(interleaved, states);
    // Assess
    expect(result.points).toHaveLength(interleaved.length);
    expect(result.points.map((p) => [p.series, p.timestamp])).toEqual(
      interleaved.map((e) => [e.series, e.timestamp]),
    );
    expect([...states.keys()].sort()).toEqual([...names].sort());
    expect(result.changed).toEqual(new Set(names));
    for (const [k, name] of names.entries()) {
      const alone = await detector.detect(perSeries[k] ?? [], new Map());
      expect(result.points.filter((p) => p.series === name)).toEqual(alone.points);
    }
    for (const p of result.points) {
      expect(p.probability).toBeGreaterThanOrEqual(0);
      expect(p.probability).toBeLessThanOrEqual(1);
      expect(Number.isFinite(p.rawScore)).toBe(true);
      expect(p.modelVersion).toBe(`${card.name}@${card.version}`);
    }
  });

  it(`opens exactly one episode for a short burst after ${CALM_POINTS} calm points, and later resolves it`, async () => {
    // Prepare
    const dimensions = { host: 'web-1', region: 'eu' };
    const events = withExcursion(
      calmEvents('cpu', CALM_POINTS + 300, 1, { dimensions }),
      CALM_POINTS,
      10,
      100,
    );
    const burstStart = T0 + CALM_POINTS * MINUTE;
    // Act
    const { points, transitions } = await runInBatches(detector, events, 100);
    // Assess
    const opened = transitions.filter((t) => t.kind === 'opened');
    const resolved = transitions.filter((t) => t.kind === 'resolved');
    expect(opened).toHaveLength(1);
    expect(resolved).toHaveLength(1);
    const open = opened[0] as EpisodeTransition;
    const done = resolved[0] as EpisodeTransition;
    expect(open).toMatchObject({
      series: 'cpu',
      dimensions,
      episodeId: episodeIdOf('cpu', open.startedAt),
      channel: 'value',
      lastSeenAt: open.startedAt,
      modelVersion: `${card.name}@${card.version}`,
    });
    expect(open.startedAt).toBeGreaterThanOrEqual(burstStart);
    expect(open.startedAt).toBeLessThan(burstStart + 10 * MINUTE);
    expect(open.peakProbability).toBeGreaterThanOrEqual(DEFAULT_EPISODE_OPTIONS.openAbove);
    expect(open.expected.low).toBeLessThan(100);
    expect(open.expected.high).toBeGreaterThan(100);
    expect(open.value).toBeGreaterThan(open.expected.high);
    expect(open.topFeatures.length).toBeGreaterThan(0);
    expect(open.topFeatures.length).toBeLessThanOrEqual(FEATURE_COUNT);
    for (const f of open.topFeatures) expect(FEATURE_NAMES).toContain(f.name);
    const sizes = open.topFeatures.map((f) => Math.abs(f.value));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(sizes[0]).toBeGreaterThan(0);
    expect(done).toMatchObject({ episodeId: open.episodeId, series: 'cpu', startedAt: open.startedAt });
    expect(done.lastSeenAt).toBeGreaterThan(open.startedAt);
    const at = (t: number) => points.find((p) => p.timestamp === t);
    expect(at(open.startedAt)?.anomalous).toBe(true);
    expect(at(done.lastSeenAt)?.anomalous).toBe(false);
    expect(points.filter((p) => p.timestamp < burstStart).every((p) => !p.anomalous)).toBe(true);
  });

  it(`opens an episode for a single clear spike (1000 deviations) after ${CALM_POINTS} calm points`, async () => {
    // Prepare
    const events = withExcursion(calmEvents('cpu', CALM_POINTS + 100, 1), CALM_POINTS, 1, 1000);
    // Act
    const { transitions, points } = await runInBatches(detector, events, 100);
    // Assess
    const peak = Math.max(...points.slice(CALM_POINTS, CALM_POINTS + 10).map((p) => p.probability));
    expect({ opened: transitions.filter((t) => t.kind === 'opened').length, peak }).toMatchObject({
      opened: 1,
    });
  });

  it('opens an episode when a series freezes, naming the run of repeats as the driver', async () => {
    // Prepare: a noisy sensor that then reports one value for two hours
    const calm = calmEvents('sensor', CALM_POINTS, 4);
    const held = (calm[CALM_POINTS - 1] as MeasurementEvent).values.value as number;
    const frozen = Array.from({ length: 120 }, (_, k) => ({
      series: 'sensor',
      timestamp: T0 + (CALM_POINTS + k) * MINUTE,
      values: { value: held },
      dimensions: {},
    }));
    // Act
    const { transitions } = await runInBatches(detector, [...calm, ...frozen], 100);
    // Assess
    const opened = transitions.filter((t) => t.kind === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.topFeatures).toEqual([{ name: 'stuck_run', value: expect.any(Number) }]);
    expect(opened[0]?.startedAt).toBeGreaterThan(T0 + CALM_POINTS * MINUTE);
  });

  it('does not score the latest point again when it is re-delivered', async () => {
    // Prepare
    const events = withExcursion(calmEvents('cpu', CALM_POINTS + 10, 1), CALM_POINTS, 10, 100);
    const { states } = await runInBatches(detector, events, 100);
    const before = statesJson(states);
    // Act
    const again = await detector.detect(events.slice(-1), states);
    // Assess
    expect(again).toMatchObject({ points: [], transitions: [], duplicates: 1, late: 0 });
    expect(again.changed.size).toBe(0);
    expect(statesJson(states)).toBe(before);
  });

  it('does not score a re-delivered batch again: no new points, no second episode', async () => {
    // Prepare
    const events = withExcursion(calmEvents('cpu', CALM_POINTS + 50, 1), CALM_POINTS, 10, 100);
    const { states, transitions } = await runInBatches(detector, events, 50);
    const before = statesJson(states);
    const retried = events.slice(-10); // the latest points, delivered again by a retry
    // Act
    const again = await detector.detect(retried, states);
    // Assess
    expect(transitions.filter((t) => t.kind === 'opened')).toHaveLength(1);
    expect(again.transitions.filter((t) => t.kind === 'opened')).toHaveLength(0);
    expect(statesJson(states)).toBe(before);
    expect({ points: again.points.length, duplicates: again.duplicates }).toEqual({
      points: 0,
      duplicates: retried.length,
    });
  });

  it('scores an older re-delivery as late: no state change, no second episode', async () => {
    // Prepare
    const events = withExcursion(calmEvents('cpu', CALM_POINTS + 200, 1), CALM_POINTS, 10, 100);
    const { states } = await runInBatches(detector, events, 50);
    const before = statesJson(states);
    const old = events.slice(CALM_POINTS - 20, CALM_POINTS + 30); // older than the remembered timestamps
    // Act
    const again = await detector.detect(old, states);
    // Assess
    expect(again.transitions).toHaveLength(0);
    expect(statesJson(states)).toBe(before);
    expect(again.late + again.duplicates).toBe(old.length);
  });

  it('scores a late point without changing the state or any later score', async () => {
    // Prepare
    const events = calmEvents('cpu', 400, 2);
    const head = events.slice(0, 300);
    const tail = events.slice(300);
    const states: States = new Map();
    await detector.detect(head, states);
    const control = new Map(JSON.parse(statesJson(states)) as [string, SeriesDetectorState][]);
    const before = statesJson(states);
    const late: MeasurementEvent = {
      ...(head[150] as MeasurementEvent),
      timestamp: T0 + 150 * MINUTE + 30_000,
    };
    // Act
    const result = await detector.detect([late], states);
    const after = statesJson(states);
    const continued = await detector.detect(tail, states);
    // Assess
    expect(result).toMatchObject({ late: 1, duplicates: 0, transitions: [] });
    expect(result.points).toHaveLength(1);
    expect(result.points[0]?.timestamp).toBe(late.timestamp);
    expect(result.points[0]?.probability).toBeGreaterThanOrEqual(0);
    expect(result.points[0]?.probability).toBeLessThanOrEqual(1);
    expect(result.changed.size).toBe(0);
    expect(after).toBe(before);
    expect(continued.points).toEqual((await detector.detect(tail, control)).points);
  });

  it('scores a multi-channel event as one point per channel, each channel a series of its own', async () => {
    // Prepare
    const cpu = calmEvents('x', 250, 3, { level: 40, noise: 2 });
    const mem = calmEvents('x', 250, 4, { level: 2e9, noise: 1e7 });
    const events: MeasurementEvent[] = cpu.map((e, i) => ({
      series: 'host-1',
      timestamp: e.timestamp,
      values: { cpu: e.values.value as number, mem: mem[i]?.values.value as number },
      dimensions: { rack: '7' },
    }));
    const states: States = new Map();
    // Act
    const result = await detector.detect(events, states);
    // Assess
    expect(result.points).toHaveLength(2 * events.length);
    expect([...states.keys()].sort()).toEqual([seriesKey('host-1', 'cpu'), seriesKey('host-1', 'mem')]);
    expect(new Set(result.points.map((p) => `${p.series}|${p.channel}`))).toEqual(
      new Set(['host-1|cpu', 'host-1|mem']),
    );
    const cpuPoints = result.points.filter((p) => p.channel === 'cpu');
    expect(cpuPoints.map((p) => p.value)).toEqual(cpu.map((e) => e.values.value));
    expect(cpuPoints.every((p) => p.dimensions.rack === '7')).toBe(true);
    const cpuAlone = await detector.detect(
      cpu.map((e) => ({ ...e, series: 'host-1/cpu' })),
      new Map(),
    );
    expect(cpuPoints.map((p) => p.rawScore)).toEqual(cpuAlone.points.map((p) => p.rawScore));
  });

  it('keeps series "a/b" apart from series "a" with channel "b"', async () => {
    // Prepare
    const events = calmEvents('a/b', 300, 5, { level: 10, noise: 1 });
    const channelled: MeasurementEvent[] = calmEvents('a', 300, 6, { level: 1e6, noise: 1e4 }).map((e) => ({
      ...e,
      values: { b: e.values.value as number },
    }));
    const states: States = new Map();
    // Act
    const result = await detector.detect([...events, ...channelled], states);
    // Assess
    expect(states.size).toBe(2);
    const keys = new Set(result.points.map((p) => seriesKey(p.series, p.channel)));
    expect(keys).toEqual(new Set([seriesKey('a/b', 'value'), seriesKey('a', 'b')]));
    expect(parseSeriesKey(seriesKey('a', 'b'))).toEqual({ series: 'a', channel: 'b' });
    expect(parseSeriesKey(seriesKey('a/b', 'value'))).toEqual({ series: 'a/b', channel: 'value' });
  });

  it.each([1e3, 1e6, 1e99])(
    'one wild value (%s in a series around 100) does not leave the series blind to a later burst',
    async (wild) => {
      // Prepare: 1000 calm points, the wild one, 1500 calm points, then a burst of +20 deviations
      const events = calmEvents('s', 3000, 11, { level: 100, noise: 1 }).map((e, i) => ({
        ...e,
        values: { value: i === 1000 ? wild : (e.values.value as number) + (i >= 2500 && i < 2510 ? 20 : 0) },
      }));
      // Act
      const result = await detector.detect(events, new Map());
      // Assess
      const opened = result.transitions
        .filter((t) => t.kind === 'opened')
        .map((t) => (t.startedAt - T0) / MINUTE);
      expect(opened).toEqual([1000, expect.any(Number)]);
      expect(opened[1]).toBeGreaterThanOrEqual(2500);
      expect(opened[1]).toBeLessThan(2510);
    },
  );

  it('says what was expected before the spike, not after it, and never below zero for a non-negative series', async () => {
    // Prepare: a latency series of 108..230 ms, then a spike to 754 ms
    const random = new Random(13);
    const events: MeasurementEvent[] = Array.from({ length: 260 }, (_, i) => ({
      series: 'latency',
      timestamp: T0 + i * MINUTE,
      values: { value: i === 210 ? 754 : Math.min(230, Math.max(108, random.normal(160, 30))) },
      dimensions: {},
    }));
    // Act
    const { transitions } = await detector.detect(events, new Map());
    // Assess
    const opened = transitions.find((t) => t.kind === 'opened');
    expect(opened?.value).toBe(754);
    expect(opened?.expected.high).toBeLessThan(300);
    expect(opened?.expected.low).toBeGreaterThanOrEqual(0);
  });

  it('scores a counter by its rate per second, primed by its first reading, a reset not an anomaly', async () => {
    // Prepare: a request counter growing ~600 a minute (10/s), restarted (back to 0) at minute 400
    const random = new Random(12);
    let total = 5e6;
    const events: MeasurementEvent[] = Array.from({ length: 600 }, (_, i) => {
      total = i === 400 ? 600 : total + 600 + random.normal(0, 20);
      return {
        series: 'requests',
        timestamp: T0 + i * MINUTE,
        values: { value: total },
        dimensions: {},
        kind: 'counter',
      };
    });
    const states: States = new Map();
    // Act
    const result = await detector.detect(events, states);
    // Assess
    expect(result.points).toHaveLength(599);
    expect(result.points[0]?.value).toBeCloseTo(10, 0);
    expect(result.points.find((p) => p.timestamp === T0 + 400 * MINUTE)?.value).toBeCloseTo(10, 0);
    expect(result.transitions).toEqual([]);
    expect(states.get('requests')?.counter).toEqual({ raw: total, at: T0 + 599 * MINUTE });
    const again = await detector.detect(events.slice(-1), states);
    expect([again.points.length, again.duplicates]).toEqual([0, 1]);
  });

  it('starts a series afresh, with the reason, when its state stops being finite', async () => {
    // Prepare: a young series (its learning is not bounded yet), then a value whose square overflows
    // (validation bounds values; the core must still heal should anything produce one)
    const states: States = new Map();
    await detector.detect(calmEvents('s', 10, 7, { level: 10, noise: 1 }), states);
    const last = T0 + 10 * MINUTE;
    const huge: MeasurementEvent = { series: 's', timestamp: last, values: { value: 1e200 }, dimensions: {} };
    // Act
    const result = await detector.detect([huge], states);
    const after = await detector.detect(
      calmEvents('s', 5, 8, { level: 10, noise: 1 }, last + MINUTE),
      states,
    );
    // Assess
    expect(result.resets).toEqual([{ key: 's', reason: expect.stringMatching(/not finite/) }]);
    expect(states.get('s')?.features.count).toBe(5);
    expect(after.points.every((p) => Number.isFinite(p.probability))).toBe(true);
  });

  describe('has no look-ahead', () => {
    const events = variedEvents('varied', 3000, 5);
    let reference: Awaited<ReturnType<typeof runInBatches>>;

    beforeAll(async () => {
      reference = await runInBatches(detector, events, events.length);
    });

    it('sees a varied series that does move its scores', () => {
      // Prepare, Act: the reference run
      // Assess
      const probabilities = reference.points.map((p) => p.probability);
      expect(reference.points).toHaveLength(events.length);
      expect(Math.max(...probabilities) - Math.min(...probabilities)).toBeGreaterThan(0.5);
    });

    it.each([1, 2, 199, 200, 201, 777, 1500, 1701, 2202, 2650, 2999])(
      'scores the first %i rows identically whether it sees them alone or the whole series',
      async (k) => {
        // Prepare
        const prefix = events.slice(0, k);
        // Act
        const result: DetectionResult = await detector.detect(prefix, new Map());
        // Assess
        expect(result.points).toEqual(reference.points.slice(0, k));
        expect(Array.from(result.surprises)).toEqual(reference.surprises.slice(0, k));
      },
    );

    it('emits each transition, expected range included, the same when the series stops right at it', async () => {
      // Prepare
      const indexOf = new Map(events.map((e, i) => [e.timestamp, i]));
      expect(reference.transitions.length).toBeGreaterThan(0);
      for (const transition of reference.transitions) {
        const prefix = events.slice(0, (indexOf.get(transition.lastSeenAt) ?? 0) + 1);
        // Act
        const result: DetectionResult = await detector.detect(prefix, new Map());
        // Assess
        expect(result.transitions.at(-1)).toEqual(transition);
      }
    });

    it.each([1, 7, 1000])('gives identical scores and state in batches of %i', async (size) => {
      // Prepare: the events above
      // Act
      const split = await runInBatches(detector, events, size);
      // Assess
      expect(split.points).toEqual(reference.points);
      expect(split.surprises).toEqual(reference.surprises);
      expect(statesJson(split.states)).toBe(statesJson(reference.states));
    });

    it.each([1, 7, 1000])(
      'gives identical transitions, expected range included, in batches of %i',
      async (size) => {
        // Prepare: the events above
        // Act
        const split = await runInBatches(detector, events, size);
        // Assess
        expect(reference.transitions.length).toBeGreaterThan(0);
        expect(split.transitions).toEqual(reference.transitions);
      },
    );

    it.each([1, 250])(
      'gives identical results when states go through JSON between batches of %i',
      async (size) => {
        // Prepare
        const inMemory = await runInBatches(detector, events, size);
        // Act
        const checkpointed = await runInBatches(detector, events, size, { viaJson: true });
        // Assess
        expect(checkpointed.points).toEqual(inMemory.points);
        expect(checkpointed.surprises).toEqual(inMemory.surprises);
        expect(checkpointed.transitions).toEqual(inMemory.transitions);
        expect(statesJson(checkpointed.states)).toBe(statesJson(inMemory.states));
      },
    );
  });
});
