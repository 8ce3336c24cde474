import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { applyBudget, onDigestTimer } from '../../core/alerting/budget.ts';
import type { Route } from '../../core/alerting/config.ts';
import type { Effect, Timer } from '../../core/alerting/incident-types.ts';
import type { AlertingDeps } from './deps.ts';
import type { BudgetDecision, BudgetItem, Outbox } from './ports.ts';
import { writeWithOutbox } from './versioned-writer.ts';

/**
 * Notification budgets against the budget table, made idempotent: a carry-out repeated after a failure
 * (its outbox carried out again) finds each page's decision remembered and decides it the same way, with
 * the same notice and digest timer, instead of counting the page twice or flipping it into the digest.
 */

const COUNTED = new Set(['opened', 'escalated']);
/** Decisions are remembered this long past the budget window: longer than any retry of a carry-out. */
const DECISION_MARGIN_MS = 3_600_000;

/** The key of a route's budget item: '#' cannot start a state key, so the two never collide. */
export function budgetKey(routeId: string): string {
  return `#budget#${routeId}`;
}

type Deliver = (effects: readonly Effect[], now: number) => Promise<void>;

/** Passes `effects` through the route's budget; returns what goes on (allowed pages, notices, digest timer). */
export async function budgetStep(
  deps: AlertingDeps,
  route: Route,
  effects: readonly Effect[],
  now: number,
  deliver: Deliver,
): Promise<Effect[]> {
  const budget = route.budget;
  const counted = effects.filter((e) => e.kind === 'notify' && COUNTED.has(e.notification.kind));
  if (!budget || counted.length === 0) return [...effects];
  const passThrough = effects.filter((e) => !counted.includes(e));
  let out: Effect[] = [];
  await writeWithOutbox<BudgetItem>(
    deps.budgets,
    budgetKey(route.id),
    (item, _now) => {
      const decided = { ...(item?.decided ?? {}) };
      const known = counted.filter((e) => e.kind === 'notify' && decided[e.notification.id] !== undefined);
      const fresh = counted.filter((e) => !known.includes(e));
      const result = applyBudget(item?.budget, route, fresh, now);
      const extra = result.effects.filter((e) => e.kind !== 'notify' || !COUNTED.has(e.notification.kind));
      const held = new Set(result.held);
      const firstHeld = result.held[0];
      for (const e of fresh) {
        if (e.kind !== 'notify' || decided[e.notification.id]) continue;
        const id = e.notification.id;
        decided[id] = { allowed: !held.has(id), at: now, extra: id === firstHeld ? extra : [] };
      }
      // A page decided earlier goes on (or stays held) as decided, with what its decision added.
      const replayed: Effect[] = [];
      const seen = new Set<string>();
      for (const e of known) {
        if (e.kind !== 'notify') continue;
        const decision = decided[e.notification.id] as BudgetDecision;
        if (decision.allowed) replayed.push(e);
        if (!seen.has(e.notification.id)) replayed.push(...decision.extra);
        seen.add(e.notification.id);
      }
      out = [
        ...passThrough,
        ...replayed,
        ...result.effects.filter((e) => !(e.kind === 'notify' && held.has(e.notification.id))),
      ];
      const horizon = now - Math.max(budget.per, budget.digestEvery) - DECISION_MARGIN_MS;
      const kept = Object.fromEntries(Object.entries(decided).filter(([, d]) => d.at >= horizon));
      return {
        state: { budget: result.state, decided: kept },
        effects: [],
        outcome: fresh.length > 0 ? 'decided' : 'replayed',
        write: fresh.length > 0,
        routeId: route.id,
        expiresAt: null,
      };
    },
    (outbox: Outbox) => deliver(outbox.effects, now),
    { clock: deps.clock, ...(deps.conflictAttempts !== undefined && { attempts: deps.conflictAttempts }) },
  );
  const heldCount = counted.length - out.filter((e) => counted.includes(e)).length;
  if (heldCount > 0) deps.metrics?.addMetric('NotificationsHeldForDigest', MetricUnit.Count, heldCount);
  return dedupeEffects(out);
}

/** Sends a route's digest when its timer is due (a stale timer does nothing). */
export async function fireDigest(
  deps: AlertingDeps,
  route: Route,
  timer: Extract<Timer, { type: 'digest' }>,
  deliver: Deliver,
): Promise<string> {
  const result = await writeWithOutbox<BudgetItem>(
    deps.budgets,
    budgetKey(route.id),
    (item, now) => {
      if (!item)
        return {
          state: item as never,
          effects: [],
          outcome: 'stale',
          write: false,
          routeId: route.id,
          expiresAt: null,
        };
      const fired = onDigestTimer(item.budget, timer, route, Math.max(now, timer.at));
      const write = fired.state !== item.budget;
      return {
        state: { ...item, budget: fired.state },
        effects: fired.effects,
        outcome: write ? 'fired' : 'stale',
        write,
        routeId: route.id,
        expiresAt: null,
      };
    },
    (outbox) => deliver(outbox.effects, outbox.at),
    { clock: deps.clock, ...(deps.conflictAttempts !== undefined && { attempts: deps.conflictAttempts }) },
  );
  return result.outcome;
}

/** The same notify (notification, receiver) or timer only once. */
function dedupeEffects(effects: readonly Effect[]): Effect[] {
  const seen = new Set<string>();
  return effects.filter((e) => {
    const key = e.kind === 'notify' ? `n|${e.notification.id}|${e.receiver}` : `${e.kind}|${e.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
