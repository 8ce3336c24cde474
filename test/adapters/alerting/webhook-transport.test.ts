import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../../adapters/alerting/delivery.ts';
import { type WebhookMessage, WebhookTransport } from '../../../adapters/alerting/webhook-transport.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../local/stand-ins/webhook-receiver.ts';
import { secret } from './webhook-fixtures.ts';

const fixedJitter: Partial<RetryPolicy> = { random: () => 0 };
const current = secret();
const previous = secret();

function message(id = 'msg_2Lq1'): WebhookMessage {
  const body = { type: 'seismo.episode.opened', timestamp: '2026-11-22T14:20:00Z', data: { series: 'demo' } };
  return { id, body: JSON.stringify(body) };
}

describe('WebhookTransport', () => {
  let receiver: WebhookReceiver;
  const transports: WebhookTransport[] = [];
  /** A transport for the local receiver: http and 127.0.0.1 allowed, as only local use may. */
  const local = (timeoutMs = 2_000) => {
    const transport = new WebhookTransport({
      allowHttp: true,
      allowPrivateAddresses: ['127.0.0.1'],
      timeoutMs,
      retryPolicy: fixedJitter,
    });
    transports.push(transport);
    return transport;
  };
  const endpoint = (path = 'hook', secrets = [current]) => ({ url: `${receiver.url}${path}`, secrets });

  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secrets: [current] });
  });
  afterEach(() => {
    for (const transport of transports.splice(0)) transport.close();
  });
  afterAll(() => receiver.stop());

  it('delivers a body that the standardwebhooks library verifies, with the three headers', async () => {
    // Prepare
    const subject = local();

    // Act
    const outcome = await subject.send(endpoint('ok'), message('msg_ok'));

    // Assess
    expect(outcome).toEqual({ kind: 'delivered', receipt: { webhookId: 'msg_ok', status: 204 } });
    const delivery = receiver.deliveries.at(-1);
    expect(delivery).toMatchObject({ path: '/ok', webhookId: 'msg_ok', verified: true, verifiedWith: 0 });
    expect(delivery?.body).toBe(message().body);
    expect(delivery?.webhookTimestamp).toMatch(/^\d{10}$/);
    expect(delivery?.payload).toEqual(JSON.parse(message().body));
  });

  it('signs with both secrets during a rotation, so receivers holding either one verify', async () => {
    // Prepare
    const holdsOld = await startWebhookReceiver({ secrets: [previous] });
    const holdsNew = await startWebhookReceiver({ secrets: [current] });
    const subject = local();
    const rotating = [current, previous];

    // Act
    const toOld = await subject.send({ url: `${holdsOld.url}r`, secrets: rotating }, message('msg_rot'));
    const toNew = await subject.send({ url: `${holdsNew.url}r`, secrets: rotating }, message('msg_rot'));
    await holdsOld.stop();
    await holdsNew.stop();

    // Assess
    expect(toOld.kind).toBe('delivered');
    expect(toNew.kind).toBe('delivered');
    const signature = holdsOld.deliveries[0]?.webhookSignature ?? '';
    expect(signature.split(' ')).toHaveLength(2);
    expect(signature.split(' ').every((part) => part.startsWith('v1,'))).toBe(true);
    expect(holdsOld.deliveries[0]?.verified).toBe(true);
    expect(holdsNew.deliveries[0]?.verified).toBe(true);
    // And directly with the library, each secret alone:
    const delivery = holdsOld.deliveries[0];
    const headers = {
      'webhook-id': delivery?.webhookId ?? '',
      'webhook-timestamp': delivery?.webhookTimestamp ?? '',
      'webhook-signature': signature,
    };
    expect(new Webhook(previous).verify(delivery?.body ?? '', headers)).toEqual(JSON.parse(message().body));
    expect(new Webhook(current).verify(delivery?.body ?? '', headers)).toEqual(JSON.parse(message().body));
    expect(() => new Webhook(secret()).verify(delivery?.body ?? '', headers)).toThrow(
      'No matching signature',
    );
  });

  it('retries a 500 and then delivers, with the same webhook-id on both attempts', async () => {
    // Prepare
    const subject = local();
    receiver.respondWith({ status: 500, body: 'database down' });
    const before = receiver.deliveries.length;

    // Act
    const first = await subject.send(endpoint('flaky'), message('msg_flaky'), { attempt: 1 });
    const second = await subject.send(endpoint('flaky'), message('msg_flaky'), { attempt: 2 });

    // Assess
    expect(first).toMatchObject({
      kind: 'retry-later',
      code: 'http-500',
      status: 500,
      maybeDelivered: false,
    });
    expect(first.kind === 'retry-later' && first.reason).toContain('database down');
    expect(second).toMatchObject({ kind: 'delivered' });
    const ids = receiver.deliveries.slice(before).map((d) => d.webhookId);
    expect(ids).toEqual(['msg_flaky', 'msg_flaky']);
  });

  it('gives up on a receiver that does not answer in time, as maybe delivered', async () => {
    // Prepare
    const subject = local(300);
    receiver.respondWith({ status: 200, delayMs: 1_500 });

    // Act
    const started = Date.now();
    const outcome = await subject.send(endpoint('slow'), message());
    const elapsed = Date.now() - started;

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry-later', code: 'timeout', maybeDelivered: true });
    expect(elapsed).toBeLessThan(1_000);
  });

  it('honours Retry-After on 429 and 503, as seconds or as a date', async () => {
    // Prepare
    const subject = local();
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    receiver.respondWith(
      { status: 429, headers: { 'retry-after': '90' } },
      { status: 503, headers: { 'retry-after': inTwoMinutes } },
      { status: 408 },
    );

    // Act
    const limited = await subject.send(endpoint(), message());
    const unavailable = await subject.send(endpoint(), message());
    const requestTimeout = await subject.send(endpoint(), message(), { attempt: 3 });

    // Assess
    expect(limited).toMatchObject({
      kind: 'retry-later',
      code: 'http-429',
      retryAfterMs: 90_000,
      delayMs: 90_000,
    });
    expect(unavailable.kind === 'retry-later' && unavailable.delayMs).toBeGreaterThan(110_000);
    expect(requestTimeout).toMatchObject({ kind: 'retry-later', code: 'http-408' });
  });

  it('does not retry other 4xx, and disables the endpoint on 410', async () => {
    // Prepare
    const subject = local();
    receiver.respondWith({ status: 404 }, { status: 400, body: '{"error":"unknown type"}' }, { status: 410 });

    // Act
    const notFound = await subject.send(endpoint(), message());
    const badRequest = await subject.send(endpoint(), message());
    const gone = await subject.send(endpoint(), message());

    // Assess
    expect(notFound).toMatchObject({ kind: 'permanent', code: 'http-404', scope: 'receiver', status: 404 });
    expect(badRequest).toMatchObject({ kind: 'permanent', code: 'http-400', scope: 'message' });
    expect(badRequest.kind === 'permanent' && badRequest.reason).toContain('unknown type');
    expect(gone).toMatchObject({ kind: 'endpoint-disabled', code: 'http-410', status: 410 });
    expect(gone.kind === 'endpoint-disabled' && gone.reason).toContain('disabled');
  });

  it('does not follow a redirect to an internal host, and names the Location', async () => {
    // Prepare
    const internal = await startWebhookReceiver();
    const subject = local();
    receiver.respondWith({ status: 302, headers: { location: `${internal.url}latest/meta-data/` } });

    // Act
    const outcome = await subject.send(endpoint(), message());
    await internal.stop();

    // Assess
    expect(outcome).toMatchObject({ kind: 'permanent', code: 'http-302', scope: 'receiver' });
    expect(outcome.kind === 'permanent' && outcome.reason).toContain(`${internal.url}latest/meta-data/`);
    expect(internal.deliveries).toHaveLength(0);
  });

  it('refuses plain http, credentials in the URL and secrets that are not Standard Webhooks secrets', async () => {
    // Prepare
    const strict = new WebhookTransport();
    transports.push(strict);
    const subject = local();

    // Act
    const plain = await strict.send({ url: 'http://hooks.example.com/x', secrets: [current] }, message());
    const withUser = await subject.send(
      { url: 'https://u:p@hooks.example.com/x', secrets: [current] },
      message(),
    );
    const badSecret = await subject.send(endpoint('x', ['']), message());
    const none = await subject.send(endpoint('x', []), message());

    // Assess
    expect(plain).toMatchObject({ kind: 'permanent', code: 'invalid-url', scope: 'receiver' });
    expect(withUser).toMatchObject({ kind: 'permanent', code: 'invalid-url' });
    expect(badSecret).toMatchObject({ kind: 'permanent', code: 'invalid-secret', scope: 'receiver' });
    expect(none).toMatchObject({ kind: 'permanent', code: 'invalid-secret' });
  });
});
