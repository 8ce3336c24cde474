import {
  ActionAfterCompletion,
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  FlexibleTimeWindowMode,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { Timer } from '../../core/alerting/incident-types.ts';
import type { TimerPayload } from '../../core/alerting/timer-schema.ts';
import type { TimerScheduler } from '../../functions/alerting/ports.ts';

/** Where the timers go and what they invoke. */
export interface EventBridgeTimerSchedulerOptions {
  readonly groupName: string;
  /** The escalator function's ARN. */
  readonly targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke it. */
  readonly roleArn: string;
  /** Where Scheduler sends an invocation it could not make. */
  readonly deadLetterArn: string;
  readonly now?: () => number;
}

/** A one-time schedule is never set sooner than this ahead: Scheduler refuses times in the past. */
const LEAD_MS = 5_000;

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, whole seconds rounded up. */
export function atExpression(at: number): string {
  return `at(${new Date(Math.ceil(at / 1_000) * 1_000).toISOString().slice(0, 19)})`;
}

/**
 * {@link TimerScheduler} on EventBridge Scheduler: one one-time schedule per timer, named by the timer's
 * deterministic id in the alerting schedule group, deleted after it ran (`ActionAfterCompletion: DELETE`),
 * with the timer as the target's input, retries and a dead-letter queue. Creating an existing name is a
 * repeat (ConflictException: left as it is); deleting a missing one is fine. A timer already due is set a
 * few seconds ahead. Scheduler fires within the minute of its time, so a timer may run up to a minute early;
 * the escalator then acts at the timer's own time.
 */
export class EventBridgeTimerScheduler implements TimerScheduler {
  constructor(
    private readonly client: Pick<SchedulerClient, 'send'>,
    private readonly options: EventBridgeTimerSchedulerOptions,
  ) {}

  async schedule(id: string, timer: Timer): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const payload: TimerPayload = { timer };
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: id,
          GroupName: this.options.groupName,
          ScheduleExpression: atExpression(Math.max(timer.at, now + LEAD_MS)),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: FlexibleTimeWindowMode.OFF },
          ActionAfterCompletion: ActionAfterCompletion.DELETE,
          Target: {
            Arn: this.options.targetArn,
            RoleArn: this.options.roleArn,
            Input: JSON.stringify(payload),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: this.options.deadLetterArn },
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConflictException || (error as Error).name === 'ConflictException')) throw error;
    }
  }

  async cancel(id: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: id, GroupName: this.options.groupName }));
    } catch (error) {
      if (
        !(error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException')
      )
        throw error;
    }
  }
}
