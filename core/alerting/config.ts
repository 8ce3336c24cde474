import type { z } from 'zod';
import {
  type AlertingConfigInput,
  alertingConfigSchema,
  type BudgetConfig,
  type EscalationPolicy,
  type InhibitRule,
  type ParsedRoute,
  type Receiver,
  type TimeInterval,
} from './config-schema.ts';
import type { Matcher } from './matchers.ts';
import { formatTimeOfDay } from './render/format.ts';

/**
 * The routing config, validated and resolved: every name a route, policy or rule refers to exists, and every
 * route carries its effective settings (inherited from its parent where it sets none), so routing and the
 * incident reducer read plain values and never walk up the tree.
 */

/** `groupBy` of a route: label names, or every label (Alertmanager's `...`: one incident per episode's labels). */
export type GroupBy = readonly string[] | 'all';

/** A route with its effective settings; durations in milliseconds. */
export interface Route {
  /** Stable id: the route's `name`, else its position (`root/0/2`). Keys incident state and budgets. */
  readonly id: string;
  readonly name: string | undefined;
  /** Names (or `#index`) from the root down to this route, for people. */
  readonly path: readonly string[];
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  readonly receivers: readonly string[];
  readonly groupBy: GroupBy;
  readonly groupWait: number;
  readonly groupInterval: number;
  readonly repeatInterval: number;
  readonly sendResolved: boolean;
  readonly escalation: EscalationPolicy | null;
  readonly budget: RouteBudget | null;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
  readonly routes: readonly Route[];
}

/** A route's notification budget with its digest period filled in (ms). */
export interface RouteBudget extends BudgetConfig {
  readonly digestEvery: number;
}

/** The whole config, resolved. Lookups by name are maps, so a name such as `__proto__` is just a name. */
export interface AlertingConfig {
  readonly version: 1;
  readonly receivers: ReadonlyMap<string, Receiver>;
  readonly route: Route;
  /** Every route by id, root included. */
  readonly routesById: ReadonlyMap<string, Route>;
  readonly timeIntervals: ReadonlyMap<string, TimeInterval>;
  readonly escalationPolicies: ReadonlyMap<string, EscalationPolicy>;
  readonly inhibitRules: readonly InhibitRule[];
  readonly silenceReminders: { readonly remindBefore: number; readonly receivers: readonly string[] };
  readonly links: { readonly dashboardUrl?: string };
}

/** Settings of the root route when the file leaves them out. */
export const ROUTE_DEFAULTS = {
  groupBy: ['series', 'channel'],
  groupWait: 30_000,
  groupInterval: 5 * 60_000,
  repeatInterval: 4 * 3_600_000,
  sendResolved: true,
} as const;

/** One problem in a config file: where (`route.routes[2].matchers[0]`) and which rule it breaks. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** Thrown for an invalid config; lists every problem found, each with its path. */
export class AlertingConfigError extends Error {
  override readonly name = 'AlertingConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `invalid alerting config ${source}:\n${issues.map((i) => `  ${i.path || '(top)'}: ${i.message}`).join('\n')}`,
    );
  }
}

