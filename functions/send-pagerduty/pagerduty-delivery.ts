import { permanent } from '../../adapters/alerting/delivery.ts';
import type { PagerDutyTransport } from '../../adapters/alerting/pagerduty-transport.ts';
import { renderPagerDuty } from '../../core/alerting/render/pagerduty.ts';
import type { SecretSource } from '../alerting/ports.ts';
import { secretValues } from '../send/secret-values.ts';
import type { ChannelDelivery, SendResult } from '../send/sender.ts';

/**
 * PagerDuty delivery: Events API v2 trigger, acknowledge and resolve with `dedup_key` = the incident id
 * (PagerDuty deduplicates repeats), routed with the key from the receiver's secret. Digests and silence
 * reminders are not PagerDuty's business: skipped, and recorded as handled.
 */
export function pagerDutyDelivery(transport: PagerDutyTransport, secrets: SecretSource): ChannelDelivery {
  return async (message, _entry, attempt): Promise<SendResult> => {
    const { receiver, notification } = message;
    if (receiver.type !== 'pagerduty')
      return permanent(
        'wrong-channel',
        `receiver ${receiver.name} is ${receiver.type}, not pagerduty`,
        'message',
      );
    const event = renderPagerDuty(notification, message.links);
    if (!event) return { kind: 'skipped', reason: `PagerDuty takes no ${notification.kind} notifications` };
    const keys = await secretValues(secrets, receiver.routingKeySecretName, receiver.name);
    if (!Array.isArray(keys)) return keys as Exclude<typeof keys, readonly string[]>;
    const p = event.payload;
    const outcome = await transport.send(
      {
        routingKey: keys[0] as string,
        action: event.event_action,
        dedupKey: event.dedup_key,
        ...(p && {
          payload: {
            summary: p.summary,
            source: p.source,
            severity: p.severity,
            timestamp: p.timestamp,
            ...(p.component !== undefined && { component: p.component }),
            ...(p.group !== undefined && { group: p.group }),
            ...(p.class !== undefined && { class: p.class }),
            ...(p.custom_details !== undefined && { customDetails: p.custom_details }),
          },
        }),
        ...(event.links && { links: event.links }),
        ...(event.client !== undefined && { client: event.client }),
        ...(event.client_url !== undefined && { clientUrl: event.client_url }),
      },
      attempt,
    );
    if (outcome.kind !== 'delivered') return outcome;
    return { kind: 'delivered', ref: outcome.receipt.dedupKey };
  };
}
