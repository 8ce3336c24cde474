import { describe, expect, it } from 'vitest';
import { parseAlertingConfig } from '../../../core/alerting/config.ts';
import { createSilence, isSilenced } from '../../../core/alerting/silences.ts';
import { inTimeInterval, routeMuteReason } from '../../../core/alerting/time-intervals.ts';

const HOUR = 3_600_000;

function interval(timeZone: string, window: Record<string, unknown>) {
  const config = parseAlertingConfig({
    version: 1,
    receivers: [{ name: 'slack', type: 'slack', channel: '#a' }],
    route: { receivers: ['slack'] },
    timeIntervals: [{ name: 'w', timeZone, times: [window] }],
  });
  const found = config.timeIntervals.get('w');
  if (!found) throw new Error('no interval');
  return found;
}

/** A Sunday 01:00-04:00 local maintenance window. */
const sundayNight = { weekdays: ['sunday'], timesOfDay: [{ start: '01:00', end: '04:00' }] };

describe('inTimeInterval across daylight-saving changes', () => {
  it('Europe/Berlin, spring forward (2026-03-29 02:00 CET -> 03:00 CEST): the window is two real hours', () => {
    const w = interval('Europe/Berlin', sundayNight);
    const start = Date.UTC(2026, 2, 29, 0, 0); // 01:00 CET
    expect(inTimeInterval(w, start - 1)).toBe(false);
    expect(inTimeInterval(w, start)).toBe(true);
    expect(inTimeInterval(w, Date.UTC(2026, 2, 29, 1, 30))).toBe(true); // 03:30 CEST
    expect(inTimeInterval(w, Date.UTC(2026, 2, 29, 2, 0))).toBe(false); // 04:00 CEST
    // A fixed +01:00 offset would still be inside at 02:00 UTC (03:00 "CET") and be wrong.
  });

  it('Europe/Berlin, fall back (2026-10-25 03:00 CEST -> 02:00 CET): the window is four real hours', () => {
    const w = interval('Europe/Berlin', sundayNight);
    expect(inTimeInterval(w, Date.UTC(2026, 9, 24, 23, 0))).toBe(true); // 01:00 CEST
    expect(inTimeInterval(w, Date.UTC(2026, 9, 25, 2, 59))).toBe(true); // 03:59 CET
    expect(inTimeInterval(w, Date.UTC(2026, 9, 25, 3, 0))).toBe(false); // 04:00 CET
  });

  it('America/New_York, spring forward (2026-03-08 02:00 EST -> 03:00 EDT) and fall back (2026-11-01)', () => {
    const w = interval('America/New_York', sundayNight);
    expect(inTimeInterval(w, Date.UTC(2026, 2, 8, 6, 0))).toBe(true); // 01:00 EST
    expect(inTimeInterval(w, Date.UTC(2026, 2, 8, 7, 59))).toBe(true); // 03:59 EDT
    expect(inTimeInterval(w, Date.UTC(2026, 2, 8, 8, 0))).toBe(false); // 04:00 EDT
    expect(inTimeInterval(w, Date.UTC(2026, 10, 1, 5, 0))).toBe(true); // 01:00 EDT
    expect(inTimeInterval(w, Date.UTC(2026, 10, 1, 8, 59))).toBe(true); // 03:59 EST
    expect(inTimeInterval(w, Date.UTC(2026, 10, 1, 9, 0))).toBe(false); // 04:00 EST
  });

  it('reads days of the month from the end, months and years', () => {
    const w = interval('UTC', { daysOfMonth: ['-1'], months: ['february'], years: ['2028'] });
    expect(inTimeInterval(w, Date.UTC(2028, 1, 29, 12))).toBe(true); // leap day is the last day
    expect(inTimeInterval(w, Date.UTC(2028, 1, 28, 12))).toBe(false);
    expect(inTimeInterval(w, Date.UTC(2027, 1, 28, 12))).toBe(false);
  });
});

describe('routeMuteReason', () => {
  it('mutes inside a mute interval and outside every active interval', () => {
    const intervals = new Map([['w', interval('Europe/Berlin', sundayNight)]]);
    const at = Date.UTC(2026, 2, 29, 1, 30);
    expect(routeMuteReason({ muteTimeIntervals: ['w'], activeTimeIntervals: [] }, intervals, at)).toBe(
      'mute time interval "w"',
    );
    expect(routeMuteReason({ muteTimeIntervals: [], activeTimeIntervals: ['w'] }, intervals, at)).toBeNull();
    expect(
      routeMuteReason({ muteTimeIntervals: [], activeTimeIntervals: ['w'] }, intervals, at + 2 * HOUR),
    ).toMatch(/^outside active time intervals/);
  });
});

describe('recurring silences', () => {
  it('hold a weekly Berlin maintenance window on the local clock across the spring change', () => {
    const silence = createSilence(
      {
        matchers: [{ name: 'series', op: '=~', value: 'db/.*' }],
        startsAt: Date.UTC(2026, 2, 1),
        endsAt: Date.UTC(2026, 3, 30),
        author: 'ops',
        comment: 'weekly database maintenance',
        recurrence: interval('Europe/Berlin', sundayNight),
      },
      Date.UTC(2026, 2, 1),
    );
    const labels = { series: 'db/primary' };
    // Before the change, 01:00-04:00 CET is 00:00-03:00 UTC; after it, 01:00-04:00 CEST is 23:00-02:00 UTC.
    expect(isSilenced([silence], labels, Date.UTC(2026, 2, 22, 2, 30))).toBe(true);
    expect(isSilenced([silence], labels, Date.UTC(2026, 3, 5, 2, 30))).toBe(false);
    expect(isSilenced([silence], labels, Date.UTC(2026, 3, 4, 23, 30))).toBe(true);
    expect(isSilenced([silence], { series: 'web/1' }, Date.UTC(2026, 3, 4, 23, 30))).toBe(false);
    // Outside its overall span it holds nothing.
    expect(isSilenced([silence], labels, Date.UTC(2026, 4, 3, 0, 30))).toBe(false);
  });
});
