import { permanent } from '../../adapters/alerting/delivery.ts';
import type { SlackBlock, SlackTransport } from '../../adapters/alerting/slack-transport.ts';
import { renderSlack } from '../../core/alerting/render/slack.ts';
import type { ChannelDelivery, SendResult } from '../send/sender.ts';

/** Where a posted message lives, as kept in the notification log's `ref`. */
interface SlackRef {
  readonly channel: string;
  readonly ts: string;
}

function parseRef(ref: string | undefined): SlackRef | undefined {
  if (!ref) return undefined;
  try {
    const value = JSON.parse(ref) as Partial<SlackRef>;
    return typeof value.channel === 'string' && typeof value.ts === 'string'
      ? { channel: value.channel, ts: value.ts }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Slack delivery: one message per incident and receiver. The first notification posts it
 * (`chat.postMessage`) and the log keeps its channel and ts; every later one (escalated, acknowledged,
 * resolved, updates) renders the whole incident again and `chat.update`s that message. A message deleted in
 * Slack (`message_not_found` on update) is posted anew. Digests, budget notices and silence reminders are
 * posts of their own. The message metadata names the incident, notification and receiver.
 */
export function slackDelivery(transport: SlackTransport): ChannelDelivery {
  return async (message, entry, attempt): Promise<SendResult> => {
    const { receiver, notification } = message;
    if (receiver.type !== 'slack')
      return permanent(
        'wrong-channel',
        `receiver ${receiver.name} is ${receiver.type}, not slack`,
        'message',
      );
    const rendered = renderSlack(notification, message.links);
    const content = {
      text: rendered.text,
      blocks: rendered.blocks as unknown as SlackBlock[],
      metadata: {
        event_type: 'seismo_notification',
        event_payload: {
          notification_id: notification.id,
          kind: notification.kind,
          revision: notification.revision,
          receiver: receiver.name,
          ...('incident' in notification && { incident_id: notification.incident.id }),
        },
      },
    };
    const ref = 'incident' in notification ? parseRef(entry?.ref) : undefined;
    if (ref) {
      const updated = await transport.update({ ...content, channel: ref.channel, ts: ref.ts }, attempt);
      if (updated.kind === 'delivered')
        return { kind: 'delivered', ref: JSON.stringify(updated.receipt), note: 'updated' };
      if (!(updated.kind === 'permanent' && updated.code === 'message_not_found')) return updated;
    }
    const posted = await transport.post({ ...content, channel: receiver.channel }, attempt);
    if (posted.kind !== 'delivered') return posted;
    return { kind: 'delivered', ref: JSON.stringify(posted.receipt), note: ref ? 'reposted' : 'posted' };
  };
}
