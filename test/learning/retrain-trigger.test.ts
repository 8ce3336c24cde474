import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { startRetrain } from '../../adapters/sfn-retrain-starter.ts';
import { isoWeek, retrainRun } from '../../core/learning/execution-name.ts';

const sfn = mockClient(SFNClient);

/** Step Functions' rule: a name is used once per state machine (same name and input: the same execution back). */
function behaveLikeStepFunctions(): { started: string[] } {
  const executions = new Map<string, string>();
  const started: string[] = [];
  sfn.on(StartExecutionCommand).callsFake(async (input: { name: string; input: string }) => {
    const existing = executions.get(input.name);
    if (existing !== undefined && existing !== input.input) {
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: ${input.name}`, $metadata: {} });
    }
    if (existing === undefined) {
      executions.set(input.name, input.input);
      started.push(input.name);
    }
    return {
      executionArn: `arn:aws:states:us-east-1:1:execution:retrain:${input.name}`,
      startDate: new Date(),
    };
  });
  return { started };
}

describe('retraining triggers', () => {
  afterEach(() => sfn.reset());

  it('names runs by ISO week, day or minute, so a repeated trigger names the same run', () => {
    expect(isoWeek(Date.UTC(2026, 10, 30, 3)).label).toBe('2026-W49');
    expect(isoWeek(Date.UTC(2027, 0, 1)).label).toBe('2026-W53');
    expect(retrainRun('weekly', Date.UTC(2026, 10, 30, 3, 0, 7))).toEqual({
      name: 'weekly-2026-W49',
      at: Date.UTC(2026, 10, 30),
    });
    expect(retrainRun('drift', Date.UTC(2026, 10, 30, 17, 5)).name).toBe('drift-2026-11-30');
    expect(retrainRun('manual', Date.UTC(2026, 10, 30, 14, 5, 59)).name).toBe('manual-202611301405');
  });

  it('starts one execution for a trigger that fires twice (Scheduler delivers at least once)', async () => {
    // Prepare
    const sf = behaveLikeStepFunctions();
    const arn = 'arn:aws:states:us-east-1:1:stateMachine:retrain';
    const client = new SFNClient({ region: 'us-east-1' });

    // Act: the weekly schedule fires twice, seconds apart; then a person asks with another input.
    const first = await startRetrain(
      client,
      arn,
      'weekly',
      Date.UTC(2026, 10, 30, 3, 0, 1),
      'schedule:weekly',
    );
    const second = await startRetrain(
      client,
      arn,
      'weekly',
      Date.UTC(2026, 10, 30, 3, 0, 9),
      'schedule:weekly',
    );
    const clash = await startRetrain(client, arn, 'weekly', Date.UTC(2026, 10, 30, 9), 'alice');

    // Assess
    expect(sf.started).toEqual(['weekly-2026-W49']);
    expect(first.started).toBe(true);
    expect(second.input).toEqual(first.input);
    expect(clash.started).toBe(false);
    expect(first.input.at).toBe('2026-11-30T00:00:00.000Z');
  });
});
