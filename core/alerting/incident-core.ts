import { createHash } from 'node:crypto';
import type { Route } from './config.ts';
import type { Receiver } from './config-schema.ts';
import { compactIncident, NOTIFICATION_MAX_MEMBERS } from './incident-compact.ts';
import type {
  Effect,
  Incident,
  IncidentNotification,
  IncidentNotificationKind,
  IncidentState,
  MemberSnapshot,
  Timer,
  UpdateReason,
} from './incident-types.ts';

/**
 * Internals shared by the incident reducers: working copies, notification and timer effects, escalation
 * arming. Not part of the public API; `incident-reducer.ts` and `incident-actions.ts` are.
 */

/** A writable working copy of a readonly shape (the reducers mutate a clone, never their input). */
export type Draft<T> = { -readonly [K in keyof T]: T[K] };

/** A writable incident with writable member and pending lists. */
export type IncidentDraft = Omit<Draft<Incident>, 'members' | 'pending' | 'engaged' | 'escalation'> & {
  members: MemberSnapshot[];
  pending: UpdateReason[];
  engaged: string[];
  escalation: Draft<Incident['escalation']>;
};

/** A writable incident state. */
export type StateDraft = Omit<Draft<IncidentState>, 'incidents' | 'episodes'> & {
  incidents: IncidentDraft[];
  episodes: Record<string, IncidentState['episodes'][string]>;
};

/** What every incident reducer is given besides its state: the clock, the route and the receivers by name. */
export interface IncidentEnv {
  /** Epoch ms, processing time. Never read from a clock inside a reducer. */
  readonly now: number;
  readonly route: Route;
  readonly receivers: ReadonlyMap<string, Receiver>;
  /** How long closed incidents and remembered episodes are kept for late deliveries; 24 h by default. */
  readonly retention?: number;
}

/** Default retention of closed incidents and remembered episodes. */
export const DEFAULT_RETENTION_MS = 24 * 3_600_000;

/** A deep working copy. */
export function draft(state: IncidentState): StateDraft {
  return structuredClone(state) as StateDraft;
}

/** The id of a timer: deterministic and within EventBridge Scheduler's schedule-name rules (≤ 64, [\w.-]). */
export function timerId(timer: Timer): string {
  const { type, ...rest } = timer;
  const hash = createHash('sha256')
    .update(JSON.stringify([type, rest]))
    .digest('hex')
    .slice(0, 32);
  return `${type}-${hash}`;
}

/** A schedule effect. */
export function schedule(timer: Timer): Effect {
  return { kind: 'schedule', id: timerId(timer), timer };
}

/** A cancel effect. */
export function cancel(timer: Timer): Effect {
  return { kind: 'cancel', id: timerId(timer), timer };
}

/** The incident id of a state's `seq`-th incident: stable, and new after the state expires and is recreated. */
export function incidentId(stateKey: string, generation: number, seq: number): string {
  return `inc-${createHash('sha256')
    .update(JSON.stringify([stateKey, generation, seq]))
    .digest('hex')
    .slice(0, 24)}`;
}

/**
 * Emits one notification (taking the incident's next revision) to each receiver, with a copy of the incident
 * of at most {@link NOTIFICATION_MAX_MEMBERS} members.
 */
export function notify(
  inc: IncidentDraft,
  kind: IncidentNotificationKind,
  receivers: readonly string[],
  env: IncidentEnv,
  options: { reasons?: readonly UpdateReason[]; standalone?: boolean } = {},
): Effect[] {
  if (receivers.length === 0) return [];
  inc.revision += 1;
  inc.lastNotifiedAt = env.now;
  const notification: IncidentNotification = {
    id: `${inc.id}.${inc.revision}`,
    kind,
    revision: inc.revision,
    at: env.now,
    routeId: inc.routeId,
    // A queue message has to stay small (SQS: 256 KiB): members beyond what any channel lists are counted.
    incident: compactIncident(structuredClone(inc) as Incident, NOTIFICATION_MAX_MEMBERS),
    reasons: options.reasons ?? [],
    standalone: options.standalone ?? false,
  };
  return [...new Set(receivers)].map((receiver) => ({ kind: 'notify', receiver, notification }));
}

