import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidAllowListError,
  WebhookTransport,
  type WebhookTransportOptions,
} from '../../../adapters/alerting/webhook-transport.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../local/stand-ins/webhook-receiver.ts';
import { scriptedLookup, secret } from './webhook-fixtures.ts';

const key = secret();
const message = { id: 'msg_ssrf', body: '{"type":"seismo.episode.opened"}' };

describe('WebhookTransport SSRF guard', () => {
  // A live receiver on 127.0.0.1: any request that slips through the guard lands here and fails the test.
  let internal: WebhookReceiver;
  let port: number;
  const transports: WebhookTransport[] = [];
  const guarded = (options: WebhookTransportOptions = {}) => {
    const transport = new WebhookTransport({ allowHttp: true, timeoutMs: 1_000, ...options });
    transports.push(transport);
    return transport;
  };

  beforeAll(async () => {
    internal = await startWebhookReceiver({ secrets: [key] });
    port = Number(new URL(internal.url).port);
  });
  afterEach(() => {
    for (const transport of transports.splice(0)) transport.close();
  });
  afterAll(() => internal.stop());

  it.each([
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['metadata as IPv4-mapped IPv6', 'http://[::ffff:169.254.169.254]/'],
    ['loopback as IPv4-mapped IPv6', () => `http://[::ffff:7f00:1]:${port}/`],
    ['loopback', () => `http://127.0.0.1:${port}/`],
    ['localhost', () => `http://localhost:${port}/`],
    ['IPv6 loopback', () => `http://[::1]:${port}/`],
    ['unspecified IPv4 (reaches loopback on Linux)', () => `http://0.0.0.0:${port}/`],
    ['unspecified IPv6', () => `http://[::]:${port}/`],
    ['RFC 1918 10/8', 'http://10.0.0.1/'],
    ['RFC 1918 172.16/12', 'http://172.16.5.4/'],
    ['RFC 1918 192.168/16', 'http://192.168.1.1/'],
    ['CGNAT 100.64/10', 'http://100.64.0.1/'],
    ['IPv6 unique local', 'http://[fd00::1]/'],
    ['IPv6 link-local', 'http://[fe80::1]/'],
    ['decimal-encoded loopback', () => `http://2130706433:${port}/`],
  ])('refuses %s', async (_, target) => {
    // Prepare
    const url = typeof target === 'function' ? target() : target;
    const subject = guarded();

    // Act
    const outcome = await subject.send({ url, secrets: [key] }, message);

    // Assess
    expect(outcome).toMatchObject({ kind: 'permanent', code: 'address-refused', scope: 'receiver' });
    expect(internal.deliveries).toHaveLength(0);
  });

  it('refuses a public-looking name that resolves to 127.0.0.1', async () => {
    // Prepare
    const dns = scriptedLookup('127.0.0.1');
    const subject = guarded({ lookup: dns.lookup });

    // Act
    const outcome = await subject.send(
      { url: `http://hooks.customer.example:${port}/`, secrets: [key] },
      message,
    );

    // Assess
    expect(outcome).toMatchObject({ kind: 'permanent', code: 'address-refused' });
    expect(outcome.kind === 'permanent' && outcome.reason).toContain('hooks.customer.example');
    expect(dns.questions).toEqual(['hooks.customer.example']);
    expect(internal.deliveries).toHaveLength(0);
  });

  it('checks every connection: a name that rebinds from a public address to loopback is refused', async () => {
    // Prepare: first answer public (what a validate-then-fetch check would have seen), then loopback.
    const dns = scriptedLookup('93.184.215.14', '127.0.0.1');
    const subject = guarded({ lookup: dns.lookup, timeoutMs: 500 });
    const endpoint = { url: `http://rebind.customer.example:${port}/`, secrets: [key] };

    // Act
    const first = await subject.send(endpoint, message, { attempt: 1 });
    const second = await subject.send(endpoint, message, { attempt: 2 });

    // Assess
    // Offline, the public address cannot be reached: a transient failure, retried.
    expect(first.kind).toBe('retry-later');
    expect(second).toMatchObject({ kind: 'permanent', code: 'address-refused' });
    expect(dns.questions).toHaveLength(2);
    expect(internal.deliveries).toHaveLength(0);
  });

  it('lets through only the addresses of an explicit allow-list, matched on the connected address', async () => {
    // Prepare
    const subject = guarded({
      allowPrivateAddresses: ['127.0.0.1'],
      lookup: scriptedLookup('127.0.0.1').lookup,
    });

    // Act
    const listed = await subject.send({ url: `http://127.0.0.1:${port}/`, secrets: [key] }, message);
    const byName = await subject.send(
      { url: `http://receiver.local.test:${port}/`, secrets: [key] },
      message,
    );
    const mapped = await subject.send({ url: `http://[::ffff:7f00:1]:${port}/`, secrets: [key] }, message);
    const metadata = await subject.send({ url: 'http://169.254.169.254/', secrets: [key] }, message);

    // Assess
    expect(listed.kind).toBe('delivered');
    expect(byName.kind).toBe('delivered');
    expect(mapped).toMatchObject({ kind: 'permanent', code: 'address-refused' });
    expect(metadata).toMatchObject({ kind: 'permanent', code: 'address-refused' });
    expect(internal.deliveries).toHaveLength(2);
    expect(internal.deliveries.every((d) => d.verified)).toBe(true);
  });

  it('refuses an allow-list entry that is neither an IP nor a CIDR, rather than ignore it', () => {
    // Prepare, Act, Assess
    expect(() => new WebhookTransport({ allowPrivateAddresses: ['localhost', '10.0.0.0/8'] })).toThrow(
      InvalidAllowListError,
    );
    expect(() => new WebhookTransport({ allowPrivateAddresses: ['10.0.0.0/33'] })).toThrow('10.0.0.0/33');
    expect(() => new WebhookTransport({ allowPrivateAddresses: ['::1', 'fd00::/8'] }).close()).not.toThrow();
  });
});
