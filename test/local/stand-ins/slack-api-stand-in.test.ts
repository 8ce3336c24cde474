import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SlackApiCall,
  type SlackApiStandIn,
  startSlackApiStandIn,
} from '../../../local/stand-ins/slack-api-stand-in.ts';

describe('Slack API stand-in', () => {
  let slack: SlackApiStandIn;
  const call = async (method: string, body: string, headers: Record<string, string>) => {
    const response = await fetch(`${slack.url}${method}`, { method: 'POST', body, headers });
    return {
      status: response.status,
      headers: response.headers,
      json: (await response.json()) as Record<string, unknown>,
    };
  };
  const json = (method: string, args: object, token = slack.token) =>
    call(method, JSON.stringify(args), {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
    });

  beforeAll(async () => {
    slack = await startSlackApiStandIn({ channels: { alerts: 'C0ALERTS01' } });
  });
  afterAll(() => slack.stop());

  it('takes form bodies with JSON-valued fields, as @slack/web-api sends them, and a token field', async () => {
    // Prepare
    const form = new URLSearchParams({
      token: slack.token,
      channel: '#alerts',
      text: 'hello',
      blocks: JSON.stringify([{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }]),
    });

    // Act
    const answer = await call('chat.postMessage', form.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });

    // Assess
    expect(answer.json).toMatchObject({ ok: true, channel: 'C0ALERTS01', message: { text: 'hello' } });
    const ts = String(answer.json.ts);
    expect(slack.message('C0ALERTS01', ts)?.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'hi' } },
    ]);
  });

  it('answers not_authed and invalid_auth like Slack: HTTP 200 with ok false', async () => {
    // Prepare, Act
    const missing = await call('chat.postMessage', JSON.stringify({ channel: 'C0ALERTS01', text: 'x' }), {
      'content-type': 'application/json',
    });
    const wrong = await json('chat.postMessage', { channel: 'C0ALERTS01', text: 'x' }, 'xoxb-wrong');

    // Assess
    expect(missing).toMatchObject({ status: 200, json: { ok: false, error: 'not_authed' } });
    expect(wrong).toMatchObject({ status: 200, json: { ok: false, error: 'invalid_auth' } });
  });

  it('gives increasing ts values and stable generated IDs for new channel names', async () => {
    // Prepare, Act
    const a = await json('chat.postMessage', { channel: '#ops', text: 'a' });
    const b = await json('chat.postMessage', { channel: 'ops', text: 'b' });

    // Assess
    expect(a.json.channel).toMatch(/^C[0-9A-F]{10}$/);
    expect(b.json.channel).toBe(a.json.channel);
    expect(Number(b.json.ts)).toBeGreaterThan(Number(a.json.ts));
    expect(slack.channelId('#ops')).toBe(a.json.channel);
  });

  it('enforces Block Kit limits with Slack’s error and pointers', async () => {
    // Prepare
    const section = { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3_001) } };

    // Act
    const tooMany = await json('chat.postMessage', {
      channel: 'C0ALERTS01',
      blocks: Array(51).fill({ type: 'divider' }),
    });
    const tooLong = await json('chat.postMessage', { channel: 'C0ALERTS01', text: 'x', blocks: [section] });
    const empty = await json('chat.postMessage', { channel: 'C0ALERTS01' });
    const fifty = await json('chat.postMessage', {
      channel: 'C0ALERTS01',
      text: 'x',
      blocks: Array(50).fill({ type: 'divider' }),
    });

    // Assess
    expect(tooMany.json).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
      response_metadata: { messages: ['[ERROR] must be less than 51 items [json-pointer:/blocks]'] },
    });
    expect(tooLong.json).toMatchObject({
      error: 'invalid_blocks',
      response_metadata: {
        messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
      },
    });
    expect(empty.json).toMatchObject({ ok: false, error: 'no_text' });
    expect(fifty.json.ok).toBe(true);
  });

  it('keeps the latest state and the history of an updated message, and refuses unknown ones', async () => {
    // Prepare
    const posted = await json('chat.postMessage', { channel: 'C0ALERTS01', text: 'opened' });
    const ts = String(posted.json.ts);

    // Act
    await json('chat.update', { channel: 'C0ALERTS01', ts, text: 'acknowledged' });
    await json('chat.update', { channel: 'C0ALERTS01', ts, text: 'resolved' });
    const unknown = await json('chat.update', { channel: 'C0ALERTS01', ts: '1.000001', text: 'x' });

    // Assess
    const message = slack.message('C0ALERTS01', ts);
    expect(message?.text).toBe('resolved');
    expect(message?.history.map((h) => h.text)).toEqual(['opened', 'acknowledged']);
    expect(unknown.json).toMatchObject({ ok: false, error: 'message_not_found' });
  });

  it('rate-limits the next N matching calls with Retry-After, then answers normally', async () => {
    // Prepare
    slack.failNext({ kind: 'ratelimited', retryAfterSeconds: 7 }, 2, { method: 'chat.postMessage' });

    // Act
    const update = await json('chat.update', { channel: 'C0ALERTS01', ts: '1.000001', text: 'x' });
    const first = await json('chat.postMessage', { channel: 'C0ALERTS01', text: 'x' });
    const second = await json('chat.postMessage', { channel: 'C0ALERTS01', text: 'x' });
    const third = await json('chat.postMessage', { channel: 'C0ALERTS01', text: 'x' });

    // Assess
    expect(update.status).toBe(200);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(first.json).toEqual({ ok: false, error: 'ratelimited' });
    expect(second.status).toBe(429);
    expect(third.json.ok).toBe(true);
  });

  it('tells listeners of each call, answers auth.test, and 404s unknown methods', async () => {
    // Prepare
    const heard: SlackApiCall[] = [];
    const unsubscribe = slack.onCall((c) => heard.push(c));

    // Act
    const auth = await json('auth.test', {});
    const unknown = await json('chat.delete', { channel: 'C0ALERTS01', ts: '1.1' });
    unsubscribe();
    await json('auth.test', {});

    // Assess
    expect(auth.json).toMatchObject({ ok: true, bot_id: 'B0LOCALBOT' });
    expect(unknown).toMatchObject({ status: 404, json: { ok: false, error: 'unknown_method' } });
    expect(heard.map((c) => c.method)).toEqual(['auth.test']);
  });
});
