import { awsRetrainDeps } from './aws-deps.ts';
import type { RetrainDeps } from './deps.ts';
import { StepInputError } from './deps.ts';
import { trainStep } from './train-step.ts';

/**
 * The Fargate task's work: the Train step for a candidate too big for a Lambda's 15 minutes (the autoencoder
 * on every row), with the same code. Its input is the Map iteration's state in `STEP_INPUT` (the state machine
 * passes it as a container override); its result goes next to the candidate (`result.json`), where the
 * `train-result` step picks it up, since an ECS task returns no payload to Step Functions.
 */
export async function runContainerStep(deps: RetrainDeps, stepInput: string | undefined): Promise<void> {
  if (!stepInput) throw new StepInputError('STEP_INPUT must hold the train step input as JSON');
  const input = JSON.parse(stepInput) as Parameters<typeof trainStep>[1];
  const output = await trainStep(deps, input);
  await deps.objects.put(`${output.candidateKey}/result.json`, Buffer.from(JSON.stringify(output)));
}

if (process.argv[1]?.endsWith('container.ts') || process.argv[1]?.endsWith('container.mjs')) {
  runContainerStep(awsRetrainDeps(), process.env.STEP_INPUT).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`${(error as Error).name}: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
