import type { AlertTransition, Labels } from './alert-transition.ts';
import { applyBudget, type BudgetState, onDigestTimer } from './budget.ts';
import type { AlertingConfig, Route } from './config.ts';
import type { ReceiverType } from './config-schema.ts';
import { type DeliveryRecord, type DropReason, decideDelivery, deliveryKey } from './dedup.ts';
import { type Actor, acknowledge, resolveIncident } from './incident-actions.ts';
import type { IncidentEnv } from './incident-core.ts';
import { applyTransition } from './incident-reducer.ts';
import { onIncidentTimer } from './incident-timers.ts';
import type { Effect, Incident, IncidentState, Notification, Timer } from './incident-types.ts';
import { inhibitionSources } from './inhibition.ts';
import { gateEffects } from './mute-gate.ts';
import { routeEpisode } from './routing.ts';
import { onSilenceReminder, type Silence, silenceReminderTimer } from './silences.ts';

/**
 * The whole alerting pipeline in memory, on a virtual clock: routing, the incident reducer, the mute gate,
 * budgets, the notification log and timers, wired the way the router, escalator and senders wire them. It
 * is the reference for that wiring, drives `seismo routes replay` and the property tests, and needs no AWS.
 */

/** A notification that reached a receiver. */
export interface SimulatedDelivery {
  readonly at: number;
  readonly receiver: string;
  readonly receiverType: ReceiverType;
  readonly notification: Notification;
}

/** A notification that did not reach a receiver, and why. */
export interface SimulatedSuppression {
  readonly at: number;
  readonly receiver: string;
  readonly notification: Notification;
  readonly reason: string;
  readonly stage: 'muted' | 'budget' | 'log';
}

/** Options of a simulation. */
export interface SimulatorOptions {
  readonly silences?: readonly Silence[];
  /** Retention of closed incidents and remembered episodes (default 24 h). */
  readonly retention?: number;
}

/** In-memory alerting pipeline; see the module comment. */
export class AlertingSimulator {
  readonly deliveries: SimulatedDelivery[] = [];
  readonly suppressed: SimulatedSuppression[] = [];
  readonly states = new Map<string, IncidentState>();
  readonly budgets = new Map<string, BudgetState>();
  readonly log = new Map<string, DeliveryRecord>();
  private readonly timers = new Map<string, Timer>();
  private readonly silences: readonly Silence[];
  private clock = Number.NEGATIVE_INFINITY;

  constructor(
    readonly config: AlertingConfig,
    private readonly options: SimulatorOptions = {},
  ) {
    this.silences = options.silences ?? [];
    for (const silence of this.silences) {
      const timer = silenceReminderTimer(
        silence,
        config.silenceReminders.remindBefore,
        Number.NEGATIVE_INFINITY,
      );
      if (timer) this.timers.set(`silence-${silence.id}`, timer);
    }
  }

  /** Current virtual time. */
  get now(): number {
    return this.clock;
  }

  /** Delivers one transition at `now` (after firing every timer due by then). */
  receive(t: AlertTransition, now: number): void {
    this.advanceTo(now);
    for (const match of routeEpisode(this.config, t)) {
      const result = applyTransition(this.states.get(match.stateKey), t, {
        now,
        match,
        receivers: this.config.receivers,
        ...(this.options.retention !== undefined && { retention: this.options.retention }),
      });
      this.states.set(match.stateKey, result.state);
      this.process(result.effects, match.route, now);
    }
  }

  /** Fires every timer due up to `now`, in time order, each at its own due time. */
  advanceTo(now: number): void {
    for (;;) {
      let next: [string, Timer] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= now && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.clock = Math.max(this.clock, next[1].at);
      this.fire(next[1]);
    }
    this.clock = Math.max(this.clock, now);
  }

  /** Fires every pending timer, however far ahead: the end of a replay. */
  drain(limit = 10_000): void {
    for (let i = 0; i < limit && this.timers.size > 0; i++) {
      const at = Math.min(...[...this.timers.values()].map((t) => t.at));
      this.advanceTo(at);
    }
  }

  /** Acknowledges an incident at `now`, as the ack handler would. */
  acknowledge(incidentId: string, actor: Actor, now: number): string {
    return this.act(incidentId, now, (state, env) => acknowledge(state, incidentId, actor, env));
  }

  /** Resolves an incident by hand at `now`. */
  resolve(incidentId: string, actor: Actor, now: number): string {
    return this.act(incidentId, now, (state, env) => resolveIncident(state, incidentId, actor, env));
  }

  /** Every incident the simulation holds, across routes and groups. */
  incidents(): Incident[] {
    return [...this.states.values()].flatMap((s) => s.incidents);
  }

