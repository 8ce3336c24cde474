import type { IncidentNotificationKind } from '../core/alerting/incident-types.ts';
import { renderEmail } from '../core/alerting/render/email.ts';
import { renderPagerDuty } from '../core/alerting/render/pagerduty.ts';
import { renderSlack } from '../core/alerting/render/slack.ts';
import { renderWebhook } from '../core/alerting/render/webhook.ts';
import { sampleLinks, sampleNotification } from './alert-samples.ts';
import { loadCliConfig } from './alerting-config.ts';
import { LABEL_USAGE, runLabel } from './alerts-label.ts';
import { type Command, parseOptions, UsageError } from './command.ts';

const CHANNELS = ['slack', 'email', 'webhook', 'pagerduty'] as const;
const KINDS: readonly IncidentNotificationKind[] = [
  'opened',
  'updated',
  'escalated',
  'acknowledged',
  'resolved',
];

const USAGE = `Usage: seismo alerts <preview|label> [options]

seismo alerts preview [options]
  Renders the message each channel would send for a sample episode (a latency spike on
  checkout/latency), made by the real incident reducer under the route the sample reaches in the config.
  --channel NAME   slack, email, webhook or pagerduty; default: all four
  --kind KIND      ${KINDS.join(', ')}; default: opened
  --members N      series in the sample incident (a group); default: 1
  --html           for email, print the HTML body too
  --config FILE    routing config; default: $SEISMO_ALERTING_CONFIG, else config/alerting.yaml,
                   else the example config/alerting.example.yaml
  -h, --help       show this help

${LABEL_USAGE}`;

const OPTIONS = {
  channel: { type: 'string' },
  kind: { type: 'string' },
  members: { type: 'string' },
  html: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `seismo alerts preview`: what Slack, email, a webhook and PagerDuty would get for a sample episode;
 * `seismo alerts label`: feedback labels for retraining.
 */
export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'preview the message each alert channel sends; label episodes (not an anomaly)',
  usage: USAGE,
  async run(args, io) {
    // label takes its own options; parsing it with preview's would refuse them.
    if (args[0] === 'label') return runLabel(args.slice(1), io);
    const { values, positionals } = parseOptions('alerts', args, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const [sub, ...extra] = positionals;
    if (sub !== 'preview' || extra.length > 0) {
      throw new UsageError(`alerts has two subcommands: preview and label (see "seismo alerts --help")`);
    }
    const channels = values.channel === undefined ? CHANNELS : [values.channel];
    for (const c of channels) {
      if (!(CHANNELS as readonly string[]).includes(c))
        throw new UsageError(`--channel must be one of ${CHANNELS.join(', ')} (got "${c}")`);
    }
    const kind = (values.kind ?? 'opened') as IncidentNotificationKind;
    if (!KINDS.includes(kind))
      throw new UsageError(`--kind must be one of ${KINDS.join(', ')} (got "${values.kind}")`);
    const members = Number(values.members ?? 1);
    if (!Number.isInteger(members) || members < 1 || members > 1000) {
      throw new UsageError(`--members must be a whole number from 1 to 1000 (got "${values.members}")`);
    }
    const { config, path } = await loadCliConfig(values.config, io);
    const { notification, route } = sampleNotification(config, kind, members);
    const links = sampleLinks(config, notification);
    const receiversOf = (type: string) =>
      route.receivers.filter((r) => config.receivers.get(r)?.type === type).join(', ') ||
      'no receiver of the route';
    const out: string[] = [
      `config ${path}: sample ${kind} notification, incident ${notification.incident.id} on route ${route.path.join(' › ')}`,
    ];
    for (const channel of channels) {
      out.push('', `── ${channel} (${receiversOf(channel)}) ──`);
      if (channel === 'slack') out.push(JSON.stringify(renderSlack(notification, links), null, 2));
      if (channel === 'webhook') out.push(JSON.stringify(renderWebhook(notification, links), null, 2));
      if (channel === 'pagerduty') out.push(JSON.stringify(renderPagerDuty(notification, links), null, 2));
      if (channel === 'email') {
        const mail = renderEmail(notification, links);
        out.push(`Subject: ${mail.subject}`, '', mail.text);
        if (values.html) out.push('', mail.html);
      }
    }
    io.stdout.write(`${out.join('\n')}\n`);
    return 0;
  },
};
