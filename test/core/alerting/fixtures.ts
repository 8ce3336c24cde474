import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AlertTransition } from '../../../core/alerting/alert-transition.ts';
import { type AlertingConfig, parseAlertingConfig } from '../../../core/alerting/config.ts';
import { EXAMPLE_CONFIG_PATH, parseAlertingConfigText } from '../../../core/alerting/config-loader.ts';

/** Repository root. */
export const ROOT = resolve(import.meta.dirname, '../../..');

/** The shipped example config, parsed. */
export function exampleConfig(): AlertingConfig {
  const path = resolve(ROOT, EXAMPLE_CONFIG_PATH);
  return parseAlertingConfigText(readFileSync(path, 'utf8'), path);
}

/** Monday 2026-11-23 10:00 UTC. */
export const T0 = Date.UTC(2026, 10, 23, 10, 0);
export const MINUTE = 60_000;

/** A transition with sensible defaults. */
export function transition(overrides: Partial<AlertTransition> = {}): AlertTransition {
  return {
    kind: 'opened',
    episodeId: 'ep-1',
    series: 'checkout/latency',
    channel: 'value',
    dimensions: { team: 'payments', service: 'checkout' },
    severity: 'warning',
    startedAt: T0,
    lastSeenAt: T0,
    peakProbability: 0.9995,
    value: 912.5,
    expected: { low: 120, high: 310 },
    topFeatures: [
      { name: 'z_short', value: 9.1 },
      { name: 'seasonal_z', value: 6.4 },
    ],
    modelVersion: 'iforest-2026-11-01',
    ...overrides,
  };
}

/** A small config: one Slack receiver at the root, settings overridable. */
export function smallConfig(
  route: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): AlertingConfig {
  return parseAlertingConfig(
    {
      version: 1,
      receivers: [
        { name: 'slack', type: 'slack', channel: '#alerts' },
        { name: 'pager', type: 'pagerduty', routingKeySecretName: 'seismo/pd' },
        { name: 'mail', type: 'email', to: ['a@example.com'] },
        { name: 'hook', type: 'webhook', url: 'https://hooks.example.com/x', secretName: 'seismo/hook' },
      ],
      route: { receivers: ['slack'], groupWait: '30s', groupInterval: '5m', repeatInterval: '4h', ...route },
      ...extra,
    },
    'test',
  );
}
