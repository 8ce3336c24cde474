import type { IncidentNotification, MemberSnapshot, Notification } from '../incident-types.ts';
import { formatMatcher } from '../matchers.ts';
import { incidentStateKey } from '../routing.ts';
import {
  describeFeature,
  formatDuration,
  formatInstant,
  formatProbability,
  formatRange,
  formatValue,
  truncate,
} from './format.ts';
import { incidentTitle, memberCount, memberName, membersByUrgency } from './incident-text.ts';
import { type AlertLinks, encodeActionValue, SLACK_ACTION_IDS } from './links.ts';
import { headline, incidentDuration } from './notification-text.ts';
import {
  type ButtonElement,
  codeSpan,
  escapeMrkdwn,
  type Mrkdwn,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
} from './slack-blocks.ts';

/**
 * Slack Block Kit rendering. One render serves `chat.postMessage` and every later `chat.update` of the same
 * message, so the message always shows the incident's current state: firing, escalated, acknowledged (and by
 * whom), resolved (buttons gone). Everything that comes from events is escaped; every limit is kept, with a
 * "+N more" line for big groups.
 */

/** Member lines listed in a group message; the rest are counted in a "+N more" line. */
export const SLACK_MAX_MEMBER_LINES = 25;

const md = (text: string): Mrkdwn => ({ type: 'mrkdwn', text });

function statusEmoji(n: IncidentNotification): string {
  const inc = n.incident;
  if (inc.status === 'resolved') return '✅';
  if (inc.status === 'acknowledged') return '👀';
  return inc.severity === 'critical' ? '🔴' : '🟠';
}

function headerText(n: IncidentNotification): string {
  const inc = n.incident;
  const state = inc.status === 'firing' ? inc.severity.toUpperCase() : inc.status.toUpperCase();
  return truncate(`${statusEmoji(n)} ${state} · ${incidentTitle(inc)}`, SLACK_LIMITS.headerText);
}

function field(label: string, value: string): Mrkdwn {
  return md(truncate(`*${label}*\n${value}`, SLACK_LIMITS.fieldText));
}

function dimensionsText(dimensions: Readonly<Record<string, string>>): string {
  const entries = Object.entries(dimensions);
  if (entries.length === 0) return 'none';
  return escapeMrkdwn(truncate(entries.map(([k, v]) => `${k}=${v}`).join(', '), 500));
}

function memberFields(m: MemberSnapshot, n: IncidentNotification): Mrkdwn[] {
  return [
    field('Value', formatValue(m.value)),
    field('Expected range', formatRange(m.expected)),
    field('Dimensions', dimensionsText(m.dimensions)),
    field('Started', formatInstant(m.startedAt)),
    field('Duration', formatDuration(incidentDuration(n.incident, n.at))),
    field('Peak', formatProbability(m.peakProbability)),
  ];
}

function groupFields(n: IncidentNotification): Mrkdwn[] {
  const inc = n.incident;
  const firing = inc.members.filter((m) => m.status === 'firing').length;
  const peak = Math.max(...inc.members.map((m) => m.peakProbability));
  const group = Object.entries(inc.groupLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    field(
      'Series',
      inc.omittedMembers
        ? `${memberCount(inc)} (${firing} firing of ${inc.members.length} listed)`
        : `${memberCount(inc)} (${firing} firing)`,
    ),
    field('Severity', inc.severity),
    field('Group', escapeMrkdwn(truncate(group || 'all', 500))),
    field('Started', formatInstant(inc.openedAt)),
    field('Duration', formatDuration(incidentDuration(inc, n.at))),
    field('Peak', formatProbability(peak)),
  ];
}

function memberLine(m: MemberSnapshot): string {
  const icon = m.status === 'resolved' ? '✅' : m.severity === 'critical' ? '🔴' : '🟠';
  const name = codeSpan(truncate(memberName(m), 120));
  return `${icon} ${name} ${formatValue(m.value)} (expected ${formatRange(m.expected)}) · ${formatProbability(m.peakProbability)}`;
}

/** Packs lines into section texts of at most `max` characters. */
function packLines(lines: readonly string[], max: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of lines) {
    const next = current === '' ? line : `${current}\n${line}`;
    if (Array.from(next).length > max && current !== '') {
      out.push(current);
      current = line;
    } else current = next;
  }
  if (current !== '') out.push(current);
  return out;
}

function buttons(n: IncidentNotification, links: AlertLinks): ButtonElement[] {
  const inc = n.incident;
  const stateKey = incidentStateKey(inc.routeId, inc.groupKey);
  const value = (action: 'ack' | 'silence-1h' | 'not-anomaly') =>
    encodeActionValue({ action, incidentId: inc.id, revision: n.revision, stateKey });
  const plain = (text: string) => ({ type: 'plain_text' as const, text });
  const out: ButtonElement[] = [];
  if (inc.status === 'firing') {
    out.push({
      type: 'button',
      text: plain('Acknowledge'),
      action_id: SLACK_ACTION_IDS.ack,
      value: value('ack'),
      style: 'primary',
    });
  }
  if (inc.status !== 'resolved') {
    out.push({
      type: 'button',
      text: plain('Silence 1 h'),
      action_id: SLACK_ACTION_IDS['silence-1h'],
      value: value('silence-1h'),
    });
  }
  out.push({
    type: 'button',
    text: plain('Not an anomaly'),
    action_id: SLACK_ACTION_IDS['not-anomaly'],
    value: value('not-anomaly'),
    confirm: {
      title: plain('Not an anomaly?'),
      text: plain('This labels the episode for retraining and can silence the series for a day.'),
      confirm: plain('Label it'),
      deny: plain('Cancel'),
    },
  });
  if (links.dashboard) {
    out.push({
      type: 'button',
      text: plain('Open dashboard'),
      action_id: SLACK_ACTION_IDS.dashboard,
      url: links.dashboard,
    });
  }
  return out;
}

