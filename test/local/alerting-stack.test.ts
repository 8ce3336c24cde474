import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../adapters/sns-alert-publisher.ts';
import { SLACK_ACTION_IDS } from '../../core/alerting/render/links.ts';
import { slackSignature } from '../../core/alerting/slack-signature.ts';
import { type LocalAlerting, startLocalAlerting } from '../../local/alerting-stack.ts';
import { type Emulator, localDynamoDbClient, startDynalite } from '../../local/emulators.ts';
import type { SlackStoredMessage } from '../../local/stand-ins/slack-api-stand-in.ts';
import { waitUntil } from '../support/wait-until.ts';

/**
 * The alert path `npm start` runs, over its real sockets: the real router, escalator, senders and ack handler
 * on dynalite, talking HTTP to the Slack API stand-in, the webhook receiver, the SES v2 stand-in and the
 * PagerDuty stand-in, and answering Slack's interactivity requests on the local Function URL. Only the clock
 * is moved by hand (the route's groupWait and escalation delays), as the local page's control does.
 */

const MINUTE = 60_000;

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** An episode transition as the detector publishes it on the anomalies topic. */
function episode(series: string, kind: AlertMessage['kind'], startedAt: number, at: number): AlertMessage {
  return {
    id: `${series}-${kind}`,
    summary: `${series} ${kind}`,
    kind,
    episodeId: `ep-${series}`,
    series,
    channel: 'value',
    dimensions: { host: 'web-1' },
    severity: 'critical',
    startedAt,
    lastSeenAt: at,
    peakProbability: 0.9999999971,
    value: 97,
    expected: { low: 10, high: 40 },
    topFeatures: [{ name: 'z_short', value: 9.1 }],
    modelVersion: 'local-test',
  };
}

/** The value of a Slack message's button, as Slack hands it back when pressed. */
function buttonValue(message: SlackStoredMessage, actionId: string): string {
  const find = (node: unknown): string | undefined => {
    if (Array.isArray(node)) return node.map(find).find((v) => v !== undefined);
    if (node === null || typeof node !== 'object') return undefined;
    const o = node as Record<string, unknown>;
    if (o.action_id === actionId && typeof o.value === 'string') return o.value;
    return find(Object.values(o));
  };
  const value = find(message.blocks);
  if (value === undefined) throw new Error(`no ${actionId} button on the message`);
  return value;
}

