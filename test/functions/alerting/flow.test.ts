import { describe, expect, it } from 'vitest';
import { MINUTE, smallConfig, T0, transition } from '../../core/alerting/fixtures.ts';
import { AlertingHarness } from '../../support/alerting-harness.ts';

describe('the integrated router, escalator and senders', () => {
  it('tell the route receivers once after group wait, then resolve the same message', async () => {
    // Prepare
    const h = new AlertingHarness({ config: smallConfig(), start: T0 });

    // Act
    h.publish(transition());
    await h.settle();
    const beforeWait = h.accepted().length;
    await h.advanceTo(T0 + MINUTE);
    h.publish(transition({ kind: 'resolved', lastSeenAt: T0 + 2 * MINUTE }));
    await h.advanceTo(T0 + 10 * MINUTE);

    // Assess
    expect(beforeWait).toBe(0);
    expect(h.accepted().map((d) => [d.channel, d.receiver, d.kind, d.revision])).toEqual([
      ['slack', 'slack', 'opened', 1],
      ['slack', 'slack', 'resolved', 2],
    ]);
    expect(h.scheduler.timers.size).toBe(0);
  });
});

describe('acknowledging through the integrated path', () => {
  const escalating = () =>
    smallConfig(
      { escalation: 'p' },
      { escalationPolicies: [{ name: 'p', levels: [{ after: '5m', receivers: ['pager'] }] }] },
    );

  async function announced(h: AlertingHarness): Promise<{ stateKey: string; incidentId: string }> {
    h.publish(transition({ severity: 'critical' }));
    await h.advanceTo(T0 + MINUTE);
    const item = [...h.incidents.items.values()][0];
    const incidentId = item?.state.incidents[0]?.id;
    if (!item || !incidentId) throw new Error('no incident was opened');
    return { stateKey: item.state.key, incidentId };
  }

  it('lets an escalation timer that fires after the ack do nothing', async () => {
    // Prepare: the level 1 timer is taken out before the ack, as Scheduler may already be invoking it.
    const h = new AlertingHarness({ config: escalating(), start: T0 });
    const { stateKey, incidentId } = await announced(h);
    const late = [...h.scheduler.timers.values()].filter((t) => t.type === 'escalate');
    expect(late).toHaveLength(1);

    // Act
    const result = await h.act({ action: 'ack', stateKey, incidentId, actor: { by: 'ana', via: 'test' } });
    await h.settle();
    h.now = T0 + 10 * MINUTE;
    for (const timer of late) await h.fire(timer);
    await h.advanceTo(T0 + 30 * MINUTE);

    // Assess: acknowledged once, nobody paged.
    expect(result.outcome).toBe('acknowledged');
    expect(h.accepted().map((d) => [d.receiver, d.kind])).toEqual([
      ['slack', 'opened'],
      ['slack', 'acknowledged'],
    ]);
  });

  it('settles an ack racing the resolve on resolved, whichever lands first', async () => {
    // Prepare
    const h = new AlertingHarness({ config: escalating(), start: T0 });
    const { stateKey, incidentId } = await announced(h);

    // Act: the resolve is routed while the ack is written (both retry on the version conflict).
    h.publish(transition({ kind: 'resolved', severity: 'critical', lastSeenAt: T0 + MINUTE }));
    const [result] = await Promise.all([
      h.act({ action: 'ack', stateKey, incidentId, actor: { by: 'ana', via: 'test' } }),
      h.settle(),
    ]);
    await h.advanceTo(T0 + 30 * MINUTE);

    // Assess: Slack's last word is the resolve, no page, no timer left.
    expect(['acknowledged', 'resolved']).toContain(result.outcome);
    const slack = h.accepted().filter((d) => d.receiver === 'slack');
    expect(slack.at(-1)?.kind).toBe('resolved');
    expect(h.accepted().filter((d) => d.receiver === 'pager')).toEqual([]);
    expect(h.scheduler.timers.size).toBe(0);
  });
});
