import { userInfo } from 'node:os';
import { DynamoDbControlStore } from '../adapters/alerting/dynamodb-control-store.ts';
import { parseDuration } from '../core/alerting/durations.ts';
import {
  formatMatcher,
  type Matcher,
  MatcherSyntaxError,
  matchesAll,
  parseMatcher,
} from '../core/alerting/matchers.ts';
import { formatInstant } from '../core/alerting/render/format.ts';
import { createSilence, type Silence, silenceActive, silenceSchema } from '../core/alerting/silences.ts';
import { SilenceService } from '../functions/alerting/silence-service.ts';
import { REMINDER_USAGE, reminderScheduler } from './alert-reminders.ts';
import {
  ALERT_TABLE_OPTIONS,
  type AlertTable,
  alertTableUsage,
  resolveAlertTable,
  tableError,
} from './alert-tables.ts';
import { CliError, type CliIo, type Command, parseOptions, UsageError } from './command.ts';

const USAGE = `Usage: seismo silences <create|list|expire> [options]

Silences mute the firing notifications of the episodes their matchers select, from a start to an end
(see docs/alerting.md#silences). Acknowledged and resolved notifications still go out.

seismo silences create MATCHER... --comment TEXT (--for DURATION | --until ISO) [options]
  MATCHER              as in the routing config: name="value", name!="value", name=~"regex",
                       name!~"regex" (quote it for the shell: 'series="checkout/latency"'); all must match
  --comment TEXT       why (required)
  --author NAME        who; default: $SEISMO_USER, else your login name
  --start ISO          when it starts; default: now
  --for DURATION       how long, e.g. 2h, 90m, 30d
  --until ISO          when it ends, instead of --for
  --remind-before D    when the reminder goes out before the end; default: 15m (needs Reminders below)
  Recurring: with any of these the silence holds only inside the window (and between start and end):
  --weekdays LIST      e.g. sunday, or saturday,sunday, or monday:friday
  --times-of-day T     HH:MM-HH:MM, end exclusive (24:00 allowed); comma-separate several
  --days-of-month LIST e.g. 1:7, -1 (the last day)
  --months LIST        e.g. december, or 1:3
  --time-zone ZONE     the window's IANA time zone (wall clock, DST-correct); default: UTC

seismo silences list [--all]
  The silences that hold now or will (--all: also those that ended, kept 7 days).

seismo silences expire ID...
  Ends silences now. An ID that is not in the table exits 1.

Common options:
  --json               machine-readable output
  -h, --help           show this help

${alertTableUsage('control')}
${REMINDER_USAGE}`;

