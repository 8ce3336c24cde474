import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../adapters/s3-object-store.ts';
import { runContainerStep } from '../../functions/retrain/container.ts';
import { createRetrainSteps } from '../../functions/retrain/steps.ts';
import { parseModelCard } from '../../models/model-store.ts';
import { synthSeismo } from '../infra/support.ts';
import { type DynamoDbLocal, javaAvailable, startDynamoDbLocal } from '../support/dynamodb-local.ts';
import { allStates, resolvedDefinition, runLocally } from '../support/local-state-machine.ts';
import { fakeS3 } from '../support/s3-fake.ts';
import { AT, LENIENT, seedArchive, testDeps } from './retrain-fixtures.ts';

const hasJava = javaAvailable();

describe.runIf(hasJava)(
  'retraining with the autoencoder on Fargate (retrainAutoencoderOnFargate=true)',
  () => {
    const s3 = fakeS3(1000);
    let ddb: DynamoDbLocal;
    let definition: Record<string, unknown>;

    beforeAll(async () => {
      ddb = await startDynamoDbLocal();
      definition = resolvedDefinition(synthSeismo({ retrainAutoencoderOnFargate: true }).template);
      await seedArchive(new S3ObjectStore(s3.client, 'learning'));
    });
    afterAll(async () => {
      await ddb?.stop();
    });

    it('starts the task with the step input, awaits it, collects its result; the forest stays in Lambda', async () => {
      // Prepare: the ECS task is played by the container's own entry, with the input the state machine passes.
      const states = allStates(definition);
      expect(String(states.get('train-on-fargate')?.Resource)).toBe('arn:aws:states:::ecs:runTask.sync');
      const d = await testDeps(s3.client, ddb, 'registry-fargate', { gateMargins: LENIENT });
      const steps = createRetrainSteps(d);
      const ran: string[] = [];
      const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
      for (const [name, state] of states) {
        if (state.Type !== 'Task') continue;
        if (String(state.Resource).includes(':sns:')) handlers[name] = async () => ({});
        else if (name === 'train-on-fargate') {
          handlers[name] = async (input) => {
            const overrides = (
              input as {
                Overrides: { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] };
              }
            ).Overrides.ContainerOverrides[0]?.Environment;
            const stepInput = overrides?.find((e) => e.Name === 'STEP_INPUT')?.Value;
            ran.push(JSON.parse(stepInput ?? '{}').algorithm);
            await runContainerStep(d, stepInput);
            return {};
          };
        } else handlers[name] = (i) => steps.dispatch(i as Record<string, unknown>);
      }

      // Act
      const run = await runLocally(
        definition,
        'weekly-fargate',
        { trigger: 'weekly', at: new Date(AT).toISOString(), requestedBy: 't' },
        handlers,
      );

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(ran).toEqual(['autoencoder']);
      expect(run.states).toEqual(
        expect.arrayContaining(['train-where', 'train-on-fargate', 'train-result', 'train-candidate']),
      );
      const card = parseModelCard(
        Buffer.from(
          (await d.objects.get('runs/weekly-fargate/candidates/autoencoder/model.json')) ?? [],
        ).toString(),
        'autoencoder',
      );
      expect(card.algorithm).toBe('autoencoder');
    });
  },
);
