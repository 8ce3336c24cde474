import { describe, expect, it } from 'vitest';
import {
  advanceEpisode,
  closeEpisode,
  DEFAULT_EPISODE_OPTIONS,
  type EpisodeState,
  type EpisodeStep,
  newEpisodeState,
} from '../../core/episodes/episode-tracker.ts';

const { openAbove, stayAbove, calmPointsToResolve, criticalAbove } = DEFAULT_EPISODE_OPTIONS;

/** Probabilities placed relative to the thresholds, whatever they are tuned to. */
const P = {
  calm: 0.5,
  belowStay: stayAbove - (stayAbove - 0.5) / 2,
  betweenStayAndOpen: (stayAbove + openAbove) / 2,
  warning: (openAbove + criticalAbove) / 2,
  critical: (criticalAbove + 1) / 2,
} as const;

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

/** Advances one point a minute, starting at `from`; closes an episode after 'resolved' as the detector does. */
function drive(state: EpisodeState, probabilities: readonly number[], from = 0): EpisodeStep[] {
  return probabilities.map((p, i) => {
    const step = advanceEpisode(state, T0 + (from + i) * MINUTE, p);
    if (step === 'resolved') closeEpisode(state);
    return step;
  });
}

const count = (steps: readonly EpisodeStep[], kind: EpisodeStep) => steps.filter((s) => s === kind).length;

describe('episode tracker', () => {
  it('has thresholds in the order the tests rely on', () => {
    // Prepare, Act: the defaults
    // Assess
    expect(0.5).toBeLessThan(stayAbove);
    expect(stayAbove).toBeLessThan(openAbove);
    expect(openAbove).toBeLessThan(criticalAbove);
    expect(criticalAbove).toBeLessThan(1);
    expect(calmPointsToResolve).toBeGreaterThanOrEqual(1);
  });

  it('stays calm below openAbove, even between stayAbove and openAbove', () => {
    // Prepare
    const state = newEpisodeState();
    // Act
    const steps = drive(state, [P.calm, P.belowStay, P.betweenStayAndOpen, P.betweenStayAndOpen]);
    // Assess
    expect(steps).toEqual(['calm', 'calm', 'calm', 'calm']);
    expect(state.openedAt).toBeNull();
  });

  it('opens at openAbove, as a warning, recording its start and peak', () => {
    // Prepare
    const state = newEpisodeState();
    drive(state, [P.calm, P.calm]);
    // Act
    const step = advanceEpisode(state, T0 + 2 * MINUTE, openAbove);
    // Assess
    expect(step).toBe('opened');
    expect(state).toMatchObject({
      openedAt: T0 + 2 * MINUTE,
      peakProbability: openAbove,
      severity: 'warning',
    });
  });

  it('stays open while above stayAbove: a dip below openAbove does not resolve (hysteresis)', () => {
    // Prepare
    const state = newEpisodeState();
    drive(state, [P.warning]);
    // Act
    const steps = drive(state, new Array(calmPointsToResolve * 3).fill(P.betweenStayAndOpen), 1);
    // Assess
    expect(new Set(steps)).toEqual(new Set(['ongoing']));
    expect(state.openedAt).toBe(T0);
    expect(state.calmPoints).toBe(0);
  });

  it('resolves after calmPointsToResolve calm points in a row, and not before', () => {
    // Prepare
    const state = newEpisodeState();
    drive(state, [P.warning]);
    // Act
    const steps = drive(state, new Array(calmPointsToResolve).fill(P.belowStay), 1);
    // Assess
    expect(steps.slice(0, -1).every((s) => s === 'ongoing')).toBe(true);
    expect(steps.at(-1)).toBe('resolved');
    expect(state.openedAt).toBeNull();
    expect(drive(state, [P.calm], calmPointsToResolve + 1)).toEqual(['calm']);
  });

  it('restarts the calm count when the probability climbs back above stayAbove', () => {
    // Prepare
    const state = newEpisodeState();
    drive(state, [P.warning]);
    const almostCalm = new Array(calmPointsToResolve - 1).fill(P.calm);
    // Act
    const steps = drive(state, [...almostCalm, P.betweenStayAndOpen, ...almostCalm], 1);
    // Assess
    expect(count(steps, 'resolved')).toBe(0);
    expect(state.openedAt).toBe(T0);
  });

  it('escalates a warning to critical once, keeping the peak', () => {
    // Prepare
    const state = newEpisodeState();
    drive(state, [P.warning]);
    // Act
    const steps = drive(state, [P.critical, P.warning, P.critical, P.critical], 1);
    // Assess
    expect(steps).toEqual(['escalated', 'ongoing', 'ongoing', 'ongoing']);
    expect(state.severity).toBe('critical');
    expect(state.peakProbability).toBe(P.critical);
  });

  it('opens straight at critical without a later escalation', () => {
    // Prepare
    const state = newEpisodeState();
    // Act
    const steps = drive(state, [P.critical, P.critical, P.warning]);
    // Assess
    expect(steps).toEqual(['opened', 'ongoing', 'ongoing']);
    expect(state.severity).toBe('critical');
  });

  it('makes one incident one episode: a spell flickering around openAbove opens once and resolves once', () => {
    // Prepare
    const state = newEpisodeState();
    const shortCalm = new Array(calmPointsToResolve - 1).fill(P.belowStay);
    const flicker = [
      P.warning,
      P.betweenStayAndOpen,
      P.warning,
      ...shortCalm,
      P.warning,
      P.betweenStayAndOpen,
      ...shortCalm,
      P.betweenStayAndOpen,
      P.warning,
    ];
    const spell = [...flicker, ...flicker, ...flicker];
    // Act
    const steps = drive(state, [P.calm, ...spell, ...new Array(calmPointsToResolve).fill(P.calm)]);
    // Assess
    expect(count(steps, 'opened')).toBe(1);
    expect(count(steps, 'resolved')).toBe(1);
    expect(steps.at(-1)).toBe('resolved');
  });

  it('starts the next incident as a fresh warning episode', () => {
    // Prepare
    const state = newEpisodeState();
    drive(state, [P.critical, ...new Array(calmPointsToResolve).fill(P.calm)]);
    // Act
    const steps = drive(state, [P.warning], 100);
    // Assess
    expect(steps).toEqual(['opened']);
    expect(state).toMatchObject({
      openedAt: T0 + 100 * MINUTE,
      severity: 'warning',
      peakProbability: P.warning,
    });
  });
});
