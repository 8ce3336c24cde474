import { describe, expect, it } from 'vitest';
import { acknowledge, openIncident, resolveIncident } from '../../../core/alerting/incident-actions.ts';
import type { IncidentEnv } from '../../../core/alerting/incident-core.ts';
import { type ApplyEnv, applyTransition } from '../../../core/alerting/incident-reducer.ts';
import { onIncidentTimer } from '../../../core/alerting/incident-timers.ts';
import type { Effect, IncidentState, Timer } from '../../../core/alerting/incident-types.ts';
import { routeEpisode } from '../../../core/alerting/routing.ts';
import { MINUTE, smallConfig, T0, transition } from './fixtures.ts';

const config = smallConfig(
  { groupBy: ['team'], receivers: ['slack', 'pager'] },
  {
    escalationPolicies: [{ name: 'p', levels: [{ after: '10m', receivers: ['mail'] }], repeat: 1 }],
  },
);
const route = config.route;
const match = routeEpisode(config, transition())[0];
if (!match) throw new Error('no match');

function apply(state: IncidentState | undefined, t: ReturnType<typeof transition>, now: number) {
  const env: ApplyEnv = { now, match: match as ApplyEnv['match'], receivers: config.receivers };
  return applyTransition(state, t, env);
}
const env = (now: number, r = route): IncidentEnv => ({ now, route: r, receivers: config.receivers });
const timers = (effects: readonly Effect[]) =>
  effects.filter((e) => e.kind === 'schedule').map((e) => (e as { timer: Timer }).timer);
const notified = (effects: readonly Effect[]) =>
  effects.filter((e) => e.kind === 'notify').map((e) => `${e.receiver}:${e.notification.kind}`);

describe('applyTransition', () => {
  it('creates an incident and schedules its group-wait flush; nobody is told yet', () => {
    const r = apply(undefined, transition(), T0);
    expect(r.outcome).toBe('created');
    expect(notified(r.effects)).toEqual([]);
    expect(timers(r.effects)).toEqual([
      { type: 'flush', stateKey: match.stateKey, incidentId: r.state.incidents[0]?.id, at: T0 + 30_000 },
    ]);
    expect(r.state.incidents[0]).toMatchObject({ status: 'firing', severity: 'warning', announced: false });
  });

  it('groups episodes of the same group arriving within group wait into one opened notification', () => {
    const a = apply(undefined, transition(), T0);
    const b = apply(
      a.state,
      transition({ episodeId: 'ep-2', series: 'checkout/errors', severity: 'critical' }),
      T0 + 10_000,
    );
    expect(b.outcome).toBe('joined');
    const flush = timers(a.effects)[0] as Extract<Timer, { type: 'flush' }>;
    const f = onIncidentTimer(b.state, flush, env(flush.at));
    expect(notified(f.effects)).toEqual(['slack:opened', 'pager:opened']);
    const incident = f.state.incidents[0];
    expect(incident?.members.map((m) => m.series)).toEqual(['checkout/errors', 'checkout/latency']);
    expect(incident?.severity).toBe('critical');
  });

  it('ignores a duplicate and an older transition, and returns its input state unchanged', () => {
    const opened = apply(undefined, transition(), T0);
    const escalated = apply(
      opened.state,
      transition({ kind: 'escalated', severity: 'critical', lastSeenAt: T0 + MINUTE }),
      T0 + MINUTE,
    );
    const dup = apply(
      escalated.state,
      transition({ kind: 'escalated', severity: 'critical', lastSeenAt: T0 + MINUTE }),
      T0 + 2 * MINUTE,
    );
    const old = apply(escalated.state, transition(), T0 + 2 * MINUTE);
    expect(dup).toMatchObject({ outcome: 'duplicate', effects: [] });
    expect(dup.state).toBe(escalated.state);
    expect(old).toMatchObject({ outcome: 'stale', effects: [] });
    expect(old.state.incidents[0]?.severity).toBe('critical');
  });

  it('remembers a resolve that comes before its open, so the late open never fires', () => {
    const resolved = apply(
      undefined,
      transition({ kind: 'resolved', lastSeenAt: T0 + 20 * MINUTE }),
      T0 + 20 * MINUTE,
    );
    const lateOpen = apply(resolved.state, transition(), T0 + 20 * MINUTE + 1);
    expect(lateOpen.outcome).toBe('stale');
    const flush = timers(resolved.effects)[0] as Extract<Timer, { type: 'flush' }>;
    const f = onIncidentTimer(lateOpen.state, flush, env(flush.at));
    // It ended before anyone heard of it: one standalone resolved message, then closed.
    expect(notified(f.effects)).toEqual(['slack:resolved', 'pager:resolved']);
    expect(f.effects.find((e) => e.kind === 'notify')).toMatchObject({ notification: { standalone: true } });
    expect(f.state.incidents[0]).toMatchObject({ status: 'resolved', closed: true });
  });

  it('ignores an unknown episode whose last point is past the retention', () => {
    const r = apply(undefined, transition({ lastSeenAt: T0 - 25 * 60 * MINUTE }), T0);
    expect(r).toMatchObject({ outcome: 'expired', effects: [] });
  });

  it('sends changes after an announcement at most once per group interval', () => {
    const a = apply(undefined, transition(), T0);
    const flush = timers(a.effects)[0] as Extract<Timer, { type: 'flush' }>;
    const f = onIncidentTimer(a.state, flush, env(flush.at));
    const grew = apply(
      f.state,
      transition({ episodeId: 'ep-2', series: 'checkout/errors' }),
      flush.at + MINUTE,
    );
    expect(timers(grew.effects)).toEqual([
      expect.objectContaining({ type: 'flush', at: flush.at + 5 * MINUTE }),
    ]);
    const g = onIncidentTimer(
      grew.state,
      timers(grew.effects)[0] as Extract<Timer, { type: 'flush' }>,
      env(flush.at + 5 * MINUTE),
    );
    expect(notified(g.effects)).toEqual(['slack:updated', 'pager:updated']);
    expect(g.effects.find((e) => e.kind === 'notify')).toMatchObject({
      notification: { reasons: ['grew'], revision: 2 },
    });
  });
});

