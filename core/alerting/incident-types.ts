import type { FeatureContribution, Severity } from '../detection-types.ts';
import type { Labels, TransitionKind, TransitionVersion } from './alert-transition.ts';
import type { Silence } from './silences.ts';

/**
 * The shapes of alerting state and of what the reducers ask the world to do. Everything here is plain JSON
 * (no Dates, Maps or class instances), so the integrator can store it in DynamoDB as it is and guard each
 * write with a version condition.
 */

/** Lifecycle of an incident. `resolved` becomes final (`closed`) once the resolve has been notified. */
export type IncidentStatus = 'firing' | 'acknowledged' | 'resolved';

/** One series' episode inside an incident: the latest transition known for it. */
export interface MemberSnapshot {
  readonly episodeId: string;
  readonly series: string;
  readonly channel: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly severity: Severity;
  readonly startedAt: number;
  readonly lastSeenAt: number;
  readonly peakProbability: number;
  readonly value: number | null;
  readonly expected: { readonly low: number | null; readonly high: number | null };
  readonly topFeatures: readonly FeatureContribution[];
  readonly modelVersion: string;
  readonly status: 'firing' | 'resolved';
  /** The kind of the transition this snapshot comes from. */
  readonly lastKind: TransitionKind;
  /** Who resolved it by hand, when a person resolved the incident before the episode ended. */
  readonly resolvedBy?: string;
}

/** Who acknowledged an incident, when, and through what (`slack`, `link`, `cli`, `api`). */
export interface Acknowledgement {
  readonly by: string;
  readonly at: number;
  readonly via: string;
}

/** Where an incident is in its escalation policy. */
export interface EscalationProgress {
  /** Level last notified (1-based); 0 before the first escalation. */
  readonly level: number;
  /** Escalation steps taken, counting repeats of the levels; the next timer is step + 1. */
  readonly step: number;
  /** Epoch ms the next step is due, or null when none is (no policy, done, acknowledged or resolved). */
  readonly nextAt: number | null;
}

/** Why an `updated` notification is sent. */
export type UpdateReason = 'grew' | 'severity' | 'member-resolved' | 'reopened' | 'repeat';

/** One incident: the episodes of one group under one route that are open together, notified as one. */
export interface Incident {
  readonly v: 1;
  /** Stable id, `inc-` and 24 hex digits: the PagerDuty dedup key, the Slack message's identity. */
  readonly id: string;
  readonly routeId: string;
  readonly groupKey: string;
  readonly groupLabels: Labels;
  readonly status: IncidentStatus;
  /** The highest severity of its members. */
  readonly severity: Severity;
  /** Event time: the earliest member start. */
  readonly openedAt: number;
  /** Event time: the latest point any member saw. */
  readonly updatedAt: number;
  /** Event time of the resolve (latest member end), or when a person resolved it; null while open. */
  readonly resolvedAt: number | null;
  /** Processing time the incident was created. */
  readonly createdAt: number;
  readonly acknowledged: Acknowledgement | null;
  /** Who resolved it by hand, or null when its episodes ended by themselves. */
  readonly resolvedBy: string | null;
  readonly escalation: EscalationProgress;
  /** Members ordered by start, then series, channel and episode id. */
  readonly members: readonly MemberSnapshot[];
  /** Members left out of this copy by `compactIncident` (a message carries at most so many). */
  readonly omittedMembers?: number;
  /** Revision of the last notification emitted; each notification takes the next one. */
  readonly revision: number;
  /** True once the first notification (opened, or a standalone resolved) went out. */
  readonly announced: boolean;
  /** True once the resolve was notified (or the incident ended unannounced): nothing more is sent. */
  readonly closed: boolean;
  /** Processing time the incident closed, for pruning. */
  readonly closedAt: number | null;
  /** Receivers told about it so far: the route's, plus each escalation level's once reached. */
  readonly engaged: readonly string[];
  readonly lastNotifiedAt: number | null;
  /** Due time of the pending group flush (group wait, then group interval), or null. */
  readonly flushAt: number | null;
  /** Due time of the repeat reminder, or null. */
  readonly repeatAt: number | null;
  /** Changes since the last notification, sent with the next flush. */
  readonly pending: readonly UpdateReason[];
}

/** What a (route, group) state remembers of one episode, so a late or repeated transition is recognised. */
export interface EpisodeRecord {
  readonly latest: TransitionVersion;
  /** The incident it joined, or null for a resolve remembered without an incident (lifecycle-only). */
  readonly incidentId: string | null;
  /** Processing time of the last change, for pruning. */
  readonly at: number;
}

