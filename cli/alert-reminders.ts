import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { EventBridgeTimerScheduler } from '../adapters/alerting/eventbridge-timer-scheduler.ts';
import type { TimerScheduler } from '../functions/alerting/ports.ts';
import { UsageError } from './command.ts';

/**
 * The deployed stack's timer scheduler, so a silence made from the command line gets its reminder like one
 * made from Slack. Named by four stack outputs through the environment (a flag each would drown the help);
 * none set means no reminders, some set is a mistake worth saying.
 */
export const REMINDER_ENV = {
  groupName: ['SEISMO_ALERT_SCHEDULE_GROUP', 'alert-schedule-group'],
  targetArn: ['SEISMO_ALERT_TIMER_FUNCTION_ARN', 'alert-timer-function-arn'],
  roleArn: ['SEISMO_ALERT_SCHEDULER_ROLE_ARN', 'alert-scheduler-role-arn'],
  deadLetterArn: ['SEISMO_ALERT_TIMER_DEAD_LETTER_ARN', 'alert-timer-dead-letter-arn'],
} as const;

/** Help lines for the reminder settings. */
export const REMINDER_USAGE = `Reminders (deployed stack only; set all four from the stack outputs of the same names):
  ${Object.values(REMINDER_ENV)
    .map(([env, output]) => `${env} (${output})`)
    .join('\n  ')}
`;

/** The scheduler the environment names, or undefined when it names none. */
export function reminderScheduler(
  env: NodeJS.ProcessEnv,
  region: string | undefined,
): TimerScheduler | undefined {
  const entries = Object.entries(REMINDER_ENV).map(([field, [name]]) => [
    field,
    name,
    env[name] || undefined,
  ]);
  const missing = entries.filter(([, , value]) => value === undefined).map(([, name]) => name);
  if (missing.length === entries.length) return undefined;
  if (missing.length > 0)
    throw new UsageError(`silence reminders need all four scheduler settings; missing ${missing.join(', ')}`);
  const options = Object.fromEntries(entries.map(([field, , value]) => [field, value])) as {
    groupName: string;
    targetArn: string;
    roleArn: string;
    deadLetterArn: string;
  };
  return new EventBridgeTimerScheduler(new SchedulerClient(region ? { region } : {}), options);
}
