/**
 * Deterministic names for retraining executions. Step Functions refuses a second execution of a state
 * machine under a name already used (for 90 days), so a trigger that fires twice (Scheduler's at-least-once
 * delivery, an alarm flapping, a person pressing enter twice) starts one run.
 */

/** What started a retrain. */
export type TriggerKind = 'weekly' | 'drift' | 'manual';

const DAY_MS = 86_400_000;

/** Monday 00:00 UTC of the ISO week holding `at`, and the ISO week label `2026-W48`. */
export function isoWeek(at: number): { start: number; label: string } {
  const day = Math.floor(at / DAY_MS);
  const weekday = (new Date(at).getUTCDay() + 6) % 7; // Monday = 0
  const monday = (day - weekday) * DAY_MS;
  const thursday = new Date(monday + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return { start: monday, label: `${year}-W${String(week).padStart(2, '0')}` };
}

/**
 * The run a trigger at `at` belongs to: its execution name and the instant the run's windows end at. One a
 * week for the schedule, one a day for drift, one a minute for a person (`manual-202611301405`).
 */
export function retrainRun(kind: TriggerKind, at: number): { name: string; at: number } {
  if (kind === 'weekly') {
    const week = isoWeek(at);
    return { name: `weekly-${week.label}`, at: week.start };
  }
  if (kind === 'drift') {
    const day = Math.floor(at / DAY_MS) * DAY_MS;
    return { name: `drift-${new Date(day).toISOString().slice(0, 10)}`, at: day };
  }
  const minute = Math.floor(at / 60_000) * 60_000;
  const stamp = new Date(minute).toISOString().slice(0, 16).replace(/[-:T]/g, '');
  return { name: `manual-${stamp}`, at: minute };
}

/** The input every retraining execution starts from. */
export interface RetrainInput {
  readonly trigger: TriggerKind;
  /** ISO 8601: the end of the holdout window (the run's "now"), fixed by the trigger so a rerun sees the same data. */
  readonly at: string;
  readonly requestedBy: string;
}
