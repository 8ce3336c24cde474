import {
  type AlertTransition,
  alertTransitionSchema,
  SEVERITIES,
  TRANSITION_KINDS,
} from '../core/alerting/alert-transition.ts';
import type { AlertingConfig, Route } from '../core/alerting/config.ts';
import { formatDurationSpec } from '../core/alerting/durations.ts';
import { formatMatcher } from '../core/alerting/matchers.ts';
import { type RouteMatch, routeEpisode } from '../core/alerting/routing.ts';
import { routeMuteReason } from '../core/alerting/time-intervals.ts';
import { quoted } from './alerting-config.ts';
import { UsageError } from './command.ts';

/** The episode `seismo routes test` is asked about. */
export interface RouteTestQuery {
  readonly series: string;
  readonly severity: string;
  readonly channel?: string;
  readonly dimensions?: readonly string[];
  readonly kind?: string;
}

/** Builds the transition a `routes test` query describes; usage errors name the option. */
export function queryTransition(q: RouteTestQuery, at: number): AlertTransition {
  if (!(SEVERITIES as readonly string[]).includes(q.severity)) {
    throw new UsageError(`--severity must be one of ${SEVERITIES.join(', ')} (got ${quoted(q.severity)})`);
  }
  const kind = q.kind ?? 'opened';
  if (!(TRANSITION_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`--kind must be one of ${TRANSITION_KINDS.join(', ')} (got ${quoted(kind)})`);
  }
  const dimensions: Record<string, string> = {};
  for (const pair of q.dimensions ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--dimension must be KEY=VALUE (got ${quoted(pair)})`);
    dimensions[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return alertTransitionSchema.parse({
    kind,
    episodeId: 'routes-test',
    series: q.series,
    channel: q.channel ?? 'value',
    dimensions,
    severity: q.severity,
    startedAt: at,
    lastSeenAt: at,
    peakProbability: q.severity === 'critical' ? 0.999999 : 0.999,
    value: null,
    expected: { low: null, high: null },
  });
}

function receiverText(config: AlertingConfig, name: string): string {
  const r = config.receivers.get(name);
  if (!r) return name;
  switch (r.type) {
    case 'slack':
      return `${name} (slack ${r.channel})`;
    case 'email':
      return `${name} (email ${r.to.join(', ')})`;
    case 'webhook':
      return `${name} (webhook ${r.url})`;
    case 'pagerduty':
      return `${name} (pagerduty)`;
  }
}

function routeLines(config: AlertingConfig, match: RouteMatch, at: number | undefined): string[] {
  const r: Route = match.route;
  const lines = [
    `  ${r.path.join(' › ')}${match.lifecycleOnly ? '  (resolve only: the episode may have been routed here)' : ''}`,
  ];
  const row = (label: string, text: string) => lines.push(`    ${label.padEnd(11)} ${text}`);
  if (r.matchers.length > 0) row('matchers', r.matchers.map(formatMatcher).join(', '));
  row('receivers', r.receivers.map((n) => receiverText(config, n)).join(', '));
  const by = r.groupBy === 'all' ? 'every label' : r.groupBy.join(', ') || 'nothing';
  const labels = Object.entries(match.groupLabels)
    .map(([k, v]) => `${k}=${quoted(v)}`)
    .join(', ');
  row('group', `by ${by}: {${labels}}`);
  row(
    'timing',
    `wait ${formatDurationSpec(r.groupWait)}, interval ${formatDurationSpec(r.groupInterval)}, repeat ${formatDurationSpec(r.repeatInterval)}${r.sendResolved ? '' : ', resolves not sent'}`,
  );
  if (r.escalation) {
    const levels = r.escalation.levels
      .map((l) => `after ${formatDurationSpec(l.after)} ${l.receivers.join(', ')}`)
      .join('; ');
    const repeat = r.escalation.repeat > 0 ? `; repeat ${r.escalation.repeat}×` : '';
    row('escalation', `${r.escalation.name}: ${levels}${repeat}`);
  }
  if (r.budget)
    row(
      'budget',
      `${r.budget.max} per ${formatDurationSpec(r.budget.per)}, digest every ${formatDurationSpec(r.budget.digestEvery)}`,
    );
  if (r.muteTimeIntervals.length > 0) row('muted', `during ${r.muteTimeIntervals.join(', ')}`);
  if (r.activeTimeIntervals.length > 0) row('active', `only during ${r.activeTimeIntervals.join(', ')}`);
  if (at !== undefined) {
    const reason = routeMuteReason(r, config.timeIntervals, at);
    row('at', `${new Date(at).toISOString()}: ${reason ? `muted (${reason})` : 'notifies'}`);
  }
  return lines;
}

/** The `routes test` report: the episode, each route it reaches with its settings, and the receivers. */
export function routesTestReport(config: AlertingConfig, t: AlertTransition, at: number | undefined): string {
  const matches = routeEpisode(config, t);
  const dims = Object.entries(t.dimensions).map(([k, v]) => `${k}=${quoted(v)}`);
  const lines = [
    `episode series=${quoted(t.series)} channel=${quoted(t.channel)} severity=${t.severity} kind=${t.kind}${dims.length ? ` ${dims.join(' ')}` : ''}`,
    `${matches.length} route${matches.length === 1 ? '' : 's'}:`,
    ...matches.flatMap((m) => routeLines(config, m, at)),
  ];
  const receivers = [...new Set(matches.filter((m) => !m.lifecycleOnly).flatMap((m) => m.receivers))];
  lines.push(`receivers: ${receivers.join(', ') || '(none)'}`);
  return `${lines.join('\n')}\n`;
}
