import type { Incident } from './incident-types.ts';

/** Members a notification carries: more than any renderer lists (Slack 25, email 50, webhook 100). */
export const NOTIFICATION_MAX_MEMBERS = 100;

/**
 * A copy of an incident with at most `maxMembers` members (firing first, then by start), the rest counted in
 * `omittedMembers`: what a queue message carries (SQS takes 256 KiB) and what renderers list.
 */
export function compactIncident(incident: Incident, maxMembers: number): Incident {
  const total = incident.members.length + (incident.omittedMembers ?? 0);
  if (incident.members.length <= maxMembers) return incident;
  const firing = incident.members.filter((m) => m.status === 'firing');
  const resolved = incident.members.filter((m) => m.status !== 'firing');
  const kept = [...firing, ...resolved].slice(0, maxMembers);
  return { ...incident, members: kept, omittedMembers: total - kept.length };
}
