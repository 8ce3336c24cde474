import type { Severity } from '../detection-types.ts';

/**
 * The anomaly episode of one series: opened when the probability crosses a high threshold, kept open
 * while it stays above a lower one, resolved after a run of calm points. The gap between the two
 * thresholds (hysteresis) and the calm run make one incident one episode, not a storm of alerts.
 */

/** Serializable episode state of one series. */
export interface EpisodeState {
  readonly v: 1;
  /** Start (epoch ms) of the open episode, or null when calm. */
  openedAt: number | null;
  lastSeenAt: number;
  peakProbability: number;
  calmPoints: number;
  severity: Severity;
}

/** Thresholds shared by every series. */
export interface EpisodeOptions {
  readonly openAbove: number;
  readonly stayAbove: number;
  readonly calmPointsToResolve: number;
  readonly criticalAbove: number;
}

/**
 * Defaults, chosen on NAB (one configuration for all 58 files) and on false alarms in clean synthetic
 * series: open at probability 0.999, stay open above 0.9, resolve after 50 calm points (about four hours at
 * five-minute sampling). Opening at 0.99 instead scores lower on all three NAB profiles and raises twice
 * as many false episodes.
 */
export const DEFAULT_EPISODE_OPTIONS: EpisodeOptions = {
  openAbove: 0.999,
  stayAbove: 0.9,
  calmPointsToResolve: 50,
  criticalAbove: 0.999999,
};

/** Creates the calm state of a new series. */
export function newEpisodeState(): EpisodeState {
  return { v: 1, openedAt: null, lastSeenAt: 0, peakProbability: 0, calmPoints: 0, severity: 'warning' };
}

/** What one point did to the episode. */
export type EpisodeStep = 'calm' | 'opened' | 'ongoing' | 'escalated' | 'resolved';

/** Advances the episode with one point's probability. */
export function advanceEpisode(
  state: EpisodeState,
  timestamp: number,
  probability: number,
  options: EpisodeOptions = DEFAULT_EPISODE_OPTIONS,
): EpisodeStep {
  if (state.openedAt === null) {
    if (probability < options.openAbove) return 'calm';
    state.openedAt = timestamp;
    state.lastSeenAt = timestamp;
    state.peakProbability = probability;
    state.calmPoints = 0;
    state.severity = severityOf(probability, options);
    return 'opened';
  }
  state.lastSeenAt = timestamp;
  if (probability >= options.stayAbove) {
    state.calmPoints = 0;
    state.peakProbability = Math.max(state.peakProbability, probability);
    if (state.severity === 'warning' && severityOf(probability, options) === 'critical') {
      state.severity = 'critical';
      return 'escalated';
    }
    return 'ongoing';
  }
  state.calmPoints += 1;
  if (state.calmPoints < options.calmPointsToResolve) return 'ongoing';
  return 'resolved';
}

/** Clears a resolved episode so the next one starts fresh. Call after the 'resolved' transition is built. */
export function closeEpisode(state: EpisodeState): void {
  state.openedAt = null;
  state.peakProbability = 0;
  state.calmPoints = 0;
  state.severity = 'warning';
}

function severityOf(probability: number, options: EpisodeOptions): Severity {
  return probability >= options.criticalAbove ? 'critical' : 'warning';
}
