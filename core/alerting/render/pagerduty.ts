import type { Severity } from '../../detection-types.ts';
import type { Notification } from '../incident-types.ts';
import { describeFeature, formatProbability, formatRange, formatValue, oneLine, truncate } from './format.ts';
import { incidentTitle, memberCount, memberName, membersByUrgency } from './incident-text.ts';
import type { AlertLinks } from './links.ts';
import { headline } from './notification-text.ts';

/**
 * PagerDuty Events API v2 events. The dedup key is the incident id, so trigger, acknowledge and resolve land
 * on one PagerDuty incident and a repeated trigger only adds to it. The routing key is a secret and is added by
 * the sender, never rendered here. Digests and silence reminders are not for PagerDuty (null).
 */

/** PagerDuty's four severities. */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/**
 * Seismo severity to PagerDuty's: critical to `critical`, warning to `warning`. PagerDuty's default urgency
 * rules page high-urgency for critical and error and low-urgency for warning and info: a Seismo warning (an
 * episode at 1 in 1,000) is worth a look, not a wake-up, so it must not become `error`.
 */
export const PAGERDUTY_SEVERITY: Readonly<Record<Severity, PagerDutySeverity>> = {
  critical: 'critical',
  warning: 'warning',
};

/** PagerDuty's limit on `payload.summary`. */
export const PAGERDUTY_SUMMARY_MAX = 1024;

/** An Events API v2 event without `routing_key` (the sender adds it from Secrets Manager). */
export interface PagerDutyEvent {
  readonly event_action: 'trigger' | 'acknowledge' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: PagerDutySeverity;
    readonly timestamp: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details?: Readonly<Record<string, unknown>>;
  };
  readonly client?: string;
  readonly client_url?: string;
  readonly links?: readonly { readonly href: string; readonly text: string }[];
}

/** Members described in `custom_details`. */
const DETAIL_MEMBERS = 20;

/** Renders a notification as a PagerDuty event, or null for kinds PagerDuty does not get. */
export function renderPagerDuty(n: Notification, links: AlertLinks = {}): PagerDutyEvent | null {
  if (n.kind === 'digest' || n.kind === 'silence-expiring') return null;
  if (n.kind === 'budget-exceeded') {
    return {
      event_action: 'trigger',
      dedup_key: n.id,
      payload: {
        summary: truncate(
          `Seismo notification budget exceeded on route ${oneLine(n.routeId)}: further alerts go to a digest`,
          PAGERDUTY_SUMMARY_MAX,
        ),
        source: 'seismo',
        severity: 'warning',
        timestamp: new Date(n.at).toISOString(),
        class: 'notification-budget',
        custom_details: { route: n.routeId, max: n.budget.max, per_seconds: n.budget.per / 1000 },
      },
      client: 'Seismo',
    };
  }
  const inc = n.incident;
  if (n.kind === 'acknowledged') return { event_action: 'acknowledge', dedup_key: inc.id };
  if (n.kind === 'resolved') return { event_action: 'resolve', dedup_key: inc.id };
  const members = membersByUrgency(inc);
  const lead = members[0];
  const summary = `[${inc.severity.toUpperCase()}] ${incidentTitle(inc)}: ${
    lead
      ? `value ${formatValue(lead.value)}, expected ${formatRange(lead.expected)}, ${formatProbability(lead.peakProbability)}`
      : ''
  }`;
  const hrefs = [
    links.dashboard && { href: links.dashboard, text: 'Dashboard' },
    links.ack && { href: links.ack, text: 'Acknowledge in Seismo' },
  ].filter((l): l is { href: string; text: string } => typeof l === 'object');
  return {
    event_action: 'trigger',
    dedup_key: inc.id,
    payload: {
      summary: truncate(oneLine(summary), PAGERDUTY_SUMMARY_MAX),
      source: truncate(oneLine(lead ? memberName(lead) : 'seismo'), 255),
      severity: PAGERDUTY_SEVERITY[inc.severity],
      timestamp: new Date(inc.openedAt).toISOString(),
      component: truncate(oneLine(lead?.series ?? 'seismo'), 255),
      group: truncate(
        oneLine(
          Object.entries(inc.groupLabels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',') || inc.routeId,
        ),
        255,
      ),
      class: 'anomaly',
      custom_details: {
        headline: headline(n),
        incident_id: inc.id,
        route: inc.routeId,
        status: inc.status,
        escalation_level: inc.escalation.level,
        series_count: memberCount(inc),
        top_features: lead?.topFeatures.slice(0, 3).map(describeFeature) ?? [],
        model_version: lead?.modelVersion ?? 'unknown',
        episodes: members.slice(0, DETAIL_MEMBERS).map((m) => ({
          series: memberName(m),
          episode_id: m.episodeId,
          status: m.status,
          severity: m.severity,
          value: m.value,
          expected: formatRange(m.expected),
          rarity: formatProbability(m.peakProbability),
          peak_probability: m.peakProbability,
          started: new Date(m.startedAt).toISOString(),
          dimensions: m.dimensions,
        })),
      },
    },
    client: 'Seismo',
    ...(links.dashboard && { client_url: links.dashboard }),
    ...(hrefs.length > 0 && { links: hrefs }),
  };
}
