import type { AlertTransition } from '../core/alerting/alert-transition.ts';
import type { AlertingConfig, Route } from '../core/alerting/config.ts';
import { acknowledge } from '../core/alerting/incident-actions.ts';
import type { IncidentEnv } from '../core/alerting/incident-core.ts';
import { applyTransition } from '../core/alerting/incident-reducer.ts';
import { onIncidentTimer } from '../core/alerting/incident-timers.ts';
import type {
  Effect,
  IncidentNotification,
  IncidentNotificationKind,
  IncidentState,
  Timer,
} from '../core/alerting/incident-types.ts';
import type { AlertLinks } from '../core/alerting/render/links.ts';
import { fillLinkTemplate } from '../core/alerting/render/links.ts';
import { routeEpisode } from '../core/alerting/routing.ts';

/**
 * Sample incidents for `seismo alerts preview`, made by the real reducer from sample transitions (a CPU-like
 * spike as in the README's local story), so a preview shows exactly what the pipeline would send.
 */

/** Start of the sample episode: the README's replayed spike. */
export const SAMPLE_START = Date.UTC(2026, 10, 22, 14, 20);
const MINUTE = 60_000;

/** The i-th sample transition: `checkout/latency`, then `checkout/latency-2`... in one service. */
export function sampleTransition(i: number, kind: AlertTransition['kind'] = 'opened'): AlertTransition {
  return {
    kind,
    episodeId: `0f3a9c${String(i).padStart(6, '0')}e1`,
    series: i === 0 ? 'checkout/latency' : `checkout/latency-${i + 1}`,
    channel: 'value',
    dimensions: { team: 'payments', service: 'checkout', env: 'prod' },
    severity: 'critical',
    startedAt: SAMPLE_START + i * 1000,
    lastSeenAt: SAMPLE_START + (kind === 'resolved' ? 95 * MINUTE : i * 1000),
    peakProbability: 0.9999999971,
    value: 92.61 + i,
    expected: { low: 31.05, high: 76.31 },
    topFeatures: [
      { name: 'seasonal_z', value: 16.5 },
      { name: 'diff_z', value: 10.8 },
      { name: 'z_long', value: 4.0 },
    ],
    modelVersion: 'iforest-default-1',
  };
}

function firstTimer(effects: readonly Effect[], type: Timer['type']): Timer | undefined {
  const found = effects.find((e) => e.kind === 'schedule' && e.timer.type === type);
  return found?.kind === 'schedule' ? found.timer : undefined;
}

function lastNotification(effects: readonly Effect[]): IncidentNotification | undefined {
  const found = effects.filter((e) => e.kind === 'notify').pop();
  return found && 'incident' in found.notification ? found.notification : undefined;
}

/**
 * A sample notification of `kind` about an incident of `members` series, under the route the first sample
 * episode reaches in `config` (grouped by service when there are several members).
 */
export function sampleNotification(
  config: AlertingConfig,
  kind: IncidentNotificationKind,
  members = 1,
): { notification: IncidentNotification; route: Route } {
  const match = routeEpisode(config, sampleTransition(0))[0];
  if (!match) throw new Error('the config routes nothing');
  const route: Route = {
    ...match.route,
    groupBy: members > 1 ? ['service'] : match.route.groupBy,
    escalation: match.route.escalation ?? {
      name: 'preview',
      levels: [{ after: 15 * MINUTE, receivers: [...match.route.receivers] }],
      repeat: 0,
    },
  };
  const groupMatch = { ...match, route };
  const env = (now: number): IncidentEnv => ({ now, route, receivers: config.receivers });
  let state: IncidentState | undefined;
  let flush: Timer | undefined;
  const count = members + (kind === 'updated' ? 1 : 0);
  for (let i = 0; i < Math.max(1, members); i++) {
    const r = applyTransition(state, sampleTransition(i), {
      now: SAMPLE_START + i,
      match: groupMatch,
      receivers: config.receivers,
    });
    state = r.state;
    flush ??= firstTimer(r.effects, 'flush');
  }
  if (!state || flush?.type !== 'flush') throw new Error('no sample incident');
  const opened = onIncidentTimer(state, flush, env(flush.at));
  state = opened.state;
  let effects: readonly Effect[] = opened.effects;
  const incidentId = state.incidents[0]?.id ?? '';
  if (kind === 'escalated') {
    const timer = firstTimer(effects, 'escalate');
    if (timer?.type === 'escalate') effects = onIncidentTimer(state, timer, env(timer.at)).effects;
  } else if (kind === 'acknowledged') {
    effects = acknowledge(
      state,
      incidentId,
      { by: 'ana', via: 'slack' },
      env(SAMPLE_START + 7 * MINUTE),
    ).effects;
  } else if (kind === 'updated') {
    const grew = applyTransition(state, sampleTransition(count - 1), {
      now: SAMPLE_START + 10 * MINUTE,
      match: groupMatch,
      receivers: config.receivers,
    });
    const timer = firstTimer(grew.effects, 'flush');
    if (timer?.type === 'flush') effects = onIncidentTimer(grew.state, timer, env(timer.at)).effects;
  } else if (kind === 'resolved') {
    // Every member ends, then the one pending group flush tells the resolve.
    let timer: Timer | undefined;
    for (let i = 0; i < members; i++) {
      const r = applyTransition(state, sampleTransition(i, 'resolved'), {
        now: SAMPLE_START + 95 * MINUTE,
        match: groupMatch,
        receivers: config.receivers,
      });
      state = r.state;
      timer ??= firstTimer(r.effects, 'flush');
    }
    if (timer?.type === 'flush') effects = onIncidentTimer(state, timer, env(timer.at)).effects;
  }
  const notification = lastNotification(effects);
  if (!notification) throw new Error(`no sample ${kind} notification`);
  return { notification, route };
}

/** Example links as the ack handler would sign them, and the config's dashboard link. */
export function sampleLinks(config: AlertingConfig, n: IncidentNotification): AlertLinks {
  const token = 'eyJpIjoiaW5jLTEyMyJ9.c2lnbmF0dXJl';
  const first = n.incident.members[0];
  const dashboard = config.links.dashboardUrl
    ? fillLinkTemplate(config.links.dashboardUrl, {
        series: first?.series ?? '',
        channel: first?.channel ?? '',
        incidentId: n.incident.id,
        episodeId: first?.episodeId ?? '',
      })
    : undefined;
  return {
    ack: `https://seismo.example.com/act/ack?t=${token}`,
    silence1h: `https://seismo.example.com/act/silence-1h?t=${token}`,
    notAnAnomaly: `https://seismo.example.com/act/not-anomaly?t=${token}`,
    ...(dashboard && { dashboard }),
  };
}