/**
 * Everything one (route, group) knows: its incidents (at most one open, plus recently closed ones kept for
 * late deliveries) and the episodes it has seen. One item in a table, written with a version condition. Its
 * JSON grows about 640 bytes per member: a group of 500 series is 321 KB as JSON but 14 KB gzipped, so store
 * it compressed (DynamoDB items stop at 400 KB).
 */
export interface IncidentState {
  readonly v: 1;
  /** `RouteMatch.stateKey`. */
  readonly key: string;
  readonly routeId: string;
  readonly groupKey: string;
  readonly groupLabels: Labels;
  /** Processing time the state was created: part of every incident id, so ids never repeat after expiry. */
  readonly generation: number;
  /** Incidents created so far. */
  readonly seq: number;
  readonly incidents: readonly Incident[];
  /** By `memberKey` (JSON of series, channel, episode id). */
  readonly episodes: Readonly<Record<string, EpisodeRecord>>;
}

/** A timer the integrator schedules (EventBridge Scheduler) and hands back to the matching reducer when due. */
export type Timer =
  | { readonly type: 'flush'; readonly stateKey: string; readonly incidentId: string; readonly at: number }
  | { readonly type: 'repeat'; readonly stateKey: string; readonly incidentId: string; readonly at: number }
  | {
      readonly type: 'escalate';
      readonly stateKey: string;
      readonly incidentId: string;
      readonly step: number;
      readonly at: number;
    }
  | { readonly type: 'digest'; readonly routeId: string; readonly at: number }
  | { readonly type: 'silence-reminder'; readonly silenceId: string; readonly at: number };

/** Every kind of notification a receiver can get. */
export type NotificationKind = IncidentNotificationKind | 'budget-exceeded' | 'digest' | 'silence-expiring';

/** Notification kinds about one incident. */
export type IncidentNotificationKind = 'opened' | 'updated' | 'escalated' | 'acknowledged' | 'resolved';

interface NotificationBase {
  /** Deterministic: the same notification always has the same id, so a log can drop repeats. */
  readonly id: string;
  /** Increases with each notification of the same subject; a sender drops one older than what it sent. */
  readonly revision: number;
  /** Processing time it was emitted. */
  readonly at: number;
}

/** A notification about an incident, carrying a copy of the incident as it was then. */
export interface IncidentNotification extends NotificationBase {
  readonly kind: IncidentNotificationKind;
  readonly routeId: string;
  readonly incident: Incident;
  /** For `updated`: what changed. */
  readonly reasons: readonly UpdateReason[];
  /** For `resolved`: the incident ended before it was ever announced, so this is the first word on it. */
  readonly standalone: boolean;
}

/** The one notice that a route's budget is spent and further notifications go to the digest. */
export interface BudgetExceededNotification extends NotificationBase {
  readonly kind: 'budget-exceeded';
  readonly routeId: string;
  readonly budget: { readonly max: number; readonly per: number; readonly digestEvery: number };
  readonly since: number;
}

/** One held-back notification, as listed in a digest. */
export interface DigestItem {
  readonly incidentId: string;
  readonly kind: IncidentNotificationKind;
  readonly severity: Severity;
  readonly title: string;
  readonly at: number;
}

/** Notifications held back by a budget, sent together. */
export interface DigestNotification extends NotificationBase {
  readonly kind: 'digest';
  readonly routeId: string;
  readonly items: readonly DigestItem[];
  /** Items beyond those listed (a digest lists at most 100). */
  readonly omitted: number;
  readonly from: number;
  readonly to: number;
}

/** A reminder that a silence ends soon. */
export interface SilenceExpiringNotification extends NotificationBase {
  readonly kind: 'silence-expiring';
  readonly silence: Silence;
  readonly endsAt: number;
}

/** Any notification. */
export type Notification =
  | IncidentNotification
  | BudgetExceededNotification
  | DigestNotification
  | SilenceExpiringNotification;

/** What a reducer asks for: send a notification to one receiver, or schedule or cancel a timer. */
export type Effect =
  | { readonly kind: 'notify'; readonly receiver: string; readonly notification: Notification }
  | { readonly kind: 'schedule'; readonly id: string; readonly timer: Timer }
  | { readonly kind: 'cancel'; readonly id: string; readonly timer: Timer };

/** A reducer's answer: the new state (the input is never mutated) and the effects to carry out. */
export interface Reduction<S> {
  readonly state: S;
  readonly effects: readonly Effect[];
}
