import type { GateReport, ModelFigures } from './gate.ts';

const num = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const spreadText = (s: { p10: number; median: number; p90: number }, digits = 3) =>
  `${num(s.p10, digits)} / ${num(s.median, digits)} / ${num(s.p90, digits)}`;

/** The gate report as a person reads it: the setting, one table of figures, the checks and the verdict. */
export function renderGateReport(report: GateReport, title = 'Retraining gate'): string {
  const lines: string[] = [];
  lines.push(
    `${title}: ${report.verdict.toUpperCase()}${report.chosen ? ` (challenger: ${report.chosen})` : ''}`,
  );
  lines.push('');
  lines.push(
    `Holdout: ${report.holdout.series} series, ${report.holdout.points.toLocaleString('en-US')} points, ${report.holdout.days} series-days.`,
  );
  lines.push(
    `Alert budget: ${report.budget.episodes} episodes (${report.budget.perSeriesDay} per series per day): ${report.budget.rule}.`,
  );
  lines.push(`Mode: ${report.mode}. ${report.modeReason}.`);
  lines.push(
    `Choice: of the candidates that pass, the best injected recall; one of another algorithm than the champion's must gain ${report.margins.algorithmChange} more.`,
  );
  lines.push('');
  const header = [
    'model',
    'threshold z',
    'episodes',
    'ep/series/day p10/med/p90',
    'injected recall',
    'recall/series p10/med/p90',
    'delay med/p90',
    'label recall',
    'label precision',
  ];
  const rows = report.models.map((m: ModelFigures) => [
    `${m.name} (${m.role})`,
    num(m.threshold, 2),
    String(m.episodes),
    spreadText(m.episodesPerSeriesDay),
    `${num(m.injected.recall)} (${m.injected.caught}/${m.injected.injected})`,
    spreadText(m.injected.recallPerSeries, 2),
    `${num(m.injected.delayPoints.median, 0)} / ${num(m.injected.delayPoints.p90, 0)}`,
    m.labels.confirmed > 0
      ? `${num(m.labels.recall)} (${m.labels.confirmedCaught}/${m.labels.confirmed})`
      : 'no labels',
    m.labels.judgedEpisodes > 0
      ? `${num(m.labels.precision)} (${m.labels.judgedEpisodes} judged)`
      : 'none judged',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  lines.push(line(header));
  lines.push(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) lines.push(line(r));
  lines.push('');
  lines.push('Checks (margins are stated with each rule):');
  for (const c of report.checks) {
    lines.push(
      `  ${c.pass ? 'pass' : 'FAIL'}  ${c.candidate}: ${c.name} ${num(c.candidateValue)} vs ${num(c.referenceValue)}: ${c.rule}`,
    );
  }
  if (report.reasons.length > 0) {
    lines.push('');
    lines.push('Rejected because:');
    for (const r of report.reasons) lines.push(`  - ${r}`);
  }
  return `${lines.join('\n')}\n`;
}
