import { DateTime } from 'luxon';
import type { TimeInterval, TimeWindow } from './config-schema.ts';
import type { IntRange } from './time-interval-parts.ts';

/**
 * Whether an instant falls in a recurring window, judged on the wall clock of the window's IANA time zone
 * (luxon, which reads the zone rules of the runtime's ICU data). "Sunday 01:00 to 04:00 in Europe/Berlin" is
 * three hours on most Sundays, two on the Sunday clocks spring forward and four when they fall back, as a
 * person in Berlin reading their own clock expects. Fixed UTC offsets would be an hour off half the year.
 */

/** A set of recurring windows in one zone: a named time interval, or a recurring silence's schedule. */
export interface Recurrence {
  readonly timeZone: string;
  readonly times: readonly TimeWindow[];
}

function inRanges(value: number, ranges: readonly IntRange[] | undefined): boolean {
  return (
    ranges === undefined || ranges.length === 0 || ranges.some((r) => value >= r.start && value <= r.end)
  );
}

function inDayRanges(day: number, daysInMonth: number, ranges: readonly IntRange[] | undefined): boolean {
  if (ranges === undefined || ranges.length === 0) return true;
  const resolve = (d: number) => (d < 0 ? daysInMonth + 1 + d : d);
  return ranges.some((r) => day >= resolve(r.start) && day <= resolve(r.end));
}

/** Whether the wall-clock time `local` (in the window's zone) is inside one window. */
function inWindow(window: TimeWindow, local: DateTime): boolean {
  const minutes = local.hour * 60 + local.minute;
  return (
    inRanges(local.weekday, window.weekdays) &&
    inDayRanges(local.day, local.daysInMonth ?? 31, window.daysOfMonth) &&
    inRanges(local.month, window.months) &&
    inRanges(local.year, window.years) &&
    (window.timesOfDay === undefined ||
      window.timesOfDay.length === 0 ||
      window.timesOfDay.some((t) => minutes >= t.start && minutes < t.end))
  );
}

/** Whether epoch ms `at` is inside any window of the recurrence. */
export function inRecurrence(recurrence: Recurrence, at: number): boolean {
  const local = DateTime.fromMillis(at, { zone: recurrence.timeZone });
  if (!local.isValid) throw new RangeError(`cannot read ${at} in time zone ${recurrence.timeZone}`);
  return recurrence.times.some((w) => inWindow(w, local));
}

/** Whether epoch ms `at` is inside the named time interval. */
export function inTimeInterval(interval: TimeInterval, at: number): boolean {
  return inRecurrence(interval, at);
}

/** Why a route is muted at an instant, or null: a mute interval is active, or no active interval is. */
export function routeMuteReason(
  route: { readonly muteTimeIntervals: readonly string[]; readonly activeTimeIntervals: readonly string[] },
  intervals: ReadonlyMap<string, TimeInterval>,
  at: number,
): string | null {
  for (const name of route.muteTimeIntervals) {
    const interval = intervals.get(name);
    if (interval && inTimeInterval(interval, at)) return `mute time interval "${name}"`;
  }
  if (route.activeTimeIntervals.length === 0) return null;
  const active = route.activeTimeIntervals.some((name) => {
    const interval = intervals.get(name);
    return interval !== undefined && inTimeInterval(interval, at);
  });
  return active
    ? null
    : `outside active time intervals ${route.activeTimeIntervals.map((n) => `"${n}"`).join(', ')}`;
}
