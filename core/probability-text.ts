/**
 * Anomaly probabilities as people read them. Near 1 the decimals stop saying anything ("0.9999999971" and
 * "0.9999999999" look alike), so the text adds how rare the value would be if nothing were wrong: the odds,
 * "1 in 345M".
 */

const SCALES: readonly [number, string][] = [
  [1e12, 'T'],
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Beyond this the double behind `p` no longer tells the odds apart. */
const MAX_ODDS = 1e12;

/** `0.973`, `0.9990 (1 in 1k)`, `0.9999999971 (1 in 345M)`, `≈1 (1 in >1T)`. */
export function probabilityText(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p < 0.999) return p.toFixed(3);
  const odds = 1 / (1 - p);
  if (!(odds < MAX_ODDS)) return `≈1 (1 in >${compact(MAX_ODDS)})`;
  // One decimal past the last 9 distinguishes 0.9990 from 0.9999.
  const digits = Math.min(12, Math.ceil(Math.log10(odds)) + 1);
  return `${p.toFixed(digits)} (1 in ${compact(odds)})`;
}

/** 345_000_000 → "345M", 1_500 → "1.5k", 12 → "12". */
export function compact(n: number): string {
  const rounded = Number(n.toPrecision(3));
  for (const [scale, suffix] of SCALES) {
    if (rounded >= scale) return `${Number((rounded / scale).toPrecision(3))}${suffix}`;
  }
  return String(rounded);
}
