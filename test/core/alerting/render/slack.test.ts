import { describe, expect, it } from 'vitest';
import { parseActionValue, SLACK_ACTION_IDS } from '../../../../core/alerting/render/links.ts';
import { renderSlack, SLACK_MAX_MEMBER_LINES } from '../../../../core/alerting/render/slack.ts';
import { type SlackBlock, slackLimitViolations } from '../../../../core/alerting/render/slack-blocks.ts';
import { incidentStateKey } from '../../../../core/alerting/routing.ts';
import { hostile, sample } from './render-fixtures.ts';

const actionIds = (blocks: readonly SlackBlock[]) =>
  blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => e.action_id) : []));
const allText = (blocks: readonly SlackBlock[]) => JSON.stringify(blocks);

describe('renderSlack', () => {
  it('shows severity and series in the header, the facts as fields, and the explanation in context', () => {
    const { n, links } = sample('opened');
    const message = renderSlack(n, links);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '🔴 CRITICAL · checkout/latency', emoji: true },
    });
    const fields = message.blocks.find((b) => b.type === 'section' && b.fields !== undefined);
    expect(JSON.stringify(fields)).toContain('*Expected range*\\n31.05 to 76.31');
    expect(allText(message.blocks)).toContain('seasonal_z 16.5 (unusual for this hour of the day)');
    expect(allText(message.blocks)).toContain('Model iforest-default-1 · Episode 0f3a9c000000e1');
    expect(message.text).toBe('CRITICAL FIRING: checkout/latency. Anomaly since 2026-11-22 14:20 UTC');
    expect(actionIds(message.blocks)).toEqual([
      SLACK_ACTION_IDS.ack,
      SLACK_ACTION_IDS['silence-1h'],
      SLACK_ACTION_IDS['not-anomaly'],
      SLACK_ACTION_IDS.dashboard,
    ]);
    expect(slackLimitViolations(message)).toEqual([]);
  });

  it('gives buttons values the ack handler parses back', () => {
    const { n, links } = sample('opened');
    const actions = renderSlack(n, links).blocks.find((b) => b.type === 'actions');
    const ack = actions?.type === 'actions' ? actions.elements[0] : undefined;
    expect(parseActionValue(ack?.value ?? '')).toEqual({
      action: 'ack',
      incidentId: n.incident.id,
      revision: n.revision,
      stateKey: incidentStateKey(n.incident.routeId, n.incident.groupKey),
    });
    expect(() => parseActionValue('{"v":1,"a":"delete","i":"x","r":1}')).toThrow(/not a Seismo action/);
  });

  it('renders the same message in each later state: escalated, acknowledged, resolved', () => {
    const escalated = renderSlack(sample('escalated').n);
    expect(allText(escalated.blocks)).toContain('Escalated to level 1');
    const acked = renderSlack(sample('acknowledged').n);
    expect(acked.blocks[0]).toMatchObject({ text: { text: '👀 ACKNOWLEDGED · checkout/latency' } });
    expect(actionIds(acked.blocks)).not.toContain(SLACK_ACTION_IDS.ack);
    const resolved = renderSlack(sample('resolved').n);
    expect(resolved.blocks[0]).toMatchObject({ text: { text: '✅ RESOLVED · checkout/latency' } });
    expect(actionIds(resolved.blocks)).toEqual([SLACK_ACTION_IDS['not-anomaly']]);
    expect(allText(resolved.blocks)).toContain('Resolved after 1 h 35 min');
  });

  it('keeps a group of 500 series within Block Kit limits, with a "+N more" line', () => {
    const { n, links } = sample('opened', 500);
    // A notification carries 100 members and counts the rest, to keep queue messages small.
    expect(n.incident.members).toHaveLength(100);
    expect(n.incident.omittedMembers).toBe(400);
    const message = renderSlack(n, links);
    expect(slackLimitViolations(message)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(allText(message.blocks)).toContain(`+${500 - SLACK_MAX_MEMBER_LINES} more series`);
    expect(message.blocks[0]).toMatchObject({
      text: { text: '🔴 CRITICAL · 500 series, team=payments, service=checkout' },
    });
  });

  it('stays within limits with hostile, huge names, and cannot mention @channel or forge links', () => {
    const { n, links } = sample('opened', 30);
    const evil = hostile(n, `<!channel> <https://evil.example|click> *bold* \`tick\` ${'x'.repeat(5000)}`);
    const message = renderSlack(evil, links);
    expect(slackLimitViolations(message)).toEqual([]);
    const text = allText(message.blocks) + message.text;
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil');
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('renders budget, digest and silence notices', () => {
    const budget = renderSlack({
      kind: 'budget-exceeded',
      id: 'b',
      revision: 1,
      at: 0,
      routeId: 'pages',
      budget: { max: 5, per: 3_600_000, digestEvery: 3_600_000 },
      since: 0,
    });
    expect(allText(budget.blocks)).toContain('sent 5 notifications within 1 h');
    const items = Array.from({ length: 300 }, (_, i) => ({
      incidentId: `inc-${i}`,
      kind: 'opened' as const,
      severity: 'critical' as const,
      title: `series-${i}`,
      at: 0,
    }));
    const digest = renderSlack({
      kind: 'digest',
      id: 'd',
      revision: 1,
      at: 0,
      routeId: 'pages',
      items,
      omitted: 5,
      from: 0,
      to: 1,
    });
    expect(slackLimitViolations(digest)).toEqual([]);
    expect(allText(digest.blocks)).toContain('+280 more');
  });
});
