import type { CostProfile, NabWindow } from './corpus.ts';

/**
 * The NAB scoring rules of third_party/nab/SCORING.md as pure functions, plus an exhaustive
 * incremental threshold sweep over the whole corpus.
 *
 * Row scores are split into a profile-independent "unit" part (computed once per file) and a profile
 * weight: inside a window the weight is A_TP, outside it is A_FP. That lets one sorted pass serve
 * every profile.
 */

/** Fraction of a file's rows that are probationary. */
export const PROBATIONARY_FRACTION = 0.15;

/** Upper bound on the probationary period, in rows. */
export const MAX_PROBATIONARY_ROWS = 750;

/** Probationary period `P = min(floor(0.15 * N), 750)`: rows with index below it are not scored. */
export function probationaryPeriod(rowCount: number): number {
  return Math.min(Math.floor(PROBATIONARY_FRACTION * rowCount), MAX_PROBATIONARY_ROWS);
}

/** Logistic function `1 / (1 + e^-x)`. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** NAB's scaled sigmoid: `-1` when `y > 3`, else `2 * sigmoid(-5y) - 1`. */
export function scaledSigmoid(y: number): number {
  return y > 3 ? -1 : 2 * sigmoid(-5 * y) - 1;
}

/** Score of a detection on the first row of a window before weighting, `S(-1) ≈ 0.98661429815`. */
export const MAX_TP = scaledSigmoid(-1);

/** A window as inclusive row indices `[start, end]`. */
export interface WindowSpan {
  readonly start: number;
  readonly end: number;
}

/** Profile-independent scoring layout of one file. */
export interface FileLayout {
  /** Number of rows N. */
  readonly rowCount: number;
  /** Probationary period P; rows below it are ignored. */
  readonly probation: number;
  readonly windows: readonly WindowSpan[];
  /** Index into `windows` of the window holding each row, or -1 outside every window. */
  readonly windowOf: Int32Array;
  /**
   * Row score before weighting: inside a window `S(pos) / maxTP` (times A_TP), outside `-1` or
   * `S(|i - R_prev| / (W_prev - 1))` (times A_FP). NaN for probationary rows.
   */
  readonly unit: Float64Array;
  /** Windows that can be detected or missed: those ending at or after P. */
  readonly scoredWindows: number;
}

/** A file's anomaly scores paired with its layout, ready to be scored. */
export interface ScoredFile {
  readonly key: string;
  readonly category: string;
  readonly layout: FileLayout;
  /** One anomaly score per row, in row order. */
  readonly anomalyScores: ArrayLike<number>;
}

/** Breakdown of a file's (or corpus') score at one threshold under one profile. */
export interface ScoreBreakdown {
  /** Total: tpScore + fnScore + fpScore. */
  readonly score: number;
  readonly tpScore: number;
  readonly fnScore: number;
  readonly fpScore: number;
  /** Windows with at least one detection. */
  readonly truePositives: number;
  /** Windows without detection. */
  readonly falseNegatives: number;
  /** Detected rows outside every window. */
  readonly falsePositives: number;
}

/** Result of a threshold sweep for one profile. */
export interface SweepResult {
  /** Best threshold; `Infinity` means "no detection at all" was best. */
  readonly threshold: number;
  /** Corpus raw score at that threshold. */
  readonly raw: number;
  /** Normalised score (0 = null detector, 100 = perfect). */
  readonly normalised: number;
  /** Number of thresholds evaluated (distinct scores plus "no detection"). */
  readonly candidates: number;
}

/** Maps labelled windows to row indices: first row with the start timestamp through the first row with the end one. */
export function windowSpans(timestamps: readonly string[], windows: readonly NabWindow[]): WindowSpan[] {
  const spans = windows.map((w) => {
    const start = timestamps.indexOf(w.start);
    const end = start < 0 ? -1 : timestamps.indexOf(w.end, start);
    if (start < 0 || end < 0) {
      throw new Error(`window [${w.start}, ${w.end}] does not match data rows (start ${start}, end ${end})`);
    }
    return { start, end };
  });
  spans.sort((a, b) => a.start - b.start);
  for (let k = 1; k < spans.length; k++) {
    const prev = spans[k - 1] as WindowSpan;
    if ((spans[k] as WindowSpan).start <= prev.end) throw new Error('windows overlap');
  }
  return spans;
}

