import { describe, expect, it } from 'vitest';
import { ChannelPacer } from '../../../adapters/alerting/channel-pacer.ts';

/** A clock that only moves when the pacer sleeps or the test advances it. */
function manualClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('ChannelPacer', () => {
  it('spaces starts on one channel by the interval and leaves other channels alone', async () => {
    // Prepare
    const clock = manualClock();
    const pacer = new ChannelPacer({ intervalMs: 1_000, maxWaitMs: 3_000, ...clock });

    // Act
    const first = await pacer.acquire('C1');
    const second = await pacer.acquire('C1');
    const other = await pacer.acquire('C2');
    clock.advance(5_000);
    const rested = await pacer.acquire('C1');

    // Assess
    expect(first).toEqual({ kind: 'go', waitedMs: 0 });
    expect(second).toEqual({ kind: 'go', waitedMs: 1_000 });
    expect(other).toEqual({ kind: 'go', waitedMs: 0 });
    expect(rested).toEqual({ kind: 'go', waitedMs: 0 });
    expect(clock.sleeps).toEqual([1_000]);
  });

  it('tells a call to come back later instead of waiting longer than maxWaitMs, without taking a slot', async () => {
    // Prepare
    const clock = manualClock();
    const pacer = new ChannelPacer({
      intervalMs: 1_000,
      maxWaitMs: 1_500,
      now: clock.now,
      sleep: async () => {},
    });
    await pacer.acquire('C1');
    await pacer.acquire('C1');

    // Act
    const third = await pacer.acquire('C1');
    const fourth = await pacer.acquire('C1');

    // Assess
    expect(third).toEqual({ kind: 'later', delayMs: 2_000, cause: 'paced' });
    expect(fourth).toEqual({ kind: 'later', delayMs: 2_000, cause: 'paced' });
  });

  it('after a pause (a 429) starts nothing on that channel before it ends', async () => {
    // Prepare
    const clock = manualClock();
    const pacer = new ChannelPacer({ intervalMs: 1_000, ...clock });
    await pacer.acquire('C1');

    // Act
    pacer.pause('C1', 30_000);
    const during = await pacer.acquire('C1');
    clock.advance(30_000);
    const after = await pacer.acquire('C1');

    // Assess
    expect(during).toEqual({ kind: 'later', delayMs: 30_000, cause: 'paused' });
    expect(after).toEqual({ kind: 'go', waitedMs: 0 });
  });

  it('paces a channel name and the ID Slack answered for it as one channel', async () => {
    // Prepare
    const clock = manualClock();
    const pacer = new ChannelPacer({ intervalMs: 1_000, ...clock });
    pacer.alias('#alerts', 'C0ALERTS');

    // Act
    await pacer.acquire('#alerts');
    const byId = await pacer.acquire('C0ALERTS');

    // Assess
    expect(byId).toEqual({ kind: 'go', waitedMs: 1_000 });
  });

  it('gives concurrent callers distinct slots in the order they asked (real time)', async () => {
    // Prepare
    const pacer = new ChannelPacer({ intervalMs: 40, maxWaitMs: 1_000 });
    const starts: number[] = [];
    const t0 = Date.now();

    // Act
    await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const turn = await pacer.acquire('C1');
        if (turn.kind === 'go') starts[i] = Date.now();
      }),
    );

    // Assess
    expect(starts).toHaveLength(5);
    // Call i starts no earlier than its slot, i intervals after the first (timers may fire a millisecond early).
    starts.forEach((start, i) => {
      expect(start - t0).toBeGreaterThanOrEqual(i * 40 - 2);
    });
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });
});
