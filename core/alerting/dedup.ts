import { createHash } from 'node:crypto';
import type { ReceiverType } from './config-schema.ts';
import type { Notification, NotificationKind } from './incident-types.ts';

/**
 * The notification log's decision: one record per (incident, receiver) remembers the last revision delivered,
 * so a duplicated or re-ordered queue message never posts twice and an older notification never overwrites
 * a newer one. The integrator writes the new record with a condition (`revision < :new`), which makes two
 * concurrent senders agree; this function is the same rule, for the router and for tests.
 */

/** The log record of one (subject, receiver). */
export interface DeliveryRecord {
  readonly v: 1;
  /** `deliveryKey(notification, receiver)`. */
  readonly key: string;
  readonly revision: number;
  readonly kind: NotificationKind;
  /** True while the last thing this receiver was told is that something fires. */
  readonly firing: boolean;
  readonly at: number;
  /** The channel's handle on what it sent (Slack channel and ts), for updating it; the sender fills it in. */
  readonly ref?: string;
}

/** Why a notification is not delivered. */
export type DropReason = 'duplicate' | 'stale' | 'never-announced';

/** The decision for one notification and receiver. */
export type DeliveryDecision =
  | { readonly deliver: true; readonly record: DeliveryRecord }
  | { readonly deliver: false; readonly reason: DropReason };

/** Key of the log record: per incident and receiver for incident notifications, else per notification. */
export function deliveryKey(notification: Notification, receiver: string): string {
  const subject = 'incident' in notification ? notification.incident.id : notification.id;
  return `${subject}|${receiver}`;
}

/**
 * Id of one delivery (a notification to a receiver): stable across retries, so it can be the Standard
 * Webhooks `webhook-id` and an idempotency key. `msg_` and 32 hex digits.
 */
export function deliveryId(notification: Notification, receiver: string): string {
  return `msg_${createHash('sha256').update(`${notification.id}|${receiver}`).digest('hex').slice(0, 32)}`;
}

/** Decides whether to deliver, given the receiver's log record (undefined when it has none yet). */
export function decideDelivery(
  record: DeliveryRecord | undefined,
  notification: Notification,
  receiver: string,
  receiverType: ReceiverType,
  now: number,
): DeliveryDecision {
  if (record && notification.revision <= record.revision) {
    return { deliver: false, reason: notification.revision === record.revision ? 'duplicate' : 'stale' };
  }
  if (!record && (notification.kind === 'acknowledged' || notification.kind === 'resolved')) {
    // Closing words for a receiver that never heard the opening: only the resolve of an incident that ended
    // before it was announced, and never to PagerDuty (there is no incident there to resolve).
    const standalone = notification.kind === 'resolved' && notification.standalone;
    if (!standalone || receiverType === 'pagerduty') return { deliver: false, reason: 'never-announced' };
  }
  return {
    deliver: true,
    record: {
      v: 1,
      key: deliveryKey(notification, receiver),
      revision: notification.revision,
      kind: notification.kind,
      firing: notification.kind !== 'resolved' && 'incident' in notification,
      at: now,
      ...(record?.ref !== undefined && { ref: record.ref }),
    },
  };
}
