import { sampleLinks, sampleNotification, sampleTransition } from '../../../../cli/alert-samples.ts';
import type {
  IncidentNotification,
  IncidentNotificationKind,
} from '../../../../core/alerting/incident-types.ts';
import type { AlertLinks } from '../../../../core/alerting/render/links.ts';
import { exampleConfig } from '../fixtures.ts';

export { sampleTransition };

const config = exampleConfig();

/** A notification of `kind` about a sample incident of `members` series, made by the real reducer. */
export function sample(
  kind: IncidentNotificationKind,
  members = 1,
): { n: IncidentNotification; links: AlertLinks } {
  const { notification } = sampleNotification(config, kind, members);
  return { n: notification, links: sampleLinks(config, notification) };
}

/** A copy of a notification whose members have hostile names and dimension values. */
export function hostile(n: IncidentNotification, series: string): IncidentNotification {
  return {
    ...n,
    incident: {
      ...n.incident,
      members: n.incident.members.map((m) => ({ ...m, series, dimensions: { team: series } })),
    },
  };
}
