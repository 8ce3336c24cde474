import { ChannelPacer } from '../../adapters/alerting/channel-pacer.ts';
import { createSlackClient, SlackTransport } from '../../adapters/alerting/slack-transport.ts';
import { ALERTING_ENV, required } from '../alerting/environment.ts';
import { senderLambda } from '../send/production.ts';
import { slackDelivery } from './slack-delivery.ts';

/**
 * The Slack sender. The bot token comes from its secret (cached five minutes); a rotated token gets a new
 * client, while the per-channel pacing (about one message a second) carries on across it.
 */
export const handler = senderLambda('slack', ({ secrets, env }) => {
  const secretArn = required(env, ALERTING_ENV.slackTokenSecret);
  const pacer = new ChannelPacer();
  let current: { token: string; deliver: ReturnType<typeof slackDelivery> } | undefined;
  return async (message, entry, attempt) => {
    const token = (await secrets.get(secretArn)).trim();
    if (current?.token !== token)
      current = { token, deliver: slackDelivery(new SlackTransport(createSlackClient(token), { pacer })) };
    return current.deliver(message, entry, attempt);
  };
});
