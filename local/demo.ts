import { Detector, type SeriesDetectorState } from '../core/detector.ts';
import type { EpisodeTransition } from '../core/detection-types.ts';
import type { MeasurementEvent } from '../core/events/event-schema.ts';
import { loadModel } from '../models/model-store.ts';
import { Random } from '../models/random.ts';

/**
 * `npm start` (until the local Kinesis pipeline lands): three days of a service's request rate, five-minute
 * points with a daily cycle, streamed in batches through the real detector with the shipped model. At
 * the start of day three the rate spikes, then a deploy halves it for two hours. Alerts print as they open
 * and resolve.
 */

const POINTS_PER_DAY = 288;
const START = Date.UTC(2026, 10, 23);
const STEP = 300_000;

function requestRate(random: Random, i: number): number {
  const daily = 1 + 0.4 * Math.sin((2 * Math.PI * i) / POINTS_PER_DAY);
  let rate = 1200 * daily + random.normal(0, 25);
  if (i === 2 * POINTS_PER_DAY + 100) rate += 900;
  if (i >= 2 * POINTS_PER_DAY + 180 && i < 2 * POINTS_PER_DAY + 204) rate *= 0.5;
  return Math.round(rate);
}

function describe(t: EpisodeTransition): string {
  const when = new Date(t.lastSeenAt).toISOString().replace('.000Z', 'Z');
  if (t.kind === 'resolved') return `  ✓ resolved  ${t.series} at ${when} (episode began ${new Date(t.startedAt).toISOString()})`;
  const drivers = t.topFeatures.map((f) => `${f.name}=${f.value.toFixed(1)}`).join(', ');
  return `  ! ${t.kind.padEnd(9)} ${t.series} at ${when}: value ${t.value}, expected ${t.expected.low.toFixed(0)}..${t.expected.high.toFixed(0)}, p=${t.peakProbability.toFixed(4)}, ${t.severity} (${drivers})`;
}

async function main(): Promise<void> {
  const { card, scorer } = await loadModel();
  console.log(`Seismo demo: model ${card.name}@${card.version} (${card.algorithm}, sha256 ${card.sha256.slice(0, 12)}…)`);
  const detector = new Detector(scorer);
  const states = new Map<string, SeriesDetectorState>();
  const random = new Random(7);
  const total = 3 * POINTS_PER_DAY;
  let alerts = 0;
  for (let start = 0; start < total; start += 100) {
    const events: MeasurementEvent[] = [];
    for (let i = start; i < Math.min(total, start + 100); i++) {
      events.push({ series: 'checkout-api/requests', timestamp: START + i * STEP, values: { value: requestRate(random, i) }, dimensions: { service: 'checkout', tenant: 'demo' } });
    }
    const result = await detector.detect(events, states);
    for (const transition of result.transitions) {
      alerts += 1;
      console.log(describe(transition));
    }
  }
  console.log(`${total} points scored, ${alerts} episode transitions. Score your own CSV: npx seismo score FILE.csv`);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
