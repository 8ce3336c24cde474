import { awsRetrainDeps } from './aws-deps.ts';
import { createRetrainSteps } from './steps.ts';

const steps = createRetrainSteps(awsRetrainDeps());

/** The retraining Lambda: every step of the state machine, routed by the payload's `step`. */
export const handler = (event: Record<string, unknown>): Promise<unknown> => steps.dispatch(event);
