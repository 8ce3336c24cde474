import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type Actor, acknowledge, findIncident } from '../../core/alerting/incident-actions.ts';
import type { Incident } from '../../core/alerting/incident-types.ts';
import { formatInstant } from '../../core/alerting/render/format.ts';
import { incidentTitle } from '../../core/alerting/render/incident-text.ts';
import type { AlertAction } from '../../core/alerting/render/links.ts';
import {
  createSilence,
  feedbackLabels,
  feedbackSilence,
  incidentMatchers,
} from '../../core/alerting/silences.ts';
import type { AlertingRuntime } from '../alerting/runtime.ts';
import { SilenceService } from '../alerting/silence-service.ts';

/**
 * What a person can do to an incident from Slack or an action link: acknowledge it, silence its group for an
 * hour, or say it is not an anomaly (a feedback label per episode, for retraining, and a silence of each
 * series for a day). Acknowledge goes through the incident reducer and a conditional write, so of two
 * simultaneous clicks one wins and the other is told who did; against a resolve, whichever writes first wins.
 */

/** One request to act. */
export interface ActionRequest {
  readonly action: AlertAction;
  readonly stateKey: string;
  readonly incidentId: string;
  readonly actor: Actor;
}

/** What happened, in words for the person who clicked. */
export interface ActionResult {
  readonly outcome: string;
  readonly text: string;
  readonly incident?: Incident;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Performs `request` now; never throws for an unknown or finished incident (it says so instead). */
export async function performAction(runtime: AlertingRuntime, request: ActionRequest): Promise<ActionResult> {
  const { deps } = runtime;
  const result = await perform(runtime, request);
  deps.metrics?.addMetric(`Actions_${request.action}_${result.outcome}`, MetricUnit.Count, 1);
  deps.logger?.info('action', { ...request, outcome: result.outcome });
  return result;
}

async function perform(runtime: AlertingRuntime, request: ActionRequest): Promise<ActionResult> {
  const { deps } = runtime;
  const { actor, incidentId, stateKey } = request;
  if (request.action === 'ack') {
    const written = await runtime.updateIncident(stateKey, (state, env) =>
      state ? acknowledge(state, incidentId, actor, env) : { outcome: 'unknown' },
    );
    const incident = await current(runtime, stateKey, incidentId);
    return ackResult(written.outcome, incident, actor);
  }
  const incident = await current(runtime, stateKey, incidentId);
  if (!incident)
    return { outcome: 'unknown', text: 'Seismo no longer knows this incident (it ended long ago).' };
  const now = deps.clock();
  const silences = new SilenceService(
    deps.control,
    deps.scheduler,
    deps.config.silenceReminders.remindBefore,
  );
  if (request.action === 'silence-1h') {
    const silence = createSilence(
      {
        matchers: incidentMatchers(incident),
        startsAt: now,
        endsAt: now + HOUR,
        author: actor.by,
        comment: `silenced for 1 h from ${actor.via} (incident ${incident.id})`,
      },
      now,
    );
    await silences.create(silence, now);
    runtime.control.invalidate();
    return {
      outcome: 'silenced',
      text: `Silenced ${incidentTitle(incident)} until ${formatInstant(silence.endsAt)} (${silence.id}).`,
      incident,
    };
  }
  if (!deps.feedback) throw new Error('the ack handler needs a feedback store for "not an anomaly"');
  const labels = feedbackLabels(incident, actor.by, now, true);
  for (const label of labels) {
    await deps.feedback.put({ ...label, via: actor.via, incidentId: incident.id });
    const silence = feedbackSilence(label);
    if (silence) await silences.create(silence, now);
  }
  runtime.control.invalidate();
  return {
    outcome: 'labelled',
    text: `Thanks: ${labels.length} episode(s) of ${incidentTitle(incident)} labelled "not an anomaly" for retraining, and silenced until ${formatInstant(now + DAY)}.`,
    incident,
  };
}

async function current(
  runtime: AlertingRuntime,
  stateKey: string,
  incidentId: string,
): Promise<Incident | undefined> {
  const item = await runtime.deps.incidents.load(stateKey);
  return item ? findIncident(item.state, incidentId) : undefined;
}

function ackResult(outcome: string, incident: Incident | undefined, actor: Actor): ActionResult {
  const by = incident?.acknowledged;
  switch (outcome) {
    case 'acknowledged':
      return {
        outcome,
        text: `Acknowledged by ${actor.by}: escalation stopped.`,
        ...(incident && { incident }),
      };
    case 'already-acknowledged':
      return {
        outcome,
        text: by ? `Already acknowledged by ${by.by} at ${formatInstant(by.at)}.` : 'Already acknowledged.',
        ...(incident && { incident }),
      };
    case 'resolved':
      return { outcome, text: 'This incident is already resolved.', ...(incident && { incident }) };
    default:
      return { outcome: 'unknown', text: 'Seismo no longer knows this incident (it ended long ago).' };
  }
}
