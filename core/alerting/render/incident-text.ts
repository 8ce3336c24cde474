import type { Incident, MemberSnapshot } from '../incident-types.ts';

/**
 * The words every channel uses for an incident: its title, its state line and member lines. Kept in one place
 * so a Slack message, an email and a PagerDuty summary about the same incident read alike.
 */

/** A member's series name as shown: `series` for single-value events, `series/channel` otherwise. */
export function memberName(m: Pick<MemberSnapshot, 'series' | 'channel'>): string {
  return m.channel === 'value' ? m.series : `${m.series}/${m.channel}`;
}

/** Number of series in an incident, counting members left out of a compacted copy. */
export function memberCount(incident: Incident): number {
  return incident.members.length + (incident.omittedMembers ?? 0);
}

/**
 * A short title: the series for one member; for a group, the group labels (`team=payments`) or the first series
 * and how many more.
 */
export function incidentTitle(incident: Incident): string {
  const count = memberCount(incident);
  const first = incident.members[0];
  if (count <= 1 && first) return memberName(first);
  const labels = Object.entries(incident.groupLabels)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (labels) return `${count} series, ${labels}`;
  return `${count} series, ${first ? memberName(first) : ''} and others`;
}

/** The incident's state in one word for headers: FIRING, ACKNOWLEDGED, RESOLVED. */
export function statusWord(incident: Incident): string {
  return incident.status.toUpperCase();
}

/** Members with the most urgent first: firing before resolved, critical before warning, then by start. */
export function membersByUrgency(incident: Incident): MemberSnapshot[] {
  const rank = (m: MemberSnapshot) => (m.status === 'firing' ? 0 : 2) + (m.severity === 'critical' ? 0 : 1);
  return [...incident.members].sort((a, b) => rank(a) - rank(b) || a.startedAt - b.startedAt);
}
