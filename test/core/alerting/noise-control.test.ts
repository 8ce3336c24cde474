import { describe, expect, it } from 'vitest';
import { decideDelivery } from '../../../core/alerting/dedup.ts';
import type { IncidentNotification } from '../../../core/alerting/incident-types.ts';
import {
  createSilence,
  feedbackLabels,
  feedbackSilence,
  incidentMatchers,
  onSilenceReminder,
  silenceReminderTimer,
  silenceSchema,
} from '../../../core/alerting/silences.ts';
import { AlertingSimulator } from '../../../core/alerting/simulator.ts';
import { MINUTE, smallConfig, T0, transition } from './fixtures.ts';

const HOUR = 60 * MINUTE;
const kinds = (sim: AlertingSimulator, receiver: string) =>
  sim.deliveries.filter((d) => d.receiver === receiver).map((d) => d.notification.kind);

/** One episode of `series` from `start` for `minutes`, delivered open then resolved. */
function episode(sim: AlertingSimulator, i: number, start: number, minutes = 10, overrides = {}) {
  const base = transition({
    episodeId: `ep-${i}`,
    series: `s-${i}`,
    startedAt: start,
    lastSeenAt: start,
    ...overrides,
  });
  sim.receive(base, start);
  sim.receive({ ...base, kind: 'resolved', lastSeenAt: start + minutes * MINUTE }, start + minutes * MINUTE);
}

describe('budgets', () => {
  const config = smallConfig({
    receivers: ['pager', 'slack'],
    budget: { max: 5, per: '1h', digestEvery: '1h' },
  });

  it('lets a flapping series through while it stays within the budget', () => {
    const sim = new AlertingSimulator(config);
    for (let i = 0; i < 5; i++)
      episode(sim, 0, T0 + i * 12 * MINUTE, 5, { episodeId: `flap-${i}`, series: 'flappy' });
    sim.drain();
    expect(kinds(sim, 'pager')).toEqual(Array(5).fill(['opened', 'resolved']).flat());
    expect(sim.suppressed.filter((s) => s.stage === 'budget')).toEqual([]);
  });

  it('beyond the budget sends one notice and an hourly digest, and never a resolve for what it held', () => {
    const sim = new AlertingSimulator(config);
    for (let i = 0; i < 8; i++) episode(sim, i, T0 + i * MINUTE, 30);
    sim.drain();
    const pager = kinds(sim, 'pager');
    expect(pager.filter((k) => k === 'opened')).toHaveLength(5);
    expect(pager.filter((k) => k === 'budget-exceeded')).toHaveLength(1);
    expect(pager.filter((k) => k === 'resolved')).toHaveLength(5);
    const digest = sim.deliveries.find((d) => d.notification.kind === 'digest' && d.receiver === 'slack');
    expect(digest?.at).toBe(T0 + 5 * MINUTE + 30_000 + HOUR);
    expect(digest?.notification).toMatchObject({
      items: [{ title: 's-5' }, { title: 's-6' }, { title: 's-7' }],
    });
    // The held incidents' resolves go to nobody: nobody was told they opened (the digest listed them).
    expect(sim.suppressed.filter((s) => s.stage === 'log').map((s) => s.reason)).toEqual(
      Array(6).fill('closing words for an incident this receiver was never told about'),
    );
  });
});

