import type { Timer } from '../core/alerting/incident-types.ts';
import { escapeHtml } from '../core/alerting/render/email.ts';
import { formatDuration, formatInstant } from '../core/alerting/render/format.ts';
import type { PrintedDelivery } from './alert-printer.ts';
import type { SlackStoredMessage } from './stand-ins/slack-api-stand-in.ts';

/** What the local alert page shows. */
export interface AlertPageInput {
  readonly messages: readonly SlackStoredMessage[];
  readonly timers: readonly { readonly id: string; readonly timer: Timer }[];
  readonly now: number;
  readonly clockOffsetMs: number;
  readonly deliveries: readonly PrintedDelivery[];
  readonly said: string | undefined;
  readonly formToken: string;
  readonly emailViewerUrl: string;
}

type Json = Record<string, unknown>;

function blockText(block: Json): string {
  const text = block.text as Json | undefined;
  if (typeof text?.text === 'string') return text.text;
  const fields = block.fields as Json[] | undefined;
  if (fields) return fields.map((f) => String(f.text ?? '')).join(' · ');
  const elements = block.elements as Json[] | undefined;
  if (block.type === 'context' && elements) return elements.map((e) => String(e.text ?? '')).join(' · ');
  return '';
}

function message(m: SlackStoredMessage, token: string): string {
  const blocks = (m.blocks ?? []) as Json[];
  const lines = blocks
    .filter((b) => b.type !== 'actions')
    .map((b) => {
      const text = escapeHtml(blockText(b)).replaceAll('\n', '<br>');
      return b.type === 'header' ? `<h3 style="margin:.2em 0">${text}</h3>` : `<div>${text}</div>`;
    });
  const actions = blocks.find((b) => b.type === 'actions');
  const buttons = ((actions?.elements ?? []) as Json[])
    .filter((e) => typeof e.value === 'string')
    .map(
      (e) =>
        `<form method="post" action="/local/slack/press" style="display:inline">` +
        `<input type="hidden" name="token" value="${escapeHtml(token)}">` +
        `<input type="hidden" name="channel" value="${escapeHtml(m.channel)}">` +
        `<input type="hidden" name="action_id" value="${escapeHtml(String(e.action_id))}">` +
        `<input type="hidden" name="value" value="${escapeHtml(String(e.value))}">` +
        `<button type="submit">${escapeHtml(String((e.text as Json | undefined)?.text ?? e.action_id))}</button></form>`,
    );
  const edited = m.updatedAt ? ` · updated ${m.history.length} time(s)` : '';
  return `<section style="border:1px solid #ccc;border-radius:6px;padding:.6em;margin:.6em 0"><small>${escapeHtml(m.channel)} · ts ${escapeHtml(m.ts)}${edited}</small>${lines.join('')}<div style="margin-top:.4em">${buttons.join(' ')}</div></section>`;
}

/**
 * The local alert page: the Slack stand-in's messages (latest rendering, newest first) with buttons that
 * press exactly as Slack would, the timers still to fire, a form to move the local clock forward, and the
 * latest deliveries on every channel.
 */
export function renderAlertPage(input: AlertPageInput): string {
  const token = escapeHtml(input.formToken);
  const timers = input.timers.map(
    ({ id, timer }) =>
      `<li>${escapeHtml(timer.type)} ${escapeHtml('incidentId' in timer ? timer.incidentId : id)} at ${escapeHtml(formatInstant(timer.at))} (in ${escapeHtml(formatDuration(Math.max(0, timer.at - input.now)))})</li>`,
  );
  const deliveries = input.deliveries
    .slice(-30)
    .reverse()
    .map((d) => `<li>${escapeHtml(`${d.channel} ${d.receiver} ${d.kind} ${d.incident} ${d.text}`)}</li>`);
  return [
    '<!doctype html><html><head><meta charset="utf-8"><title>Seismo local alerts</title></head>',
    '<body style="font-family:sans-serif;max-width:60em;margin:1em auto">',
    '<h1>Seismo local alerts</h1>',
    input.said
      ? `<p style="background:#eef;padding:.5em"><strong>${escapeHtml(input.said)}</strong></p>`
      : '',
    `<p>Local clock ${escapeHtml(formatInstant(input.now))}${input.clockOffsetMs > 0 ? ` (${escapeHtml(formatDuration(input.clockOffsetMs))} ahead)` : ''}.`,
    ` <form method="post" action="/local/clock" style="display:inline"><input type="hidden" name="token" value="${token}">`,
    '<button name="by" value="5m">+5 min</button> <button name="by" value="15m">+15 min</button> <button name="by" value="1h">+1 h</button></form>',
    ` Email: <a href="${escapeHtml(input.emailViewerUrl)}">SES emulator</a>.</p>`,
    `<h2>Timers</h2>${timers.length > 0 ? `<ul>${timers.join('')}</ul>` : '<p>none pending</p>'}`,
    '<h2>Slack (#stand-in)</h2>',
    input.messages.length > 0
      ? [...input.messages]
          .reverse()
          .map((m) => message(m, input.formToken))
          .join('')
      : '<p>no messages yet</p>',
    `<h2>Latest deliveries</h2><ul>${deliveries.join('')}</ul>`,
    '</body></html>',
  ].join('\n');
}
