import { PassThrough } from 'node:stream';
import type { AlertMessage } from '../adapters/sns-alert-publisher.ts';
import type { AlertTransition } from '../core/alerting/alert-transition.ts';
import { parseAlertingConfig } from '../core/alerting/config.ts';
import { AlertingSimulator } from '../core/alerting/simulator.ts';
import { startLocalAlerting } from '../local/alerting-stack.ts';
import { localDynamoDbClient, startDynalite } from '../local/emulators.ts';
import { AlertingHarness } from '../test/support/alerting-harness.ts';

/**
 * `npm run bench:alerting`: the closing note's figures for alert delivery, on one core (one Node thread).
 *
 * - router throughput: transitions and notifications per CPU second through the real route handler (SQS
 *   event parsing, routing, grouping, the reducer, budgets, the gzipped state item with its outbox, the
 *   notification log and the channel enqueue) over the in-memory ports, so the figure is the function's own
 *   cost, not DynamoDB's; set against the same transitions through the pure core alone (routing and
 *   reducer, no ports), the ratio is what the integration costs;
 * - end to end on the local stack (`npm start`'s wiring: dynalite, the real senders, the Slack API stand-in
 *   over HTTP): from an episode on the topic to its Slack message, with the route's groupWait skipped by
 *   moving the clock, so the figure is the machinery's latency.
 *
 * Medians of ROUNDS rounds; `--json` prints the figures last as one JSON line.
 */

const ROUNDS = 5;
const SERIES = 400;
const T0 = Date.UTC(2026, 10, 23, 9, 0);
const MINUTE = 60_000;
const LATENCY_EPISODES = 15;
/** The Slack sender paces a channel to about one message a second; episodes further apart measure the path. */
const LATENCY_GAP_MS = 1_200;

const config = parseAlertingConfig(
  {
    version: 1,
    receivers: [
      { name: 'slack', type: 'slack', channel: '#alerts' },
      { name: 'hook', type: 'webhook', url: 'https://hooks.example.com/x', secretName: 'seismo/hook' },
      { name: 'pager', type: 'pagerduty', routingKeySecretName: 'seismo/pager' },
    ],
    route: {
      receivers: ['slack', 'hook'],
      groupBy: ['series', 'channel'],
      // Told at once: the flush timer is due as soon as the router arms it.
      groupWait: '0s',
      groupInterval: '1m',
      repeatInterval: '4h',
      routes: [
        {
          name: 'critical',
          matchers: ['severity="critical"'],
          receivers: ['slack', 'pager'],
          continue: true,
        },
      ],
    },
  },
  'bench',
);

/** Each series opens an episode, escalates it, and resolves it: three transitions per series. */
function transitions(round: number): AlertTransition[] {
  const out: AlertTransition[] = [];
  for (let s = 0; s < SERIES; s++) {
    const base = {
      episodeId: `r${round}-s${s}`,
      series: `svc-${s}/latency`,
      channel: 'value',
      dimensions: { team: `t${s % 7}`, region: s % 2 ? 'eu' : 'us' },
      startedAt: T0 + s * 1_000,
      peakProbability: 0.9999,
      value: 912,
      expected: { low: 120, high: 310 },
      topFeatures: [
        { name: 'z_short', value: 9.1 },
        { name: 'rate_of_change', value: 4.2 },
      ],
      modelVersion: 'bench',
    };
    out.push({ ...base, kind: 'opened', severity: 'warning', lastSeenAt: T0 + s * 1_000 });
    out.push({ ...base, kind: 'escalated', severity: 'critical', lastSeenAt: T0 + s * 1_000 + MINUTE });
    out.push({ ...base, kind: 'resolved', severity: 'critical', lastSeenAt: T0 + s * 1_000 + 2 * MINUTE });
  }
  return out;
}

const cpuSeconds = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const rate = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * One round through the route handler: the opens, then a groupInterval later the escalations, then the
 * resolves, each phase followed by the flush timers the router armed, as the escalator runs them. The
 * channel queues are only counted, not drained.
 */
