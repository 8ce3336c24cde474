import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { mapConcurrent } from '../../adapters/concurrency.ts';
import { channelMessage } from '../../core/alerting/channel-message.ts';
import { decideDelivery, deliveryKey } from '../../core/alerting/dedup.ts';
import type { Effect } from '../../core/alerting/incident-types.ts';
import { gateEffects } from '../../core/alerting/mute-gate.ts';
import { budgetStep } from './budget-step.ts';
import type { ControlCache } from './control-cache.ts';
import type { AlertingDeps } from './deps.ts';
import type { Outbox } from './ports.ts';

/**
 * Carries out an outbox, in the router's order: timers first (schedules and cancels), then the inhibition
 * index, then the notifications through the mute gate (time intervals, silences, inhibition), the route's
 * budget and the notification log, and only then onto the channel queues. Every step is idempotent, so an
 * outbox carried out twice sends nothing twice that a log or queue would not drop.
 */
export class EffectCarrier {
  constructor(
    private readonly deps: AlertingDeps,
    private readonly control: ControlCache,
  ) {}

  /** Carries out `outbox`, written as version `version` of the item `stateKey` (for the inhibition index). */
  async carry(outbox: Outbox, stateKey: string | undefined, version: number): Promise<void> {
    const { deps } = this;
    const now = deps.clock();
    await this.timers(outbox.effects);
    if (outbox.inhibit !== undefined && stateKey !== undefined) {
      await deps.control.putInhibition(stateKey, outbox.inhibit, version);
      this.control.invalidate();
    }
    const notifies = outbox.effects.filter((e) => e.kind === 'notify');
    if (notifies.length === 0) return;
    const snapshot = await this.control.snapshot();
    const live = notifies.filter((e) => {
      const disabled = e.kind === 'notify' ? snapshot.disabled.get(e.receiver) : undefined;
      if (disabled) {
        deps.logger?.warn('receiver is disabled: not sending', {
          receiver: disabled.name,
          since: new Date(disabled.at).toISOString(),
          reason: disabled.reason,
        });
        deps.metrics?.addMetric('NotificationsToDisabledReceivers', MetricUnit.Count, 1);
      }
      return !disabled;
    });
    const route = deps.config.routesById.get(outbox.routeId);
    if (!route) {
      // The config changed and the route is gone: say what is sent, ungated, rather than drop it.
      deps.logger?.warn('route no longer in the config: notifications sent without gating', {
        routeId: outbox.routeId,
      });
      await this.deliver(live, now);
      return;
    }
    const gated = gateEffects(live, {
      now,
      config: deps.config,
      route,
      silences: snapshot.silences,
      inhibitionSources: snapshot.inhibitionSources,
    });
    if (gated.muted.length > 0) {
      deps.metrics?.addMetric('NotificationsMuted', MetricUnit.Count, gated.muted.length);
      for (const { effect, reason } of gated.muted) {
        deps.logger?.info('notification muted', {
          notification: effect.notification.id,
          receiver: effect.receiver,
          reason,
        });
      }
    }
    const budgeted = await budgetStep(deps, route, gated.effects, now, (effects, at) =>
      this.deliver(effects, at),
    );
    await this.timers(budgeted);
    await this.deliver(budgeted, now);
  }

  /**
   * Sends each notify effect the notification log lets through: decide against the log item, enqueue, then
   * record the revision. Enqueueing before recording means a crash in between only ever sends again (the
   * queue and the sender drop the repeat), never records what was not sent.
   */
  async deliver(effects: readonly Effect[], now: number): Promise<void> {
    const { deps } = this;
    const notifies = effects.filter((e) => e.kind === 'notify');
    await mapConcurrent(notifies, deps.concurrency ?? 8, async (effect) => {
      if (effect.kind !== 'notify') return;
      const receiver = deps.config.receivers.get(effect.receiver);
      if (!receiver) {
        deps.logger?.warn('unknown receiver: not sending', { receiver: effect.receiver });
        return;
      }
      const key = deliveryKey(effect.notification, effect.receiver);
      const record = await deps.log.get(key);
      const decision = decideDelivery(record, effect.notification, effect.receiver, receiver.type, now);
      if (!decision.deliver) {
        deps.metrics?.addMetric(`NotificationsDropped_${decision.reason}`, MetricUnit.Count, 1);
        return;
      }
      const links = await deps.links(effect.notification, receiver, now);
      await deps.queues.send(channelMessage(effect.notification, receiver, links));
      await deps.log.claim(decision.record);
      deps.metrics?.addMetric('NotificationsEnqueued', MetricUnit.Count, 1);
    });
  }

  private async timers(effects: readonly Effect[]): Promise<void> {
    const { deps } = this;
    const timers = effects.filter((e) => e.kind === 'schedule' || e.kind === 'cancel');
    await mapConcurrent(timers, deps.concurrency ?? 8, async (effect) => {
      if (effect.kind === 'schedule') {
        await deps.scheduler.schedule(effect.id, effect.timer);
        return;
      }
      if (effect.kind !== 'cancel') return;
      try {
        await deps.scheduler.cancel(effect.id);
      } catch (error) {
        // Harmless: a timer that fires anyway re-checks the state and does nothing.
        deps.logger?.warn('could not cancel a timer; it will find nothing to do', {
          timer: effect.id,
          error: (error as Error).message,
        });
      }
    });
  }
}
