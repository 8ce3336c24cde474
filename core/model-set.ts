import { type CalibrationState, newCalibrationState } from './calibration/calibrator.ts';
import type { BatchScorer } from './scoring/batch-scorer.ts';

/**
 * The models a detector scores with: the champion, whose probabilities make episodes, and optionally a
 * challenger in shadow (scored on the same rows, calibrated per series, compared, never alerted) or in
 * canary (live for a stable share of series, chosen by a hash of the series key).
 *
 * Calibration is learned per model: raw scores of two models are not comparable, so each series keeps its
 * live model's calibration and one more, tagged with the model it belongs to. During a shadow period the
 * spare one warms up on the challenger's scores; when the challenger becomes champion the two swap, so the
 * promotion opens no episodes and misses nothing; a rollback swaps them back. A series that never saw the
 * new model in shadow starts its calibration afresh (no probabilities for its learning points).
 */
export interface ModelSet {
  readonly champion: BatchScorer;
  readonly challenger?: BatchScorer;
  /** Share of series (0..100) for which the challenger is live instead of the champion; 0 = shadow only. */
  readonly canaryPercent?: number;
}

/** A model's calibration slot tag: a 32-bit FNV-1a hash of its version (0 is never produced). */
export function modelTag(version: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < version.length; i++) {
    hash ^= version.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash === 0 ? 1 : hash;
}

/** True when `key` is among the `percent` of series the challenger is live for (stable across batches). */
export function inCanary(key: string, percent: number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return (modelTag(`canary:${key}`) % 10_000) / 100 < percent;
}

/** What a series' calibration looks like to the model set. */
export interface CalibrationSlots {
  calibration: CalibrationState;
  /** Tag of the model `calibration` was learned on; 0 for a state written before tags existed. */
  calibrationModel: number;
  /** The other model's calibration: a challenger's warming up, or the previous champion's. */
  spare?: { model: number; calibration: CalibrationState };
}

/** What aligning a series' calibration with its live model did. */
export type Alignment = 'kept' | 'swapped' | 'restarted';

/**
 * Makes `slots.calibration` the live model's and `slots.spare` the other model's (when there is one),
 * swapping when the spare was learned on the live model, starting afresh when neither was.
 */
export function alignCalibration(
  slots: CalibrationSlots,
  live: number,
  other: number | undefined,
): Alignment {
  let outcome: Alignment = 'kept';
  // A state from before tags existed was calibrated on whatever ran then: taken as the live model's.
  if (slots.calibrationModel === 0) slots.calibrationModel = live;
  if (slots.calibrationModel !== live) {
    const previous = { model: slots.calibrationModel, calibration: slots.calibration };
    if (slots.spare?.model === live) {
      slots.calibration = slots.spare.calibration;
      outcome = 'swapped';
    } else {
      slots.calibration = newCalibrationState();
      outcome = 'restarted';
    }
    slots.calibrationModel = live;
    slots.spare = previous;
  }
  if (other !== undefined && slots.spare?.model !== other) {
    slots.spare = { model: other, calibration: newCalibrationState() };
  }
  return outcome;
}
