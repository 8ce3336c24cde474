import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ALERTING_TABLE_ACTIONS } from '../../infra/constructs/alerting.ts';
import { SENDER_LOG_ACTIONS, WEBHOOK_CONTROL_ACTIONS } from '../../infra/constructs/notifications.ts';
import { synthSeismo } from './support.ts';

type Json = Record<string, unknown>;

/** One allow statement of a role, resources named by logical id (or "*", or the joined ARN text). */
interface Grant {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

function resourceName(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const r = resource as Json;
  if (r.Ref) return String(r.Ref);
  if (r['Fn::GetAtt']) return String((r['Fn::GetAtt'] as string[])[0]);
  if (r['Fn::Join']) {
    const [, parts] = r['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => (typeof p === 'string' ? p : `<${resourceName(p)}>`)).join('');
  }
  return JSON.stringify(resource);
}

/** Every statement of every policy attached to the role whose logical id starts with `rolePrefix`. */
function grantsOf(template: Template, rolePrefix: string): Grant[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((resource) => {
    const props = resource.Properties as { Roles: Json[]; PolicyDocument: { Statement: Json[] } };
    if (!props.Roles.some((r) => String(r.Ref).startsWith(rolePrefix))) return [];
    return props.PolicyDocument.Statement.map((s) => {
      expect(s.Effect).toBe('Allow');
      return { actions: [s.Action].flat() as string[], resources: [s.Resource].flat().map(resourceName) };
    });
  });
}

function actionsOn(grants: readonly Grant[], prefix: string): string[] {
  const actions = grants
    .filter((g) => g.resources.some((r) => r.startsWith(prefix)))
    .flatMap((g) => g.actions);
  return [...new Set(actions)].sort();
}

const TABLES = {
  state: 'alertingtablesincidents',
  log: 'alertingtablesnotificationlog',
  control: 'alertingtablescontrol',
  feedback: 'alertingtablesfeedback',
  transitions: 'alertingtablestransitions',
} as const;

const ROLES = {
  route: 'alertingrouterole',
  escalate: 'alertingescalaterole',
  ack: 'alertingackrole',
  slack: 'alertingnotificationssendslackrole',
  email: 'alertingnotificationssendemailrole',
  webhook: 'alertingnotificationssendwebhookrole',
  pagerduty: 'alertingnotificationssendpagerdutyrole',
} as const;

describe('the alerting functions\u2019 permissions', () => {
  const { template } = synthSeismo();

  it.each(['route', 'escalate', 'ack'] as const)(
    'give the %s function exactly its calls on each table',
    (name) => {
      // Act
      const grants = grantsOf(template, ROLES[name]);

      // Assess
      for (const [table, prefix] of Object.entries(TABLES)) {
        const expected = ALERTING_TABLE_ACTIONS[name][table as keyof typeof TABLES] ?? [];
        expect(actionsOn(grants, prefix), `${name} on ${table}`).toEqual([...expected].sort());
      }
    },
  );

  it.each(['slack', 'email', 'webhook', 'pagerduty'] as const)(
    'give the %s sender the log, and only the webhook sender the control table',
    (channel) => {
      // Act
      const grants = grantsOf(template, ROLES[channel]);

      // Assess
      expect(actionsOn(grants, TABLES.log)).toEqual([...SENDER_LOG_ACTIONS].sort());
      expect(actionsOn(grants, TABLES.state)).toEqual([]);
      expect(actionsOn(grants, TABLES.control)).toEqual(
        channel === 'webhook' ? [...WEBHOOK_CONTROL_ACTIONS] : [],
      );
      expect(
        grants
          .flatMap((g) => g.actions)
          .filter((a) => /^(scheduler|iam|ses):/.test(a) && !(channel === 'email' && a === 'ses:SendEmail')),
      ).toEqual([]);
    },
  );

  it.each(Object.keys(ROLES) as (keyof typeof ROLES)[])(
    'hold no wildcard action, Scan, DeleteItem or BatchWriteItem (%s)',
    (name) => {
      // Act
      const grants = grantsOf(template, ROLES[name]);
      const broad = grants.flatMap((g) =>
        g.actions.filter(
          (a) =>
            a.includes('*') ||
            ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'].includes(a),
        ),
      );
      const star = grants.filter((g) => g.resources.includes('*')).flatMap((g) => g.actions);

      // Assess
      expect(broad).toEqual([]);
      expect([...new Set(star)].sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    },
  );

  it('let the router, escalator and ack handler schedule only in the timer group, passing only the scheduler role', () => {
    for (const name of ['route', 'escalate', 'ack'] as const) {
      // Act
      const grants = grantsOf(template, ROLES[name]);
      const scheduler = grants.filter((g) =>
        g.actions.some((a) => a.startsWith('scheduler:') || a === 'iam:PassRole'),
      );

      // Assess
      expect(scheduler.flatMap((g) => g.actions).sort()).toEqual([
        'iam:PassRole',
        'scheduler:CreateSchedule',
        'scheduler:DeleteSchedule',
      ]);
      const resources = scheduler.flatMap((g) => g.resources);
      expect(resources).toContainEqual(
        expect.stringMatching(
          /^arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule\/seismodev-alerting-timers-[0-9A-F]+\/\*$/,
        ),
      );
      expect(resources).toContainEqual(expect.stringMatching(/^alertingschedulerrole/));
    }
  });

  it('let each sender read only the secrets it uses', () => {
    // Act
    const secrets = (channel: keyof typeof ROLES) =>
      grantsOf(template, ROLES[channel])
        .filter((g) => g.actions.includes('secretsmanager:GetSecretValue'))
        .flatMap((g) => g.resources)
        .map((r) => r.replace(/[0-9A-F]{8}$/, ''))
        .sort();

    // Assess
    expect(secrets('slack')).toEqual(['alertingnotificationsslackbottoken']);
    expect(secrets('email')).toEqual([]);
    expect(secrets('webhook')).toEqual(['alertingnotificationsreceiver1']);
    expect(secrets('pagerduty')).toEqual(['alertingnotificationsreceiver0']);
    expect(secrets('ack')).toEqual(['alertinglinkkey', 'alertingslacksigningsecret']);
    expect(secrets('route')).toEqual(['alertinglinkkey']);
  });
});
