import type { Labels } from './alert-transition.ts';
import { labelValue } from './alert-transition.ts';
import type { InhibitRule } from './config-schema.ts';
import type { Incident } from './incident-types.ts';
import { matchesAll } from './matchers.ts';
import { memberLabels } from './member-labels.ts';

/**
 * Inhibition, as in Alertmanager: while a source episode is firing (say, a critical one on a host), target
 * episodes that share the rule's `equal` labels with it (warnings on the same host) are not notified. An
 * episode never inhibits itself, even when it matches both sides.
 */

/** The rule that inhibits `target` given the firing `sources`, if any. */
export function inhibitedBy(
  rules: readonly InhibitRule[],
  target: Labels,
  sources: readonly Labels[],
): InhibitRule | undefined {
  const self = (source: Labels) =>
    labelValue(source, 'series') === labelValue(target, 'series') &&
    labelValue(source, 'channel') === labelValue(target, 'channel');
  return rules.find(
    (rule) =>
      matchesAll(rule.targetMatchers, target) &&
      sources.some(
        (source) =>
          !self(source) &&
          matchesAll(rule.sourceMatchers, source) &&
          rule.equal.every((name) => (labelValue(source, name) ?? '') === (labelValue(target, name) ?? '')),
      ),
  );
}

/** Whether `target` is inhibited by any rule given the firing `sources`. */
export function isInhibited(
  rules: readonly InhibitRule[],
  target: Labels,
  sources: readonly Labels[],
): boolean {
  return inhibitedBy(rules, target, sources) !== undefined;
}

/**
 * The labels of an incident's firing members that can inhibit others under `rules`: what the integrator keeps
 * in a small index of active sources, updated whenever the incident changes.
 */
export function inhibitionSources(rules: readonly InhibitRule[], incident: Incident): Labels[] {
  if (incident.closed || incident.status === 'resolved' || rules.length === 0) return [];
  return incident.members
    .filter((m) => m.status === 'firing')
    .map(memberLabels)
    .filter((labels) => rules.some((rule) => matchesAll(rule.sourceMatchers, labels)));
}