describe('silences and inhibition through the pipeline', () => {
  it('mutes what a silence selects, and sends nothing for it later', () => {
    const config = smallConfig();
    const silence = createSilence(
      {
        matchers: [{ name: 'series', op: '=', value: 's-0' }],
        startsAt: T0 - HOUR,
        endsAt: T0 + HOUR,
        author: 'ana',
      },
      T0 - HOUR,
    );
    const sim = new AlertingSimulator(config, { silences: [silence] });
    episode(sim, 0, T0, 30);
    episode(sim, 1, T0, 30);
    sim.drain();
    expect(
      sim.deliveries.map((d) => [
        d.notification.kind,
        'incident' in d.notification && d.notification.incident.members[0]?.series,
      ]),
    ).toEqual([
      ['opened', 's-1'],
      ['resolved', 's-1'],
    ]);
    expect(sim.suppressed.find((s) => s.stage === 'muted')?.reason).toBe(`silenced (${silence.id})`);
  });

  it('lets an open critical episode mute warnings sharing the service', () => {
    const config = smallConfig(
      {},
      {
        inhibitRules: [
          {
            name: 'crit',
            sourceMatchers: ['severity="critical"'],
            targetMatchers: ['severity="warning"'],
            equal: ['service'],
          },
        ],
      },
    );
    const sim = new AlertingSimulator(config);
    sim.receive(
      transition({ episodeId: 'c', series: 'db', severity: 'critical', dimensions: { service: 'checkout' } }),
      T0,
    );
    sim.advanceTo(T0 + MINUTE);
    sim.receive(
      transition({ episodeId: 'w1', series: 'api', dimensions: { service: 'checkout' } }),
      T0 + MINUTE,
    );
    sim.receive(
      transition({ episodeId: 'w2', series: 'web', dimensions: { service: 'search' } }),
      T0 + MINUTE,
    );
    sim.advanceTo(T0 + 5 * MINUTE);
    const told = sim.deliveries.map((d) =>
      'incident' in d.notification ? d.notification.incident.members[0]?.series : '',
    );
    expect(told).toEqual(['db', 'web']);
    expect(sim.suppressed.map((s) => s.reason)).toEqual(['inhibited (crit)']);
  });

  it('reminds before a silence ends; an extended silence makes the old reminder stale', () => {
    const silence = createSilence(
      {
        matchers: [{ name: 'team', op: '=', value: 'payments' }],
        startsAt: T0,
        endsAt: T0 + 2 * HOUR,
        author: 'ana',
        comment: 'deploy',
      },
      T0,
    );
    const timer = silenceReminderTimer(silence, 15 * MINUTE, T0);
    expect(timer).toEqual({ type: 'silence-reminder', silenceId: silence.id, at: T0 + 105 * MINUTE });
    if (!timer) throw new Error('no timer');
    const due = onSilenceReminder(silence, timer, ['slack'], 15 * MINUTE, timer.at);
    expect(due).toEqual([
      {
        kind: 'notify',
        receiver: 'slack',
        notification: expect.objectContaining({ kind: 'silence-expiring', endsAt: T0 + 2 * HOUR }),
      },
    ]);
    const extended = { ...silence, endsAt: T0 + 4 * HOUR };
    expect(onSilenceReminder(extended, timer, ['slack'], 15 * MINUTE, timer.at)).toEqual([]);
  });

  it('reads stored silences with text or object matchers, and refuses bad ones by path', () => {
    const parsed = silenceSchema.parse({
      id: 's',
      matchers: ['series=~"db-.*"', { name: 'env', op: '=', value: 'prod' }],
      startsAt: 0,
      endsAt: 1,
      author: 'ana',
      createdAt: 0,
    });
    expect(parsed.matchers).toEqual([
      { name: 'series', op: '=~', value: 'db-.*' },
      { name: 'env', op: '=', value: 'prod' },
    ]);
    const bad = silenceSchema.safeParse({
      id: 's',
      matchers: ['x=~"("'],
      startsAt: 0,
      endsAt: 1,
      author: 'a',
      createdAt: 0,
    });
    expect(bad.success).toBe(false);
  });
});

describe('feedback and button silences', () => {
  const sim = new AlertingSimulator(smallConfig({ groupBy: ['team'] }));
  sim.receive(transition(), T0);
  sim.receive(transition({ episodeId: 'ep-2', series: 'checkout/errors', channel: 'rate' }), T0);
  sim.advanceTo(T0 + MINUTE);
  const first = sim.deliveries[0]?.notification as IncidentNotification | undefined;
  if (!first) throw new Error('nothing delivered');
  const incident = first.incident;

  it('labels every episode of the incident, and can silence each series for a day', () => {
    const labels = feedbackLabels(incident, 'ana', T0 + 2 * MINUTE, true);
    expect(labels.map((l) => [l.series, l.channel, l.episodeId])).toEqual([
      ['checkout/errors', 'rate', 'ep-2'],
      ['checkout/latency', 'value', 'ep-1'],
    ]);
    const silence = feedbackSilence(labels[0] as (typeof labels)[number]);
    expect(silence).toMatchObject({
      matchers: [
        { name: 'series', op: '=', value: 'checkout/errors' },
        { name: 'channel', op: '=', value: 'rate' },
      ],
      startsAt: T0 + 2 * MINUTE,
      endsAt: T0 + 2 * MINUTE + 24 * HOUR,
      author: 'ana',
    });
  });

  it('silences the incident group for the "Silence 1 h" button', () => {
    expect(incidentMatchers(incident)).toEqual([{ name: 'team', op: '=', value: 'payments' }]);
  });
});

describe('decideDelivery', () => {
  const sim = new AlertingSimulator(smallConfig({ receivers: ['slack', 'pager'] }));
  sim.receive(transition(), T0);
  sim.advanceTo(T0 + MINUTE);
  const opened = sim.deliveries[0]?.notification as IncidentNotification;

  it('delivers once, drops a duplicate and an older revision', () => {
    const first = decideDelivery(undefined, opened, 'slack', 'slack', T0);
    expect(first.deliver).toBe(true);
    if (!first.deliver) return;
    expect(decideDelivery(first.record, opened, 'slack', 'slack', T0)).toEqual({
      deliver: false,
      reason: 'duplicate',
    });
    const newer = { ...opened, kind: 'resolved' as const, revision: 2 };
    const second = decideDelivery(first.record, newer, 'slack', 'slack', T0);
    expect(second).toMatchObject({ deliver: true, record: { revision: 2, firing: false } });
    if (!second.deliver) return;
    expect(decideDelivery(second.record, opened, 'slack', 'slack', T0)).toEqual({
      deliver: false,
      reason: 'stale',
    });
  });

  it('sends a standalone resolve to chat and mail but never to PagerDuty', () => {
    const standalone = { ...opened, kind: 'resolved' as const, standalone: true };
    expect(decideDelivery(undefined, standalone, 'slack', 'slack', T0).deliver).toBe(true);
    expect(decideDelivery(undefined, standalone, 'pager', 'pagerduty', T0)).toEqual({
      deliver: false,
      reason: 'never-announced',
    });
    const ack = { ...opened, kind: 'acknowledged' as const };
    expect(decideDelivery(undefined, ack, 'slack', 'slack', T0)).toEqual({
      deliver: false,
      reason: 'never-announced',
    });
  });
});
