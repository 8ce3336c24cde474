import { userInfo } from 'node:os';
import { DynamoDbControlStore } from '../adapters/alerting/dynamodb-control-store.ts';
import { DynamoDbFeedbackStore } from '../adapters/alerting/dynamodb-feedback-store.ts';
import { DynamoDbTransitionLog } from '../adapters/alerting/dynamodb-transition-log.ts';
import { parseDuration } from '../core/alerting/durations.ts';
import { formatInstant } from '../core/alerting/render/format.ts';
import { type FeedbackLabel, feedbackSilence } from '../core/alerting/silences.ts';
import type { StoredFeedback } from '../functions/alerting/ports.ts';
import { SilenceService } from '../functions/alerting/silence-service.ts';
import { type AlertTable, resolveAlertTable, tableError } from './alert-tables.ts';
import { CliError, type CliIo, parseOptions, UsageError } from './command.ts';

/** Help of `seismo alerts label`. */
export const LABEL_USAGE = `seismo alerts label EPISODE... --not-anomaly|--anomaly [options]
  Stores a feedback label per episode (the id alerts carry) in the feedback table, as the "Not an
  anomaly" button does: retraining keeps confirmed anomalies out of training data and judges models
  against both kinds. The episode's series, channel and span are read from the transitions table.
  --not-anomaly        a false alarm: normal behaviour
  --anomaly            a confirmed anomaly
  --silence-for-a-day  with --not-anomaly, also silence the episode's series and channel for a day
  --who NAME           who; default: $SEISMO_USER, else your login name
  --since DURATION     how far back to look for the episode; default: 30d (the table keeps 30 days)
  --json               machine-readable output
  Tables (deployed: flag or env, else the local stack's; --local insists on it; --region NAME):
  --transitions-table NAME  stack output alert-transitions-table; env SEISMO_ALERT_TRANSITIONS_TABLE
  --feedback-table NAME     stack output alert-feedback-table; env SEISMO_ALERT_FEEDBACK_TABLE
  --control-table NAME      stack output alert-control-table; env SEISMO_ALERT_CONTROL_TABLE
`;

const OPTIONS = {
  'not-anomaly': { type: 'boolean' },
  anomaly: { type: 'boolean' },
  'silence-for-a-day': { type: 'boolean' },
  who: { type: 'string' },
  since: { type: 'string' },
  json: { type: 'boolean' },
  'transitions-table': { type: 'string' },
  'feedback-table': { type: 'string' },
  'control-table': { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What one label run did per episode. */
interface Labelled {
  readonly episodeId: string;
  readonly label: StoredFeedback;
  readonly silenceId?: string;
}

async function guarded<T>(table: AlertTable, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CliError) throw error;
    return tableError(table, error);
  }
}

function who(named: string | undefined, env: NodeJS.ProcessEnv): string {
  const name = named ?? env.SEISMO_USER;
  if (name !== undefined && name.trim() !== '') return name.trim();
  try {
    return userInfo().username;
  } catch {
    throw new UsageError('cannot tell who you are: give --who NAME (or set SEISMO_USER)');
  }
}

/**
 * The feedback label of each episode: its series, channel and span from the transitions the router recorded
 * (the first start, the last point seen); an episode not found in the window is an error (exit 1) and
 * nothing is written, so a typo never half-labels a list.
 */
async function episodeLabels(
  table: AlertTable,
  episodeIds: readonly string[],
  window: { readonly from: number; readonly to: number },
  base: { readonly who: string; readonly at: number },
): Promise<FeedbackLabel[]> {
  const wanted = new Set(episodeIds);
  const found = new Map<string, FeedbackLabel>();
  const log = new DynamoDbTransitionLog(table.client, { tableName: table.tableName });
  await guarded(table, async () => {
    // Unreadable items cannot be the episode asked for; they are someone else's to report (routes replay).
    for await (const t of log.read(window.from, window.to, () => undefined)) {
      if (!wanted.has(t.episodeId)) continue;
      const seen = found.get(t.episodeId);
      found.set(t.episodeId, {
        episodeId: t.episodeId,
        series: t.series,
        channel: t.channel,
        from: Math.min(seen?.from ?? t.startedAt, t.startedAt),
        to: Math.max(seen?.to ?? t.lastSeenAt, t.lastSeenAt),
        ...base,
      });
    }
  });
  const missing = episodeIds.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new CliError(
      `no episode ${missing.join(', ')} in ${table.description} since ${formatInstant(window.from)} ` +
        '(check the id, or look further back with --since); nothing was labelled',
    );
  }
  return episodeIds.map((id) => found.get(id) as FeedbackLabel);
}

/** `seismo alerts label`: returns the exit code. */
export async function runLabel(
  args: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values, positionals } = parseOptions('alerts', args, OPTIONS);
  if (values.help) {
    io.stdout.write(`Usage: ${LABEL_USAGE}`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('alerts label needs the id of each EPISODE to label');
  if (values.anomaly === values['not-anomaly'])
    throw new UsageError('alerts label needs one of --not-anomaly or --anomaly');
  const verdict = values.anomaly ? 'anomaly' : 'not-anomaly';
  if (values['silence-for-a-day'] && verdict === 'anomaly')
    throw new UsageError('--silence-for-a-day goes with --not-anomaly: a confirmed anomaly should be heard');
  const since = parseDuration(values.since ?? '30d');
  if (since === undefined || since <= 0)
    throw new UsageError(`--since must be a duration such as 7d or 12h (got "${values.since}")`);
  const at = Date.now();
  const by = who(values.who, env);
  const common = { region: values.region, local: values.local };
  const transitions = await resolveAlertTable(
    'transitions',
    { ...common, table: values['transitions-table'] },
    env,
  );
  const feedback = await resolveAlertTable('feedback', { ...common, table: values['feedback-table'] }, env);
  const labels = await episodeLabels(
    transitions,
    positionals,
    { from: at - since, to: at + 1 },
    { who: by, at },
  );
  const store = new DynamoDbFeedbackStore(feedback.client, { tableName: feedback.tableName });
  const silenceForADay = values['silence-for-a-day'] === true;
  const control = silenceForADay
    ? await resolveAlertTable('control', { ...common, table: values['control-table'] }, env)
    : undefined;
  const done: Labelled[] = [];
  for (const label of labels) {
    const stored: StoredFeedback = {
      ...label,
      via: 'cli',
      verdict,
      ...(silenceForADay && { silenceForADay }),
    };
    await guarded(feedback, () => store.put(stored));
    const silence = feedbackSilence(stored);
    if (silence && control) {
      const service = new SilenceService(
        new DynamoDbControlStore(control.client, { tableName: control.tableName }),
        undefined,
        0,
      );
      await guarded(control, () => service.create(silence, at));
    }
    done.push({ episodeId: label.episodeId, label: stored, ...(silence && { silenceId: silence.id }) });
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(done, null, 2)}\n`);
    return 0;
  }
  for (const d of done) {
    const { label } = d;
    io.stdout.write(
      `${d.episodeId}: labelled ${verdict} by ${label.who} (${label.series}/${label.channel}, ` +
        `${formatInstant(label.from)} to ${formatInstant(label.to)}) in ${feedback.description}` +
        (d.silenceId ? `; silenced for a day (${d.silenceId})` : '') +
        '\n',
    );
  }
  return 0;
}
