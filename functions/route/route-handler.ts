import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { InvalidTransitionError, parseAlertTransition } from '../../core/alerting/alert-transition.ts';
import { applyTransition } from '../../core/alerting/incident-reducer.ts';
import { routeEpisode } from '../../core/alerting/routing.ts';
import type { DeadLetterQueue } from '../alerting/ports.ts';
import type { AlertingRuntime } from '../alerting/runtime.ts';

/** The router Lambda's shape: an SQS batch of episode transitions in, the messages to retry out. */
export type RouteHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The router: for each SQS message (an episode transition from the `anomalies` topic, raw or in its SNS
 * envelope) it records the transition for `routes replay`, routes it, and updates the incident state of
 * every (route, group) it reaches through the outbox write loop, which carries out timers, gating, budget,
 * the notification log and the channel queues. Records are handled one after the other (two transitions of
 * one group in a batch would only race each other); a record that fails is reported as a batch item failure
 * and comes back after the queue's visibility timeout; one that is not a transition is dead-lettered with
 * the reason.
 */
export function createRouteHandler(runtime: AlertingRuntime, deadLetters: DeadLetterQueue): RouteHandler {
  const { deps } = runtime;
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    let transition: ReturnType<typeof parseAlertTransition>;
    try {
      transition = parseAlertTransition(unwrapSns(record.body));
    } catch (error) {
      if (!(error instanceof InvalidTransitionError)) throw error;
      await deadLetters.send({
        reason: error.message,
        code: 'invalid-transition',
        body: record.body,
        messageId: record.messageId,
        receivedAt: deps.clock(),
      });
      deps.metrics?.addMetric('TransitionsRejected', MetricUnit.Count, 1);
      deps.logger?.warn('not an episode transition: dead-lettered', {
        messageId: record.messageId,
        reason: error.message,
      });
      return;
    }
    await deps.transitions?.record(transition, deps.clock());
    for (const match of routeEpisode(deps.config, transition)) {
      const result = await runtime.updateIncident(match.stateKey, (state, env) =>
        applyTransition(state, transition, {
          now: env.now,
          receivers: env.receivers,
          match,
          ...(env.retention !== undefined && { retention: env.retention }),
        }),
      );
      deps.metrics?.addMetric(`Transitions_${result.outcome}`, MetricUnit.Count, 1);
    }
    deps.metrics?.addMetric('TransitionsRouted', MetricUnit.Count, 1);
  };
  return async (event) => {
    // One processor per invocation: the local stack runs several invocations at once in one process.
    const processor = new BatchProcessor(EventType.SQS);
    return processPartialResponse(event, handleRecord, processor, { processInParallel: false });
  };
}

/** The transition in an SQS body: the SNS message itself (raw delivery) or its SNS envelope's `Message`. */
export function unwrapSns(body: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return body;
  }
  if (typeof json === 'object' && json !== null && (json as { Type?: unknown }).Type === 'Notification') {
    const message = (json as { Message?: unknown }).Message;
    if (typeof message === 'string') return message;
  }
  return json;
}
