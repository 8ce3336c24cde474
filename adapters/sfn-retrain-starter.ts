import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type RetrainInput, retrainRun, type TriggerKind } from '../core/learning/execution-name.ts';

/** What a trigger did: started a run, or found it already started (a duplicate trigger: a no-op). */
export interface StartOutcome {
  readonly name: string;
  readonly started: boolean;
  readonly executionArn?: string;
  readonly input: RetrainInput;
}

/**
 * Starts the retraining run a trigger at `at` belongs to, under its deterministic name. A second trigger
 * for the same run is refused by Step Functions (ExecutionAlreadyExists) or answered with the running
 * execution (same name, same input): either way nothing new starts.
 */
export async function startRetrain(
  client: SFNClient,
  stateMachineArn: string,
  kind: TriggerKind,
  at: number,
  requestedBy: string,
  name?: string,
): Promise<StartOutcome> {
  const run = retrainRun(kind, at);
  const input: RetrainInput = { trigger: kind, at: new Date(run.at).toISOString(), requestedBy };
  const executionName = name ?? run.name;
  try {
    const out = await client.send(
      new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }),
    );
    return {
      name: executionName,
      started: true,
      ...(out.executionArn ? { executionArn: out.executionArn } : {}),
      input,
    };
  } catch (error) {
    if (
      error instanceof ExecutionAlreadyExists ||
      (error as { name?: string }).name === 'ExecutionAlreadyExists'
    ) {
      return { name: executionName, started: false, input };
    }
    throw error;
  }
}
