import { readFileSync } from 'node:fs';
import type { AlertingConfig } from '../../core/alerting/config.ts';
import { parseAlertingConfigText } from '../../core/alerting/config-loader.ts';
import type { ReceiverType } from '../../core/alerting/config-schema.ts';

/**
 * How the alerting functions read their configuration: environment variables, read once at start through
 * {@link required} (a missing one names itself), and the routing config, which the CDK app validated at
 * synth and bundled into the code (esbuild `define`), since configs outgrow Lambda's 4 KB of environment.
 */

declare const __SEISMO_ALERTING_CONFIG__: string | undefined;

/** Thrown for a missing or invalid environment variable; names it. */
export class AlertingEnvError extends Error {
  override readonly name = 'AlertingEnvError';
}

/** The value of `name`, or an {@link AlertingEnvError} naming it. */
export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '')
    throw new AlertingEnvError(`environment variable ${name} is required`);
  return value;
}

/** The routing config bundled at synth, or (outside a bundle) the file ALERTING_CONFIG_FILE names. */
export function bundledAlertingConfig(env: NodeJS.ProcessEnv = process.env): AlertingConfig {
  if (typeof __SEISMO_ALERTING_CONFIG__ === 'string')
    return parseAlertingConfigText(__SEISMO_ALERTING_CONFIG__, 'bundled routing config');
  const path = required(env, 'ALERTING_CONFIG_FILE');
  return parseAlertingConfigText(readFileSync(path, 'utf8'), path);
}

/** Environment variable names, shared with the CDK constructs that set them. */
export const ALERTING_ENV = {
  stateTable: 'ALERT_STATE_TABLE',
  logTable: 'NOTIFICATION_LOG_TABLE',
  controlTable: 'ALERT_CONTROL_TABLE',
  feedbackTable: 'FEEDBACK_TABLE',
  transitionsTable: 'TRANSITIONS_TABLE',
  queueUrl: {
    slack: 'SLACK_QUEUE_URL',
    email: 'EMAIL_QUEUE_URL',
    webhook: 'WEBHOOK_QUEUE_URL',
    pagerduty: 'PAGERDUTY_QUEUE_URL',
  },
  deadLetterUrl: 'DEAD_LETTER_QUEUE_URL',
  scheduleGroup: 'SCHEDULE_GROUP',
  timerFunctionArn: 'TIMER_FUNCTION_ARN',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  timerDeadLetterArn: 'TIMER_DEAD_LETTER_ARN',
  ackBaseUrl: 'ACK_BASE_URL',
  linkKeySecret: 'LINK_KEY_SECRET_ARN',
  slackSigningSecret: 'SLACK_SIGNING_SECRET_ARN',
  slackTokenSecret: 'SLACK_TOKEN_SECRET_ARN',
  emailFrom: 'EMAIL_FROM',
  emailConfigurationSet: 'EMAIL_CONFIGURATION_SET',
  queue: 'QUEUE_URL',
} as const satisfies Record<string, string | Record<ReceiverType, string>>;
