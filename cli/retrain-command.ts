import { userInfo } from 'node:os';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startRetrain } from '../adapters/sfn-retrain-starter.ts';
import { retrainRun } from '../core/learning/execution-name.ts';
import { getText } from '../core/learning/object-store.ts';
import { LOCAL_LEARNING_DIR, localRetrainDeps, runRetrainLocally } from '../local/retrain.ts';
import { CliError, type Command, parseOptions, UsageError } from './command.ts';

const USAGE = `Usage: seismo retrain [--local] [options]

Retrains the model from the archived history: plan, features, train (isolation forest and autoencoder),
the gate against the champion, register, challenger, promote.

  deployed  --state-machine ARN (stack output retraining-state-machine-arn; env SEISMO_STATE_MACHINE_ARN)
            starts an execution named manual-YYYYMMDDHHMM: asking twice in a minute starts one run
  --local   (the default without a state machine) runs the same steps in this process on the local stack's
            archive (.seismo/archive/, filled by npm start) and registry; shadow and watch are immediate

Options:
  --at TIME             end of the holdout window (ISO 8601; default: now, to the minute)
  --training-days N     training window (default 14), --holdout-days N holdout window (default 2), local only
  --dir DIR             another local learning directory
  --region NAME         AWS region
  -h, --help            show this help

Exit codes: 0 started (deployed) or done (local, whether the gate accepted or not), 1 failed, 2 usage.
`;

const OPTIONS = {
  local: { type: 'boolean', default: false },
  'state-machine': { type: 'string' },
  region: { type: 'string' },
  at: { type: 'string' },
  'training-days': { type: 'string' },
  'holdout-days': { type: 'string' },
  dir: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function days(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`--${name} must be a positive number of days, got "${value}"`);
  return n;
}

/** `seismo retrain`: start a retraining run on the deployed stack, or run one locally. */
export const retrainCommand: Command = {
  name: 'retrain',
  summary: 'retrain the model from the archived history (deployed state machine, or --local)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseOptions('retrain', args, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument(s) ${positionals.join(' ')}`);
    const at = values.at === undefined ? Date.now() : Date.parse(values.at);
    if (Number.isNaN(at)) throw new UsageError(`--at must be an ISO 8601 time, got "${values.at}"`);
    const arn = values['state-machine'] ?? (values.local ? undefined : process.env.SEISMO_STATE_MACHINE_ARN);
    if (values.local && values['state-machine'])
      throw new UsageError('--local and --state-machine name different runs: give one');
    const who = userInfo().username;
    if (arn) {
      const region = values.region ?? process.env.AWS_REGION;
      const outcome = await startRetrain(
        new SFNClient(region ? { region } : {}),
        arn,
        'manual',
        at,
        `cli:${who}`,
      );
      io.stdout.write(
        outcome.started
          ? `started ${outcome.name} (${outcome.executionArn ?? arn})\n`
          : `${outcome.name} was already started: nothing new started\n`,
      );
      return 0;
    }
    const trainingDays = days(values['training-days'], 'training-days');
    const holdoutDays = days(values['holdout-days'], 'holdout-days');
    const deps = localRetrainDeps(values.dir ?? LOCAL_LEARNING_DIR, {
      ...(trainingDays ? { trainingDays } : {}),
      ...(holdoutDays ? { holdoutDays } : {}),
    });
    const run = retrainRun('manual', at);
    io.stderr.write(`retraining locally as ${run.name} from ${values.dir ?? LOCAL_LEARNING_DIR}\n`);
    try {
      const result = await runRetrainLocally(
        deps,
        { runId: run.name, at: new Date(run.at).toISOString(), requestedBy: `cli:${who}` },
        (m) => io.stderr.write(`  ${m}\n`),
      );
      io.stdout.write(await getText(deps.objects, result.evaluation.reportKey.replace(/\.json$/, '.txt')));
      io.stdout.write(
        result.promoted
          ? `v${result.version} is the champion: a running local stack (npm start) serves it within 5 s\n`
          : 'the challenger was not promoted; the champion stays\n',
      );
      return 0;
    } catch (error) {
      throw new CliError(`retraining failed: ${(error as Error).name}: ${(error as Error).message}`);
    }
  },
};
