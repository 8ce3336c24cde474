import { CfnOutput, Fn, type Stack } from 'aws-cdk-lib';
import type { SeismoAlerting } from './alerting.ts';

/**
 * The stack outputs people and `seismo silences|feedback|routes replay --stack NAME` need: where Slack posts
 * button presses, and the tables and scheduler the CLI works with. Output ids are what the CLI looks up.
 */
export const ALERTING_OUTPUT_IDS = {
  slackRequestUrl: 'slack-interactivity-url',
  ackBaseUrl: 'ack-base-url',
  stateTable: 'alert-state-table',
  controlTable: 'alert-control-table',
  feedbackTable: 'alert-feedback-table',
  transitionsTable: 'alert-transitions-table',
  scheduleGroup: 'alert-schedule-group',
  timerFunctionArn: 'alert-timer-function-arn',
  schedulerRoleArn: 'alert-scheduler-role-arn',
  timerDeadLetterArn: 'alert-timer-dead-letter-arn',
} as const;

/** Adds the alerting outputs to `stack`. */
export function alertingOutputs(stack: Stack, alerting: SeismoAlerting): void {
  const out = (id: string, value: string, description: string) =>
    new CfnOutput(stack, id, { value, description });
  const ids = ALERTING_OUTPUT_IDS;
  out(
    ids.slackRequestUrl,
    Fn.join('', [alerting.ackUrl.url, 'slack/actions']),
    'Slack app: Interactivity & Shortcuts → Request URL',
  );
  out(ids.ackBaseUrl, alerting.ackUrl.url, 'Base URL of signed action links (email, webhooks)');
  out(ids.stateTable, alerting.tables.state.tableName, 'Incident and budget state');
  out(ids.controlTable, alerting.tables.control.tableName, 'Silences, inhibition index, disabled receivers');
  out(ids.feedbackTable, alerting.tables.feedback.tableName, '"Not an anomaly" labels');
  out(
    ids.transitionsTable,
    alerting.tables.transitions.tableName,
    'Episode transitions the router received (routes replay)',
  );
  out(
    ids.scheduleGroup,
    alerting.scheduleGroup.scheduleGroupName,
    'EventBridge Scheduler group of alert timers',
  );
  out(ids.timerFunctionArn, alerting.escalator.functionArn, 'The escalator, which alert timers invoke');
  out(
    ids.schedulerRoleArn,
    alerting.schedulerRole.roleArn,
    'Role EventBridge Scheduler assumes for alert timers',
  );
  out(ids.timerDeadLetterArn, alerting.timerDeadLetters.queueArn, 'Alert timers that could not run');
}
