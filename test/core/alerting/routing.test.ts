import { describe, expect, it } from 'vitest';
import { routeEpisode } from '../../../core/alerting/routing.ts';
import { exampleConfig, transition } from './fixtures.ts';

const config = exampleConfig();
const routed = (overrides: Parameters<typeof transition>[0]) =>
  routeEpisode(config, transition(overrides)).map(
    (m) => `${m.route.id}${m.lifecycleOnly ? ' (lifecycle)' : ''}`,
  );

describe('routeEpisode', () => {
  it('sends an episode matching no child to the catch-all root', () => {
    expect(routed({ dimensions: {} })).toEqual(['root']);
  });

  it('descends to the deepest matching route and stops at the first match', () => {
    expect(routed({ severity: 'critical' })).toEqual(['payments-pages']);
    expect(routed({ severity: 'warning' })).toEqual(['payments']);
  });

  it('keeps matching siblings after a route with continue', () => {
    const both = routed({ series: 'partner/orders', dimensions: { env: 'prod' }, severity: 'warning' });
    expect(both).toEqual(['partner-feed', 'business-hours-mail']);
  });

  it('matches the transition kind, and sends a resolve wherever its open could have gone', () => {
    const base = { series: 'partner/orders', dimensions: {}, severity: 'critical' as const };
    expect(routed({ ...base, kind: 'escalated' })).toEqual(['root']);
    expect(routed({ ...base, kind: 'opened' })).toEqual(['partner-feed']);
    // kind!="escalated" takes the resolve directly; the root took the escalation, so it gets the resolve too.
    expect(routed({ ...base, kind: 'resolved' })).toEqual(['partner-feed', 'root (lifecycle)']);
  });

  it('groups by the route labels, with a bounded state key', () => {
    const [a] = routeEpisode(config, transition({ severity: 'critical', series: 'checkout/latency' }));
    const [b] = routeEpisode(config, transition({ severity: 'critical', series: 'checkout/errors' }));
    expect(a?.groupLabels).toEqual({ team: 'payments', service: 'checkout' });
    expect(a?.stateKey).toBe(b?.stateKey);
    expect(a?.stateKey).toMatch(/^payments-pages#[0-9a-f]{32}$/);
    expect(a?.receivers).toEqual(['payments-slack', 'payments-pager']);
  });

  it('tells series and channel apart in the default grouping', () => {
    const [a] = routeEpisode(config, transition({ dimensions: {}, channel: 'cpu' }));
    const [b] = routeEpisode(config, transition({ dimensions: {}, channel: 'mem' }));
    expect(a?.stateKey).not.toBe(b?.stateKey);
  });

  it('lets reserved labels win over dimensions of the same name, reachable as dimensions.NAME', () => {
    const labelsOf = routeEpisode(
      config,
      transition({ severity: 'warning', dimensions: { severity: 'critical' } }),
    );
    expect(labelsOf.map((m) => m.route.id)).toEqual(['root']);
  });
});
