import type { FeatureContribution } from '../../detection-types.ts';

/**
 * Numbers, times and features as an on-call person reads them at 3 a.m. Every channel renders through these,
 * so Slack, email, webhooks and PagerDuty say the same thing the same way.
 */

/** `HH:MM` from minutes after midnight. */
export function formatTimeOfDay(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Below this tail probability doubles near 1 carry too few digits to tell values apart. */
const SMALLEST_TAIL = 1e-12;

/**
 * A calibrated anomaly probability in words. Below 0.99: `p = 0.93`. From 0.99 up: the odds of the point being
 * normal, `1 in 3,400`, `1 in 340 million`; `beyond 1 in a trillion` past double precision. Rarity reads at a
 * glance where a row of nines must be counted (0.9999997 vs 0.999997 differ tenfold), and it lines up with the
 * detector's own thresholds: episodes open at 1 in 1,000 and turn critical at 1 in a million.
 */
export function formatProbability(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return 'n/a';
  if (p < 0.99) return `p = ${p.toFixed(2)}`;
  const tail = 1 - p;
  if (tail <= SMALLEST_TAIL) return 'beyond 1 in a trillion';
  const odds = Number((1 / tail).toPrecision(2));
  return `1 in ${formatCount(odds)}`;
}

function formatCount(n: number): string {
  const scaled = (value: number, word: string) => `${Number(value.toPrecision(2))} ${word}`;
  if (n >= 1e9) return scaled(n / 1e9, 'billion');
  if (n >= 1e6) return scaled(n / 1e6, 'million');
  return Math.round(n).toLocaleString('en-US');
}

/** A measured value: four significant digits, grouped thousands, exponent form for the very large or small. */
export function formatValue(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  if (abs >= 1e9 || (abs > 0 && abs < 1e-3)) return x.toExponential(2).replace('e+', 'e');
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(Number(x.toPrecision(4)));
}

/** An expected range `31.05 to 76.31`, or `n/a` when the detector had none yet. */
export function formatRange(range: { readonly low: number | null; readonly high: number | null }): string {
  if (range.low === null || range.high === null) return 'n/a';
  return `${formatValue(range.low)} to ${formatValue(range.high)}`;
}

/** A duration as people say it: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** An instant in UTC to the minute, `2026-11-22 14:20 UTC`: one zone for every reader of a shared channel. */
export function formatInstant(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * What each feature the detector reports means, in a few words. Keyed by the names in
 * `core/features/feature-schema.ts` plus the stuck-series driver; a test keeps the two lists together.
 */
export const FEATURE_GLOSSARY: Readonly<Record<string, string>> = {
  z_short: 'jump against the last few points',
  z_long: 'far from the long-run level',
  diff_z: 'unusually large step from the previous point',
  level_shift: 'sustained shift of the level',
  seasonal_z: 'unusual for this hour of the day',
  stuck_run: 'the same value repeated this many times',
};

/** A short explanation of a feature name; the name itself when it is not in the glossary. */
export function explainFeature(name: string): string {
  return Object.hasOwn(FEATURE_GLOSSARY, name) ? (FEATURE_GLOSSARY[name] as string) : name;
}

/** One feature with its value and meaning: `seasonal_z 16.5 (unusual for this hour of the day)`. */
export function describeFeature(feature: FeatureContribution): string {
  // A run length is a count; every other feature is a z-score, shown to one decimal.
  const value = feature.name === 'stuck_run' ? String(Math.round(feature.value)) : feature.value.toFixed(1);
  return `${feature.name} ${value} (${explainFeature(feature.name)})`;
}

/** Cuts text to `max` characters (code points, not UTF-16 units), ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Replaces control characters (line breaks included) with spaces: for one-line fields such as subjects. */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}