describe('escalation, acknowledge and resolve', () => {
  const escalating = { ...route, escalation: config.escalationPolicies.get('p') ?? null };
  function announced() {
    const a = applyTransition(undefined, transition(), {
      now: T0,
      match: { ...(match as ApplyEnv['match']), route: escalating },
      receivers: config.receivers,
    });
    const flush = timers(a.effects)[0] as Extract<Timer, { type: 'flush' }>;
    return onIncidentTimer(a.state, flush, env(flush.at, escalating));
  }

  it('escalates an unacknowledged incident level by level, repeating a bounded number of times', () => {
    const f = announced();
    const first = timers(f.effects).find((t) => t.type === 'escalate') as Extract<
      Timer,
      { type: 'escalate' }
    >;
    expect(first).toMatchObject({ step: 1, at: T0 + 30_000 + 10 * MINUTE });
    const e1 = onIncidentTimer(f.state, first, env(first.at, escalating));
    expect(notified(e1.effects)).toEqual(['slack:escalated', 'pager:escalated', 'mail:escalated']);
    const second = timers(e1.effects).find((t) => t.type === 'escalate') as Extract<
      Timer,
      { type: 'escalate' }
    >;
    const e2 = onIncidentTimer(e1.state, second, env(second.at, escalating));
    expect(e2.state.incidents[0]?.escalation).toEqual({ level: 1, step: 2, nextAt: null });
    expect(timers(e2.effects).filter((t) => t.type === 'escalate')).toEqual([]);
  });

  it('stops escalation on acknowledge; a timer firing after the ack does nothing', () => {
    const f = announced();
    const first = timers(f.effects).find((t) => t.type === 'escalate') as Extract<
      Timer,
      { type: 'escalate' }
    >;
    const incidentId = f.state.incidents[0]?.id as string;
    const ack = acknowledge(
      f.state,
      incidentId,
      { by: 'ana', via: 'slack' },
      env(T0 + 2 * MINUTE, escalating),
    );
    expect(ack.outcome).toBe('acknowledged');
    expect(notified(ack.effects)).toEqual(['slack:acknowledged', 'pager:acknowledged']);
    expect(
      ack.effects.filter((e) => e.kind === 'cancel').map((e) => (e as { timer: Timer }).timer.type),
    ).toEqual(['escalate', 'repeat']);
    const late = onIncidentTimer(ack.state, first, env(first.at, escalating));
    expect(late).toMatchObject({ outcome: 'stale', effects: [] });
    const again = acknowledge(
      ack.state,
      incidentId,
      { by: 'bo', via: 'link' },
      env(T0 + 3 * MINUTE, escalating),
    );
    expect(again).toMatchObject({ outcome: 'already-acknowledged', effects: [] });
    expect(again.state.incidents[0]?.acknowledged?.by).toBe('ana');
  });

  it('resolves by hand: notifies at once, closes, and later transitions of the episode change nothing', () => {
    const f = announced();
    const incidentId = f.state.incidents[0]?.id as string;
    const r = resolveIncident(
      f.state,
      incidentId,
      { by: 'ana', via: 'cli' },
      env(T0 + 5 * MINUTE, escalating),
    );
    expect(notified(r.effects)).toEqual(['slack:resolved', 'pager:resolved']);
    expect(openIncident(r.state)).toBeUndefined();
    const later = applyTransition(
      r.state,
      transition({ kind: 'escalated', severity: 'critical', lastSeenAt: T0 + 6 * MINUTE }),
      {
        now: T0 + 6 * MINUTE,
        match: { ...(match as ApplyEnv['match']), route: escalating },
        receivers: config.receivers,
      },
    );
    expect(later).toMatchObject({ outcome: 'stale', effects: [] });
    const ackAfter = acknowledge(
      r.state,
      incidentId,
      { by: 'bo', via: 'slack' },
      env(T0 + 7 * MINUTE, escalating),
    );
    expect(ackAfter.outcome).toBe('resolved');
  });

  it('sends the resolve only to PagerDuty when the route does not send resolved', () => {
    const quiet = { ...route, sendResolved: false };
    const a = applyTransition(undefined, transition(), {
      now: T0,
      match: { ...(match as ApplyEnv['match']), route: quiet },
      receivers: config.receivers,
    });
    const flush = timers(a.effects)[0] as Extract<Timer, { type: 'flush' }>;
    const f = onIncidentTimer(a.state, flush, env(flush.at, quiet));
    const id = f.state.incidents[0]?.id as string;
    const r = resolveIncident(f.state, id, { by: 'ana', via: 'cli' }, env(T0 + MINUTE, quiet));
    expect(notified(r.effects)).toEqual(['pager:resolved']);
  });
});
