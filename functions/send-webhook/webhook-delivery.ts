import { permanent } from '../../adapters/alerting/delivery.ts';
import type { WebhookTransport } from '../../adapters/alerting/webhook-transport.ts';
import { renderWebhook } from '../../core/alerting/render/webhook.ts';
import type { SecretSource } from '../alerting/ports.ts';
import { secretValues } from '../send/secret-values.ts';
import type { ChannelDelivery, SendResult } from '../send/sender.ts';

/**
 * Webhook delivery: the versioned JSON body, signed under Standard Webhooks with the receiver's secret (two
 * during a rotation, both signatures sent), `webhook-id` = the message id, stable across every retry.
 */
export function webhookDelivery(transport: WebhookTransport, secrets: SecretSource): ChannelDelivery {
  return async (message, _entry, attempt): Promise<SendResult> => {
    const { receiver, notification } = message;
    if (receiver.type !== 'webhook')
      return permanent(
        'wrong-channel',
        `receiver ${receiver.name} is ${receiver.type}, not webhook`,
        'message',
      );
    const keys = await secretValues(secrets, receiver.secretName, receiver.name);
    if (!Array.isArray(keys)) return keys as Exclude<typeof keys, readonly string[]>;
    const body = JSON.stringify(renderWebhook(notification, message.links));
    const outcome = await transport.send(
      { url: receiver.url, secrets: keys },
      { id: message.id, body },
      attempt,
    );
    if (outcome.kind !== 'delivered') return outcome;
    return { kind: 'delivered', ref: outcome.receipt.webhookId };
  };
}