/** A zod path as people write it: `route.routes[2].matchers[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Validates a parsed config document (from YAML or JSON) and resolves it; throws {@link AlertingConfigError}. */
export function parseAlertingConfig(document: unknown, source = 'config'): AlertingConfig {
  const result = alertingConfigSchema.safeParse(document);
  if (!result.success) {
    throw new AlertingConfigError(
      source,
      result.error.issues.map((i) => ({ path: formatPath(i.path), message: issueMessage(i) })),
    );
  }
  const issues: ConfigIssue[] = [];
  const config = resolve(result.data, issues);
  if (issues.length > 0) throw new AlertingConfigError(source, issues);
  return config;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

function uniqueNames<T extends { readonly name?: string }>(
  items: readonly T[],
  what: string,
  path: string,
  issues: ConfigIssue[],
): Map<string, T> {
  const map = new Map<string, T>();
  items.forEach((item, i) => {
    if (item.name === undefined) return;
    if (map.has(item.name))
      issues.push({ path: `${path}[${i}].name`, message: `duplicate ${what} "${item.name}"` });
    else map.set(item.name, item);
  });
  return map;
}

function resolve(input: AlertingConfigInput, issues: ConfigIssue[]): AlertingConfig {
  const receivers = uniqueNames(input.receivers, 'receiver', 'receivers', issues);
  const timeIntervals = uniqueNames(input.timeIntervals, 'time interval', 'timeIntervals', issues);
  const escalationPolicies = uniqueNames(
    input.escalationPolicies,
    'escalation policy',
    'escalationPolicies',
    issues,
  );
  const knownReceivers = (names: readonly string[] | undefined, path: string) => {
    names?.forEach((n, i) => {
      if (!receivers.has(n)) issues.push({ path: `${path}[${i}]`, message: `unknown receiver "${n}"` });
    });
  };
  input.escalationPolicies.forEach((p, i) => {
    p.levels.forEach((level, j) => {
      knownReceivers(level.receivers, `escalationPolicies[${i}].levels[${j}].receivers`);
    });
  });
  input.timeIntervals.forEach((interval, i) => {
    interval.times.forEach((w, j) => {
      w.timesOfDay?.forEach((t, k) => {
        if (t.start >= t.end) {
          issues.push({
            path: `timeIntervals[${i}].times[${j}].timesOfDay[${k}]`,
            message: `start ${formatTimeOfDay(t.start)} is not before end ${formatTimeOfDay(t.end)} (split a window that crosses midnight in two)`,
          });
        }
      });
    });
  });
  knownReceivers(input.silences?.receivers, 'silences.receivers');

  const root = input.route;
  if (root.matchers.length > 0) {
    issues.push({ path: 'route.matchers', message: 'the root route is the catch-all: it takes no matchers' });
  }
  if (root.receivers === undefined) {
    issues.push({ path: 'route.receivers', message: 'the root route needs receivers: it is the catch-all' });
  }
  const routesById = new Map<string, Route>();
  const context = {
    timeIntervals,
    escalationPolicies,
    issues,
    routesById,
    routeIds: new Set<string>(),
    knownReceivers,
  };
  const rootDefaults: Inherited = {
    receivers: [],
    groupBy: ROUTE_DEFAULTS.groupBy,
    groupWait: ROUTE_DEFAULTS.groupWait,
    groupInterval: ROUTE_DEFAULTS.groupInterval,
    repeatInterval: ROUTE_DEFAULTS.repeatInterval,
    sendResolved: ROUTE_DEFAULTS.sendResolved,
    escalation: null,
    muteTimeIntervals: [],
    activeTimeIntervals: [],
  };
  const route = resolveRoute(root, rootDefaults, 'route', 'root', [], context);
  return {
    version: 1,
    receivers,
    route,
    routesById,
    timeIntervals,
    escalationPolicies,
    inhibitRules: input.inhibitRules,
    silenceReminders: {
      remindBefore: input.silences?.remindBefore ?? 15 * 60_000,
      receivers: input.silences?.receivers ?? [],
    },
    links: input.links ?? {},
  };
}

type Inherited = Pick<
  Route,
  | 'receivers'
  | 'groupBy'
  | 'groupWait'
  | 'groupInterval'
  | 'repeatInterval'
  | 'sendResolved'
  | 'escalation'
  | 'muteTimeIntervals'
  | 'activeTimeIntervals'
>;

interface ResolveContext {
  readonly timeIntervals: ReadonlyMap<string, TimeInterval>;
  readonly escalationPolicies: ReadonlyMap<string, EscalationPolicy>;
  readonly issues: ConfigIssue[];
  readonly routesById: Map<string, Route>;
  readonly routeIds: Set<string>;
  readonly knownReceivers: (names: readonly string[] | undefined, path: string) => void;
}

function resolveRoute(
  r: ParsedRoute,
  parent: Inherited,
  path: string,
  positionalId: string,
  names: readonly string[],
  ctx: ResolveContext,
): Route {
  const id = r.name ?? positionalId;
  const label = r.name ?? (positionalId === 'root' ? 'root' : `#${positionalId.split('/').pop()}`);
  if (ctx.routeIds.has(id))
    ctx.issues.push({ path: `${path}.name`, message: `duplicate route name "${id}"` });
  ctx.routeIds.add(id);
  ctx.knownReceivers(r.receivers, `${path}.receivers`);
  for (const key of ['muteTimeIntervals', 'activeTimeIntervals'] as const) {
    r[key]?.forEach((n, i) => {
      if (!ctx.timeIntervals.has(n))
        ctx.issues.push({ path: `${path}.${key}[${i}]`, message: `unknown time interval "${n}"` });
    });
  }
  let escalation = parent.escalation;
  if (r.escalation !== undefined) {
    escalation = ctx.escalationPolicies.get(r.escalation) ?? null;
    if (!escalation)
      ctx.issues.push({ path: `${path}.escalation`, message: `unknown escalation policy "${r.escalation}"` });
  }
  if (r.groupBy?.includes('kind')) {
    ctx.issues.push({
      path: `${path}.groupBy`,
      message: '"kind" cannot group: an episode\'s open and resolve must land in the same incident',
    });
  }
  const groupBy: GroupBy =
    r.groupBy === undefined ? parent.groupBy : r.groupBy.includes('...') ? 'all' : r.groupBy;
  const settings: Inherited = {
    receivers: r.receivers ?? parent.receivers,
    groupBy,
    groupWait: r.groupWait ?? parent.groupWait,
    groupInterval: r.groupInterval ?? parent.groupInterval,
    repeatInterval: r.repeatInterval ?? parent.repeatInterval,
    sendResolved: r.sendResolved ?? parent.sendResolved,
    escalation,
    muteTimeIntervals: r.muteTimeIntervals ?? parent.muteTimeIntervals,
    activeTimeIntervals: r.activeTimeIntervals ?? parent.activeTimeIntervals,
  };
  if (settings.groupInterval <= 0)
    ctx.issues.push({ path: `${path}.groupInterval`, message: 'must be longer than 0s' });
  if (settings.repeatInterval < settings.groupInterval) {
    ctx.issues.push({ path: `${path}.repeatInterval`, message: 'must not be shorter than groupInterval' });
  }
  const routePath = [...names, label];
  const children = r.routes.map((child, i) =>
    resolveRoute(child, settings, `${path}.routes[${i}]`, `${positionalId}/${i}`, routePath, ctx),
  );
  const route: Route = {
    id,
    name: r.name,
    path: routePath,
    matchers: r.matchers,
    continue: r.continue,
    budget:
      r.budget === undefined ? null : { ...r.budget, digestEvery: r.budget.digestEvery ?? r.budget.per },
    ...settings,
    routes: children,
  };
  ctx.routesById.set(id, route);
  return route;
}
