import type { Incident, IncidentNotification, UpdateReason } from '../incident-types.ts';
import { formatDuration, formatInstant } from './format.ts';
import { memberCount } from './incident-text.ts';

/**
 * The sentence that says what a notification is about ("Escalated to level 2: nobody acknowledged it"),
 * shared by every channel.
 */

const REASONS: Readonly<Record<UpdateReason, string>> = {
  grew: 'more series joined',
  severity: 'severity rose',
  'member-resolved': 'some series recovered',
  reopened: 'it fired again',
  repeat: 'still firing (reminder)',
};

/** Why an update was sent, in words: `more series joined; severity rose`. */
export function reasonsText(reasons: readonly UpdateReason[]): string {
  return reasons.map((r) => REASONS[r]).join('; ');
}

/** How long an incident lasted or has lasted at `now` (event time for resolved ones). */
export function incidentDuration(incident: Incident, now: number): number {
  const end = incident.resolvedAt ?? Math.max(incident.updatedAt, now);
  return Math.max(0, end - incident.openedAt);
}

/** One line on the incident's state and what this notification changes. */
export function headline(n: IncidentNotification): string {
  const inc = n.incident;
  const count = memberCount(inc);
  const firing = inc.members.filter((m) => m.status === 'firing').length + (inc.omittedMembers ?? 0);
  const since = `since ${formatInstant(inc.openedAt)}`;
  switch (n.kind) {
    case 'opened':
      return count > 1 ? `Anomaly on ${count} series ${since}` : `Anomaly ${since}`;
    case 'updated':
      return `Still firing ${since} (${firing} of ${count} series): ${reasonsText(n.reasons)}`;
    case 'escalated':
      return `Escalated to level ${inc.escalation.level}: not acknowledged ${since}`;
    case 'acknowledged':
      return `Acknowledged by ${inc.acknowledged?.by ?? 'someone'} at ${formatInstant(inc.acknowledged?.at ?? n.at)}`;
    case 'resolved': {
      const after = formatDuration(incidentDuration(inc, n.at));
      if (inc.resolvedBy) return `Resolved by ${inc.resolvedBy} after ${after}`;
      return n.standalone ? `Anomaly ${since}, over after ${after}` : `Resolved after ${after}`;
    }
  }
}
