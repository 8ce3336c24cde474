import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type Receiver, receiverSchema } from './config-schema.ts';
import { deliveryId, deliveryKey } from './dedup.ts';
import type { Notification } from './incident-types.ts';
import type { AlertLinks } from './render/links.ts';

/**
 * The contract between the router (and the escalator and ack handler, which emit notifications too) and the
 * channel senders: one message per (notification, receiver) on the receiver's channel queue. It carries the
 * receiver as configured and the links made for it, so a sender needs neither the routing config nor the
 * link key, and a message means the same thing whenever it is processed.
 */

/** Version of the message shape; a sender refuses others (dead-lettered with the reason). */
export const CHANNEL_MESSAGE_VERSION = 1;

/** One notification for one receiver. */
export interface ChannelMessage {
  readonly v: 1;
  /** `deliveryId(notification, receiver)`: the webhook-id, the queue's deduplication id. */
  readonly id: string;
  /** `deliveryKey(notification, receiver)`: the notification log item of this (incident, receiver). */
  readonly key: string;
  readonly receiver: Receiver;
  readonly notification: Notification;
  readonly links: AlertLinks;
}

const linksSchema = z.object({
  ack: z.string().optional(),
  silence1h: z.string().optional(),
  notAnAnomaly: z.string().optional(),
  dashboard: z.string().optional(),
});

const messageSchema = z.object({
  v: z.literal(CHANNEL_MESSAGE_VERSION),
  id: z.string().min(1).max(128),
  key: z.string().min(1).max(1024),
  receiver: receiverSchema,
  notification: z.looseObject({
    id: z.string().min(1),
    kind: z.enum([
      'opened',
      'updated',
      'escalated',
      'acknowledged',
      'resolved',
      'budget-exceeded',
      'digest',
      'silence-expiring',
    ]),
    revision: z.number().int().min(1),
    at: z.number(),
  }),
  links: linksSchema.default({}),
});

/** Thrown for a queue message that is not a channel message; names each field and rule. */
export class InvalidChannelMessageError extends Error {
  override readonly name = 'InvalidChannelMessageError';
}

/** The message for `notification` to `receiver`. */
export function channelMessage(
  notification: Notification,
  receiver: Receiver,
  links: AlertLinks,
): ChannelMessage {
  return {
    v: 1,
    id: deliveryId(notification, receiver.name),
    key: deliveryKey(notification, receiver.name),
    receiver,
    notification,
    links,
  };
}

/** Parses and checks a queue message body (the notification itself is the router's and is not re-validated). */
export function parseChannelMessage(body: string): ChannelMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidChannelMessageError(`not JSON: ${(error as Error).message}`);
  }
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw new InvalidChannelMessageError(`not a channel message: ${issues.join('; ')}`);
  }
  return parsed.data as unknown as ChannelMessage;
}

/**
 * The FIFO message group of a message: one per (incident, receiver), so one receiver hears about one incident
 * in revision order, one message at a time, while other incidents go on in parallel. Hashed, since a group
 * id is at most 128 characters.
 */
export function messageGroupId(message: Pick<ChannelMessage, 'key'>): string {
  return `g-${createHash('sha256').update(message.key).digest('hex').slice(0, 40)}`;
}