async function routerRound(
  round: number,
): Promise<{ transitionsPerSecond: number; notificationsPerSecond: number }> {
  const h = new AlertingHarness({ config, start: T0 + 3 * MINUTE, routerBatchSize: 10 });
  const ts = transitions(round);
  let seconds = 0;
  for (const [phase, kind] of (['opened', 'escalated', 'resolved'] as const).entries()) {
    h.now = T0 + (3 + phase) * MINUTE;
    for (const t of ts.filter((x) => x.kind === kind)) h.publish(t);
    const start = process.cpuUsage();
    for (;;) {
      await h.anomalies.pump();
      const due = h.scheduler.takeDue(h.now);
      if (due.length === 0) break;
      for (const timer of due) await h.fire(timer);
    }
    seconds += cpuSeconds(start);
  }
  const notifications = Object.values(h.queues).reduce((n, q) => n + q.stats.sent, 0);
  if (h.anomalies.depth.total !== 0) throw new Error('the router left transitions behind');
  return { transitionsPerSecond: ts.length / seconds, notificationsPerSecond: notifications / seconds };
}

/**
 * The same transitions through the pure core only (the simulator `routes replay` uses: routing, reducer,
 * mute gate, budgets and log as plain objects): the floor of the router's CPU cost.
 */
function coreRound(round: number): number {
  const simulator = new AlertingSimulator(config);
  const ts = transitions(round);
  const start = process.cpuUsage();
  for (const [phase, kind] of (['opened', 'escalated', 'resolved'] as const).entries()) {
    const now = T0 + (3 + phase) * MINUTE;
    simulator.advanceTo(now);
    for (const t of ts.filter((x) => x.kind === kind)) simulator.receive(t, now);
  }
  simulator.advanceTo(T0 + 6 * MINUTE);
  return ts.length / cpuSeconds(start);
}

/** Episode on the topic to message at the Slack stand-in, on npm start's wiring. */
async function endToEnd(): Promise<number[]> {
  const dynalite = await startDynalite({ createTableMs: 20 });
  const alerting = await startLocalAlerting(
    localDynamoDbClient(dynalite.endpoint),
    { out: new PassThrough().resume(), color: false },
    {},
  );
  const latencies: number[] = [];
  try {
    for (let i = 0; i < LATENCY_EPISODES; i++) {
      const now = alerting.clock.now();
      const message: AlertMessage = {
        id: `bench-${i}`,
        summary: `bench ${i}`,
        kind: 'opened',
        episodeId: `bench-ep-${i}`,
        series: `bench-${i}/latency`,
        channel: 'value',
        dimensions: { host: 'web-1' },
        severity: 'critical',
        startedAt: now - MINUTE,
        lastSeenAt: now,
        peakProbability: 0.9999,
        value: 97,
        expected: { low: 10, high: 40 },
        topFeatures: [{ name: 'z_short', value: 9.1 }],
        modelVersion: 'bench',
      };
      await new Promise((r) => setTimeout(r, LATENCY_GAP_MS));
      const posts = alerting.standIns.slack.messages().length;
      const started = performance.now();
      alerting.publish(message);
      await alerting.settled();
      // The route's groupWait, skipped: the flush timer fires as soon as the router has armed it.
      await alerting.scheduler.advance(5_000);
      while (alerting.standIns.slack.messages().length === posts) await new Promise((r) => setTimeout(r, 1));
      latencies.push(performance.now() - started);
    }
  } finally {
    await alerting.stop();
    await dynalite.stop();
  }
  return latencies;
}

const router: { transitionsPerSecond: number; notificationsPerSecond: number }[] = [];
const core: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  router.push(await routerRound(round));
  core.push(coreRound(round));
}
const latencies = await endToEnd();
const figures = {
  routerTransitionsPerSecond: median(router.map((r) => r.transitionsPerSecond)),
  routerNotificationsPerSecond: median(router.map((r) => r.notificationsPerSecond)),
  coreTransitionsPerSecond: median(core),
  endToEndMedianMs: median(latencies),
  endToEndP95Ms: [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length * 0.95)] as number,
};
process.stdout.write(
  `router (in-memory ports)  ${rate(figures.routerTransitionsPerSecond).padStart(8)} transitions/s  ${rate(figures.routerNotificationsPerSecond).padStart(8)} notifications/s   per CPU second, median of ${ROUNDS}\n` +
    `core only (no ports)      ${rate(figures.coreTransitionsPerSecond).padStart(8)} transitions/s   router/core ratio ${(figures.routerTransitionsPerSecond / figures.coreTransitionsPerSecond).toFixed(2)}\n` +
    `episode to Slack stand-in ${figures.endToEndMedianMs.toFixed(1).padStart(8)} ms median  ${figures.endToEndP95Ms.toFixed(1)} ms p95   (${LATENCY_EPISODES} episodes, npm start's wiring, groupWait skipped, ${LATENCY_GAP_MS / 1000} s apart)\n`,
);
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(figures)}\n`);
