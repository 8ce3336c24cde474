import { SFNClient } from '@aws-sdk/client-sfn';
import { type StartOutcome, startRetrain } from '../../adapters/sfn-retrain-starter.ts';
import type { TriggerKind } from '../../core/learning/execution-name.ts';

const stateMachineArn = process.env.STATE_MACHINE_ARN;
if (!stateMachineArn) throw new Error('environment variable STATE_MACHINE_ARN must be set');
const sfn = new SFNClient({});

/** What starts a retrain: the weekly schedule's input, or a drift alarm's state-change event. */
export interface TriggerEvent {
  /** Set by the Scheduler schedule's input. */
  readonly kind?: TriggerKind;
  /** EventBridge's event time (alarm state changes) or the schedule's `<aws.scheduler.scheduled-time>`. */
  readonly time?: string;
  readonly 'detail-type'?: string;
  readonly detail?: { readonly alarmName?: string };
}

/** Turns a trigger into the run it belongs to and starts it once, under its deterministic name. */
export async function handler(event: TriggerEvent): Promise<StartOutcome> {
  const kind: TriggerKind =
    event['detail-type'] === 'CloudWatch Alarm State Change' ? 'drift' : (event.kind ?? 'weekly');
  const at = event.time ? Date.parse(event.time) : Date.now();
  const by = kind === 'drift' ? `alarm:${event.detail?.alarmName ?? 'drift'}` : 'schedule:weekly';
  const outcome = await startRetrain(
    sfn,
    stateMachineArn as string,
    kind,
    Number.isNaN(at) ? Date.now() : at,
    by,
  );
  console.log(
    JSON.stringify({
      message: outcome.started ? 'retrain started' : 'retrain already started: no-op',
      ...outcome,
    }),
  );
  return outcome;
}
