import type { Labels } from './alert-transition.ts';
import type { AlertingConfig, Route } from './config.ts';
import type { Effect, IncidentNotification } from './incident-types.ts';
import { inhibitedBy } from './inhibition.ts';
import { memberLabels } from './member-labels.ts';
import { type Silence, silencedBy } from './silences.ts';
import { routeMuteReason } from './time-intervals.ts';

/**
 * The mute gate between the incident reducer and the channels: a notification that something is firing
 * (opened, updated, escalated) is held back while the route is in a mute time interval (or outside its active
 * ones), when every firing member is silenced, or when every firing member is inhibited. Acknowledged and
 * resolved notifications always pass: they close what was said before (the notification log drops them for a
 * receiver that was never told, see `decideDelivery`).
 */

/** What the gate needs to know besides the effects. */
export interface MuteContext {
  readonly now: number;
  readonly config: Pick<AlertingConfig, 'timeIntervals' | 'inhibitRules'>;
  readonly route: Route;
  readonly silences: readonly Silence[];
  /** Labels of firing episodes that can inhibit others (from `inhibitionSources` over open incidents). */
  readonly inhibitionSources: readonly Labels[];
}

/** A notify effect the gate held back, with the reason for people. */
export interface MutedEffect {
  readonly effect: Extract<Effect, { kind: 'notify' }>;
  readonly reason: string;
}

/** Splits effects into those to carry out and the notifications muted, each with its reason. */
export function gateEffects(
  effects: readonly Effect[],
  ctx: MuteContext,
): { effects: Effect[]; muted: MutedEffect[] } {
  const reasons = new Map<string, string | null>();
  const kept: Effect[] = [];
  const muted: MutedEffect[] = [];
  for (const effect of effects) {
    if (effect.kind !== 'notify' || !('incident' in effect.notification)) {
      kept.push(effect);
      continue;
    }
    const notification = effect.notification;
    if (!reasons.has(notification.id)) reasons.set(notification.id, muteReason(notification, ctx));
    const reason = reasons.get(notification.id) ?? null;
    if (reason === null) kept.push(effect);
    else muted.push({ effect, reason });
  }
  return { effects: kept, muted };
}

/** Why a notification is muted now, or null when it may go out. */
export function muteReason(notification: IncidentNotification, ctx: MuteContext): string | null {
  if (notification.kind === 'acknowledged' || notification.kind === 'resolved') return null;
  const byTime = routeMuteReason(ctx.route, ctx.config.timeIntervals, ctx.now);
  if (byTime) return byTime;
  const firing = notification.incident.members.filter((m) => m.status === 'firing');
  const members = (firing.length > 0 ? firing : notification.incident.members).map(memberLabels);
  if (members.length === 0) return null;
  const silences = members.map((labels) => silencedBy(ctx.silences, labels, ctx.now));
  if (silences.every((s) => s !== undefined)) {
    const ids = [...new Set(silences.map((s) => s?.id))].join(', ');
    return `silenced (${ids})`;
  }
  const rules = members.map((labels) => inhibitedBy(ctx.config.inhibitRules, labels, ctx.inhibitionSources));
  if (rules.every((r) => r !== undefined)) {
    const names = [...new Set(rules.map((r) => r?.name ?? 'unnamed rule'))].join(', ');
    return `inhibited (${names})`;
  }
  return null;
}
