import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../core/alerting/alert-transition.ts';
import { parseChannelMessage } from '../../../core/alerting/channel-message.ts';
import { parseAlertingConfig } from '../../../core/alerting/config.ts';
import { openIncident } from '../../../core/alerting/incident-actions.ts';
import { parseMatcher } from '../../../core/alerting/matchers.ts';
import { createSilence, type Silence } from '../../../core/alerting/silences.ts';
import {
  AlertFaultPlan,
  faultyLog,
  faultyQueues,
  faultyScheduler,
  faultyStore,
} from '../../support/alerting-faults.ts';
import { AlertingHarness, type FakeAnswer, type HarnessDelivery } from '../../support/alerting-harness.ts';

/**
 * The alert path's promise, as a property: over randomized schedules (episodes of several series opening,
 * escalating and resolving, SNS deliveries duplicated and re-ordered, people acknowledging, two or three
 * router containers racing on the same groups) and injected faults (state reads and writes failing before
 * or after they act, phantom conflicts, queue sends and log writes lost either way, scheduler calls
 * failing, transports answering retry-later, retry-later after the provider got it, or permanent),
 * compared with the same schedule run without faults:
 * - zero lost notifications: everything the fault-free run delivered is delivered, or dead-lettered with
 *   its reason after a permanent transport failure, and nothing else is delivered;
 * - duplicates only where a channel cannot be idempotent: a repeated Slack post or email only after a
 *   provider may have acted without us seeing it (a timeout, or the log write after delivery failing), at
 *   most one per such fault; repeats elsewhere are a Slack update, a PagerDuty event (dedup key) or a
 *   webhook with the same `webhook-id`, which their receivers absorb;
 * - every receiver's last word on every incident is the fault-free run's; every queue drains, every outbox
 *   is carried out, no timer is left.
 * SEISMO_PROPERTY_RUNS schedules (60 by default) from SEISMO_PROPERTY_SEED.
 */

const RUNS = Number(process.env.SEISMO_PROPERTY_RUNS ?? 60);
const SEED = Number(process.env.SEISMO_PROPERTY_SEED ?? 20261130);
const T0 = Date.UTC(2026, 10, 23, 9, 0);
const MINUTE = 60_000;
const END_MINUTES = 100;

const config = parseAlertingConfig(
  {
    version: 1,
    receivers: [
      { name: 'slack', type: 'slack', channel: '#alerts' },
      { name: 'mail', type: 'email', to: ['oncall@example.com'] },
      { name: 'hook', type: 'webhook', url: 'https://hooks.example.com/x', secretName: 'seismo/hook' },
      { name: 'pager', type: 'pagerduty', routingKeySecretName: 'seismo/pager' },
    ],
    escalationPolicies: [
      {
        name: 'p',
        levels: [
          { after: '5m', receivers: ['mail'] },
          { after: '10m', receivers: ['pager'] },
        ],
      },
    ],
    route: {
      receivers: ['slack', 'hook'],
      groupBy: ['series', 'channel'],
      groupWait: '30s',
      groupInterval: '2m',
      repeatInterval: '1h',
      escalation: 'p',
      routes: [
        {
          name: 'team-a',
          matchers: ['team="a"'],
          groupBy: ['team'],
          receivers: ['slack', 'pager'],
          budget: { max: 2, per: '30m', digestEvery: '10m' },
        },
      ],
    },
  },
  'invariants',
);

interface EpisodeSpec {
  readonly start: number;
  readonly length: number;
  readonly critical: boolean;
  readonly escalateAfter: number | null;
}

interface Schedule {
  readonly series: readonly { readonly team: 'a' | 'b'; readonly episodes: readonly EpisodeSpec[] }[];
  readonly duplicateRate: number;
  readonly delayRate: number;
  readonly acks: readonly { readonly minute: number; readonly pick: number }[];
  /** Silences of one series, created at `minute` (as from the CLI) for `length` minutes. */
  readonly silences: readonly { readonly series: number; readonly minute: number; readonly length: number }[];
  readonly concurrency: number;
  readonly batch: number;
  readonly faultRate: number;
  readonly seed: number;
}

