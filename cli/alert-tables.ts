import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient } from '../local/emulators.ts';
import { DEFAULT_STACK_FILE, readLiveStackInfo } from '../local/stack-info.ts';
import { CliError, type OptionSpecs, UsageError } from './command.ts';

/**
 * Which alerting table a command works on: the deployed stack's (named by a flag or the environment, like the
 * registry in `registry-target.ts`) or the one `npm start` runs in dynalite (found through `.seismo/local.json`,
 * like `seismo replay` finds the stream).
 */

/** The alerting tables a command can name; each is a stack output and an environment variable. */
export type AlertTableKind = 'control' | 'feedback' | 'transitions';

const TABLE_ENV: Record<AlertTableKind, string> = {
  control: 'SEISMO_ALERT_CONTROL_TABLE',
  feedback: 'SEISMO_ALERT_FEEDBACK_TABLE',
  transitions: 'SEISMO_ALERT_TRANSITIONS_TABLE',
};

/** The stack outputs naming them (`infra/constructs/alerting-outputs.ts`; not imported: it loads the CDK). */
const TABLE_OUTPUT: Record<AlertTableKind, string> = {
  control: 'alert-control-table',
  feedback: 'alert-feedback-table',
  transitions: 'alert-transitions-table',
};

/** Options naming an alerting table. */
export const ALERT_TABLE_OPTIONS = {
  table: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean', default: false },
} as const satisfies OptionSpecs;

/** Help lines for {@link ALERT_TABLE_OPTIONS}. */
export function alertTableUsage(kind: AlertTableKind): string {
  return `Table (the deployed stack's, or the local stack's):
  --table NAME         the ${kind} table (stack output ${TABLE_OUTPUT[kind]}; env ${TABLE_ENV[kind]})
  --region NAME        AWS region (default: AWS_REGION or the SDK's)
  --local              the table of the stack "npm start" runs (the default without --table or the env)
`;
}

/** A resolved table: a client that reaches it, its name, and how to name it in messages. */
export interface AlertTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly description: string;
  /** The local stack's (dynalite), not a deployed one. */
  readonly local: boolean;
}

/**
 * The table the flags (or environment) name. `SEISMO_STACK_FILE` is read at call time, not import time, so a
 * test can point one run at its own stack file.
 */
export async function resolveAlertTable(
  kind: AlertTableKind,
  values: { readonly table?: string; readonly region?: string; readonly local?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): Promise<AlertTable> {
  if (values.local && values.table !== undefined)
    throw new UsageError('--local and --table name different tables: give one or the other');
  const table = values.table ?? (values.local ? undefined : nonEmpty(env[TABLE_ENV[kind]]));
  if (table !== undefined) {
    const region = values.region ?? env.AWS_REGION;
    return {
      client: new DynamoDBClient(region ? { region } : {}),
      tableName: table,
      description: `table ${table}${region ? ` (${region})` : ''}`,
      local: false,
    };
  }
  const file = env.SEISMO_STACK_FILE ?? DEFAULT_STACK_FILE;
  const info = await readLiveStackInfo(file);
  if (!info) {
    throw new CliError(
      `no local stack is running (no live ${file}): start one with "npm start" in another terminal, ` +
        `or name the deployed table with --table NAME (stack output ${TABLE_OUTPUT[kind]}; env ${TABLE_ENV[kind]})`,
    );
  }
  if (!info.alerting) {
    throw new CliError(
      `the local stack (pid ${info.pid}) runs without the alert path, so it has no ${kind} table`,
    );
  }
  const tableName = info.alerting.tables[kind];
  return {
    client: localDynamoDbClient(info.dynamodbEndpoint, info.region),
    tableName,
    description: `local table ${tableName} at ${info.dynamodbEndpoint}`,
    local: true,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * A DynamoDB failure as a message a person can act on (exit 1): a missing table, no credentials, a stack
 * that went away, any other answer of the service. Anything else is rethrown: it is a bug.
 */
export function tableError(table: AlertTable, error: unknown): never {
  if (!(error instanceof Error)) throw error;
  const code = (error as NodeJS.ErrnoException).code ?? error.name;
  if (code === 'ResourceNotFoundException')
    throw new CliError(`${table.description} does not exist (check the name and the region)`);
  if (code === 'ECONNREFUSED')
    throw new CliError(`cannot reach ${table.description}: is the local stack ("npm start") still running?`);
  // Any other answer of the service (access denied, throttled, expired token) or a missing credential chain.
  if ('$metadata' in error || /Credentials/i.test(code))
    throw new CliError(`cannot use ${table.description}: ${code}: ${error.message}`);
  throw error;
}