/** Receivers of a resolve: everyone engaged, or only PagerDuty (whose incident must close) without sendResolved. */
export function resolvedAudience(inc: IncidentDraft, env: IncidentEnv): string[] {
  if (env.route.sendResolved) return inc.engaged;
  return inc.engaged.filter((name) => env.receivers.get(name)?.type === 'pagerduty');
}

/** Arms the next escalation step if the route has a policy with steps left and the incident is firing. */
export function armEscalation(inc: IncidentDraft, env: IncidentEnv, stateKey: string): Effect[] {
  const policy = env.route.escalation;
  if (!policy || inc.status !== 'firing' || inc.closed || inc.escalation.nextAt !== null) return [];
  const levels = policy.levels.length;
  const next = inc.escalation.step + 1;
  if (next > levels * (policy.repeat + 1)) return [];
  const level = policy.levels[(next - 1) % levels];
  if (!level) return [];
  inc.escalation.nextAt = env.now + level.after;
  return [
    schedule({ type: 'escalate', stateKey, incidentId: inc.id, step: next, at: inc.escalation.nextAt }),
  ];
}

/** Disarms escalation and repeat (on acknowledge or resolve), with cancel effects for their timers. */
export function disarm(inc: IncidentDraft, stateKey: string): Effect[] {
  const effects: Effect[] = [];
  if (inc.escalation.nextAt !== null) {
    const step = inc.escalation.step + 1;
    effects.push(cancel({ type: 'escalate', stateKey, incidentId: inc.id, step, at: inc.escalation.nextAt }));
    inc.escalation.nextAt = null;
  }
  if (inc.repeatAt !== null) {
    effects.push(cancel({ type: 'repeat', stateKey, incidentId: inc.id, at: inc.repeatAt }));
    inc.repeatAt = null;
  }
  return effects;
}

/** Moves the repeat reminder to `repeatInterval` after now (firing, announced, open incidents only). */
export function rearmRepeat(inc: IncidentDraft, env: IncidentEnv, stateKey: string): Effect[] {
  const effects: Effect[] = [];
  if (inc.repeatAt !== null)
    effects.push(cancel({ type: 'repeat', stateKey, incidentId: inc.id, at: inc.repeatAt }));
  inc.repeatAt = null;
  if (inc.status === 'firing' && !inc.closed) {
    inc.repeatAt = env.now + env.route.repeatInterval;
    effects.push(schedule({ type: 'repeat', stateKey, incidentId: inc.id, at: inc.repeatAt }));
  }
  return effects;
}

/** Closes an incident: final, nothing more is sent, kept until retention for late deliveries. */
export function close(inc: IncidentDraft, env: IncidentEnv, stateKey: string): Effect[] {
  const effects = disarm(inc, stateKey);
  if (inc.flushAt !== null) {
    effects.push(cancel({ type: 'flush', stateKey, incidentId: inc.id, at: inc.flushAt }));
    inc.flushAt = null;
  }
  inc.closed = true;
  inc.closedAt = env.now;
  inc.pending = [];
  return effects;
}

/** Removes closed incidents and remembered episodes past retention. */
export function prune(state: StateDraft, now: number, retention: number): void {
  const gone = new Set<string>();
  state.incidents = state.incidents.filter((inc) => {
    const expired = inc.closed && inc.closedAt !== null && inc.closedAt + retention < now;
    if (expired) gone.add(inc.id);
    return !expired;
  });
  for (const [key, record] of Object.entries(state.episodes)) {
    const orphan = record.incidentId === null || gone.has(record.incidentId);
    if (orphan && record.at + retention < now) delete state.episodes[key];
  }
}
