import type { RetrainDeps } from './deps.ts';
import { StepInputError } from './deps.ts';
import { evaluateStep } from './evaluate-step.ts';
import { extractStep } from './extract-step.ts';
import { planStep } from './plan-step.ts';
import { pointerStep, registerStep, watchStep } from './registry-steps.ts';
import { trainResultStep, trainStep } from './train-step.ts';

/** The steps of a retraining run, by the name the state machine passes in `step`. */
export const STEP_NAMES = [
  'plan',
  'extract',
  'train',
  'train-result',
  'evaluate',
  'register',
  'pointer',
  'watch',
] as const;
/** One step's name. */
export type StepName = (typeof STEP_NAMES)[number];

/** One step's handler: the state machine's Task payload in, a small JSON result out. */
export type StepHandler = (event: Record<string, unknown>) => Promise<unknown>;

/** Binds every step to `deps`; `dispatch` routes an event by its `step` field (one Lambda serves them all). */
export function createRetrainSteps(
  deps: RetrainDeps,
): Record<StepName, StepHandler> & { dispatch: StepHandler } {
  const steps: Record<StepName, StepHandler> = {
    plan: (e) => planStep(deps, e as never),
    extract: (e) => extractStep(deps, e as never),
    train: (e) => trainStep(deps, e as never),
    'train-result': (e) => trainResultStep(deps, e as never),
    evaluate: (e) => evaluateStep(deps, e as never),
    register: (e) => registerStep(deps, e as never),
    pointer: (e) => pointerStep(deps, e as never),
    watch: (e) => watchStep(deps, e as never),
  };
  return {
    ...steps,
    dispatch: async (event) => {
      const step = event.step;
      if (typeof step !== 'string' || !(STEP_NAMES as readonly string[]).includes(step)) {
        throw new StepInputError(
          `"step" must be one of ${STEP_NAMES.join(', ')}, got ${JSON.stringify(step)}`,
        );
      }
      return steps[step as StepName](event);
    },
  };
}
