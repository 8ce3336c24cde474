import type { IncidentNotification, MemberSnapshot, Notification } from '../incident-types.ts';
import { formatMatcher } from '../matchers.ts';
import {
  describeFeature,
  formatDuration,
  formatInstant,
  formatProbability,
  formatRange,
  formatValue,
  oneLine,
  truncate,
} from './format.ts';
import { incidentTitle, memberCount, memberName, membersByUrgency } from './incident-text.ts';
import type { AlertLinks } from './links.ts';
import { headline, incidentDuration } from './notification-text.ts';

/**
 * Email rendering: a subject, a plain-text body and an HTML body saying the same. Series names, dimensions and
 * comments come from events (attacker-controlled), so every value is HTML-escaped and the subject is one line
 * (no header injection). The ack link goes to a page whose button POSTs: mail scanners follow GET links.
 */

/** A rendered email. */
export interface EmailMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Members listed in an email; the rest are counted. */
export const EMAIL_MAX_MEMBERS = 50;

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A link only if it is http(s): a `javascript:` URL never becomes an href. */
function safeHref(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\//i.test(url) ? url : undefined;
}

function subjectOf(n: Notification): string {
  switch (n.kind) {
    case 'budget-exceeded':
      return `[Seismo] Notification budget exceeded on route ${n.routeId}`;
    case 'digest':
      return `[Seismo] Digest: ${n.items.length + n.omitted} notifications held back on route ${n.routeId}`;
    case 'silence-expiring':
      return `[Seismo] Silence ${n.silence.id} ends ${formatInstant(n.endsAt)}`;
    default: {
      const inc = n.incident;
      const state = n.kind === 'opened' ? 'FIRING' : n.kind.toUpperCase();
      return `[Seismo] ${inc.severity.toUpperCase()} ${state}: ${incidentTitle(inc)}`;
    }
  }
}

function memberRows(m: MemberSnapshot): [string, string][] {
  return [
    ['Series', memberName(m)],
    ['Status', m.status],
    ['Value', formatValue(m.value)],
    ['Expected range', formatRange(m.expected)],
    ['Peak', formatProbability(m.peakProbability)],
    ['Started', formatInstant(m.startedAt)],
    [
      'Dimensions',
      Object.entries(m.dimensions)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'none',
    ],
    ['Top features', m.topFeatures.slice(0, 3).map(describeFeature).join('; ') || 'none'],
    ['Model', m.modelVersion],
    ['Episode', m.episodeId],
  ];
}

function incidentBody(n: IncidentNotification, links: AlertLinks): { text: string; html: string } {
  const inc = n.incident;
  const members = membersByUrgency(inc);
  const listed = members.slice(0, EMAIL_MAX_MEMBERS);
  const more = memberCount(inc) - listed.length;
  const facts: [string, string][] = [
    ['Incident', inc.id],
    ['Status', inc.status],
    ['Severity', inc.severity],
    ['Series count', String(memberCount(inc))],
    ['Started', formatInstant(inc.openedAt)],
    ['Duration', formatDuration(incidentDuration(inc, n.at))],
  ];
  if (inc.acknowledged)
    facts.push(['Acknowledged', `by ${inc.acknowledged.by} at ${formatInstant(inc.acknowledged.at)}`]);
  if (inc.escalation.level > 0) facts.push(['Escalation level', String(inc.escalation.level)]);
  const single = memberCount(inc) === 1 ? listed[0] : undefined;
  const actions: [string, string | undefined][] =
    inc.status === 'resolved'
      ? [['Open dashboard', safeHref(links.dashboard)]]
      : [
          ['Acknowledge', inc.status === 'firing' ? safeHref(links.ack) : undefined],
          ['Silence for 1 hour', safeHref(links.silence1h)],
          ['Not an anomaly', safeHref(links.notAnAnomaly)],
          ['Open dashboard', safeHref(links.dashboard)],
        ];
  const shownActions = actions.filter((a): a is [string, string] => a[1] !== undefined);

  const text = [
    headline(n),
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    ...(single
      ? memberRows(single).map(([k, v]) => `${k}: ${v}`)
      : listed.map(
          (m) =>
            `- ${memberName(m)}: ${formatValue(m.value)} (expected ${formatRange(m.expected)}), ${formatProbability(m.peakProbability)}, ${m.status}`,
        )),
    ...(more > 0 ? [`+${more} more series`] : []),
    '',
    ...shownActions.map(([label, url]) => `${label}: ${url}`),
  ].join('\n');

  const row = ([k, v]: [string, string]) =>
    `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`;
  const colour = inc.status === 'resolved' ? '#2e7d32' : inc.severity === 'critical' ? '#c62828' : '#ef6c00';
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2 style="color:${colour}">${escapeHtml(subjectOf(n).replace('[Seismo] ', ''))}</h2>`,
    `<p><strong>${escapeHtml(headline(n))}</strong></p>`,
    `<table>${facts.map(row).join('')}</table>`,
    single
      ? `<h3>Episode</h3><table>${memberRows(single).map(row).join('')}</table>`
      : `<h3>Series</h3><ul>${listed
          .map(
            (m) =>
              `<li><code>${escapeHtml(memberName(m))}</code>: ${escapeHtml(formatValue(m.value))} (expected ${escapeHtml(formatRange(m.expected))}), ${escapeHtml(formatProbability(m.peakProbability))}, ${escapeHtml(m.status)}</li>`,
          )
          .join('')}</ul>${more > 0 ? `<p>+${more} more series</p>` : ''}`,
    shownActions.length > 0
      ? `<p>${shownActions.map(([label, url]) => `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`).join(' · ')}</p>`
      : '',
    '<p style="color:#777;font-size:small">Links open a page where you confirm; nothing changes from opening this email.</p>',
    '</body></html>',
  ].join('\n');
  return { text, html };
}

function simpleBody(lines: readonly string[]): { text: string; html: string } {
  return {
    text: lines.join('\n'),
    html: `<!doctype html><html><body style="font-family:sans-serif">${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</body></html>`,
  };
}

/** Renders any notification as an email. */
export function renderEmail(n: Notification, links: AlertLinks = {}): EmailMessage {
  const subject = truncate(oneLine(subjectOf(n)), 200);
  switch (n.kind) {
    case 'budget-exceeded':
      return {
        subject,
        ...simpleBody([
          `Route ${n.routeId} sent ${n.budget.max} notifications within ${formatDuration(n.budget.per)}.`,
          `Until it calms down, further notifications are held back and sent as a digest every ${formatDuration(n.budget.digestEvery)}.`,
        ]),
      };
    case 'digest':
      return {
        subject,
        ...simpleBody([
          `Held back on route ${n.routeId} from ${formatInstant(n.from)} to ${formatInstant(n.to)}:`,
          ...n.items.map((i) => `${formatInstant(i.at)} ${i.kind} ${i.severity}: ${i.title}`),
          ...(n.omitted > 0 ? [`+${n.omitted} more`] : []),
        ]),
      };
    case 'silence-expiring':
      return {
        subject,
        ...simpleBody([
          `Silence ${n.silence.id} by ${n.silence.author} ends ${formatInstant(n.endsAt)} (in ${formatDuration(n.endsAt - n.at)}).`,
          `Matchers: ${n.silence.matchers.map(formatMatcher).join(' ')}`,
          ...(n.silence.comment ? [`Comment: ${n.silence.comment}`] : []),
        ]),
      };
    default:
      return { subject, ...incidentBody(n, links) };
  }
}
