import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertingConfigError, parseAlertingConfig } from '../../../core/alerting/config.ts';
import { parseAlertingConfigText } from '../../../core/alerting/config-loader.ts';
import { alertingConfigJsonSchema } from '../../../core/alerting/config-schema.ts';
import { exampleConfig, ROOT } from './fixtures.ts';

function issuesOf(document: unknown): string[] {
  try {
    parseAlertingConfig(document, 'test.yaml');
  } catch (error) {
    if (error instanceof AlertingConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

const receivers = [{ name: 'slack', type: 'slack', channel: '#a' }];

describe('parseAlertingConfig', () => {
  it('loads the example config with inherited settings resolved', () => {
    // Prepare / Act
    const config = exampleConfig();

    // Assess
    const pages = config.routesById.get('payments-pages');
    expect(pages?.path).toEqual(['root', 'payments', 'payments-pages']);
    expect(pages?.groupBy).toEqual(['team', 'service']);
    expect(pages?.groupWait).toBe(30_000);
    expect(pages?.repeatInterval).toBe(4 * 3_600_000);
    expect(pages?.escalation?.levels.map((l) => l.after)).toEqual([15 * 60_000, 30 * 60_000]);
    expect(pages?.budget).toEqual({ max: 5, per: 3_600_000, digestEvery: 3_600_000 });
    expect(config.receivers.get('payments-pager')).toMatchObject({
      type: 'pagerduty',
      routingKeySecretName: 'seismo/pagerduty/payments',
    });
    expect(config.route.id).toBe('root');
  });

  it('names the path and the rule of a bad matcher operator', () => {
    const issues = issuesOf({
      version: 1,
      receivers,
      route: { receivers: ['slack'], routes: [{}, {}, { matchers: ['series=~~"x"'] }] },
    });
    expect(issues).toEqual(['route.routes[2].matchers[0]: unknown operator "=~~" (use =, !=, =~ or !~)']);
  });

  it('reports every problem at once, each with its path', () => {
    const issues = issuesOf({
      version: 1,
      receivers: [...receivers, { name: 'pd', type: 'pagerduty', routingKeySecretName: 'has spaces!' }],
      route: { receivers: ['slack'], groupWait: 'soon', routes: [{ matchers: ['a=~"("'], colour: 'red' }] },
      timeIntervals: [{ name: 'x', timeZone: 'Mars/Olympus', times: [{ weekdays: ['funday'] }] }],
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        'receivers[1].routingKeySecretName: must be a Secrets Manager secret name (not the secret itself)',
        'route.groupWait: must be a duration such as 30s, 5m, 4h or 1h30m',
        expect.stringMatching(/^route\.routes\[0\]\.matchers\[0\]: invalid regular expression/),
        'route.routes[0]: unknown field(s) "colour"',
        'timeIntervals[0].timeZone: unknown time zone "Mars/Olympus" (use an IANA name such as Europe/Berlin)',
        'timeIntervals[0].times[0].weekdays[0]: "funday" is not a weekday (monday to sunday)',
      ]),
    );
  });

  it('checks names and the catch-all once the shape is right', () => {
    const issues = issuesOf({
      version: 1,
      receivers: [...receivers, { name: 'slack', type: 'email', to: ['a@example.com'] }],
      route: {
        matchers: ['severity="critical"'],
        routes: [
          { name: 'a', receivers: ['nobody'], escalation: 'none', muteTimeIntervals: ['never'] },
          { name: 'a', groupBy: ['kind'] },
        ],
      },
      escalationPolicies: [{ name: 'p', levels: [{ after: '5m', receivers: ['ghost'] }] }],
    });
    expect(issues).toEqual([
      'receivers[1].name: duplicate receiver "slack"',
      'escalationPolicies[0].levels[0].receivers[0]: unknown receiver "ghost"',
      'route.matchers: the root route is the catch-all: it takes no matchers',
      'route.receivers: the root route needs receivers: it is the catch-all',
      'route.routes[0].receivers[0]: unknown receiver "nobody"',
      'route.routes[0].muteTimeIntervals[0]: unknown time interval "never"',
      'route.routes[0].escalation: unknown escalation policy "none"',
      'route.routes[1].name: duplicate route name "a"',
      'route.routes[1].groupBy: "kind" cannot group: an episode\'s open and resolve must land in the same incident',
    ]);
  });

  it('refuses a window that crosses midnight and a repeat shorter than the group interval', () => {
    const issues = issuesOf({
      version: 1,
      receivers,
      route: { receivers: ['slack'], groupInterval: '10m', repeatInterval: '5m' },
      timeIntervals: [{ name: 'night', times: [{ timesOfDay: [{ start: '22:00', end: '06:00' }] }] }],
    });
    expect(issues).toEqual([
      'timeIntervals[0].times[0].timesOfDay[0]: start 22:00 is not before end 06:00 (split a window that crosses midnight in two)',
      'route.repeatInterval: must not be shorter than groupInterval',
    ]);
  });

  it('refuses a secret pasted where its Secrets Manager name belongs', () => {
    const issues = issuesOf({
      version: 1,
      receivers: [
        ...receivers,
        { name: 'pd', type: 'pagerduty', routingKeySecretName: '0123456789abcdef0123456789abcdef' },
        {
          name: 'hook',
          type: 'webhook',
          url: 'https://h.example.com',
          secretName: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        },
      ],
      route: { receivers: ['slack'] },
    });
    expect(issues).toEqual([
      'receivers[1].routingKeySecretName: looks like the secret itself: store it in Secrets Manager and give its name here',
      'receivers[2].secretName: looks like the secret itself: store it in Secrets Manager and give its name here',
    ]);
  });

  it('gives YAML syntax errors their line', () => {
    expect(() => parseAlertingConfigText('version: 1\nroute: [\n', 'bad.yaml')).toThrow(
      /bad\.yaml:\n {2}line \d+/,
    );
  });

  it('reads groupBy ["..."] as every label', () => {
    const config = parseAlertingConfig({
      version: 1,
      receivers,
      route: { receivers: ['slack'], groupBy: ['...'] },
    });
    expect(config.route.groupBy).toBe('all');
  });
});

describe('alertingConfigJsonSchema', () => {
  it('is the schema shipped beside the example (regenerate: npx seismo routes schema > config/alerting.schema.json)', () => {
    const shipped = JSON.parse(readFileSync(resolve(ROOT, 'config/alerting.schema.json'), 'utf8'));
    expect(shipped).toEqual(alertingConfigJsonSchema());
  });

  it('describes the input side: durations and matchers as text, recursive routes', () => {
    const schema = alertingConfigJsonSchema() as { properties: Record<string, unknown> };
    const text = JSON.stringify(schema);
    expect(schema.properties.route).toBeDefined();
    expect(text).toContain('"pattern":"^(?:\\\\d+(?:ms|s|m|h|d|w))+$"');
    expect(text).toContain('$ref');
  });
});
