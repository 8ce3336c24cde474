import {
  armEscalation,
  close,
  draft,
  type IncidentDraft,
  type IncidentEnv,
  notify,
  rearmRepeat,
  resolvedAudience,
} from './incident-core.ts';
import type { Effect, IncidentState, Reduction, Timer } from './incident-types.ts';

/**
 * What happens when an incident's timer is due: the group flush (the first notification after `groupWait`,
 * then changes at most every `groupInterval`), an escalation step, or the repeat reminder. Each re-checks
 * the state before acting: a timer that no longer matches it (already fired, superseded, or the incident was
 * acknowledged or resolved meanwhile) does nothing, so a late or duplicated timer is harmless.
 */

/** What a timer did. */
export type TimerOutcome = 'fired' | 'stale';

type IncidentTimer = Extract<Timer, { type: 'flush' | 'escalate' | 'repeat' }>;

/** Runs a due flush, escalate or repeat timer against the state it was scheduled for. */
export function onIncidentTimer(
  state: IncidentState,
  timer: IncidentTimer,
  env: IncidentEnv,
): Reduction<IncidentState> & { readonly outcome: TimerOutcome } {
  const s = draft(state);
  const inc = s.incidents.find((i) => i.id === timer.incidentId);
  if (!inc || inc.closed) return { state, effects: [], outcome: 'stale' };
  let effects: Effect[] | null;
  switch (timer.type) {
    case 'flush':
      effects = inc.flushAt === timer.at ? flush(inc, env, s.key) : null;
      break;
    case 'escalate':
      effects = escalate(inc, timer.step, timer.at, env, s.key);
      break;
    case 'repeat':
      effects = inc.status === 'firing' && inc.repeatAt === timer.at ? repeat(inc, env, s.key) : null;
      break;
  }
  if (effects === null) return { state, effects: [], outcome: 'stale' };
  return { state: s, effects, outcome: 'fired' };
}

function flush(inc: IncidentDraft, env: IncidentEnv, key: string): Effect[] {
  inc.flushAt = null;
  const effects: Effect[] = [];
  if (!inc.announced) {
    inc.announced = true;
    inc.engaged = [...env.route.receivers];
    if (inc.status === 'resolved') {
      // Over before anyone heard of it: one message that it happened and ended (never a page).
      effects.push(...close(inc, env, key));
      effects.push(...notify(inc, 'resolved', inc.engaged, env, { standalone: true }));
      return effects;
    }
    inc.pending = [];
    effects.push(...armEscalation(inc, env, key));
    effects.push(...rearmRepeat(inc, env, key));
    effects.push(...notify(inc, 'opened', inc.engaged, env));
    return effects;
  }
  if (inc.status === 'resolved') {
    effects.push(...close(inc, env, key));
    effects.push(...notify(inc, 'resolved', resolvedAudience(inc, env), env));
    return effects;
  }
  if (inc.pending.length === 0) return effects;
  const reasons = inc.pending;
  inc.pending = [];
  effects.push(...rearmRepeat(inc, env, key));
  effects.push(...notify(inc, 'updated', inc.engaged, env, { reasons }));
  return effects;
}

function escalate(
  inc: IncidentDraft,
  step: number,
  at: number,
  env: IncidentEnv,
  key: string,
): Effect[] | null {
  const policy = env.route.escalation;
  if (
    !policy ||
    inc.status !== 'firing' ||
    inc.escalation.nextAt !== at ||
    step !== inc.escalation.step + 1
  ) {
    return null;
  }
  const index = (step - 1) % policy.levels.length;
  const level = policy.levels[index];
  if (!level) return null;
  inc.escalation = { level: index + 1, step, nextAt: null };
  inc.engaged = [...new Set([...inc.engaged, ...level.receivers])];
  const effects = armEscalation(inc, env, key);
  effects.push(...notify(inc, 'escalated', inc.engaged, env));
  return effects;
}

function repeat(inc: IncidentDraft, env: IncidentEnv, key: string): Effect[] {
  const effects = rearmRepeat(inc, env, key);
  effects.push(...notify(inc, 'updated', inc.engaged, env, { reasons: ['repeat'] }));
  return effects;
}
