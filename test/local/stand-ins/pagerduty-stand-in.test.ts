import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PagerDutyStandIn, startPagerDutyStandIn } from '../../../local/stand-ins/pagerduty-stand-in.ts';

const routingKey = 'R0UT1NGKEY0000000000000000000001';

describe('PagerDuty stand-in', () => {
  let pagerduty: PagerDutyStandIn;
  const enqueue = async (event: unknown) => {
    const response = await fetch(`${pagerduty.url}/v2/enqueue`, {
      method: 'POST',
      body: typeof event === 'string' ? event : JSON.stringify(event),
      headers: { 'content-type': 'application/json' },
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    pagerduty = await startPagerDutyStandIn();
  });
  afterAll(() => pagerduty.stop());

  it('answers 202 with the dedup key, generating one for a trigger without', async () => {
    // Prepare
    const payload = { summary: 's', source: 'demo', severity: 'warning' };

    // Act
    const keyed = await enqueue({
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: 'e1',
      payload,
    });
    const unkeyed = await enqueue({ routing_key: routingKey, event_action: 'trigger', payload });

    // Assess
    expect(keyed).toEqual({
      status: 202,
      json: { status: 'success', message: 'Event processed', dedup_key: 'e1' },
    });
    expect(unkeyed.status).toBe(202);
    expect(String(unkeyed.json.dedup_key)).toMatch(/^local-/);
    expect(pagerduty.alert('e1')?.status).toBe('triggered');
  });

  it('validates events as PagerDuty does and names each problem', async () => {
    // Prepare, Act
    const bad = await enqueue({
      routing_key: 'short',
      event_action: 'trigger',
      payload: { summary: 'x'.repeat(1_025), severity: 'CRITICAL' },
    });
    const resolveWithoutKey = await enqueue({ routing_key: routingKey, event_action: 'resolve' });
    const notJson = await enqueue('{');

    // Assess
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([
      "'routing_key' is invalid",
      "'payload.summary' must be at most 1024 characters",
      "'payload.source' is missing or blank",
      "'payload.severity' must be one of critical, error, warning, info",
    ]);
    expect(resolveWithoutKey.json.errors).toEqual(["'dedup_key' is required for acknowledge and resolve"]);
    expect(notJson.status).toBe(400);
  });

  it('answers scripted statuses without acting on the events', async () => {
    // Prepare
    pagerduty.respondWith({ status: 429 }, { status: 500 });
    const event = {
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: 'scripted',
      payload: { summary: 's', source: 'demo', severity: 'info' },
    };

    // Act
    const statuses = [
      (await enqueue(event)).status,
      (await enqueue(event)).status,
      (await enqueue(event)).status,
    ];

    // Assess
    expect(statuses).toEqual([429, 500, 202]);
    expect(pagerduty.alert('scripted')?.actions).toEqual(['trigger']);
  });
});
