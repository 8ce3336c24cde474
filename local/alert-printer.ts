import type { Writable } from 'node:stream';
import type { AlertStandIns } from './stand-ins/alert-stand-ins.ts';
import { escapeForTerminal } from './terminal-escape.ts';

/**
 * The terminal's view of alert delivery: one line per message a channel stand-in accepted (channel,
 * receiver, kind, incident, what it says), read from what arrived there, so the line shows what Slack, SES,
 * the webhook receiver or PagerDuty actually got. Refusals the stand-ins answered (a 429, an error) get a dim
 * line too. Every piece of text is escaped: series names come from the stream.
 */

/** One delivery as printed (kept for tests and `GET /` of the local alert page). */
export interface PrintedDelivery {
  readonly channel: 'slack' | 'email' | 'webhook' | 'pagerduty';
  readonly receiver: string;
  readonly kind: string;
  readonly incident: string;
  readonly text: string;
  readonly at: number;
}

/** Where the printer writes and how it finds receiver names the stand-ins cannot know. */
export interface AlertPrinterOptions {
  readonly out: Writable;
  readonly color: boolean;
  /** PagerDuty routing key → receiver name. */
  readonly routingKeys: ReadonlyMap<string, string>;
  /** Where a person acknowledges (the local alert page), printed once per incident's first Slack post. */
  readonly pageUrl: string;
}

type Json = Record<string, unknown>;

/** Prints what each stand-in receives; returns the deliveries so far and a way to stop listening. */
export function printAlertDeliveries(standIns: AlertStandIns, options: AlertPrinterOptions) {
  const deliveries: PrintedDelivery[] = [];
  const announced = new Set<string>();
  const dim = (text: string) => (options.color ? `\x1b[2m${text}\x1b[0m` : text);
  const bold = (text: string) => (options.color ? `\x1b[1m${text}\x1b[0m` : text);
  const print = (d: Omit<PrintedDelivery, 'at'>) => {
    const entry = { ...d, at: Date.now() };
    deliveries.push(entry);
    const e = escapeForTerminal;
    options.out.write(
      `→ ${bold(d.channel.padEnd(9))} ${e(d.receiver).padEnd(14)} ${d.kind.padEnd(16)} ${e(d.incident)}  ${e(d.text.slice(0, 160))}\n`,
    );
  };
  const refusal = (what: string) => options.out.write(`${dim(`  ${escapeForTerminal(what)}`)}\n`);
  const unsubscribe = [
    standIns.slack.onCall((call) => {
      if (call.method === 'auth.test') return;
      if (call.response.ok !== true) {
        refusal(`slack ${call.method} answered ${call.status} ${String(call.response.error ?? '')}`);
        return;
      }
      const payload = ((call.args.metadata as Json | undefined)?.event_payload ?? {}) as Json;
      const incident = String(payload.incident_id ?? payload.notification_id ?? '');
      print({
        channel: 'slack',
        receiver: String(payload.receiver ?? call.args.channel ?? ''),
        kind: `${String(payload.kind ?? '?')}${call.method === 'chat.update' ? ' (update)' : ''}`,
        incident,
        text: String(call.args.text ?? ''),
      });
      if (call.method === 'chat.postMessage' && payload.kind === 'opened' && !announced.has(incident)) {
        announced.add(incident);
        options.out.write(`  acknowledge, silence or label it at ${options.pageUrl}\n`);
      }
    }),
    standIns.email.onEmail((email) => {
      const header = (name: string) =>
        email.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value ?? '';
      print({
        channel: 'email',
        receiver: email.tags.seismo_receiver ?? email.to.join(','),
        kind: header('X-Seismo-Kind'),
        incident: header('X-Seismo-Incident') || header('X-Seismo-Notification'),
        text: email.subject,
      });
    }),
    standIns.webhook.onDelivery((delivery) => {
      if (!delivery.verified) {
        refusal(`webhook ${delivery.path} not verified: ${delivery.verifyError ?? ''}`);
        return;
      }
      const body = (delivery.payload ?? {}) as Json;
      const data = (body.data ?? {}) as Json;
      const incident = (data.incident ?? {}) as Json;
      print({
        channel: 'webhook',
        receiver: decodeURIComponent(delivery.path.split('/').pop() ?? ''),
        kind: String(body.type ?? '').replace(/^seismo\.(episode\.)?/, ''),
        incident: String(incident.id ?? body.id ?? ''),
        text: `${String(incident.title ?? data.summary ?? '')} (webhook-id ${delivery.webhookId ?? ''}, answered ${delivery.status})`,
      });
    }),
    standIns.pagerduty.onEvent((received) => {
      const event = received.event ?? {};
      if (received.status !== 202) {
        refusal(`pagerduty answered ${received.status}`);
        return;
      }
      const payload = (event.payload ?? {}) as Json;
      print({
        channel: 'pagerduty',
        receiver: options.routingKeys.get(String(event.routing_key ?? '')) ?? '?',
        kind: String(event.event_action ?? ''),
        incident: String(event.dedup_key ?? ''),
        text: String(payload.summary ?? ''),
      });
    }),
  ];
  return {
    deliveries: deliveries as readonly PrintedDelivery[],
    stop: () => {
      for (const off of unsubscribe) off();
    },
  };
}