/** Builds the profile-independent scoring layout of a file of `rowCount` rows with the given windows. */
export function fileLayout(rowCount: number, windows: readonly WindowSpan[]): FileLayout {
  const probation = probationaryPeriod(rowCount);
  const windowOf = new Int32Array(rowCount).fill(-1);
  const unit = new Float64Array(rowCount);
  let next = 0; // next window not yet started
  let prev: WindowSpan | undefined; // most recent window that ended before the row
  let scoredWindows = 0;
  for (const w of windows) {
    if (w.start < 0 || w.end < w.start || w.end >= rowCount) throw new Error('window out of range');
    if (w.end >= probation) scoredWindows++;
  }
  for (let i = 0; i < rowCount; i++) {
    while (next < windows.length && (windows[next] as WindowSpan).end < i) prev = windows[next++];
    const cur = windows[next];
    if (cur !== undefined && cur.start <= i) {
      windowOf[i] = next;
      const width = cur.end - cur.start + 1;
      unit[i] = scaledSigmoid(-(cur.end - i + 1) / width) / MAX_TP;
    } else if (prev === undefined) {
      unit[i] = -1;
    } else {
      unit[i] = scaledSigmoid(Math.abs(i - prev.end) / (prev.end - prev.start));
    }
    if (i < probation) unit[i] = Number.NaN;
  }
  return { rowCount, probation, windows, windowOf, unit, scoredWindows };
}

/** Weighted row score of every row under a profile (NaN for probationary rows, which are ignored). */
export function rowScores(layout: FileLayout, profile: CostProfile): Float64Array {
  const out = new Float64Array(layout.rowCount);
  for (let i = 0; i < layout.rowCount; i++) {
    const u = layout.unit[i] as number;
    out[i] = u * ((layout.windowOf[i] as number) >= 0 ? profile.tp : profile.fp);
  }
  return out;
}

function checkScores(file: ScoredFile): void {
  if (file.anomalyScores.length !== file.layout.rowCount) {
    throw new Error(
      `${file.key}: ${file.anomalyScores.length} anomaly scores for ${file.layout.rowCount} rows`,
    );
  }
}

/** Score of one file at threshold T: a detection is a scored row with `anomaly_score >= T`. */
export function scoreFile(
  layout: FileLayout,
  anomalyScores: ArrayLike<number>,
  profile: CostProfile,
  threshold: number,
): ScoreBreakdown {
  const best = new Float64Array(layout.windows.length).fill(Number.NaN);
  let fpScore = 0;
  let falsePositives = 0;
  for (let i = layout.probation; i < layout.rowCount; i++) {
    if (!((anomalyScores[i] as number) >= threshold)) continue;
    const w = layout.windowOf[i] as number;
    const u = layout.unit[i] as number;
    if (w >= 0) {
      if (Number.isNaN(best[w] as number)) best[w] = u; // earliest detection: the largest row score
    } else {
      fpScore += u * profile.fp;
      falsePositives++;
    }
  }
  let tpScore = 0;
  let truePositives = 0;
  let falseNegatives = 0;
  layout.windows.forEach((w, k) => {
    if (w.end < layout.probation) return; // entirely probationary: neither hit nor miss
    const b = best[k] as number;
    if (Number.isNaN(b)) falseNegatives++;
    else {
      tpScore += b * profile.tp;
      truePositives++;
    }
  });
  const fnScore = -falseNegatives * profile.fn;
  return {
    score: tpScore + fnScore + fpScore,
    tpScore,
    fnScore,
    fpScore,
    truePositives,
    falseNegatives,
    falsePositives,
  };
}

/** Sums score breakdowns (e.g. of the files of a category or of the corpus). */
export function sumBreakdowns(parts: readonly ScoreBreakdown[]): ScoreBreakdown {
  const total = {
    score: 0,
    tpScore: 0,
    fnScore: 0,
    fpScore: 0,
    truePositives: 0,
    falseNegatives: 0,
    falsePositives: 0,
  };
  for (const p of parts) {
    total.score += p.score;
    total.tpScore += p.tpScore;
    total.fnScore += p.fnScore;
    total.fpScore += p.fpScore;
    total.truePositives += p.truePositives;
    total.falseNegatives += p.falseNegatives;
    total.falsePositives += p.falsePositives;
  }
  return total;
}

/** Corpus raw score at threshold T: the sum of the file scores. */
export function scoreCorpus(
  files: readonly ScoredFile[],
  profile: CostProfile,
  threshold: number,
): ScoreBreakdown & { readonly perFile: readonly ScoreBreakdown[] } {
  const perFile = files.map((f) => {
    checkScores(f);
    return scoreFile(f.layout, f.anomalyScores, profile, threshold);
  });
  return { ...sumBreakdowns(perFile), perFile };
}

/** Number of scorable windows in the corpus (116 for NAB v1.1). */
export function countWindows(files: readonly ScoredFile[]): number {
  return files.reduce((n, f) => n + f.layout.scoredWindows, 0);
}

