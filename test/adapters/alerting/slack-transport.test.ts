import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelPacer } from '../../../adapters/alerting/channel-pacer.ts';
import type { DeliveryOutcome, RetryPolicy } from '../../../adapters/alerting/delivery.ts';
import {
  createSlackClient,
  type SlackBlock,
  type SlackReceipt,
  SlackTransport,
} from '../../../adapters/alerting/slack-transport.ts';
import { type SlackApiStandIn, startSlackApiStandIn } from '../../../local/stand-ins/slack-api-stand-in.ts';

const fixedJitter: Partial<RetryPolicy> = { random: () => 0 };

const blocks: SlackBlock[] = [
  { type: 'header', text: { type: 'plain_text', text: 'CRITICAL api/latency' } },
  { type: 'section', fields: [{ type: 'mrkdwn', text: '*Value*\n812' }] },
];

function receipt(outcome: DeliveryOutcome<SlackReceipt>): SlackReceipt {
  if (outcome.kind !== 'delivered') throw new Error(`expected delivered, got ${JSON.stringify(outcome)}`);
  return outcome.receipt;
}

describe('SlackTransport', () => {
  let slack: SlackApiStandIn;
  const transport = (
    options: { token?: string; intervalMs?: number; timeoutMs?: number; url?: string } = {},
  ) =>
    new SlackTransport(
      createSlackClient(options.token ?? slack.token, {
        slackApiUrl: options.url ?? slack.url,
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      }),
      { pacer: new ChannelPacer({ intervalMs: options.intervalMs ?? 0 }), retryPolicy: fixedJitter },
    );

  beforeAll(async () => {
    slack = await startSlackApiStandIn({ channels: { alerts: 'C0ALERTS01' }, autoCreateChannels: false });
  });
  afterAll(() => slack.stop());

  it('posts with blocks, returns the channel ID and ts, and updates that same message', async () => {
    // Prepare
    const subject = transport();

    // Act
    const posted = receipt(
      await subject.post({ channel: '#alerts', text: 'api/latency is anomalous', blocks }),
    );
    const updated = await subject.update({ ...posted, text: 'api/latency acknowledged by ana', blocks });

    // Assess
    expect(posted.channel).toBe('C0ALERTS01');
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(updated).toEqual({ kind: 'delivered', receipt: posted });
    const stored = slack.message(posted.channel, posted.ts);
    expect(stored?.text).toBe('api/latency acknowledged by ana');
    expect(stored?.blocks).toEqual(blocks);
    expect(stored?.history.map((h) => h.text)).toEqual(['api/latency is anomalous']);
    expect(slack.calls.find((c) => c.method === 'chat.postMessage')?.args).toMatchObject({
      unfurl_links: 'false',
      unfurl_media: 'false',
    });
  });

  it('turns a 429 into retry-later after Retry-After at once, and holds the channel back meanwhile', async () => {
    // Prepare
    const subject = transport();
    slack.failNext({ kind: 'ratelimited', retryAfterSeconds: 30 }, 1, { channel: 'C0ALERTS01' });
    const callsBefore = slack.calls.length;

    // Act
    const started = Date.now();
    const limited = await subject.post({ channel: 'C0ALERTS01', text: 'first' });
    const elapsed = Date.now() - started;
    const held = await subject.post({ channel: 'C0ALERTS01', text: 'second' });

    // Assess
    expect(limited).toMatchObject({
      kind: 'retry-later',
      code: 'ratelimited',
      retryAfterMs: 30_000,
      delayMs: 30_000,
      maybeDelivered: false,
      status: 429,
    });
    expect(elapsed).toBeLessThan(1_000);
    expect(held).toMatchObject({ kind: 'retry-later', code: 'paused' });
    expect(held.kind === 'retry-later' && held.delayMs).toBeGreaterThan(29_000);
    expect(slack.calls.length).toBe(callsBefore + 1);
  });

  it('reports channel_not_found and not_in_channel as permanent for the receiver, with what to do', async () => {
    // Prepare
    const subject = transport();
    slack.failNext({ kind: 'error', error: 'not_in_channel' }, 1, { channel: 'C0ALERTS01' });

    // Act
    const unknown = await subject.post({ channel: '#nowhere', text: 'x' });
    const outside = await subject.post({ channel: 'C0ALERTS01', text: 'x' });

    // Assess
    expect(unknown).toMatchObject({ kind: 'permanent', code: 'channel_not_found', scope: 'receiver' });
    expect(outside).toMatchObject({ kind: 'permanent', code: 'not_in_channel', scope: 'receiver' });
    expect(outside.kind === 'permanent' && outside.reason).toContain('/invite');
  });

  it('reports channel_not_found on update as permanent', async () => {
    // Prepare
    const subject = transport();
    const posted = receipt(await subject.post({ channel: 'C0ALERTS01', text: 'x' }));
    slack.failNext({ kind: 'error', error: 'channel_not_found' }, 1, { method: 'chat.update' });

    // Act
    const outcome = await subject.update({ ...posted, text: 'resolved' });

    // Assess
    expect(outcome).toMatchObject({ kind: 'permanent', code: 'channel_not_found', scope: 'receiver' });
  });

  it('reports an update of a deleted message as message_not_found, so the sender can post anew', async () => {
    // Prepare
    const subject = transport();
    const posted = receipt(await subject.post({ channel: 'C0ALERTS01', text: 'x' }));
    slack.deleteMessage(posted.channel, posted.ts);

    // Act
    const outcome = await subject.update({ ...posted, text: 'resolved' });

    // Assess
    expect(outcome).toMatchObject({ kind: 'permanent', code: 'message_not_found', scope: 'message' });
  });

  it('reports a wrong token as invalid_auth, permanent for the whole channel', async () => {
    // Prepare
    const subject = transport({ token: 'xoxb-wrong' });

    // Act
    const outcome = await subject.post({ channel: 'C0ALERTS01', text: 'x' });

    // Assess
    expect(outcome).toMatchObject({ kind: 'permanent', code: 'invalid_auth', scope: 'channel' });
    expect(outcome.kind === 'permanent' && outcome.reason).toContain('Secrets Manager');
  });

  it("passes Slack's own explanation of refused blocks on", async () => {
    // Prepare
    const subject = transport();
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' }) as SlackBlock);

    // Act
    const outcome = await subject.post({ channel: 'C0ALERTS01', text: 'x', blocks: tooMany });

    // Assess
    expect(outcome).toMatchObject({ kind: 'permanent', code: 'invalid_blocks', scope: 'message' });
    expect(outcome.kind === 'permanent' && outcome.reason).toContain('must be less than 51 items');
  });

  it("retries Slack's transient errors and 5xx", async () => {
    // Prepare
    const subject = transport();
    slack.failNext({ kind: 'error', error: 'service_unavailable' });
    slack.failNext({ kind: 'http', status: 503 });

    // Act
    const transient = await subject.post({ channel: 'C0ALERTS01', text: 'x' }, { attempt: 1 });
    const unavailable = await subject.post({ channel: 'C0ALERTS01', text: 'x' }, { attempt: 2 });

    // Assess
    expect(transient).toMatchObject({
      kind: 'retry-later',
      code: 'service_unavailable',
      maybeDelivered: false,
    });
    expect(unavailable).toMatchObject({ kind: 'retry-later', code: 'http-503', status: 503 });
  });

  it('marks a timed-out post as maybe delivered: the message may exist, so a retry may duplicate it', async () => {
    // Prepare
    const subject = transport({ timeoutMs: 200 });
    slack.failNext({ kind: 'delay', ms: 600 });
    const before = slack.messages('C0ALERTS01').length;

    // Act
    const outcome = await subject.post({ channel: 'C0ALERTS01', text: 'slow' });
    await new Promise((resolve) => setTimeout(resolve, 700));

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry-later', code: 'timeout', maybeDelivered: true });
    expect(slack.messages('C0ALERTS01').length).toBe(before + 1);
  });

  it('marks a refused connection as not delivered', async () => {
    // Prepare
    const gone = await startSlackApiStandIn();
    await gone.stop();
    const subject = transport({ url: gone.url, token: gone.token });

    // Act
    const outcome = await subject.post({ channel: 'C0ALERTS01', text: 'x' });

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry-later', code: 'ECONNREFUSED', maybeDelivered: false });
  });

  it('paces posts to one channel at the configured interval', async () => {
    // Prepare
    const subject = transport({ intervalMs: 150 });
    const first = slack.calls.length;

    // Act
    for (const text of ['a', 'b', 'c']) await subject.post({ channel: 'C0ALERTS01', text });

    // Assess
    const times = slack.calls.slice(first).map((call) => call.at);
    expect(times).toHaveLength(3);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(140);
    expect((times[2] ?? 0) - (times[1] ?? 0)).toBeGreaterThanOrEqual(140);
  });
});
