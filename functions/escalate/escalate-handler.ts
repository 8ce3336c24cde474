import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { onIncidentTimer } from '../../core/alerting/incident-timers.ts';
import type { Timer } from '../../core/alerting/incident-types.ts';
import { onSilenceReminder } from '../../core/alerting/silences.ts';
import { parseTimerPayload } from '../../core/alerting/timer-schema.ts';
import { fireDigest } from '../alerting/budget-step.ts';
import type { AlertingRuntime } from '../alerting/runtime.ts';

/** What a timer did: `fired`, or `stale` (superseded, acknowledged, resolved, gone), for logs and tests. */
export interface TimerResult {
  readonly timer: Timer;
  readonly outcome: string;
}

/** The escalator Lambda's shape: EventBridge Scheduler's input in, what the timer did out. */
export type EscalateHandler = (event: unknown) => Promise<TimerResult>;

/**
 * The escalator (timer function): runs a due timer against state read now, never against what was true when
 * it was scheduled. Group flushes, escalation steps and repeats go through the incident reducer, which does
 * nothing for a timer that no longer matches (an acknowledged or resolved incident, a moved flush); digests
 * through the route's budget; silence reminders only while the silence still ends when the timer expected.
 * Scheduler's minute precision can fire a timer up to a minute early: it runs at its own due time then.
 * A failure throws, so Lambda's asynchronous retries (then the on-failure queue) take over.
 */
export function createEscalateHandler(runtime: AlertingRuntime): EscalateHandler {
  const { deps } = runtime;
  return async (event) => {
    const { timer } = parseTimerPayload(event);
    const dueNow = () => Math.max(deps.clock(), timer.at);
    let outcome: string;
    switch (timer.type) {
      case 'flush':
      case 'escalate':
      case 'repeat': {
        const result = await runtime.updateIncident(
          timer.stateKey,
          (state, env) => (state ? onIncidentTimer(state, timer, env) : { outcome: 'stale' }),
          dueNow,
        );
        outcome = result.outcome;
        break;
      }
      case 'digest': {
        const route = deps.config.routesById.get(timer.routeId);
        outcome = route
          ? await fireDigest(deps, route, timer, (effects, at) => runtime.carrier.deliver(effects, at))
          : 'unknown-route';
        break;
      }
      case 'silence-reminder': {
        const silence = await deps.control.getSilence(timer.silenceId);
        const { receivers, remindBefore } = deps.config.silenceReminders;
        const effects = onSilenceReminder(silence, timer, receivers, remindBefore, dueNow());
        await runtime.carrier.deliver(effects, dueNow());
        outcome = effects.length > 0 ? 'fired' : 'stale';
        break;
      }
    }
    deps.metrics?.addMetric(`Timers_${timer.type}_${outcome}`, MetricUnit.Count, 1);
    deps.logger?.info('timer', { timer, outcome });
    return { timer, outcome };
  };
}
