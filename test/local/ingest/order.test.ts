import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector, type SeriesDetectorState } from '../../../core/detector.ts';
import { type MeasurementEvent, parseEvent } from '../../../core/events/event-schema.ts';
import type { LocalStack } from '../../../local/stack.ts';
import { loadModel } from '../../../models/model-store.ts';
import { startIngestStack } from '../../support/ingest-stack.ts';
import { waitUntil } from '../../support/wait-until.ts';

const SERIES = ['order-a', 'order-b', 'order-c'];
const PER_SERIES = 3_334;
const STEP_MS = 60_000;

/** 10,002 events over 3 series (daily shape, noise, one spike each), interleaved by time. */
function corpus(start: number): { series: string; timestamp: number; value: number }[] {
  let seed = 42;
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const events: { series: string; timestamp: number; value: number }[] = [];
  for (let i = 0; i < PER_SERIES; i += 1) {
    SERIES.forEach((series, s) => {
      const base = 50 + 10 * Math.sin((2 * Math.PI * i) / 1_440 + s) + 2 * noise();
      events.push({ series, timestamp: start + i * STEP_MS, value: i === 3_000 + s * 50 ? base + 60 : base });
    });
  }
  return events;
}

describe('local ingestion API: order', () => {
  let stack: LocalStack;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ stack, stop } = await startIngestStack('order', {}, 2_000));
  });
  afterAll(async () => stop?.());

  it('keeps 10,000 events over 3 series in order per series: scores equal a sequential run of the detector', async () => {
    // Prepare
    const start = Date.now() - PER_SERIES * STEP_MS - 3_600_000;
    const events = corpus(start);

    // Act: 500 events per request, as a producer would send them.
    for (let i = 0; i < events.length; i += 500) {
      const response = await fetch(`${stack.httpUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stack.ingest.apiKey },
        body: JSON.stringify({ events: events.slice(i, i + 500) }),
      });
      expect(response.status).toBe(200);
    }
    await waitUntil(
      'every event scored',
      () => SERIES.every((s) => stack.scores.query(s).length === PER_SERIES),
      240_000,
      250,
    );

    // Assess: the same events through the detector one after another, as `seismo score` runs them.
    const { scorer } = await loadModel();
    const detector = new Detector(scorer);
    const states = new Map<string, SeriesDetectorState>();
    const parsed = events.map((e) => (parseEvent(e) as { ok: true; event: MeasurementEvent }).event);
    const expected = new Map<string, number>();
    for (let i = 0; i < parsed.length; i += 1_000) {
      const result = await detector.detect(parsed.slice(i, i + 1_000), states);
      for (const p of result.points) expected.set(`${p.series}@${p.timestamp}`, p.probability);
    }
    let compared = 0;
    for (const series of SERIES) {
      const points = stack.scores.query(series);
      expect(points.map((p) => p.timestamp)).toEqual(points.map((_, i) => start + i * STEP_MS));
      for (const point of points) {
        expect(point.probability).toBe(expected.get(`${series}@${point.timestamp}`));
        compared += 1;
      }
    }
    expect(compared).toBe(events.length);
    expect(stack.scores.rewrites).toEqual([]);
  }, 300_000);
});