function renderIncident(n: IncidentNotification, links: AlertLinks): SlackMessage {
  const inc = n.incident;
  const lead = membersByUrgency(inc)[0];
  const status: string[] = [`*${escapeMrkdwn(headline(n))}*`];
  if (inc.acknowledged && n.kind !== 'acknowledged') {
    status.push(
      `Acknowledged by ${escapeMrkdwn(inc.acknowledged.by)} at ${formatInstant(inc.acknowledged.at)}`,
    );
  }
  if (inc.escalation.level > 0 && n.kind !== 'escalated')
    status.push(`Escalation level ${inc.escalation.level}`);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: headerText(n), emoji: true } },
    { type: 'section', text: md(truncate(status.join('\n'), SLACK_LIMITS.sectionText)) },
  ];
  const single = memberCount(inc) === 1 && lead;
  blocks.push({ type: 'section', fields: single ? memberFields(lead, n) : groupFields(n) });
  if (!single) {
    const listed = membersByUrgency(inc).slice(0, SLACK_MAX_MEMBER_LINES);
    for (const text of packLines(listed.map(memberLine), SLACK_LIMITS.sectionText))
      blocks.push({ type: 'section', text: md(text) });
    const more = memberCount(inc) - listed.length;
    if (more > 0) blocks.push({ type: 'context', elements: [md(`+${more} more series`)] });
  }
  const context: Mrkdwn[] = [];
  if (lead && lead.topFeatures.length > 0) {
    const features = lead.topFeatures.slice(0, 3).map(describeFeature).join(', ');
    context.push(md(escapeMrkdwn(truncate(`Top features: ${features}`, 1000))));
  }
  const ids = [
    `Model ${lead?.modelVersion ?? 'unknown'}`,
    single ? `Episode ${lead.episodeId}` : null,
    `Incident ${inc.id}`,
  ];
  context.push(md(escapeMrkdwn(truncate(ids.filter((x) => x !== null).join(' · '), 1000))));
  blocks.push({ type: 'context', elements: context });
  blocks.push({ type: 'actions', block_id: `seismo-actions.${inc.id}`, elements: buttons(n, links) });
  const fallback = `${inc.severity.toUpperCase()} ${inc.status.toUpperCase()}: ${incidentTitle(inc)}. ${headline(n)}`;
  return { text: escapeMrkdwn(truncate(fallback, 1000)), blocks };
}

/** Renders any notification as a Slack message. */
export function renderSlack(n: Notification, links: AlertLinks = {}): SlackMessage {
  switch (n.kind) {
    case 'budget-exceeded': {
      const text = `Route *${escapeMrkdwn(n.routeId)}* sent ${n.budget.max} notifications within ${formatDuration(n.budget.per)}. Until it calms down, further ones are held and sent as a digest every ${formatDuration(n.budget.digestEvery)}.`;
      return {
        text: `Seismo notification budget exceeded on route ${escapeMrkdwn(n.routeId)}`,
        blocks: [
          {
            type: 'header',
            text: { type: 'plain_text', text: '🔕 Notification budget exceeded', emoji: true },
          },
          { type: 'section', text: md(text) },
        ],
      };
    }
    case 'digest': {
      const lines = n.items
        .slice(0, SLACK_MAX_MEMBER_LINES)
        .map((i) => `• ${formatInstant(i.at)} ${i.kind} ${i.severity}: ${codeSpan(truncate(i.title, 150))}`);
      const more = n.items.length - Math.min(n.items.length, SLACK_MAX_MEMBER_LINES) + n.omitted;
      const blocks: SlackBlock[] = [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: truncate(`📋 Digest: ${n.items.length + n.omitted} held back`, SLACK_LIMITS.headerText),
            emoji: true,
          },
        },
        {
          type: 'section',
          text: md(`Route *${escapeMrkdwn(n.routeId)}*, ${formatInstant(n.from)} to ${formatInstant(n.to)}`),
        },
        ...packLines(lines, SLACK_LIMITS.sectionText)
          .slice(0, 10)
          .map((text): SlackBlock => ({ type: 'section', text: md(text) })),
      ];
      if (more > 0) blocks.push({ type: 'context', elements: [md(`+${more} more`)] });
      return {
        text: `Seismo digest: ${n.items.length + n.omitted} notifications held back on route ${escapeMrkdwn(n.routeId)}`,
        blocks,
      };
    }
    case 'silence-expiring': {
      const s = n.silence;
      const matchers = s.matchers.map((m) => codeSpan(formatMatcher(m))).join(' ');
      const text = `Silence ${codeSpan(s.id)} by ${escapeMrkdwn(s.author)} ends ${formatInstant(n.endsAt)} (in ${formatDuration(n.endsAt - n.at)}).\nMatchers: ${matchers}${s.comment ? `\nComment: ${escapeMrkdwn(s.comment)}` : ''}`;
      return {
        text: `Seismo silence ${s.id} ends ${formatInstant(n.endsAt)}`,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: '⏰ A silence ends soon', emoji: true } },
          { type: 'section', text: md(truncate(text, SLACK_LIMITS.sectionText)) },
        ],
      };
    }
    default:
      return renderIncident(n, links);
  }
}
