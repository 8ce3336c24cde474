import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Route } from '../../core/alerting/config.ts';
import { stateExpiresAt } from '../../core/alerting/incident-actions.ts';
import type { IncidentEnv } from '../../core/alerting/incident-core.ts';
import type { IncidentState, Reduction } from '../../core/alerting/incident-types.ts';
import { inhibitionSources } from '../../core/alerting/inhibition.ts';
import { ControlCache } from './control-cache.ts';
import type { AlertingDeps } from './deps.ts';
import { EffectCarrier } from './effect-carrier.ts';
import { type WriteResult, writeWithOutbox } from './versioned-writer.ts';

/**
 * Reducer outcomes that leave the state as it was. Reducers return their input when nothing changed; an
 * expired transition for a group without state returns a fresh empty one, which is not worth writing either.
 */
const NOTHING_TO_WRITE = new Set(['duplicate', 'stale', 'expired']);

/** An incident reducer as the functions call it: the stored state (if any) and the environment in, a reduction out. */
export type IncidentReducer = (
  state: IncidentState | undefined,
  env: IncidentEnv,
) =>
  | (Reduction<IncidentState> & { readonly outcome: string })
  | { readonly outcome: string; readonly state?: undefined };

/** The route id a state key belongs to: a key is `${routeId}#${hash}` and route ids hold no '#'. */
export function routeIdOf(stateKey: string): string {
  const at = stateKey.lastIndexOf('#');
  return at <= 0 ? stateKey : stateKey.slice(0, at);
}

/**
 * What one container of the router, escalator or ack handler builds once from its {@link AlertingDeps}: the
 * control cache, the effect carrier, and the update of an incident state through the outbox write loop.
 */
export class AlertingRuntime {
  readonly control: ControlCache;
  readonly carrier: EffectCarrier;

  constructor(readonly deps: AlertingDeps) {
    this.control = new ControlCache(deps.control, {
      ttlMs: deps.controlCacheMs ?? 10_000,
      clock: deps.clock,
      inhibition: deps.config.inhibitRules.length > 0,
    });
    this.carrier = new EffectCarrier(deps, this.control);
  }

  /** The reducers' environment for `route` at `now`. */
  env(route: Route, now: number): IncidentEnv {
    return {
      now,
      route,
      receivers: this.deps.config.receivers,
      ...(this.deps.retention !== undefined && { retention: this.deps.retention }),
    };
  }

  /**
   * Updates the incident state `stateKey` with `reduce` (retried on a lost race), writes it with its effects,
   * and carries them out. A state key whose route left the config is reported as `unknown-route`.
   */
  async updateIncident(stateKey: string, reduce: IncidentReducer, now?: () => number): Promise<WriteResult> {
    const { deps } = this;
    const route = deps.config.routesById.get(routeIdOf(stateKey));
    if (!route) return { outcome: 'unknown-route', attempts: 0, written: false };
    const rules = deps.config.inhibitRules;
    const clock = now ?? deps.clock;
    return writeWithOutbox<IncidentState>(
      deps.incidents,
      stateKey,
      (state, at) => {
        const result = reduce(state, this.env(route, Math.max(at, clock())));
        if (result.state === undefined || result.state === state || NOTHING_TO_WRITE.has(result.outcome)) {
          return {
            state: state as IncidentState,
            effects: [],
            outcome: result.outcome,
            write: false,
            routeId: route.id,
            expiresAt: null,
          };
        }
        const next = result.state;
        return {
          state: next,
          effects: result.effects,
          outcome: result.outcome,
          write: true,
          routeId: route.id,
          ...(rules.length > 0 && { inhibit: next.incidents.flatMap((i) => inhibitionSources(rules, i)) }),
          expiresAt: stateExpiresAt(next, deps.retention),
        };
      },
      (outbox, version) => this.carrier.carry(outbox, stateKey, version),
      {
        clock: deps.clock,
        ...(deps.conflictAttempts !== undefined && { attempts: deps.conflictAttempts }),
        onConflict: () => deps.metrics?.addMetric('StateWriteConflicts', MetricUnit.Count, 1),
      },
    );
  }
}