const scheduleArbitrary: fc.Arbitrary<Schedule> = fc.record({
  series: fc.array(
    fc.record({
      team: fc.constantFrom('a' as const, 'b' as const),
      episodes: fc.array(
        fc.record({
          start: fc.integer({ min: 0, max: 30 }),
          length: fc.integer({ min: 1, max: 35 }),
          critical: fc.boolean(),
          escalateAfter: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  duplicateRate: fc.double({ min: 0, max: 0.4, noNaN: true }),
  delayRate: fc.double({ min: 0, max: 0.4, noNaN: true }),
  acks: fc.array(fc.record({ minute: fc.integer({ min: 1, max: 60 }), pick: fc.nat(10) }), { maxLength: 3 }),
  silences: fc.array(
    fc.record({
      series: fc.nat(3),
      minute: fc.integer({ min: 0, max: 50 }),
      length: fc.integer({ min: 1, max: 40 }),
    }),
    { maxLength: 2 },
  ),
  concurrency: fc.integer({ min: 1, max: 3 }),
  batch: fc.integer({ min: 1, max: 4 }),
  faultRate: fc.double({ min: 0.02, max: 0.2, noNaN: true }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

/** Every transition of the schedule with the minute SNS delivers it (duplicates and delays included). */
function deliveriesOf(schedule: Schedule): { minute: number; transition: AlertTransition }[] {
  let state = schedule.seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const out: { minute: number; transition: AlertTransition }[] = [];
  schedule.series.forEach(({ team, episodes }, s) => {
    let offset = 0;
    episodes.forEach((e, i) => {
      const start = offset + e.start;
      const end = start + e.length;
      offset = end + 2;
      const base = {
        episodeId: `s${s}-e${i}`,
        series: `s${s}`,
        channel: 'value',
        dimensions: { team },
        startedAt: T0 + start * MINUTE,
        peakProbability: 0.9999,
        value: 90,
        expected: { low: 10, high: 50 },
        topFeatures: [{ name: 'z_short', value: 9 }],
        modelVersion: 'm1',
      };
      const ts: { minute: number; t: AlertTransition }[] = [
        {
          minute: start,
          t: {
            ...base,
            kind: 'opened',
            severity: e.critical ? 'critical' : 'warning',
            lastSeenAt: T0 + start * MINUTE,
          },
        },
      ];
      if (!e.critical && e.escalateAfter !== null && e.escalateAfter < e.length) {
        const at = start + e.escalateAfter;
        ts.push({
          minute: at,
          t: { ...base, kind: 'escalated', severity: 'critical', lastSeenAt: T0 + at * MINUTE },
        });
      }
      const severity =
        !e.critical && e.escalateAfter !== null && e.escalateAfter < e.length
          ? 'critical'
          : e.critical
            ? 'critical'
            : 'warning';
      ts.push({ minute: end, t: { ...base, kind: 'resolved', severity, lastSeenAt: T0 + end * MINUTE } });
      for (const { minute, t } of ts) {
        const delayed = random() < schedule.delayRate ? minute + 1 + Math.floor(random() * 5) : minute;
        out.push({ minute: delayed, transition: t });
        if (random() < schedule.duplicateRate)
          out.push({ minute: delayed + Math.floor(random() * 8), transition: t });
      }
    });
  });
  return out.sort((a, b) => a.minute - b.minute);
}

function transportFaults(plan: AlertFaultPlan, rate: number): FakeAnswer {
  return () => {
    const reason = 'injected by the test';
    if (plan.fires('transport-permanent', rate / 4))
      return { kind: 'permanent', code: 'injected', reason, scope: 'message' };
    if (plan.fires('transport-retry', rate))
      return { kind: 'retry-later', code: 'injected', reason, delayMs: 60_000, maybeDelivered: false };
    if (plan.fires('transport-maybe-delivered', rate / 2)) {
      return { kind: 'retry-later', code: 'timeout', reason, delayMs: 30_000, maybeDelivered: true };
    }
    return undefined;
  };
}

/** A run's harness, with what people did during it. */
interface Run {
  readonly h: AlertingHarness;
  readonly silences: readonly Silence[];
  readonly acks: readonly { readonly incidentId: string; readonly at: number }[];
}

async function run(schedule: Schedule, plan?: AlertFaultPlan): Promise<Run> {
  const silences: Silence[] = [];
  const acks: { incidentId: string; at: number }[] = [];
  const h = new AlertingHarness({
    config,
    start: T0,
    routerRetryMs: 0,
    routerConcurrency: schedule.concurrency,
    routerBatchSize: schedule.batch,
    ...(plan && {
      wrap: {
        incidents: (s) => faultyStore(s, plan),
        budgets: (s) => faultyStore(s, plan),
        queues: (q) => faultyQueues(q, plan),
        log: (l) => faultyLog(l, plan),
        scheduler: (s) => faultyScheduler(s, plan),
      },
      answer: transportFaults(plan, schedule.faultRate),
      loseDelete: () => plan.fires('sqs-redelivery'),
    }),
  });
  const deliveries = deliveriesOf(schedule);
  const last = Math.max(END_MINUTES, ...deliveries.map((d) => d.minute));
  for (let minute = 0; minute <= last; minute++) {
    await h.advanceTo(T0 + minute * MINUTE);
    for (const silence of schedule.silences.filter((x) => x.minute === minute)) {
      const created = createSilence(
        {
          matchers: [parseMatcher(`series="s${silence.series}"`)],
          startsAt: h.now,
          endsAt: h.now + silence.length * MINUTE,
          author: 'p',
        },
        h.now,
      );
      await h.control.putSilence(created);
      silences.push(created);
    }
    for (const d of deliveries.filter((x) => x.minute === minute)) h.publish(d.transition);
    await h.settle();
    for (const ack of schedule.acks.filter((a) => a.minute === minute)) {
      const open = [...h.incidents.items.values()]
        .map((item) => ({ key: item.state.key, incident: openIncident(item.state) }))
        .filter((x) => x.incident && x.incident.status === 'firing')
        .sort((a, b) => ((a.incident?.id ?? '') < (b.incident?.id ?? '') ? -1 : 1));
      const target = open[ack.pick % Math.max(1, open.length)];
      if (!target?.incident) continue;
      for (let attempt = 1; ; attempt++) {
        try {
          await h.act({
            action: 'ack',
            stateKey: target.key,
            incidentId: target.incident.id,
            actor: { by: 'p', via: 'test' },
          });
          acks.push({ incidentId: target.incident.id, at: h.now });
          break;
        } catch (error) {
          if (attempt > 50) throw error;
        }
      }
      await h.settle();
    }
  }
  await h.advanceTo(T0 + 3 * 86_400_000);
  return { h, silences, acks };
}

const keyOf = (d: Pick<HarnessDelivery, 'receiver' | 'notificationId'>) =>
  `${d.receiver}|${d.notificationId}`;

const FIRING_KINDS = new Set(['opened', 'updated', 'escalated']);

/** Violations of "silences are respected": a firing notification decided while all its firing series were silenced. */
function unsilenced(r: Run): HarnessDelivery[] {
  const silenced = (series: string, at: number) =>
    r.silences.some((x) => at >= x.startsAt && at < x.endsAt && x.matchers.some((m) => m.value === series));
  return r.h.delivered.filter(
    (d) =>
      d.received &&
      FIRING_KINDS.has(d.kind) &&
      d.firingSeries.length > 0 &&
      d.firingSeries.every((series) => silenced(series, d.emittedAt)),
  );
}

/** Violations of "an acknowledged incident is not escalated": an escalation decided after its ack. */
function escalatedAfterAck(r: Run): HarnessDelivery[] {
  return r.h.delivered.filter(
    (d) => d.kind === 'escalated' && r.acks.some((a) => a.incidentId === d.incidentId && d.emittedAt > a.at),
  );
}

/** Slack messages posted (not updates) per receiver and incident: what people see in the channel. */
function slackPosts(h: AlertingHarness): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of h.delivered.filter((x) => x.received && x.op === 'post' && x.incidentId)) {
    const k = `${d.receiver}|${d.incidentId}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** What the runs added up to: one line for the closing note. */
const totals = {
  schedules: 0,
  notifications: 0,
  snsDuplicates: 0,
  silences: 0,
  acks: 0,
  faults: 0,
  sqsRedeliveries: 0,
  lost: 0,
  deadLettered: 0,
  idempotentRepeats: 0,
  nonIdempotentRepeats: 0,
  repeatAllowance: 0,
};

describe('the alert path under faults', () => {
  it(`loses nothing, repeats only where a channel cannot be idempotent, respects silences and acks (${RUNS} schedules, seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(scheduleArbitrary, async (schedule) => {
        // Act
        const ref = await run(schedule);
        const plan = new AlertFaultPlan(schedule.seed, schedule.faultRate);
        const bad = await run(schedule, plan);
        const reference = ref.h;
        const faulty = bad.h;

        // Assess: the reference itself delivers each notification once, one Slack message per incident.
        const expected = reference.accepted();
        expect(new Set(expected.map(keyOf)).size).toBe(expected.length);
        for (const [k, posts] of slackPosts(reference)) expect(posts, k).toBe(1);

        // Assess: nothing lost: each notification is received, or dead-lettered with a reason.
        const received = faulty.delivered.filter((d) => d.received);
        const dead = faulty.deadLetters.letters.map((l) => {
          expect(l.reason).not.toBe('');
          const m = parseChannelMessage(l.body);
          return `${m.receiver.name}|${m.notification.id}`;
        });
        const got = new Set([...received.map(keyOf), ...dead]);
        const lost = expected.filter((d) => !got.has(keyOf(d)));
        const wanted = new Set(expected.map(keyOf));
        expect(lost).toEqual([]);
        expect(received.filter((d) => !wanted.has(keyOf(d)))).toEqual([]);
        expect(dead.length).toBeLessThanOrEqual(plan.count('transport-permanent'));

        // Assess: repeats, by whether the channel absorbs them (Slack updates, webhook-id, PagerDuty dedup key).
        const seen = new Map<string, number>();
        let idempotent = 0;
        let nonIdempotent = 0;
        for (const d of received) {
          const n = (seen.get(keyOf(d)) ?? 0) + 1;
          seen.set(keyOf(d), n);
          if (n === 1) continue;
          if (d.channel === 'email' || (d.channel === 'slack' && d.op === 'post')) nonIdempotent += 1;
          else idempotent += 1;
        }
        const allowance = plan.count('transport-maybe-delivered') + plan.count('log-mark');
        expect(nonIdempotent).toBeLessThanOrEqual(allowance);
        const extraPosts = [...slackPosts(faulty).values()].reduce((a, n) => a + n - 1, 0);
        expect(extraPosts).toBeLessThanOrEqual(allowance);

        // Assess: silences respected, acknowledged incidents not escalated, in both runs.
        for (const r of [ref, bad]) {
          expect(unsilenced(r)).toEqual([]);
          expect(escalatedAfterAck(r)).toEqual([]);
        }

        // Assess: every receiver's last word on every incident, and nothing left behind.
        const last = (h: AlertingHarness) => {
          const out = new Map<string, number>();
          for (const d of h.delivered.filter((x) => x.received && x.incidentId)) {
            const k = `${d.receiver}|${d.incidentId}`;
            out.set(k, Math.max(out.get(k) ?? 0, d.revision));
          }
          return out;
        };
        const deadLast = new Set(dead.map((k) => k.replace(/\.\d+$/, '')));
        for (const [k, revision] of last(reference)) {
          if (deadLast.has(k)) continue;
          expect(last(faulty).get(k), k).toBe(revision);
        }
        for (const h of [reference, faulty]) {
          expect(h.redriven, String(h.lastRouterError)).toEqual([]);
          expect(h.scheduler.timers.size).toBe(0);
          expect([...h.incidents.items.values()].filter((i) => i.outbox !== null)).toEqual([]);
          for (const q of [h.anomalies, ...Object.values(h.queues)]) expect(q.depth.total).toBe(0);
        }
        totals.schedules += 1;
        totals.notifications += expected.length;
        totals.snsDuplicates +=
          faulty.anomalies.stats.sent - new Set(deliveriesOf(schedule).map((d) => d.transition)).size;
        totals.silences += bad.silences.length;
        totals.acks += bad.acks.length;
        totals.faults += plan.total;
        totals.sqsRedeliveries += plan.count('sqs-redelivery');
        totals.lost += lost.length;
        totals.deadLettered += dead.length;
        totals.idempotentRepeats += idempotent;
        totals.nonIdempotentRepeats += nonIdempotent;
        totals.repeatAllowance += allowance;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // One line for the record (the closing note quotes it): how much the property exercised.
    process.stdout.write(`alerting invariants: ${JSON.stringify(totals)}\n`);
  }, 600_000);
});
