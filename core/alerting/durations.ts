/**
 * Durations in the routing config are written as people write them (`30s`, `5m`, `4h`, `1d`, `1h30m`) and held
 * as milliseconds everywhere else, so timers and comparisons never mix units.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+)(ms|s|m|h|d|w)/g;

/** A duration text the config accepts: one or more `<integer><unit>` parts, units ms, s, m, h, d, w. */
export const DURATION_PATTERN = '^(?:\\d+(?:ms|s|m|h|d|w))+$';

/**
 * Parses a duration such as `90s`, `5m` or `1h30m` into milliseconds; `undefined` when the text is not one,
 * so the caller can name the field in its own error.
 */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

/** Milliseconds as the shortest config-style text (`1h30m`, `45s`), the inverse of {@link parseDuration}. */
export function formatDurationSpec(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let text = '';
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
    ['ms', UNIT_MS.ms],
  ] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return text;
}
