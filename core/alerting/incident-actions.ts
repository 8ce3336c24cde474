import { close, disarm, draft, type IncidentEnv, notify, resolvedAudience } from './incident-core.ts';
import { memberKey } from './incident-reducer.ts';
import type { Effect, Incident, IncidentState, Reduction } from './incident-types.ts';

/**
 * What people do to an incident: acknowledge it (stops escalation and repeats, updates every message) or
 * resolve it by hand (closes it; later transitions of its episodes change nothing). Both are idempotent: a
 * second acknowledge, two simultaneous clicks, or an acknowledge after the resolve answer with an outcome and
 * no effects, so the integrator's conditional write decides the one winner.
 */

/** Who acted and through what: `slack`, `link`, `cli`, `api`. */
export interface Actor {
  readonly by: string;
  readonly via: string;
}

/** What an acknowledge did. */
export type AcknowledgeOutcome = 'acknowledged' | 'already-acknowledged' | 'resolved' | 'unknown';

/** What a manual resolve did. */
export type ResolveOutcome = 'resolved' | 'already-resolved' | 'unknown';

/** Acknowledges a firing incident of the state. */
export function acknowledge(
  state: IncidentState,
  incidentId: string,
  actor: Actor,
  env: IncidentEnv,
): Reduction<IncidentState> & { readonly outcome: AcknowledgeOutcome } {
  const s = draft(state);
  const inc = s.incidents.find((i) => i.id === incidentId);
  if (!inc) return { state, effects: [], outcome: 'unknown' };
  if (inc.closed || inc.status === 'resolved') return { state, effects: [], outcome: 'resolved' };
  if (inc.status === 'acknowledged') return { state, effects: [], outcome: 'already-acknowledged' };
  inc.status = 'acknowledged';
  inc.acknowledged = { by: actor.by, via: actor.via, at: env.now };
  const effects: Effect[] = disarm(inc, s.key);
  if (inc.announced) effects.push(...notify(inc, 'acknowledged', inc.engaged, env));
  return { state: s, effects, outcome: 'acknowledged' };
}

/** Resolves an incident by hand: its firing members end now, and a resolve is notified if it was announced. */
export function resolveIncident(
  state: IncidentState,
  incidentId: string,
  actor: Actor,
  env: IncidentEnv,
): Reduction<IncidentState> & { readonly outcome: ResolveOutcome } {
  const s = draft(state);
  const inc = s.incidents.find((i) => i.id === incidentId);
  if (!inc) return { state, effects: [], outcome: 'unknown' };
  if (inc.closed) return { state, effects: [], outcome: 'already-resolved' };
  inc.members = inc.members.map((m) => {
    if (m.status === 'resolved') return m;
    const key = memberKey(m);
    const record = s.episodes[key];
    if (record) {
      s.episodes[key] = {
        ...record,
        latest: { kind: 'resolved', lastSeenAt: m.lastSeenAt, fingerprint: 'manual' },
        at: env.now,
      };
    }
    return { ...m, status: 'resolved', resolvedBy: actor.by };
  });
  inc.status = 'resolved';
  inc.resolvedAt = env.now;
  inc.resolvedBy = actor.by;
  const effects = close(inc, env, s.key);
  if (inc.announced) effects.push(...notify(inc, 'resolved', resolvedAudience(inc, env), env));
  return { state: s, effects, outcome: 'resolved' };
}

/** The incident with this id, if the state still holds it. */
export function findIncident(state: IncidentState, incidentId: string): Incident | undefined {
  return state.incidents.find((i) => i.id === incidentId);
}

/** The state's incident that is not closed yet and not resolved (at most one), if any. */
export function openIncident(state: IncidentState): Incident | undefined {
  return state.incidents.find((i) => !i.closed && i.status !== 'resolved');
}

/**
 * When the state can be deleted (all incidents closed, retention past): for a table's TTL attribute, which
 * only cleans up and is never a timer. Null while any incident is open.
 */
export function stateExpiresAt(state: IncidentState, retention = 24 * 3_600_000): number | null {
  if (state.incidents.some((i) => !i.closed)) return null;
  const last = Math.max(
    0,
    ...state.incidents.map((i) => i.closedAt ?? 0),
    ...Object.values(state.episodes).map((e) => e.at),
  );
  return last + retention;
}
