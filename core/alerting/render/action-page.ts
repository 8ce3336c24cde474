import type { Incident } from '../incident-types.ts';
import { escapeHtml } from './email.ts';
import { formatInstant } from './format.ts';
import { incidentTitle } from './incident-text.ts';
import type { AlertAction } from './links.ts';

/**
 * The page an email or webhook action link opens. Opening it (GET) changes nothing: mail scanners and link
 * previews follow GET links. The person confirms with a button that POSTs the signed token back.
 */

const LABELS: Readonly<Record<AlertAction, { title: string; button: string }>> = {
  ack: { title: 'Acknowledge', button: 'Acknowledge' },
  'silence-1h': { title: 'Silence for 1 hour', button: 'Silence for 1 hour' },
  'not-anomaly': { title: 'Not an anomaly', button: 'Label as not an anomaly' },
};

/** What the page shows and where its form posts. */
export interface ActionPageInput {
  readonly incident: Incident;
  readonly action: AlertAction;
  /** Where the confirm button POSTs (the same signed URL is fine: the POST is what acts). */
  readonly postUrl: string;
  /** Hidden form fields, e.g. the signed token. */
  readonly fields?: Readonly<Record<string, string>>;
}

/** The confirm page: what the incident is, and one button that POSTs. Every value is HTML-escaped. */
export function renderActionPage(input: ActionPageInput): string {
  const { incident, action } = input;
  const label = LABELS[action];
  const hidden = Object.entries(input.fields ?? {})
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return [
    '<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex">',
    `<title>Seismo: ${escapeHtml(label.title)}</title></head><body style="font-family:sans-serif;max-width:40em">`,
    `<h1>${escapeHtml(label.title)}</h1>`,
    `<p><strong>${escapeHtml(incidentTitle(incident))}</strong> (${escapeHtml(incident.severity)}, ${escapeHtml(incident.status)} since ${escapeHtml(formatInstant(incident.openedAt))})</p>`,
    `<form method="post" action="${escapeHtml(input.postUrl)}">${hidden}<button type="submit">${escapeHtml(label.button)}</button></form>`,
    '</body></html>',
  ].join('\n');
}
