import { ACTION_LINK_TTL_MS, signActionToken } from '../../core/alerting/action-token.ts';
import type { Receiver } from '../../core/alerting/config-schema.ts';
import type { Notification } from '../../core/alerting/incident-types.ts';
import { membersByUrgency } from '../../core/alerting/render/incident-text.ts';
import { type AlertAction, type AlertLinks, fillLinkTemplate } from '../../core/alerting/render/links.ts';
import { incidentStateKey } from '../../core/alerting/routing.ts';

/**
 * Makes the links a notification carries for one receiver: the dashboard (from the config's template) and,
 * for channels without buttons, signed and expiring action links to the ack handler's confirm page.
 */

/** Where the links point and how they are signed. */
export interface LinkFactoryOptions {
  /** The ack handler's base URL (its Function URL); without it, no action links are made. */
  readonly ackBaseUrl?: string;
  /** The current link-signing key (Secrets Manager, cached). */
  readonly key?: () => Promise<string>;
  /** The config's `links.dashboardUrl` template. */
  readonly dashboardUrl?: string;
  /** How long an action link works; a week by default. */
  readonly ttlMs?: number;
}

/** Makes the links of one notification for one receiver at `now`. */
export type LinkFactory = (
  notification: Notification,
  receiver: Receiver,
  now: number,
) => Promise<AlertLinks>;

/** The path of an action link under the ack handler's base URL. */
export const ACTION_PATH = '/a/';

/** A link factory; see the module comment. */
export function createLinkFactory(options: LinkFactoryOptions): LinkFactory {
  const base = options.ackBaseUrl?.replace(/\/+$/, '');
  const ttl = options.ttlMs ?? ACTION_LINK_TTL_MS;
  return async (notification, receiver, now) => {
    if (!('incident' in notification)) return {};
    const inc = notification.incident;
    const lead = membersByUrgency(inc)[0];
    const links: { -readonly [K in keyof AlertLinks]: AlertLinks[K] } = {};
    if (options.dashboardUrl && lead) {
      links.dashboard = fillLinkTemplate(options.dashboardUrl, {
        series: lead.series,
        channel: lead.channel,
        incidentId: inc.id,
        episodeId: lead.episodeId,
      });
    }
    // Slack has buttons, which the signed interaction carries; links are for the other channels.
    if (!base || !options.key || receiver.type === 'slack') return links;
    const key = await options.key();
    const stateKey = incidentStateKey(inc.routeId, inc.groupKey);
    const link = (action: AlertAction) =>
      `${base}${ACTION_PATH}${signActionToken(
        { action, stateKey, incidentId: inc.id, receiver: receiver.name, expiresAt: now + ttl },
        key,
      )}`;
    if (inc.status === 'firing') links.ack = link('ack');
    if (inc.status !== 'resolved') links.silence1h = link('silence-1h');
    links.notAnAnomaly = link('not-anomaly');
    return links;
  };
}
