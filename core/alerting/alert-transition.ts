import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Severity } from '../detection-types.ts';

/**
 * The router's input: one episode transition as the detector publishes it on the `anomalies` topic (the JSON
 * body of `AlertMessage`). It is validated here rather than trusted, because the alerting side is deployed on
 * its own schedule and an SNS body can come from an older or newer detector.
 */

/** Transition kinds in the order an episode goes through them; a later kind supersedes an earlier one. */
export const TRANSITION_KINDS = ['opened', 'escalated', 'resolved'] as const;

/** What happened to an episode: it opened, its severity rose to critical, or it ended. */
export type TransitionKind = (typeof TRANSITION_KINDS)[number];

/** Seismo's two severities, lowest first. */
export const SEVERITIES = ['warning', 'critical'] as const satisfies readonly Severity[];

/** The channel name of a single-value event, for transitions from detectors that do not send one. */
export const DEFAULT_CHANNEL = 'value';

const finiteOrNull = z.number().nullable();

/** zod schema of an episode transition as received from SNS (`AlertMessage`); unknown fields are ignored. */
export const alertTransitionSchema = z.object({
  kind: z.enum(TRANSITION_KINDS),
  episodeId: z.string().min(1).max(512),
  series: z.string().min(1).max(1024),
  channel: z.string().min(1).max(256).default(DEFAULT_CHANNEL),
  dimensions: z.record(z.string(), z.string()).default({}),
  severity: z.enum(SEVERITIES),
  startedAt: z.number().finite(),
  lastSeenAt: z.number().finite(),
  peakProbability: z.number().min(0).max(1),
  value: finiteOrNull,
  expected: z.object({ low: finiteOrNull, high: finiteOrNull }),
  topFeatures: z.array(z.object({ name: z.string(), value: z.number() })).default([]),
  modelVersion: z.string().default('unknown'),
  /** The publisher's transition id (`episodeId#kind`), kept for logs. */
  id: z.string().optional(),
  /** The publisher's one-line summary, kept for logs. */
  summary: z.string().optional(),
});

/** One episode transition, validated: what every alerting function takes. */
export type AlertTransition = z.output<typeof alertTransitionSchema>;

/** Thrown when a message body is not an episode transition; the message names each field and rule. */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  constructor(readonly issues: readonly string[]) {
    super(`not an episode transition: ${issues.join('; ')}`);
  }
}

/** Parses and validates an SNS message body (text or already-parsed JSON) into an {@link AlertTransition}. */
export function parseAlertTransition(body: unknown): AlertTransition {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch (error) {
      throw new InvalidTransitionError([`body is not JSON (${(error as Error).message})`]);
    }
  }
  const result = alertTransitionSchema.safeParse(value);
  if (!result.success) {
    throw new InvalidTransitionError(
      result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** Rank of a kind: a transition of a higher rank supersedes one of a lower rank for the same episode. */
export function kindRank(kind: TransitionKind): number {
  return TRANSITION_KINDS.indexOf(kind);
}

/** Rank of a severity: critical above warning. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The higher of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/**
 * Orders two transitions of one episode: by kind, then by the last point seen, then by content (so two
 * different bodies with equal kind and time still have one winner, whatever order they arrive in).
 * Positive when `a` is newer than `b`, 0 when they are the same transition.
 */
export function compareTransitions(a: TransitionVersion, b: TransitionVersion): number {
  const byKind = kindRank(a.kind) - kindRank(b.kind);
  if (byKind !== 0) return byKind;
  if (a.lastSeenAt !== b.lastSeenAt) return a.lastSeenAt - b.lastSeenAt;
  return a.fingerprint === b.fingerprint ? 0 : a.fingerprint > b.fingerprint ? 1 : -1;
}

/** What orders the transitions of one episode: kind, last point seen, and a fingerprint of the content. */
export interface TransitionVersion {
  readonly kind: TransitionKind;
  readonly lastSeenAt: number;
  readonly fingerprint: string;
}

/** The version of a transition, small enough to remember for every episode an incident state has seen. */
export function transitionVersion(t: AlertTransition): TransitionVersion {
  const content = JSON.stringify([
    t.severity,
    t.startedAt,
    t.peakProbability,
    t.value,
    t.expected,
    t.topFeatures,
    t.modelVersion,
    t.dimensions,
  ]);
  const fingerprint = createHash('sha256').update(content).digest('hex').slice(0, 16);
  return { kind: t.kind, lastSeenAt: t.lastSeenAt, fingerprint };
}

/** Label names that come from the transition itself; any other matcher name refers to a dimension. */
export const RESERVED_LABELS = ['severity', 'series', 'channel', 'kind'] as const;

/** Prefix that names a dimension explicitly, for a dimension whose name is also a reserved label. */
export const DIMENSION_PREFIX = 'dimensions.';

/** Flat label set of a transition, what matchers, `groupBy`, silences and inhibition rules look at. */
export type Labels = Readonly<Record<string, string>>;

/**
 * The labels of a transition: its dimensions, then `severity`, `series`, `channel` and `kind` (which win over
 * dimensions of the same name), then every dimension again as `dimensions.<name>`.
 */
export function transitionLabels(
  t: Pick<AlertTransition, 'severity' | 'series' | 'channel' | 'dimensions'> & {
    readonly kind?: TransitionKind;
  },
): Labels {
  const entries: [string, string][] = Object.entries(t.dimensions);
  for (const [name, value] of Object.entries(t.dimensions))
    entries.push([`${DIMENSION_PREFIX}${name}`, value]);
  entries.push(['severity', t.severity], ['series', t.series], ['channel', t.channel]);
  if (t.kind !== undefined) entries.push(['kind', t.kind]);
  return Object.fromEntries(entries);
}

/** A label's value, or `undefined` when absent (an own-property look-up: `__proto__` is just a name). */
export function labelValue(labels: Labels, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}
