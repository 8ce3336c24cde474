import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PagerDutyEvent,
  PagerDutyTransport,
  truncateSummary,
} from '../../../adapters/alerting/pagerduty-transport.ts';
import { type PagerDutyStandIn, startPagerDutyStandIn } from '../../../local/stand-ins/pagerduty-stand-in.ts';

const routingKey = 'R0UT1NGKEY0000000000000000000001';

function trigger(dedupKey: string, summary = '[CRITICAL] anomaly opened on api/latency'): PagerDutyEvent {
  return {
    routingKey,
    action: 'trigger',
    dedupKey,
    payload: { summary, source: 'api/latency', severity: 'critical', timestamp: '2026-11-22T14:20:00Z' },
    links: [{ href: 'https://seismo.example.com/episodes/e1', text: 'Episode' }],
  };
}

describe('PagerDutyTransport', () => {
  let pagerduty: PagerDutyStandIn;
  let subject: PagerDutyTransport;

  beforeAll(async () => {
    pagerduty = await startPagerDutyStandIn({ routingKeys: [routingKey] });
    subject = new PagerDutyTransport({ baseUrl: pagerduty.url, retryPolicy: { random: () => 0 } });
  });
  afterAll(async () => {
    subject.close();
    await pagerduty.stop();
  });

  it('triggers, acknowledges and resolves one alert by dedup key; a repeated trigger is deduplicated', async () => {
    // Prepare
    const dedupKey = 'api/latency@1700000000000';

    // Act
    const triggered = await subject.send(trigger(dedupKey));
    const repeated = await subject.send(trigger(dedupKey));
    const acknowledged = await subject.send({ routingKey, action: 'acknowledge', dedupKey });
    const resolved = await subject.send({ routingKey, action: 'resolve', dedupKey });

    // Assess
    expect(triggered).toEqual({
      kind: 'delivered',
      receipt: { dedupKey, status: 202, summaryTruncated: false },
    });
    for (const outcome of [repeated, acknowledged, resolved]) expect(outcome.kind).toBe('delivered');
    expect(pagerduty.alert(dedupKey)).toMatchObject({
      status: 'resolved',
      severity: 'critical',
      source: 'api/latency',
      actions: ['trigger', 'trigger', 'acknowledge', 'resolve'],
    });
    const sent = pagerduty.events.find((e) => e.event?.dedup_key === dedupKey)?.event;
    expect(sent).toMatchObject({
      routing_key: routingKey,
      event_action: 'trigger',
      links: [{ text: 'Episode' }],
    });
  });

  it('truncates a summary over 1,024 characters and says so, and PagerDuty accepts it', async () => {
    // Prepare
    const long = `${'x'.repeat(1_022)}😀 and much more`;

    // Act
    const outcome = await subject.send(trigger('long-summary', long));

    // Assess
    expect(outcome).toMatchObject({ kind: 'delivered', receipt: { summaryTruncated: true } });
    const summary = pagerduty.alert('long-summary')?.summary ?? '';
    expect(summary.length).toBeLessThanOrEqual(1_024);
    expect(summary.endsWith('x…')).toBe(true);
    expect(truncateSummary('short')).toBe('short');
  });

  it("reports PagerDuty's 400 errors: a bad routing key for the receiver, a bad event for the message", async () => {
    // Prepare
    pagerduty.respondWith({
      status: 400,
      body: {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'payload.source' is missing"],
      },
    });

    // Act
    const badEvent = await subject.send(trigger('k2'));
    const badKey = await subject.send({ ...trigger('k1'), routingKey: 'nope' });

    // Assess
    expect(badKey).toMatchObject({
      kind: 'permanent',
      code: 'invalid-event',
      scope: 'receiver',
      status: 400,
    });
    expect(badKey.kind === 'permanent' && badKey.reason).toContain("'routing_key' is invalid");
    expect(badEvent).toMatchObject({ kind: 'permanent', code: 'invalid-event', scope: 'message' });
    expect(badEvent.kind === 'permanent' && badEvent.reason).toContain("'payload.source' is missing");
  });

  it('retries 429 (honouring Retry-After when given) and 5xx', async () => {
    // Prepare
    pagerduty.respondWith(
      { status: 429, headers: { 'retry-after': '20' } },
      { status: 429 },
      { status: 502 },
    );

    // Act
    const withAfter = await subject.send(trigger('k3'));
    const without = await subject.send(trigger('k3'), { attempt: 2 });
    const badGateway = await subject.send(trigger('k3'), { attempt: 3 });

    // Assess
    expect(withAfter).toMatchObject({ kind: 'retry-later', code: 'http-429', retryAfterMs: 20_000 });
    expect(without).toMatchObject({ kind: 'retry-later', code: 'http-429', delayMs: 1_000 });
    expect(badGateway).toMatchObject({ kind: 'retry-later', code: 'http-502', status: 502 });
    expect(pagerduty.alert('k3')).toBeUndefined();
  });

  it('refuses events PagerDuty would refuse before sending them', async () => {
    // Prepare
    const before = pagerduty.events.length;

    // Act
    const noPayload = await subject.send({ routingKey, action: 'trigger', dedupKey: 'k4' });
    const longKey = await subject.send(trigger('k'.repeat(256)));
    const noKey = await subject.send({ ...trigger('k5'), routingKey: ' ' });

    // Assess
    expect(noPayload).toMatchObject({ kind: 'permanent', code: 'invalid-event', scope: 'message' });
    expect(longKey).toMatchObject({ kind: 'permanent', code: 'invalid-event', scope: 'message' });
    expect(noKey).toMatchObject({ kind: 'permanent', code: 'invalid-routing-key', scope: 'receiver' });
    expect(pagerduty.events.length).toBe(before);
  });

  it('reports a refused connection as retry-later', async () => {
    // Prepare
    const gone = await startPagerDutyStandIn();
    await gone.stop();
    const unreachable = new PagerDutyTransport({ baseUrl: gone.url });

    // Act
    const outcome = await unreachable.send(trigger('k6'));

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry-later', code: 'ECONNREFUSED', maybeDelivered: false });
  });
});