/** Normalises a raw score: `100 * (S - S_null) / (S_perfect - S_null)`, `S_perfect = n*A_TP`, `S_null = -n*A_FN`. */
export function normaliseScore(raw: number, profile: CostProfile, windowCount: number): number {
  const perfect = windowCount * profile.tp;
  const nullScore = -windowCount * profile.fn;
  return (100 * (raw - nullScore)) / (perfect - nullScore);
}

/** Every scored row of the corpus sorted by anomaly score, descending: shared by the sweeps of all profiles. */
export interface PreparedSweep {
  /** Anomaly scores, descending. */
  readonly scores: Float64Array;
  /** Unit row score of each entry (see FileLayout.unit). */
  readonly unit: Float64Array;
  /** Corpus-wide window id of each entry, or -1 outside windows. */
  readonly window: Int32Array;
  /** Number of corpus-wide window ids (including fully probationary windows, which never occur). */
  readonly windowIds: number;
  /** Scorable windows (the FN count of a detector that never fires). */
  readonly windowCount: number;
}

/** Collects and sorts every scored row of the corpus once, for `sweepThreshold`. */
export function prepareSweep(files: readonly ScoredFile[]): PreparedSweep {
  let total = 0;
  for (const f of files) {
    checkScores(f);
    total += f.layout.rowCount - f.layout.probation;
  }
  const rawScores = new Float64Array(total);
  const rawUnit = new Float64Array(total);
  const rawWindow = new Int32Array(total);
  let n = 0;
  let windowBase = 0;
  for (const f of files) {
    const { layout, anomalyScores } = f;
    for (let i = layout.probation; i < layout.rowCount; i++, n++) {
      const s = anomalyScores[i] as number;
      if (Number.isNaN(s)) throw new Error(`${f.key}: anomaly score of row ${i} is NaN`);
      rawScores[n] = s;
      rawUnit[n] = layout.unit[i] as number;
      const w = layout.windowOf[i] as number;
      rawWindow[n] = w >= 0 ? windowBase + w : -1;
    }
    windowBase += layout.windows.length;
  }
  const order = new Uint32Array(total);
  for (let k = 0; k < total; k++) order[k] = k;
  order.sort((a, b) => {
    const sa = rawScores[a] as number;
    const sb = rawScores[b] as number;
    return sa > sb ? -1 : sa < sb ? 1 : 0;
  });
  const scores = new Float64Array(total);
  const unit = new Float64Array(total);
  const window = new Int32Array(total);
  for (let k = 0; k < total; k++) {
    const j = order[k] as number;
    scores[k] = rawScores[j] as number;
    unit[k] = rawUnit[j] as number;
    window[k] = rawWindow[j] as number;
  }
  return { scores, unit, window, windowIds: windowBase, windowCount: countWindows(files) };
}

/**
 * Exhaustive sweep for one profile: evaluates every distinct anomaly score (and "no detection") as the
 * corpus threshold in one descending pass, and returns the best (highest threshold on ties).
 */
export function sweepThreshold(prepared: PreparedSweep, profile: CostProfile): SweepResult {
  const { scores, unit, window, windowCount } = prepared;
  const bestUnit = new Float64Array(prepared.windowIds).fill(Number.NaN);
  let current = -windowCount * profile.fn; // nothing detected
  let bestRaw = current;
  let bestThreshold = Number.POSITIVE_INFINITY;
  let candidates = 1;
  let k = 0;
  while (k < scores.length) {
    const t = scores[k] as number;
    // Lowering the threshold to t turns on every row scoring exactly t.
    for (; k < scores.length && scores[k] === t; k++) {
      const w = window[k] as number;
      const u = unit[k] as number;
      if (w < 0) {
        current += u * profile.fp;
      } else {
        const b = bestUnit[w] as number;
        if (Number.isNaN(b)) {
          current += u * profile.tp + profile.fn;
          bestUnit[w] = u;
        } else if (u > b) {
          current += (u - b) * profile.tp;
          bestUnit[w] = u;
        }
      }
    }
    candidates++;
    if (current > bestRaw) {
      bestRaw = current;
      bestThreshold = t;
    }
  }
  return {
    threshold: bestThreshold,
    raw: bestRaw,
    normalised: normaliseScore(bestRaw, profile, windowCount),
    candidates,
  };
}

/** Convenience: prepares and sweeps the corpus for one profile. */
export function sweepCorpus(files: readonly ScoredFile[], profile: CostProfile): SweepResult {
  return sweepThreshold(prepareSweep(files), profile);
}
