import { WebhookTransport } from '../../adapters/alerting/webhook-transport.ts';
import { senderLambda } from '../send/production.ts';
import { webhookDelivery } from './webhook-delivery.ts';

/**
 * The webhook sender: https only, every non-public address refused (no allow-list in production), signing
 * secrets by the names the routing config gives; a 410 disables the receiver in the control table.
 */
export const handler = senderLambda(
  'webhook',
  ({ secrets }) => webhookDelivery(new WebhookTransport(), secrets),
  {
    canDisable: true,
  },
);