  /** Pending timers (for tests). */
  pendingTimers(): Timer[] {
    return [...this.timers.values()];
  }

  private act(
    incidentId: string,
    now: number,
    action: (
      state: IncidentState,
      env: IncidentEnv,
    ) => { state: IncidentState; effects: readonly Effect[]; outcome: string },
  ): string {
    this.advanceTo(now);
    for (const state of this.states.values()) {
      if (!state.incidents.some((i) => i.id === incidentId)) continue;
      const route = this.config.routesById.get(state.routeId);
      if (!route) return 'unknown';
      const result = action(state, this.env(route, now));
      this.states.set(state.key, result.state);
      this.process(result.effects, route, now);
      return result.outcome;
    }
    return 'unknown';
  }

  private env(route: Route, now: number): IncidentEnv {
    return {
      now,
      route,
      receivers: this.config.receivers,
      ...(this.options.retention !== undefined && { retention: this.options.retention }),
    };
  }

  private fire(timer: Timer): void {
    const now = timer.at;
    if (timer.type === 'digest') {
      const route = this.config.routesById.get(timer.routeId);
      const state = this.budgets.get(timer.routeId);
      if (!route || !state) return;
      const result = onDigestTimer(state, timer, route, now);
      this.budgets.set(timer.routeId, result.state);
      this.deliver(result.effects, now);
      return;
    }
    if (timer.type === 'silence-reminder') {
      const silence = this.silences.find((s) => s.id === timer.silenceId);
      const { remindBefore, receivers } = this.config.silenceReminders;
      this.deliver(onSilenceReminder(silence, timer, receivers, remindBefore, now), now);
      return;
    }
    const state = this.states.get(timer.stateKey);
    const route = state && this.config.routesById.get(state.routeId);
    if (!state || !route) return;
    const result = onIncidentTimer(state, timer, this.env(route, now));
    this.states.set(state.key, result.state);
    this.process(result.effects, route, now);
  }

  /** Timers, then the mute gate, the budget and the log: the router's order. */
  private process(effects: readonly Effect[], route: Route, now: number): void {
    for (const effect of effects) {
      if (effect.kind === 'schedule') this.timers.set(effect.id, effect.timer);
      else if (effect.kind === 'cancel') this.timers.delete(effect.id);
    }
    const notifies = effects.filter((e) => e.kind === 'notify');
    if (notifies.length === 0) return;
    const gated = gateEffects(notifies, {
      now,
      config: this.config,
      route,
      silences: this.silences,
      inhibitionSources: this.sources(),
    });
    for (const { effect, reason } of gated.muted) {
      this.suppressed.push({
        at: now,
        receiver: effect.receiver,
        notification: effect.notification,
        reason,
        stage: 'muted',
      });
    }
    const budgeted = applyBudget(this.budgets.get(route.id), route, gated.effects, now);
    this.budgets.set(route.id, budgeted.state);
    for (const effect of gated.effects) {
      if (effect.kind === 'notify' && budgeted.held.includes(effect.notification.id)) {
        this.suppressed.push({
          at: now,
          receiver: effect.receiver,
          notification: effect.notification,
          reason: 'over budget: held for the digest',
          stage: 'budget',
        });
      }
    }
    for (const effect of budgeted.effects)
      if (effect.kind === 'schedule') this.timers.set(effect.id, effect.timer);
    this.deliver(budgeted.effects, now);
  }

  private deliver(effects: readonly Effect[], now: number): void {
    for (const effect of effects) {
      if (effect.kind !== 'notify') continue;
      const receiver = this.config.receivers.get(effect.receiver);
      if (!receiver) continue;
      const key = deliveryKey(effect.notification, effect.receiver);
      const decision = decideDelivery(
        this.log.get(key),
        effect.notification,
        effect.receiver,
        receiver.type,
        now,
      );
      if (!decision.deliver) {
        this.suppressed.push({
          at: now,
          receiver: effect.receiver,
          notification: effect.notification,
          reason: dropText(decision.reason),
          stage: 'log',
        });
        continue;
      }
      this.log.set(key, decision.record);
      this.deliveries.push({
        at: now,
        receiver: effect.receiver,
        receiverType: receiver.type,
        notification: effect.notification,
      });
    }
  }

  private sources(): Labels[] {
    if (this.config.inhibitRules.length === 0) return [];
    return this.incidents().flatMap((i) => inhibitionSources(this.config.inhibitRules, i));
  }
}

function dropText(reason: DropReason): string {
  switch (reason) {
    case 'duplicate':
      return 'already delivered';
    case 'stale':
      return 'older than what was delivered';
    case 'never-announced':
      return 'closing words for an incident this receiver was never told about';
  }
}
