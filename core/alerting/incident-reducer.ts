import {
  type AlertTransition,
  compareTransitions,
  maxSeverity,
  transitionVersion,
} from './alert-transition.ts';
import {
  armEscalation,
  DEFAULT_RETENTION_MS,
  disarm,
  draft,
  type IncidentDraft,
  type IncidentEnv,
  incidentId,
  prune,
  type StateDraft,
  schedule,
} from './incident-core.ts';
import type { Effect, IncidentState, MemberSnapshot, Reduction, UpdateReason } from './incident-types.ts';
import type { RouteMatch } from './routing.ts';

/**
 * The incident reducer: folds one episode transition into the state of one (route, group). It is pure (time
 * comes in `env.now`), idempotent (a transition already known, or older than what is known, changes nothing)
 * and monotonic (an episode's snapshot only moves forward: opened < escalated < resolved, then by last point
 * seen). Group membership uses event time, so the episodes of one incident end up together whatever order
 * their transitions arrive in. Notifications are never sent from here directly: the first goes out at the
 * group-wait flush, later ones at group-interval flushes (see `onIncidentTimer`).
 */

/**
 * What `applyTransition` did, for logs and metrics. For `duplicate`, `stale` and `expired` the returned state
 * is the input object itself: there is nothing to write.
 */
export type ApplyOutcome =
  | 'joined' // a new episode joined an existing incident
  | 'created' // a new episode opened a new incident
  | 'updated' // a known episode moved forward
  | 'duplicate' // the same transition was already applied
  | 'stale' // an older transition than the one known (re-ordered delivery)
  | 'expired' // an unknown episode whose last point is older than the retention
  | 'remembered'; // a lifecycle-only resolve of an unknown episode: kept so a late open never fires

/** `IncidentEnv` plus the route match the transition came through. */
export interface ApplyEnv extends Omit<IncidentEnv, 'route'> {
  readonly match: Pick<RouteMatch, 'route' | 'groupKey' | 'groupLabels' | 'stateKey' | 'lifecycleOnly'>;
}

/** An empty state for a (route, group), created at `now`. */
export function newIncidentState(
  match: Pick<RouteMatch, 'route' | 'groupKey' | 'groupLabels' | 'stateKey'>,
  now: number,
): IncidentState {
  return {
    v: 1,
    key: match.stateKey,
    routeId: match.route.id,
    groupKey: match.groupKey,
    groupLabels: match.groupLabels,
    generation: now,
    seq: 0,
    incidents: [],
    episodes: {},
  };
}

/** The key of an episode within a state: its series, channel and episode id. */
export function memberKey(m: Pick<MemberSnapshot, 'series' | 'channel' | 'episodeId'>): string {
  return JSON.stringify([m.series, m.channel, m.episodeId]);
}

/** Folds a transition into the (route, group) state; `state` undefined means the group has none yet. */
export function applyTransition(
  state: IncidentState | undefined,
  t: AlertTransition,
  env: ApplyEnv,
): Reduction<IncidentState> & { readonly outcome: ApplyOutcome } {
  const retention = env.retention ?? DEFAULT_RETENTION_MS;
  const original = state ?? newIncidentState(env.match, env.now);
  const s = draft(original);
  prune(s, env.now, retention);
  const key = memberKey(t);
  const version = transitionVersion(t);
  const known = s.episodes[key];
  const ienv: IncidentEnv = { ...env, route: env.match.route };

  if (known) {
    const order = compareTransitions(version, known.latest);
    if (order <= 0) return { state: original, effects: [], outcome: order === 0 ? 'duplicate' : 'stale' };
    s.episodes[key] = { ...known, latest: version, at: env.now };
    const inc = s.incidents.find((i) => i.id === known.incidentId);
    if (!inc) return { state: s, effects: [], outcome: 'updated' };
    return { state: s, effects: updateIncident(s, inc, t, ienv), outcome: 'updated' };
  }
  if (t.lastSeenAt + retention < env.now) return { state: original, effects: [], outcome: 'expired' };
  if (env.match.lifecycleOnly) {
    s.episodes[key] = { latest: version, incidentId: null, at: env.now };
    return { state: s, effects: [], outcome: 'remembered' };
  }

  let inc = currentIncident(s, t.startedAt);
  const effects: Effect[] = [];
  const outcome: ApplyOutcome = inc ? 'joined' : 'created';
  if (!inc) {
    inc = createIncident(s, t, env.now);
    inc.flushAt = env.now + ienv.route.groupWait;
    effects.push(schedule({ type: 'flush', stateKey: s.key, incidentId: inc.id, at: inc.flushAt }));
  }
  s.episodes[key] = { latest: version, incidentId: inc.id, at: env.now };
  effects.push(...updateIncident(s, inc, t, ienv));
  return { state: s, effects, outcome };
}

