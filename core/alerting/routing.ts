import { createHash } from 'node:crypto';
import {
  type AlertTransition,
  DIMENSION_PREFIX,
  type Labels,
  labelValue,
  type TransitionKind,
  transitionLabels,
} from './alert-transition.ts';
import type { AlertingConfig, GroupBy, Route } from './config.ts';
import { matchesAll } from './matchers.ts';

/**
 * Route matching, as Alertmanager does it: the root always matches; a route that matches hands the episode
 * to the first of its children that matches (or to several, when a matching child has `continue: true`), and
 * ends up with it itself when none does. The routes where matching ends receive the episode.
 */

/** One route an episode reaches, with the group it falls in there. */
export interface RouteMatch {
  readonly route: Route;
  /** The route's receivers (initial notification); escalation levels add more later. */
  readonly receivers: readonly string[];
  /** The values of the route's `groupBy` labels for this episode (missing labels as ""). */
  readonly groupLabels: Labels;
  /** Canonical text of `groupLabels`: equal for every episode of the same group. */
  readonly groupKey: string;
  /** Bounded key of the (route, group) incident state: `${route.id}#${hash of groupKey}`. */
  readonly stateKey: string;
  /**
   * True when only a resolve reaches this route because its open or escalation could have (a route matching
   * `kind="opened"` still gets the resolve of the episodes it took in). Such a resolve ends what the route
   * knows of the episode and is remembered, but never notifies about an episode the route did not see.
   */
  readonly lifecycleOnly: boolean;
}

/** The routes (leaf-most matching ones) that take labels, in config order. */
export function matchRoutes(route: Route, labels: Labels): Route[] {
  if (!matchesAll(route.matchers, labels)) return [];
  const found: Route[] = [];
  for (const child of route.routes) {
    const matched = matchRoutes(child, labels);
    if (matched.length === 0) continue;
    found.push(...matched);
    if (!child.continue) break;
  }
  return found.length > 0 ? found : [route];
}

/** The kinds whose routes a transition of `kind` must also reach, so an episode's resolve follows it. */
function lifecycleKinds(t: Pick<AlertTransition, 'kind' | 'severity'>): TransitionKind[] {
  if (t.kind !== 'resolved') return [];
  // A warning episode never escalated; a critical one may have opened critical or escalated.
  return t.severity === 'critical' ? ['opened', 'escalated'] : ['opened'];
}

/**
 * The routes and receivers a transition reaches, with its group in each. A resolve also reaches, marked
 * `lifecycleOnly`, the routes its episode's open or escalation could have reached.
 */
export function routeEpisode(config: AlertingConfig, t: AlertTransition): RouteMatch[] {
  const direct = matchRoutes(config.route, transitionLabels(t));
  const matches = direct.map((route) => routeMatch(route, t, false));
  const seen = new Set(direct.map((r) => r.id));
  for (const kind of lifecycleKinds(t)) {
    for (const route of matchRoutes(config.route, transitionLabels({ ...t, kind }))) {
      if (seen.has(route.id)) continue;
      seen.add(route.id);
      matches.push(routeMatch(route, t, true));
    }
  }
  return matches;
}

function routeMatch(route: Route, t: AlertTransition, lifecycleOnly: boolean): RouteMatch {
  const groupLabels = groupLabelsOf(route.groupBy, transitionLabels(t));
  const groupKey = canonicalLabels(groupLabels);
  return {
    route,
    receivers: route.receivers,
    groupLabels,
    groupKey,
    stateKey: incidentStateKey(route.id, groupKey),
    lifecycleOnly,
  };
}

/** The group labels of an episode under a route's `groupBy` (never `kind`: one episode stays in one group). */
export function groupLabelsOf(groupBy: GroupBy, labels: Labels): Labels {
  if (groupBy === 'all') {
    return Object.fromEntries(
      Object.entries(labels).filter(([name]) => name !== 'kind' && !name.startsWith(DIMENSION_PREFIX)),
    );
  }
  return Object.fromEntries(groupBy.map((name) => [name, labelValue(labels, name) ?? '']));
}

/** Labels as canonical text (sorted by name), equal for equal label sets. */
export function canonicalLabels(labels: Labels): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/** The key of a (route, group) incident state, bounded in length whatever the labels: for a table key. */
export function incidentStateKey(routeId: string, groupKey: string): string {
  return `${routeId}#${createHash('sha256').update(groupKey).digest('hex').slice(0, 32)}`;
}
