import type { AlertTransition, Labels } from '../../core/alerting/alert-transition.ts';
import type { BudgetState } from '../../core/alerting/budget.ts';
import type { ChannelMessage } from '../../core/alerting/channel-message.ts';
import type { DeliveryRecord } from '../../core/alerting/dedup.ts';
import type { Effect, IncidentState, Timer } from '../../core/alerting/incident-types.ts';
import type { FeedbackLabel, Silence } from '../../core/alerting/silences.ts';

/**
 * What the alerting functions (router, escalator, ack handler, senders) need from the world. DynamoDB, SQS,
 * EventBridge Scheduler and Secrets Manager implement them in production (`adapters/alerting/`), in-memory
 * twins in tests and the benchmark, and the local stack mixes dynalite with in-process queues and scheduler.
 */

/**
 * Effects written together with a state and carried out after the write. A retry (of the same message, or
 * whoever touches the item next) finds them still there and carries them out again, so an effect is never
 * lost between a state write and a failed queue send; every effect is idempotent, so repeating one is safe.
 */
export interface Outbox {
  /** The route whose gating and budget apply to the notifications. */
  readonly routeId: string;
  /** Processing time of the write. */
  readonly at: number;
  readonly effects: readonly Effect[];
  /** Inhibition sources of the state as written, when the config has inhibit rules. */
  readonly inhibit?: readonly Labels[];
}

/** One item of a {@link VersionedStore}: its state, its version (1 after the first write) and its outbox. */
export interface StoredItem<S> {
  readonly state: S;
  readonly version: number;
  readonly outbox: Outbox | null;
}

/** What a conditional write did. */
export type SaveOutcome = 'saved' | 'conflict';

/** Items written with optimistic concurrency: a version condition on every write. */
export interface VersionedStore<S> {
  load(key: string): Promise<StoredItem<S> | undefined>;
  /**
   * Writes `state` with `outbox` as version `expected + 1` if the item is still at `expected` (0: absent);
   * `expiresAt` (epoch ms) sets the table's TTL, null keeps the item. A lost race is 'conflict', not an error.
   */
  save(
    key: string,
    state: S,
    expected: number,
    outbox: Outbox | null,
    expiresAt: number | null,
  ): Promise<SaveOutcome>;
  /** Removes the outbox if the item is still at `version` (a later write replaced it otherwise). */
  clearOutbox(key: string, version: number): Promise<void>;
}

/** The incident states, one per (route, group). */
export type IncidentStore = VersionedStore<IncidentState>;

/** A budget decision remembered per notification, so a repeated carry-out decides the same way. */
export interface BudgetDecision {
  readonly allowed: boolean;
  readonly at: number;
  /** What the decision added besides the notification: a "budget exceeded" notice, the digest timer. */
  readonly extra: readonly Effect[];
}

/** A route's budget with the decisions it made within its window. */
export interface BudgetItem {
  readonly budget: BudgetState;
  readonly decided: Readonly<Record<string, BudgetDecision>>;
}

/** The budget states, one per route. */
export type BudgetStore = VersionedStore<BudgetItem>;

/** The notification log item of one (incident, receiver): what was enqueued, and what was delivered. */
export interface LogEntry extends DeliveryRecord {
  /** The highest revision a sender delivered (or dropped for good). */
  readonly delivered?: number;
}

/** The notification log, one item per (incident, receiver) (`deliveryKey`). */
export interface NotificationLog {
  get(key: string): Promise<LogEntry | undefined>;
  /**
   * Records that `record.revision` was enqueued, if newer than the revision the item holds; keeps what the
   * sender wrote (`delivered`, `ref`). False when the item already holds this revision or a newer one.
   */
  claim(record: DeliveryRecord): Promise<boolean>;
  /** Records that `revision` was delivered (with the channel's handle on it); false if a newer one was. */
  markDelivered(key: string, revision: number, ref: string | undefined): Promise<boolean>;
}

/** The per-channel queues the senders consume. */
export interface ChannelQueues {
  /** Enqueues `message` on its receiver's channel queue; the same message twice is deduplicated by its id. */
  send(message: ChannelMessage): Promise<void>;
}

/** One-time timers (EventBridge Scheduler): idempotent by id. */
export interface TimerScheduler {
  /** Schedules `timer` under `id` (deterministic); an existing schedule of that id is left as it is. */
  schedule(id: string, timer: Timer): Promise<void>;
  /** Deletes the schedule `id`; an absent one is fine (every timer re-checks the state anyway). */
  cancel(id: string): Promise<void>;
}

/** A receiver the router no longer sends to, and why (a webhook that answered 410 Gone). */
export interface DisabledReceiver {
  readonly name: string;
  readonly at: number;
  readonly reason: string;
}

/** Silences, the inhibition index and disabled receivers: small items the router reads often. */
export interface ControlStore {
  silences(): Promise<Silence[]>;
  getSilence(id: string): Promise<Silence | undefined>;
  putSilence(silence: Silence): Promise<void>;
  /** Ends a silence at `at` (never later than it would have); the silence as it is now, or undefined. */
  expireSilence(id: string, at: number): Promise<Silence | undefined>;
  /** Labels of every firing episode that can inhibit others, across incident states. */
  inhibitionSources(): Promise<Labels[]>;
  /** Replaces one state's sources, unless a newer version of that state already wrote them. */
  putInhibition(stateKey: string, sources: readonly Labels[], version: number): Promise<void>;
  disabledReceivers(): Promise<DisabledReceiver[]>;
  disableReceiver(receiver: DisabledReceiver): Promise<void>;
  enableReceiver(name: string): Promise<void>;
}

/** A feedback label as stored: the label, where it came from and the incident it was given on. */
export interface StoredFeedback extends FeedbackLabel {
  readonly via: string;
  readonly incidentId?: string;
  /** `anomaly` confirms the episode (from `seismo alerts label --anomaly`); absent means "not an anomaly". */
  readonly verdict?: 'anomaly' | 'not-anomaly';
}

/** "Not an anomaly" labels, for retraining. */
export interface FeedbackStore {
  put(label: StoredFeedback): Promise<void>;
  list(episodeId: string): Promise<StoredFeedback[]>;
}

/** Every transition the router received, for `seismo routes replay`. */
export interface TransitionLog {
  record(transition: AlertTransition, receivedAt: number): Promise<void>;
}

/** Secrets by name or ARN (Secrets Manager), cached. */
export interface SecretSource {
  get(id: string): Promise<string>;
}

/** A message a function gives up on, with why: what goes to its queue's dead-letter queue. */
export interface AlertDeadLetter {
  readonly reason: string;
  /** Machine-readable cause, to count by (`invalid-transition`, a provider's error code). */
  readonly code: string;
  /** The original message body (cut down to fit, with its sha256, when too large). */
  readonly body: string;
  readonly messageId: string;
  /** The FIFO message group of the original, for a FIFO dead-letter queue. */
  readonly groupId?: string;
  readonly receivedAt: number;
}

/** A dead-letter queue written to directly, so a letter carries its reason (SQS's redrive carries none). */
export interface DeadLetterQueue {
  send(letter: AlertDeadLetter): Promise<void>;
}