/**
 * The incident a new episode starting at `startedAt` joins: the open one, or one resolved but not yet closed
 * whose resolve is not before the episode's start (the episode overlapped it in event time).
 */
function currentIncident(s: StateDraft, startedAt: number): IncidentDraft | undefined {
  const open = s.incidents.filter((i) => !i.closed);
  return (
    open.find((i) => i.status !== 'resolved') ??
    open.find((i) => i.resolvedAt !== null && startedAt <= i.resolvedAt)
  );
}

function createIncident(s: StateDraft, t: AlertTransition, now: number): IncidentDraft {
  s.seq += 1;
  const inc: IncidentDraft = {
    v: 1,
    id: incidentId(s.key, s.generation, s.seq),
    routeId: s.routeId,
    groupKey: s.groupKey,
    groupLabels: s.groupLabels,
    status: 'firing',
    severity: t.severity,
    openedAt: t.startedAt,
    updatedAt: t.lastSeenAt,
    resolvedAt: null,
    createdAt: now,
    acknowledged: null,
    resolvedBy: null,
    escalation: { level: 0, step: 0, nextAt: null },
    members: [],
    revision: 0,
    announced: false,
    closed: false,
    closedAt: null,
    engaged: [],
    lastNotifiedAt: null,
    flushAt: null,
    repeatAt: null,
    pending: [],
  };
  s.incidents.push(inc);
  return inc;
}

function snapshotOf(t: AlertTransition): MemberSnapshot {
  return {
    episodeId: t.episodeId,
    series: t.series,
    channel: t.channel,
    dimensions: t.dimensions,
    severity: t.severity,
    startedAt: t.startedAt,
    lastSeenAt: t.lastSeenAt,
    peakProbability: t.peakProbability,
    value: t.value,
    expected: t.expected,
    topFeatures: t.topFeatures,
    modelVersion: t.modelVersion,
    status: t.kind === 'resolved' ? 'resolved' : 'firing',
    lastKind: t.kind,
  };
}

function byStart(a: MemberSnapshot, b: MemberSnapshot): number {
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt;
  const ka = memberKey(a);
  const kb = memberKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Puts the transition's snapshot into the incident, recomputes it, and schedules the flush that tells people. */
function updateIncident(s: StateDraft, inc: IncidentDraft, t: AlertTransition, env: IncidentEnv): Effect[] {
  const key = memberKey(t);
  const previous = inc.members.find((m) => memberKey(m) === key);
  if (inc.closed) {
    // Final: a late transition only refreshes the record (e.g. the natural end after a manual resolve).
    if (previous) {
      const kept = { ...snapshotOf(t), status: 'resolved' as const, resolvedBy: previous.resolvedBy };
      inc.members = inc.members.map((m) => (memberKey(m) === key ? kept : m)).sort(byStart);
    }
    return [];
  }
  const next = snapshotOf(t);
  inc.members = [...inc.members.filter((m) => memberKey(m) !== key), next].sort(byStart);
  const reasons: UpdateReason[] = [];
  if (!previous) reasons.push('grew');
  if (next.status === 'resolved' && previous?.status !== 'resolved') reasons.push('member-resolved');
  const wasSeverity = inc.severity;
  const wasStatus = inc.status;
  inc.severity = inc.members.map((m) => m.severity).reduce(maxSeverity);
  if (inc.severity !== wasSeverity) reasons.push('severity');
  inc.openedAt = Math.min(...inc.members.map((m) => m.startedAt));
  inc.updatedAt = Math.max(...inc.members.map((m) => m.lastSeenAt));

  const effects: Effect[] = [];
  if (inc.members.every((m) => m.status === 'resolved')) {
    inc.status = 'resolved';
    inc.resolvedAt = inc.updatedAt;
    effects.push(...disarm(inc, s.key));
  } else if (wasStatus === 'resolved') {
    inc.status = inc.acknowledged ? 'acknowledged' : 'firing';
    inc.resolvedAt = null;
    reasons.push('reopened');
    if (inc.announced) effects.push(...armEscalation(inc, env, s.key));
  }
  for (const r of reasons) if (!inc.pending.includes(r)) inc.pending.push(r);
  if (inc.announced && inc.flushAt === null && (inc.pending.length > 0 || inc.status === 'resolved')) {
    inc.flushAt = Math.max(env.now, (inc.lastNotifiedAt ?? env.now) + env.route.groupInterval);
    effects.push(schedule({ type: 'flush', stateKey: s.key, incidentId: inc.id, at: inc.flushAt }));
  }
  return effects;
}