describe('the local alert path (npm start) over HTTP', () => {
  let dynalite: Emulator;
  let alerting: LocalAlerting;
  let terminal: () => string;

  beforeAll(async () => {
    dynalite = await startDynalite({ createTableMs: 50 });
    const out = new PassThrough();
    terminal = collect(out);
    alerting = await startLocalAlerting(
      localDynamoDbClient(dynalite.endpoint),
      { out, color: false },
      { retryAfterMs: 200 },
    );
  });

  afterAll(async () => {
    await alerting?.stop();
    await dynalite?.stop();
  });

  /** Lets the router and senders finish, moves the clock, fires due timers and lets them finish again. */
  async function advance(ms: number): Promise<void> {
    await alerting.settled();
    await alerting.scheduler.advance(ms);
    await alerting.settled();
  }

  /** Presses a Slack button the way Slack does: a signed form POST to the Function URL. */
  async function press(
    message: SlackStoredMessage,
    actionId: string,
    sign: { secret?: string; skewMs?: number; reserialize?: boolean } = {},
  ): Promise<{ status: number; body: { text?: string; error?: string } }> {
    const payload = {
      type: 'block_actions',
      user: { id: 'U0TEST', username: 'ana' },
      actions: [{ action_id: actionId, value: buttonValue(message, actionId) }],
      channel: { id: message.channel },
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = String(Math.floor((alerting.clock.now() + (sign.skewMs ?? 0)) / 1_000));
    const signature = slackSignature(sign.secret ?? alerting.signingSecret, timestamp, body);
    // A proxy that decodes and re-encodes the form changes bytes the signature covers.
    const sent = sign.reserialize ? body.replaceAll('%3A', ':') : body;
    const response = await fetch(new URL('slack/actions', alerting.ackUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signature,
      },
      body: sent,
    });
    return { status: response.status, body: (await response.json()) as { text?: string; error?: string } };
  }

  it('posts once to Slack and the webhook, refuses forged presses, takes two acks as one and stops the escalation', async () => {
    // Prepare
    const { slack, webhook, email, pagerduty } = alerting.standIns;
    const start = alerting.clock.now();
    const opened = episode('checkout-latency', 'opened', start - MINUTE, start);

    // Act: the topic delivers the episode twice (SNS is at-least-once); groupWait (5 s) passes.
    const published = Date.now();
    alerting.publish(opened);
    alerting.publish(opened);
    await advance(5_000);
    await waitUntil(
      'the Slack post and the webhook',
      () => slack.messages().length > 0 && webhook.deliveries.length > 0,
    );
    const latencyMs = Date.now() - published;

    // Assess: one message per receiver, the webhook signed as Standard Webhooks says.
    expect(slack.messages()).toHaveLength(1);
    expect(webhook.deliveries).toHaveLength(1);
    expect(webhook.deliveries[0]?.verified).toBe(true);
    expect(webhook.deliveries[0]?.payload).toMatchObject({ type: 'seismo.episode.opened' });
    const message = slack.messages()[0] as SlackStoredMessage;
    expect(message.text).toContain('checkout-latency');
    expect(alerting.scheduler.pending().map((p) => p.timer.type)).toContain('escalate');
    // For the closing note: from publish to the Slack stand-in, groupWait skipped by the clock.
    process.stdout.write(`local alert path: episode to Slack stand-in in ${latencyMs} ms\n`);

    // Act, Assess: presses Slack would never sign this way are refused, before any action.
    expect((await press(message, SLACK_ACTION_IDS.ack, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await press(message, SLACK_ACTION_IDS.ack, { skewMs: -6 * MINUTE })).status).toBe(401);
    expect((await press(message, SLACK_ACTION_IDS.ack, { skewMs: 6 * MINUTE })).status).toBe(401);
    expect((await press(message, SLACK_ACTION_IDS.ack, { reserialize: true })).status).toBe(401);
    expect(alerting.scheduler.pending().map((p) => p.timer.type)).toContain('escalate');

    // Act: two people press Acknowledge at once.
    const answers = await Promise.all([
      press(message, SLACK_ACTION_IDS.ack),
      press(message, SLACK_ACTION_IDS.ack),
    ]);
    await alerting.settled();
    await waitUntil('the acknowledged update', () => /ack/i.test(slack.messages()[0]?.text ?? ''));
    await advance(30 * MINUTE);

    // Assess: both answered, one acknowledgement, the same message updated, and nobody else paged.
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.filter((a) => /already/i.test(a.body.text ?? ''))).toHaveLength(1);
    expect(slack.messages()).toHaveLength(1);
    expect(slack.calls.filter((c) => c.method === 'chat.update')).toHaveLength(1);
    expect(webhook.deliveries.map((d) => (d.payload as { type: string }).type)).toEqual([
      'seismo.episode.opened',
      'seismo.episode.acknowledged',
    ]);
    expect(alerting.scheduler.pending().filter((p) => p.timer.type === 'escalate')).toEqual([]);
    expect(email.emails).toEqual([]);
    expect(pagerduty.events).toEqual([]);
    expect(terminal()).toContain('checkout-latency');
  });

  it('escalates an unacknowledged incident to email after 5 minutes and PagerDuty 10 minutes later, then resolves it everywhere', async () => {
    // Prepare
    const { slack, email, pagerduty } = alerting.standIns;
    const postsBefore = slack.messages().length;
    const start = alerting.clock.now();

    // Act
    alerting.publish(episode('payments-errors', 'opened', start - MINUTE, start));
    await advance(5_000);
    await waitUntil('the Slack post', () => slack.messages().length === postsBefore + 1);
    await advance(5 * MINUTE);
    await waitUntil('the email', () => email.emails.length === 1);
    await advance(10 * MINUTE);
    await waitUntil('the page', () => pagerduty.alerts().length === 1);
    alerting.publish(episode('payments-errors', 'resolved', start - MINUTE, alerting.clock.now()));
    // A change to an announced incident waits for the route's groupInterval (30 s).
    await advance(30_000);
    await waitUntil('the resolve on PagerDuty', () => pagerduty.alerts()[0]?.status === 'resolved');

    // Assess: each channel told in turn, the Slack message updated in place, nothing left pending.
    expect(email.emails[0]?.to).toEqual(['oncall@example.com']);
    expect(email.emails[0]?.subject).toContain('payments-errors');
    expect(pagerduty.alerts()[0]?.actions).toEqual(['trigger', 'resolve']);
    expect(slack.messages()).toHaveLength(postsBefore + 1);
    const message = slack.messages().at(-1) as SlackStoredMessage;
    expect(message.history.length).toBeGreaterThanOrEqual(2);
    await alerting.settled();
    expect(alerting.scheduler.pending().filter((p) => p.timer.type === 'escalate')).toEqual([]);
  });

  it("acknowledges from the local page's button after the clock was moved past Slack's five-minute window", async () => {
    // Prepare: an incident nobody acknowledged for six minutes (the page's clock control moved time).
    const { slack, email } = alerting.standIns;
    const start = alerting.clock.now();
    alerting.publish(episode('search-timeouts', 'opened', start - MINUTE, start));
    await advance(5_000);
    await waitUntil('the Slack post', () => slack.messages().some((m) => m.text.includes('search-timeouts')));
    const emailsBefore = email.emails.length;
    await advance(6 * MINUTE);
    await waitUntil('the level 1 email', () => email.emails.length === emailsBefore + 1);
    const message = slack.messages().find((m) => m.text.includes('search-timeouts')) as SlackStoredMessage;
    const page = await (await fetch(alerting.ackUrl)).text();
    const token = page.match(/name="token" value="([^"]+)"/)?.[1] ?? '';

    // Act: the page's Acknowledge button, as a browser posts it.
    const response = await fetch(new URL('local/slack/press', alerting.ackUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token,
        action_id: SLACK_ACTION_IDS.ack,
        value: buttonValue(message, SLACK_ACTION_IDS.ack),
        channel: message.channel,
      }).toString(),
    });
    await advance(30 * MINUTE);

    // Assess: acknowledged (Slack signs with its own clock, which moved with ours), and no level 2 page.
    expect(response.status).toBe(303);
    expect(decodeURIComponent(response.headers.get('location') ?? '')).toMatch(/acknowledged/i);
    expect(alerting.standIns.pagerduty.alerts().filter((a) => a.source === 'search-timeouts')).toEqual([]);
  });
});
