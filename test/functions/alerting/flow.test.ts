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