const OPTIONS = {
  ...ALERT_TABLE_OPTIONS,
  comment: { type: 'string' },
  author: { type: 'string' },
  start: { type: 'string' },
  for: { type: 'string' },
  until: { type: 'string' },
  'remind-before': { type: 'string' },
  weekdays: { type: 'string' },
  'times-of-day': { type: 'string', multiple: true },
  'days-of-month': { type: 'string' },
  months: { type: 'string' },
  'time-zone': { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseOptions<typeof OPTIONS>>['values'];

/** Epoch ms of an ISO 8601 flag value; a usage error naming the flag otherwise. */
function instant(flag: string, text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new UsageError(`${flag} must be an ISO 8601 time such as 2026-11-22T14:00:00Z (got "${text}")`);
  return ms;
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`${flag} must be a duration such as 2h, 90m or 30d (got "${text}")`);
  return ms;
}

function list(text: string | undefined): string[] | undefined {
  return text?.split(',').map((part) => part.trim());
}

/** The recurrence the window flags describe, validated by the silence schema; undefined without them. */
export function recurrenceOf(values: Values): Silence['recurrence'] {
  const times = values['times-of-day']?.flatMap((t) => list(t) ?? []);
  const window = {
    ...(values.weekdays !== undefined && { weekdays: list(values.weekdays) }),
    ...(times && {
      timesOfDay: times.map((range) => {
        const [start, end, ...rest] = range.split('-');
        if (start === undefined || end === undefined || rest.length > 0)
          throw new UsageError(`--times-of-day must be HH:MM-HH:MM such as 01:00-04:00 (got "${range}")`);
        return { start, end };
      }),
    }),
    ...(values['days-of-month'] !== undefined && { daysOfMonth: list(values['days-of-month']) }),
    ...(values.months !== undefined && { months: list(values.months) }),
  };
  if (Object.keys(window).length === 0) {
    if (values['time-zone'] !== undefined)
      throw new UsageError('--time-zone applies to a recurring window: add --weekdays or --times-of-day');
    return undefined;
  }
  const schema = silenceSchema.shape.recurrence.unwrap();
  const parsed = schema.safeParse({ timeZone: values['time-zone'] ?? 'UTC', times: [window] });
  if (!parsed.success) {
    const flags: Record<string, string> = {
      timeZone: '--time-zone',
      weekdays: '--weekdays',
      timesOfDay: '--times-of-day',
      daysOfMonth: '--days-of-month',
      months: '--months',
    };
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.find((p) => typeof p === 'string' && p in flags && p !== 'times');
      return `${field === undefined ? 'recurrence' : flags[field as string]}: ${issue.message}`;
    });
    throw new UsageError(`invalid recurring window: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function matchersOf(texts: readonly string[]): Matcher[] {
  if (texts.length === 0)
    throw new UsageError(`silences create needs at least one MATCHER such as 'series="checkout/latency"'`);
  return texts.map((text) => {
    try {
      return parseMatcher(text);
    } catch (error) {
      if (!(error instanceof MatcherSyntaxError)) throw error;
      throw new UsageError(`matcher ${text}: ${error.reason}`);
    }
  });
}

/** Who the silence is recorded as made by. */
function author(values: Values, env: NodeJS.ProcessEnv): string {
  const named = values.author ?? env.SEISMO_USER;
  if (named !== undefined && named.trim() !== '') return named.trim();
  try {
    return userInfo().username;
  } catch {
    throw new UsageError('cannot tell who you are: give --author NAME (or set SEISMO_USER)');
  }
}

/** The silence `create` would store, from its flags; usage errors for a wrong command line, refusals (exit 1) for a silence that cannot work. */
export function silenceFromFlags(
  matcherTexts: readonly string[],
  values: Values,
  now: number,
  env: NodeJS.ProcessEnv = process.env,
): Silence {
  const matchers = matchersOf(matcherTexts);
  if (values.comment === undefined || values.comment.trim() === '')
    throw new UsageError('silences create needs --comment TEXT: say why, for whoever wonders later');
  if ((values.for === undefined) === (values.until === undefined))
    throw new UsageError('silences create needs --for DURATION or --until ISO (one of them)');
  const startsAt = values.start === undefined ? now : instant('--start', values.start);
  const endsAt =
    values.until === undefined
      ? startsAt + duration('--for', values.for as string)
      : instant('--until', values.until);
  if (endsAt <= startsAt)
    throw new UsageError(`--until ${values.until} is not after the start (${formatInstant(startsAt)})`);
  // Alertmanager's rule: a silence whose every matcher also matches an episode without labels mutes everything.
  if (matchesAll(matchers, {}))
    throw new CliError(
      `refused: ${matchers.map(formatMatcher).join(', ')} would silence every episode; ` +
        'add a matcher that needs a value, such as series="NAME"',
    );
  if (endsAt <= now) throw new CliError(`refused: the silence would have ended at ${formatInstant(endsAt)}`);
  const recurrence = recurrenceOf(values);
  return createSilence(
    {
      matchers,
      startsAt,
      endsAt,
      author: author(values, env),
      comment: values.comment.trim(),
      ...(recurrence && { recurrence }),
    },
    now,
  );
}

/** Where a silence stands at `at`. */
export function silenceState(silence: Silence, at: number): 'pending' | 'active' | 'waiting' | 'ended' {
  if (at >= silence.endsAt) return 'ended';
  if (at < silence.startsAt) return 'pending';
  // A recurring silence between its windows: in force, but muting nothing right now.
  return silenceActive(silence, at) ? 'active' : 'waiting';
}

function describeRecurrence(r: NonNullable<Silence['recurrence']>): string {
  return `recurring in ${r.timeZone} (${r.times.length} window${r.times.length === 1 ? '' : 's'})`;
}

/** One silence as lines of text, for `create`, `list` and `expire`. */
export function silenceText(silence: Silence, at: number): string {
  const lines = [
    `${silence.id}  ${silenceState(silence, at)}  ${silence.matchers.map(formatMatcher).join(' ')}`,
    `  from ${formatInstant(silence.startsAt)} until ${formatInstant(silence.endsAt)}` +
      (silence.recurrence ? `, ${describeRecurrence(silence.recurrence)}` : ''),
    `  by ${silence.author}: ${silence.comment === '' ? '(no comment)' : silence.comment}`,
  ];
  return `${lines.join('\n')}\n`;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

async function guarded<T>(table: AlertTable, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CliError) throw error;
    return tableError(table, error);
  }
}

/** `seismo silences`: create, list and expire silences in the control table the router reads. */
export const silencesCommand: Command = {
  name: 'silences',
  summary: 'create, list and expire alert silences (recurring ones too)',
  usage: USAGE,
  async run(args, io: CliIo) {
    const { values, positionals } = parseOptions('silences', args, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const [sub, ...rest] = positionals;
    const now = Date.now();
    switch (sub) {
      case 'create': {
        const planned = silenceFromFlags(rest, values, now);
        const table = await resolveAlertTable('control', values);
        const scheduler = table.local ? undefined : reminderScheduler(process.env, values.region);
        if (values['remind-before'] !== undefined && !scheduler)
          throw new UsageError(
            `--remind-before needs the deployed stack's scheduler (see "seismo silences --help": Reminders)`,
          );
        const remindBefore = duration('--remind-before', values['remind-before'] ?? '15m');
        // Stored on the silence: the escalator judges the timer by the silence's own value, not its config's.
        const silence = scheduler ? { ...planned, remindBefore } : planned;
        const store = new DynamoDbControlStore(table.client, { tableName: table.tableName });
        const { reminder } = await guarded(table, () =>
          new SilenceService(store, scheduler, remindBefore).create(silence, now),
        );
        const reminderAt = reminder ? silence.endsAt - remindBefore : null;
        if (values.json) io.stdout.write(json({ ...silence, reminderAt }));
        else
          io.stdout.write(
            `created in ${table.description}:\n${silenceText(silence, now)}` +
              (reminderAt !== null
                ? `  reminder at ${formatInstant(reminderAt)}\n`
                : scheduler
                  ? '  no reminder: the silence ends too soon for one\n'
                  : '  no reminder is planned: the command reaches no scheduler (see "Reminders" in --help)\n'),
          );
        return 0;
      }
      case 'list': {
        if (rest.length > 0)
          throw new UsageError(`unexpected argument(s) ${rest.join(' ')} to silences list`);
        const table = await resolveAlertTable('control', values);
        const store = new DynamoDbControlStore(table.client, { tableName: table.tableName });
        const all = await guarded(table, () => store.silences());
        const shown = all
          .filter((s) => values.all || s.endsAt > now)
          .sort((a, b) => a.startsAt - b.startsAt || a.id.localeCompare(b.id));
        if (values.json) {
          io.stdout.write(json(shown.map((s) => ({ ...s, state: silenceState(s, now) }))));
          return 0;
        }
        const what = values.all ? 'silences' : 'current or future silences';
        io.stdout.write(`${shown.length} ${what} in ${table.description}\n`);
        for (const s of shown) io.stdout.write(silenceText(s, now));
        return 0;
      }
      case 'expire': {
        if (rest.length === 0) throw new UsageError('silences expire needs the ID of each silence to end');
        const table = await resolveAlertTable('control', values);
        const store = new DynamoDbControlStore(table.client, { tableName: table.tableName });
        // A reminder still planned is deleted; with another remindBefore in the deployed config than the 15 min
        // assumed here the name misses, and the reminder, when due, finds the silence ended and says nothing.
        const scheduler = table.local ? undefined : reminderScheduler(process.env, values.region);
        const service = new SilenceService(store, scheduler, 15 * 60_000);
        const results: {
          id: string;
          outcome: 'expired' | 'already ended' | 'not found';
          silence?: Silence;
        }[] = [];
        for (const id of rest) {
          const before = await guarded(table, () => store.getSilence(id));
          if (!before) {
            results.push({ id, outcome: 'not found' });
            continue;
          }
          if (before.endsAt <= now) {
            results.push({ id, outcome: 'already ended', silence: before });
            continue;
          }
          const after = await guarded(table, () => service.expire(id, now));
          results.push({ id, outcome: 'expired', ...(after && { silence: after }) });
        }
        if (values.json) io.stdout.write(json(results));
        else
          for (const r of results) {
            const when = r.silence ? ` at ${formatInstant(r.silence.endsAt)}` : '';
            io.stdout.write(
              `${r.id}: ${r.outcome}${r.outcome === 'not found' ? ` in ${table.description}` : when}\n`,
            );
          }
        const missing = results.filter((r) => r.outcome === 'not found').length;
        if (missing > 0) io.stderr.write(`seismo silences: ${missing} silence(s) not found\n`);
        return missing > 0 ? 1 : 0;
      }
      case undefined:
        throw new UsageError(
          'silences needs a subcommand: create, list or expire (see "seismo silences --help")',
        );
      default:
        throw new UsageError(`unknown subcommand "${sub}" of silences: create, list or expire`);
    }
  },
};
