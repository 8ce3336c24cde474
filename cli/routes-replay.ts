import type { AlertTransition } from '../core/alerting/alert-transition.ts';
import type { AlertingConfig } from '../core/alerting/config.ts';
import type { NotificationKind } from '../core/alerting/incident-types.ts';
import { formatInstant } from '../core/alerting/render/format.ts';
import { incidentTitle } from '../core/alerting/render/incident-text.ts';
import { AlertingSimulator } from '../core/alerting/simulator.ts';
import { quoted } from './alerting-config.ts';
import type { EpisodeSource, ReplayWindow, SkippedRecord } from './episode-source.ts';
import { BAD_ROWS_SHOWN } from './progress.ts';

/** What a replay found, per receiver and in total. */
export interface ReplayResult {
  readonly transitions: number;
  readonly episodes: number;
  readonly skipped: number;
  readonly simulator: AlertingSimulator;
}

/** Kinds in the order the report's columns show them. */
const COLUMNS: readonly NotificationKind[] = [
  'opened',
  'updated',
  'escalated',
  'acknowledged',
  'resolved',
  'budget-exceeded',
  'digest',
  'silence-expiring',
];
const HEADINGS = ['opened', 'updated', 'escalated', 'acked', 'resolved', 'budget', 'digest', 'silence'];

/**
 * Runs a window of stored transitions through a config on a virtual clock: each transition arrives at its
 * last point's time, timers fire in between (group flushes, escalations, repeats, digests), nobody acknowledges.
 */
export async function replayEpisodes(
  config: AlertingConfig,
  source: EpisodeSource,
  window: ReplayWindow,
  onSkipped: (record: SkippedRecord) => void,
): Promise<ReplayResult> {
  const transitions: AlertTransition[] = [];
  let skipped = 0;
  for await (const t of source.read(window, (r) => {
    skipped += 1;
    onSkipped(r);
  })) {
    transitions.push(t);
  }
  transitions.sort((a, b) => a.lastSeenAt - b.lastSeenAt);
  const simulator = new AlertingSimulator(config);
  for (const t of transitions) simulator.receive(t, t.lastSeenAt);
  simulator.advanceTo(window.to);
  const episodes = new Set(transitions.map((t) => JSON.stringify([t.series, t.channel, t.episodeId]))).size;
  return { transitions: transitions.length, episodes, skipped, simulator };
}

/** The replay report: a table of notifications per receiver and kind, what was held back, and (verbose) each one. */
export function replayReport(
  config: AlertingConfig,
  result: ReplayResult,
  window: ReplayWindow,
  verbose: boolean,
): string {
  const sim = result.simulator;
  const lines = [
    `replayed ${result.transitions} transitions of ${result.episodes} episodes from ${formatInstant(window.from)} to ${formatInstant(window.to)}`,
  ];
  const names = [...config.receivers.keys()];
  const width = Math.max(8, ...names.map((n) => n.length));
  lines.push(
    `${'receiver'.padEnd(width)}  ${'channel'.padEnd(9)}${HEADINGS.map((h) => h.padStart(10)).join('')}${'total'.padStart(7)}`,
  );
  for (const name of names) {
    const got = sim.deliveries.filter((d) => d.receiver === name);
    const counts = COLUMNS.map((kind) => got.filter((d) => d.notification.kind === kind).length);
    const type = config.receivers.get(name)?.type ?? '';
    lines.push(
      `${name.padEnd(width)}  ${type.padEnd(9)}${counts.map((c) => String(c).padStart(10)).join('')}${String(got.length).padStart(7)}`,
    );
  }
  const byStage = (stage: string) => sim.suppressed.filter((s) => s.stage === stage);
  const muted = byStage('muted');
  const reasons = new Map<string, number>();
  for (const m of muted) reasons.set(m.reason, (reasons.get(m.reason) ?? 0) + 1);
  lines.push(
    `held back: ${muted.length} muted${muted.length ? ` (${[...reasons].map(([r, n]) => `${n} ${r}`).join('; ')})` : ''}, ` +
      `${byStage('budget').length} over budget (sent in digests), ${byStage('log').length} dropped by the notification log`,
  );
  const incidents = sim.incidents();
  const open = incidents.filter((i) => !i.closed).length;
  lines.push(
    `${incidents.length} incidents, ${open} still open at the end of the window; nobody acknowledged during the replay`,
  );
  if (verbose) {
    lines.push('');
    for (const d of sim.deliveries) {
      const n = d.notification;
      const about = 'incident' in n ? `${n.incident.id} ${quoted(incidentTitle(n.incident))}` : n.id;
      lines.push(`${formatInstant(d.at)}  ${d.receiver.padEnd(width)}  ${n.kind.padEnd(16)} ${about}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The first skipped records, for stderr. */
export function skippedNote(records: readonly SkippedRecord[], total: number): string {
  if (total === 0) return '';
  const shown = records.slice(0, BAD_ROWS_SHOWN).map((r) => `  ${r.where}: ${r.reason}`);
  const more = total > shown.length ? [`  ... and ${total - shown.length} more`] : [];
  return `${[`skipped ${total} unreadable record(s):`, ...shown, ...more].join('\n')}\n`;
}
