/** Spread of a per-series figure: the 10th percentile, median and 90th percentile, and the mean. */
export interface Spread {
  readonly p10: number;
  readonly median: number;
  readonly p90: number;
  readonly mean: number;
}

/** Quantile `q` of `values` (linear interpolation between order statistics); NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const at = q * (finite.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (finite[lo] as number) + ((finite[hi] as number) - (finite[lo] as number)) * (at - lo);
}

/** p10, median, p90 and mean of `values`, rounded to 4 decimals for reports. */
export function spread(values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite);
  const round = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : Number.NaN);
  return {
    p10: round(quantile(finite, 0.1)),
    median: round(quantile(finite, 0.5)),
    p90: round(quantile(finite, 0.9)),
    mean: round(finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : Number.NaN),
  };
}
