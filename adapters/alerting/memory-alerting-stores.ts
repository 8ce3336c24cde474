import type { AlertTransition, Labels } from '../../core/alerting/alert-transition.ts';
import type { ChannelMessage } from '../../core/alerting/channel-message.ts';
import type { DeliveryRecord } from '../../core/alerting/dedup.ts';
import type { Timer } from '../../core/alerting/incident-types.ts';
import type { Silence } from '../../core/alerting/silences.ts';
import type {
  AlertDeadLetter,
  ChannelQueues,
  ControlStore,
  DeadLetterQueue,
  DisabledReceiver,
  FeedbackStore,
  LogEntry,
  NotificationLog,
  Outbox,
  SaveOutcome,
  StoredFeedback,
  StoredItem,
  TimerScheduler,
  TransitionLog,
  VersionedStore,
} from '../../functions/alerting/ports.ts';

/**
 * In-memory twins of the alerting ports, for unit tests, the property test and the benchmark. Honest fakes:
 * they copy on every read and write (no shared references, as over a network), apply the same conditions
 * as the DynamoDB adapters, record every write, and never deduplicate on a caller's behalf beyond what the
 * real service does.
 */

const copy = <T>(value: T): T => structuredClone(value);

/** {@link VersionedStore} in memory, with the version condition of the DynamoDB store. */
export class MemoryVersionedStore<S> implements VersionedStore<S> {
  readonly items = new Map<string, StoredItem<S> & { expiresAt: number | null }>();
  /** Every successful save, in order: the key and version written. */
  readonly writes: { key: string; version: number }[] = [];
  conflicts = 0;

  async load(key: string): Promise<StoredItem<S> | undefined> {
    const item = this.items.get(key);
    return item && copy({ state: item.state, version: item.version, outbox: item.outbox });
  }

  async save(
    key: string,
    state: S,
    expected: number,
    outbox: Outbox | null,
    expiresAt: number | null,
  ): Promise<SaveOutcome> {
    const current = this.items.get(key)?.version ?? 0;
    if (current !== expected) {
      this.conflicts += 1;
      return 'conflict';
    }
    this.items.set(key, copy({ state, version: expected + 1, outbox, expiresAt }));
    this.writes.push({ key, version: expected + 1 });
    return 'saved';
  }

  async clearOutbox(key: string, version: number): Promise<void> {
    const item = this.items.get(key);
    if (item && item.version === version) this.items.set(key, { ...item, outbox: null });
  }
}

/** {@link NotificationLog} in memory. */
export class MemoryNotificationLog implements NotificationLog {
  readonly entries = new Map<string, LogEntry>();

  async get(key: string): Promise<LogEntry | undefined> {
    const entry = this.entries.get(key);
    return entry && copy(entry);
  }

  async claim(record: DeliveryRecord): Promise<boolean> {
    const entry = this.entries.get(record.key);
    if (entry && entry.revision >= record.revision) return false;
    const { ref: _ref, ...fields } = record;
    this.entries.set(record.key, {
      ...copy(fields),
      ...(entry?.ref !== undefined && { ref: entry.ref }),
      ...(entry?.delivered !== undefined && { delivered: entry.delivered }),
    });
    return true;
  }

  async markDelivered(key: string, revision: number, ref: string | undefined): Promise<boolean> {
    const entry = this.entries.get(key);
    if (entry?.delivered !== undefined && entry.delivered >= revision) return false;
    const base: LogEntry = entry ?? { v: 1, key, revision: 0, kind: 'opened', firing: false, at: 0 };
    this.entries.set(key, { ...base, delivered: revision, ...(ref !== undefined && { ref }) });
    return true;
  }
}

/** {@link ControlStore} in memory. */
export class MemoryControlStore implements ControlStore {
  readonly silenceItems = new Map<string, Silence>();
  readonly inhibition = new Map<string, { sources: Labels[]; version: number }>();
  readonly disabled = new Map<string, DisabledReceiver>();

  async silences(): Promise<Silence[]> {
    return copy([...this.silenceItems.values()]);
  }
  async getSilence(id: string): Promise<Silence | undefined> {
    const s = this.silenceItems.get(id);
    return s && copy(s);
  }
  async putSilence(silence: Silence): Promise<void> {
    this.silenceItems.set(silence.id, copy(silence));
  }
  async expireSilence(id: string, at: number): Promise<Silence | undefined> {
    const s = this.silenceItems.get(id);
    if (!s) return undefined;
    const ended = s.endsAt <= at ? s : { ...s, endsAt: Math.max(at, s.startsAt) };
    this.silenceItems.set(id, ended);
    return copy(ended);
  }
  async inhibitionSources(): Promise<Labels[]> {
    return copy([...this.inhibition.values()].flatMap((e) => e.sources));
  }
  async putInhibition(stateKey: string, sources: readonly Labels[], version: number): Promise<void> {
    const current = this.inhibition.get(stateKey);
    if (current && current.version >= version) return;
    this.inhibition.set(stateKey, { sources: copy([...sources]), version });
  }
  async disabledReceivers(): Promise<DisabledReceiver[]> {
    return copy([...this.disabled.values()]);
  }
  async disableReceiver(receiver: DisabledReceiver): Promise<void> {
    this.disabled.set(receiver.name, copy(receiver));
  }
  async enableReceiver(name: string): Promise<void> {
    this.disabled.delete(name);
  }
}

/** {@link FeedbackStore} in memory. */
export class MemoryFeedbackStore implements FeedbackStore {
  readonly labels = new Map<string, StoredFeedback>();
  async put(label: StoredFeedback): Promise<void> {
    this.labels.set(`${label.episodeId}|${label.who}`, copy(label));
  }
  async list(episodeId: string): Promise<StoredFeedback[]> {
    return copy([...this.labels.values()].filter((l) => l.episodeId === episodeId));
  }
}

/** {@link TransitionLog} in memory. */
export class MemoryTransitionLog implements TransitionLog {
  readonly recorded: { transition: AlertTransition; receivedAt: number }[] = [];
  async record(transition: AlertTransition, receivedAt: number): Promise<void> {
    this.recorded.push(copy({ transition, receivedAt }));
  }
}

/** {@link TimerScheduler} in memory: the timers planned, by id; the test or benchmark fires them. */
export class RecordingScheduler implements TimerScheduler {
  readonly timers = new Map<string, Timer>();
  scheduled = 0;
  cancelled = 0;

  async schedule(id: string, timer: Timer): Promise<void> {
    this.scheduled += 1;
    if (!this.timers.has(id)) this.timers.set(id, copy(timer));
  }
  async cancel(id: string): Promise<void> {
    this.cancelled += 1;
    this.timers.delete(id);
  }
  /** Removes and returns the timers due by `now`, earliest first. */
  takeDue(now: number): Timer[] {
    const due = [...this.timers.entries()].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at);
    for (const [id] of due) this.timers.delete(id);
    return due.map(([, t]) => t);
  }
}

/** {@link ChannelQueues} in memory: every message sent, in order (repeats included). */
export class MemoryChannelQueues implements ChannelQueues {
  readonly sent: ChannelMessage[] = [];
  async send(message: ChannelMessage): Promise<void> {
    this.sent.push(copy(message));
  }
}

/** {@link DeadLetterQueue} in memory. */
export class MemoryDeadLetters implements DeadLetterQueue {
  readonly letters: AlertDeadLetter[] = [];
  async send(letter: AlertDeadLetter): Promise<void> {
    this.letters.push(copy(letter));
  }
}
