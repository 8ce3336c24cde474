import { type ChannelMessage, messageGroupId } from '../core/alerting/channel-message.ts';
import type { ReceiverType } from '../core/alerting/config-schema.ts';
import type { ChannelQueues } from '../functions/alerting/ports.ts';
import type { LocalQueue } from './local-queue.ts';

/** The four channel queues in process, as the router sees them: FIFO by (incident, receiver), deduplicated by id. */
export class LocalChannelQueues implements ChannelQueues {
  constructor(private readonly queues: Readonly<Record<ReceiverType, LocalQueue>>) {}

  async send(message: ChannelMessage): Promise<void> {
    this.queues[message.receiver.type].send(JSON.stringify(message), {
      groupId: messageGroupId(message),
      dedupId: message.id,
    });
  }
}
