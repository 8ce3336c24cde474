import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../../local/stand-ins/webhook-receiver.ts';

const secret = `whsec_${randomBytes(24).toString('base64')}`;

function signed(body: string, key = secret, id = 'msg_1', at = new Date()) {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(key).sign(id, at, body),
  };
}

describe('webhook receiver', () => {
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secrets: [secret] });
  });
  afterAll(() => receiver.stop());

  it('records a verified delivery with its parsed payload and answers 204', async () => {
    // Prepare
    const body = '{"type":"seismo.episode.resolved"}';

    // Act
    const response = await fetch(`${receiver.url}in`, { method: 'POST', body, headers: signed(body) });

    // Assess
    expect(response.status).toBe(204);
    expect(receiver.deliveries.at(-1)).toMatchObject({
      path: '/in',
      webhookId: 'msg_1',
      verified: true,
      payload: { type: 'seismo.episode.resolved' },
      status: 204,
    });
  });

  it('answers 401 to a wrong secret, a stale timestamp or a re-serialized body, and says why', async () => {
    // Prepare
    const body = '{"type": "seismo.episode.opened"}';
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    const stale = new Date(Date.now() - 6 * 60_000);

    // Act
    const wrongSecret = await fetch(receiver.url, { method: 'POST', body, headers: signed(body, other) });
    const tooOld = await fetch(receiver.url, {
      method: 'POST',
      body,
      headers: signed(body, secret, 'm', stale),
    });
    const reserialized = await fetch(receiver.url, {
      method: 'POST',
      body: JSON.stringify(JSON.parse(body)),
      headers: signed(body),
    });

    // Assess
    expect([wrongSecret.status, tooOld.status, reserialized.status]).toEqual([401, 401, 401]);
    const errors = receiver.deliveries.slice(-3).map((d) => d.verifyError);
    expect(errors[0]).toContain('No matching signature');
    expect(errors[1]).toContain('too old');
    expect(errors[2]).toContain('No matching signature');
  });

  it('answers scripted statuses in order, then 204 again', async () => {
    // Prepare
    const body = '{}';
    receiver.respondWith({ status: 500 }, { status: 410, body: 'gone' });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await fetch(receiver.url, { method: 'POST', body, headers: signed(body) })).status);
    }

    // Assess
    expect(statuses).toEqual([500, 410, 204]);
  });
});
