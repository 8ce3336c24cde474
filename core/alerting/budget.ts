import { createHash } from 'node:crypto';
import type { Route } from './config.ts';
import { schedule } from './incident-core.ts';
import type {
  BudgetExceededNotification,
  DigestItem,
  DigestNotification,
  Effect,
  IncidentNotification,
  Reduction,
  Timer,
} from './incident-types.ts';
import { incidentTitle } from './render/incident-text.ts';

/**
 * Notification budgets: at most `max` pages (opened and escalated notifications: a new incident, or new
 * people called in) per route in any sliding `per` window. Beyond it, they are held for a digest sent every
 * `digestEvery`, and the receivers get one "budget exceeded" notice per overrun instead of a storm. Updates
 * of incidents people already know (a Slack message edited, a PagerDuty incident deduplicated), acknowledges
 * and resolves are never held: they add no new page, and resolves end noise.
 */

/** A route's budget state: one small item per route. */
export interface BudgetState {
  readonly v: 1;
  readonly routeId: string;
  /** Processing times of the notifications counted in the current window (at most `max`). */
  readonly sent: readonly number[];
  /** When the current overrun began (its notice went out then), or null within budget. */
  readonly exceededSince: number | null;
  /** Held notifications waiting for the digest, or null. */
  readonly digest: {
    readonly dueAt: number;
    readonly from: number;
    readonly items: readonly DigestItem[];
    readonly omitted: number;
    readonly receivers: readonly string[];
  } | null;
}

/** Items a digest lists; more are counted. */
export const DIGEST_MAX_ITEMS = 100;

const COUNTED = new Set(['opened', 'escalated']);

/** An empty budget state for a route. */
export function newBudgetState(routeId: string): BudgetState {
  return { v: 1, routeId, sent: [], exceededSince: null, digest: null };
}

function routeHash(routeId: string): string {
  return createHash('sha256').update(routeId).digest('hex').slice(0, 16);
}

/**
 * Passes the effects through the route's budget: notifications within it go on (and are counted), the rest
 * are replaced by a digest entry, the first overrun by a notice, and the digest timer is scheduled once.
 */
export function applyBudget(
  state: BudgetState | undefined,
  route: Route,
  effects: readonly Effect[],
  now: number,
): Reduction<BudgetState> & { readonly held: readonly string[] } {
  const original = state ?? newBudgetState(route.id);
  const budget = route.budget;
  if (!budget) return { state: original, effects: [...effects], held: [] };
  let sent = original.sent.filter((t) => t > now - budget.per);
  let exceededSince = original.exceededSince;
  let digest = original.digest === null ? null : { ...original.digest, items: [...original.digest.items] };
  const decided = new Map<string, boolean>();
  const out: Effect[] = [];
  const held: string[] = [];
  for (const effect of effects) {
    if (effect.kind !== 'notify' || !COUNTED.has(effect.notification.kind)) {
      out.push(effect);
      continue;
    }
    const notification = effect.notification as IncidentNotification;
    let allowed = decided.get(notification.id);
    if (allowed === undefined) {
      allowed = sent.length < budget.max;
      decided.set(notification.id, allowed);
      if (allowed) sent = [...sent, now];
      else {
        held.push(notification.id);
        if (digest === null) {
          digest = { dueAt: now + budget.digestEvery, from: now, items: [], omitted: 0, receivers: [] };
          out.push(schedule({ type: 'digest', routeId: route.id, at: digest.dueAt }));
        }
        const item: DigestItem = {
          incidentId: notification.incident.id,
          kind: notification.kind,
          severity: notification.incident.severity,
          title: incidentTitle(notification.incident),
          at: now,
        };
        if (digest.items.length < DIGEST_MAX_ITEMS) digest.items.push(item);
        else digest.omitted += 1;
      }
    }
    if (allowed) {
      out.push(effect);
      continue;
    }
    if (digest && !digest.receivers.includes(effect.receiver))
      digest.receivers = [...digest.receivers, effect.receiver];
    if (exceededSince === null || exceededSince === now) {
      exceededSince = now;
      const notice: BudgetExceededNotification = {
        id: `budget-${routeHash(route.id)}-${now}`,
        kind: 'budget-exceeded',
        revision: 1,
        at: now,
        routeId: route.id,
        budget: { max: budget.max, per: budget.per, digestEvery: budget.digestEvery },
        since: now,
      };
      if (
        !out.some(
          (e) => e.kind === 'notify' && e.notification.id === notice.id && e.receiver === effect.receiver,
        )
      ) {
        out.push({ kind: 'notify', receiver: effect.receiver, notification: notice });
      }
    }
  }
  if (exceededSince !== null && exceededSince !== now && digest === null && sent.length < budget.max) {
    exceededSince = null;
  }
  return { state: { v: 1, routeId: route.id, sent, exceededSince, digest }, effects: out, held };
}

/** Sends the digest when its timer is due; a timer that does not match the pending digest does nothing. */
export function onDigestTimer(
  state: BudgetState,
  timer: Extract<Timer, { type: 'digest' }>,
  route: Route,
  now: number,
): Reduction<BudgetState> {
  const digest = state.digest;
  if (!digest || digest.dueAt !== timer.at) return { state, effects: [] };
  const notification: DigestNotification = {
    id: `digest-${routeHash(route.id)}-${digest.dueAt}`,
    kind: 'digest',
    revision: 1,
    at: now,
    routeId: route.id,
    items: digest.items,
    omitted: digest.omitted,
    from: digest.from,
    to: now,
  };
  const per = route.budget?.per ?? 0;
  const sent = state.sent.filter((t) => t > now - per);
  const within = route.budget !== null && sent.length < route.budget.max;
  return {
    state: { ...state, sent, digest: null, exceededSince: within ? null : state.exceededSince },
    effects: digest.receivers.map((receiver) => ({ kind: 'notify', receiver, notification })),
  };
}
