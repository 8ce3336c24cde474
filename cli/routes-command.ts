import { alertingConfigJsonSchema } from '../core/alerting/config-schema.ts';
import { parseDuration } from '../core/alerting/durations.ts';
import { ALERT_TABLE_OPTIONS, resolveAlertTable, tableError } from './alert-tables.ts';
import { loadCliConfig } from './alerting-config.ts';
import { CliError, type Command, parseOptions, UsageError } from './command.ts';
import {
  type EpisodeSource,
  JsonLinesEpisodeSource,
  type SkippedRecord,
  TableEpisodeSource,
} from './episode-source.ts';
import { replayEpisodes, replayReport, skippedNote } from './routes-replay.ts';
import { queryTransition, routesTestReport } from './routes-test.ts';

const USAGE = `Usage: seismo routes <test|replay|schema> [options]

Checks the alert routing config (config/alerting.yaml; see docs/alerting.md).

seismo routes test --series NAME --severity warning|critical [options]
  Prints the routes and receivers an episode would reach, with each route's grouping, timing,
  escalation, budget and time intervals (like amtool config routes test).
  --series NAME        the episode's series (required)
  --severity LEVEL     warning or critical (required)
  --channel NAME       the measurement channel; default: value
  --dimension K=V      a dimension; repeat for several
  --kind KIND          opened, escalated or resolved; default: opened
  --at ISO             also say whether each route is muted by its time intervals at that instant

seismo routes replay [--since 7d] [--until ISO] [--from-file FILE.jsonl | --table NAME | --local] [options]
  Runs stored episode transitions of a past window through the config on a virtual clock and prints
  what each receiver would have got (nobody acknowledges during a replay). Reads the transitions table
  the router records (the deployed one, or the local stack's), or a file.
  --from-file FILE     JSON Lines of transitions (SNS message bodies, or whole SNS notifications)
  --table NAME         the deployed transitions table (stack output alert-transitions-table;
                       env SEISMO_ALERT_TRANSITIONS_TABLE); --region NAME its region
  --local              the table of the stack "npm start" runs (the default without a file, --table or env)
  --since DURATION     window length before --until; default: 7d
  --until ISO          end of the window; default: now
  --verbose            list every notification

seismo routes schema
  Prints the JSON Schema of the config file (config/alerting.schema.json is this output).

Common options:
  --config FILE        routing config; default: $SEISMO_ALERTING_CONFIG, else config/alerting.yaml,
                       else the example config/alerting.example.yaml
  -h, --help           show this help
`;

const OPTIONS = {
  ...ALERT_TABLE_OPTIONS,
  config: { type: 'string' },
  series: { type: 'string' },
  severity: { type: 'string' },
  channel: { type: 'string' },
  dimension: { type: 'string', multiple: true },
  kind: { type: 'string' },
  at: { type: 'string' },
  'from-file': { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function instant(flag: string, text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new UsageError(`${flag} must be an ISO 8601 time such as 2026-11-22T14:00:00Z (got "${text}")`);
  return ms;
}

/** `seismo routes`: test a routing config against an episode, replay past episodes through it, print its schema. */
export const routesCommand: Command = {
  name: 'routes',
  summary: 'test the alert routing config, or replay past episodes through it',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseOptions('routes', args, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const [sub, ...extra] = positionals;
    if (extra.length > 0)
      throw new UsageError(`unexpected argument(s) ${extra.join(' ')} (see "seismo routes --help")`);
    switch (sub) {
      case 'schema':
        io.stdout.write(`${JSON.stringify(alertingConfigJsonSchema(), null, 2)}\n`);
        return 0;
      case 'test': {
        if (values.series === undefined) throw new UsageError('routes test needs --series NAME');
        if (values.severity === undefined)
          throw new UsageError('routes test needs --severity warning|critical');
        const at = values.at === undefined ? undefined : instant('--at', values.at);
        const transition = queryTransition(
          {
            series: values.series,
            severity: values.severity,
            channel: values.channel,
            dimensions: values.dimension,
            kind: values.kind,
          },
          at ?? 0,
        );
        const { config, path } = await loadCliConfig(values.config, io);
        io.stdout.write(`config ${path}\n${routesTestReport(config, transition, at)}`);
        return 0;
      }
      case 'replay': {
        const file = values['from-file'];
        if (file !== undefined && (values.table !== undefined || values.local))
          throw new UsageError('--from-file and --table/--local name different sources: give one');
        const since = parseDuration(values.since ?? '7d');
        if (since === undefined)
          throw new UsageError(`--since must be a duration such as 7d or 12h (got "${values.since}")`);
        const to = values.until === undefined ? Date.now() : instant('--until', values.until);
        const window = { from: to - since, to };
        const { config, path } = await loadCliConfig(values.config, io);
        const table = file === undefined ? await resolveAlertTable('transitions', values) : undefined;
        const source: EpisodeSource = table
          ? new TableEpisodeSource(table)
          : new JsonLinesEpisodeSource(file as string);
        const skipped: SkippedRecord[] = [];
        const result = await replayEpisodes(config, source, window, (r) => {
          if (skipped.length < 100) skipped.push(r);
        }).catch((error: unknown) => {
          if (!table || error instanceof CliError) throw error;
          return tableError(table, error);
        });
        io.stderr.write(skippedNote(skipped, result.skipped));
        io.stdout.write(
          `config ${path}, episodes from ${source.description}\n${replayReport(config, result, window, values.verbose === true)}`,
        );
        return 0;
      }
      case undefined:
        throw new UsageError(
          'routes needs a subcommand: test, replay or schema (see "seismo routes --help")',
        );
      default:
        throw new UsageError(`unknown subcommand "${sub}" of routes: test, replay or schema`);
    }
  },
};
