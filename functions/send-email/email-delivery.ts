import { permanent } from '../../adapters/alerting/delivery.ts';
import type { SesEmailTransport } from '../../adapters/alerting/ses-email-transport.ts';
import { renderEmail } from '../../core/alerting/render/email.ts';
import type { ChannelDelivery, SendResult } from '../send/sender.ts';

/** An SES tag value: letters, digits, `_` and `-` only. */
function tagValue(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_';
}

/**
 * Email delivery: one email per notification (email cannot be edited), subject, text and HTML from the
 * renderer, with headers and configuration-set tags naming the incident, the kind and the receiver.
 */
export function emailDelivery(transport: SesEmailTransport): ChannelDelivery {
  return async (message, _entry, attempt): Promise<SendResult> => {
    const { receiver, notification } = message;
    if (receiver.type !== 'email')
      return permanent(
        'wrong-channel',
        `receiver ${receiver.name} is ${receiver.type}, not email`,
        'message',
      );
    const rendered = renderEmail(notification, message.links);
    const incidentId = 'incident' in notification ? notification.incident.id : undefined;
    const outcome = await transport.send(
      {
        to: receiver.to,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        headers: [
          { name: 'X-Seismo-Notification', value: notification.id },
          { name: 'X-Seismo-Kind', value: notification.kind },
          ...(incidentId ? [{ name: 'X-Seismo-Incident', value: incidentId }] : []),
        ],
        tags: { seismo_kind: tagValue(notification.kind), seismo_receiver: tagValue(receiver.name) },
      },
      attempt,
    );
    if (outcome.kind !== 'delivered') return outcome;
    return { kind: 'delivered', ref: outcome.receipt.messageId };
  };
}
