import type { Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';

/**
 * Runs a CDK-synthesized state machine with aws-local-stepfunctions: its definition's `Fn::Join` is joined
 * with every `Ref`/`Fn::GetAtt` token turned into a placeholder string, and Task states are bound to local
 * functions by state name (the real handlers, in the tests).
 */

/** The definition of the only state machine in `template`, tokens resolved to placeholders. */
export function resolvedDefinition(template: Template): Record<string, unknown> {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const body = (machines[0] as { Properties: { DefinitionString: unknown } }).Properties.DefinitionString;
  return JSON.parse(resolve(body)) as Record<string, unknown>;
}

function resolve(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(separator);
  }
  if ('Ref' in v) {
    const ref = String(v.Ref);
    return ref.startsWith('AWS::') ? 'aws' : `arn:aws:sns:us-east-1:123456789012:${ref}`;
  }
  if ('Fn::GetAtt' in v) {
    const [logical] = v['Fn::GetAtt'] as [string, string];
    return `arn:aws:lambda:us-east-1:123456789012:function:${logical}`;
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} in the definition`);
}

/** Every state of a definition, nested Map processors included, by name. */
export function allStates(definition: Record<string, unknown>): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const walk = (d: Record<string, unknown>) => {
    for (const [name, state] of Object.entries(d.States as Record<string, Record<string, unknown>>)) {
      out.set(name, state);
      const processor = (state.ItemProcessor ?? state.Iterator) as Record<string, unknown> | undefined;
      if (processor) walk(processor);
      for (const branch of (state.Branches as Record<string, unknown>[] | undefined) ?? []) walk(branch);
    }
  };
  walk(definition);
  return out;
}

/** The outcome of a local execution. */
export interface LocalRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** Names of the states entered, in order. */
  readonly states: string[];
}

/** Runs `definition` once with `input` as execution `name`; Task states call `handlers[stateName]`. */
export async function runLocally(
  definition: Record<string, unknown>,
  name: string,
  input: unknown,
  handlers: Record<string, (input: unknown) => Promise<unknown>>,
): Promise<LocalRun> {
  const states = allStates(definition);
  const zero: Record<string, number> = {};
  for (const [stateName, state] of states) if (state.Type === 'Task') zero[stateName] = 0;
  const waits: Record<string, number> = {};
  for (const [stateName, state] of states) if (state.Type === 'Wait') waits[stateName] = 0;
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: false, checkPaths: false },
  });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides: waits,
      retryIntervalOverrides: zero,
    },
    context: { Execution: { Name: name, Input: input, StartTime: new Date().toISOString() } } as never,
  });
  const entered: string[] = [];
  const logs = (async () => {
    for await (const event of execution.eventLogs) {
      const e = event as { type: string; state?: { name: string } };
      if (e.type === 'StateEntered' && e.state) entered.push(e.state.name);
    }
  })();
  try {
    const output = await execution.result;
    await logs.catch(() => {});
    return { status: 'SUCCEEDED', output, states: entered };
  } catch (error) {
    await logs.catch(() => {});
    const e = error as { name?: string; message?: string; cause?: unknown };
    const inner = (e.cause ?? error) as { name?: string; message?: string };
    return {
      status: 'FAILED',
      error: inner.name ?? e.name,
      cause: inner.message ?? e.message,
      states: entered,
    };
  }
}
