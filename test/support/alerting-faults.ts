import type { ChannelMessage } from '../../core/alerting/channel-message.ts';
import type { DeliveryRecord } from '../../core/alerting/dedup.ts';
import type { Timer } from '../../core/alerting/incident-types.ts';
import type {
  ChannelQueues,
  LogEntry,
  NotificationLog,
  Outbox,
  SaveOutcome,
  StoredItem,
  TimerScheduler,
  VersionedStore,
} from '../../functions/alerting/ports.ts';
import { Random } from '../../models/random.ts';

/**
 * Fault injection for the alerting path's invariant test: wrappers around the honest in-memory ports that
 * fail, at random from one seed, the ways DynamoDB, SQS and Scheduler fail: a call refused before it acts, a
 * call that acted but whose answer was lost, a conditional write lost to a phantom writer. Every fault is
 * counted by kind, so the test can bound what a fault may cause (a duplicate after a lost receipt).
 */

/** The fault kinds the wrappers and the fake channels inject. */
export type AlertFaultKind =
  | 'state-load'
  | 'state-conflict'
  | 'state-save'
  | 'state-save-lost'
  | 'state-clear'
  | 'queue-send'
  | 'queue-send-lost'
  | 'log-claim'
  | 'log-claim-lost'
  | 'log-mark'
  | 'log-mark-lost'
  | 'schedule'
  | 'schedule-lost'
  | 'cancel'
  | 'transport-retry'
  | 'transport-maybe-delivered'
  | 'transport-permanent'
  | 'sqs-redelivery';

/** Thrown by every injected fault. */
export class InjectedAlertFault extends Error {
  override readonly name = 'InjectedAlertFault';
}

/** Decides from a seed whether each call fails, and counts what it injected. */
export class AlertFaultPlan {
  private readonly random: Random;
  readonly injected = new Map<AlertFaultKind, number>();

  constructor(
    seed: number,
    private readonly rate: number,
  ) {
    this.random = new Random(seed);
  }

  fires(kind: AlertFaultKind, rate = this.rate): boolean {
    if (rate <= 0 || this.random.next() >= rate) return false;
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    return true;
  }

  count(kind: AlertFaultKind): number {
    return this.injected.get(kind) ?? 0;
  }

  get total(): number {
    return [...this.injected.values()].reduce((a, b) => a + b, 0);
  }

  fail(kind: AlertFaultKind): never {
    throw new InjectedAlertFault(kind);
  }
}

/** A versioned store that loses reads, writes and races. */
export function faultyStore<S>(inner: VersionedStore<S>, plan: AlertFaultPlan): VersionedStore<S> {
  return {
    async load(key: string): Promise<StoredItem<S> | undefined> {
      if (plan.fires('state-load')) plan.fail('state-load');
      return inner.load(key);
    },
    async save(
      key: string,
      state: S,
      expected: number,
      outbox: Outbox | null,
      expiresAt: number | null,
    ): Promise<SaveOutcome> {
      if (plan.fires('state-conflict')) return 'conflict';
      if (plan.fires('state-save')) plan.fail('state-save');
      const saved = await inner.save(key, state, expected, outbox, expiresAt);
      if (saved === 'saved' && plan.fires('state-save-lost')) plan.fail('state-save-lost');
      return saved;
    },
    async clearOutbox(key: string, version: number): Promise<void> {
      if (plan.fires('state-clear')) plan.fail('state-clear');
      await inner.clearOutbox(key, version);
    },
  };
}

/** Channel queues that refuse sends, or take them and lose the answer. */
export function faultyQueues(inner: ChannelQueues, plan: AlertFaultPlan): ChannelQueues {
  return {
    async send(message: ChannelMessage): Promise<void> {
      if (plan.fires('queue-send')) plan.fail('queue-send');
      await inner.send(message);
      if (plan.fires('queue-send-lost')) plan.fail('queue-send-lost');
    },
  };
}

/** A notification log whose writes fail before or after they act. */
export function faultyLog(inner: NotificationLog, plan: AlertFaultPlan): NotificationLog {
  return {
    get: (key: string): Promise<LogEntry | undefined> => inner.get(key),
    async claim(record: DeliveryRecord): Promise<boolean> {
      if (plan.fires('log-claim')) plan.fail('log-claim');
      const claimed = await inner.claim(record);
      if (plan.fires('log-claim-lost')) plan.fail('log-claim-lost');
      return claimed;
    },
    async markDelivered(key: string, revision: number, ref: string | undefined): Promise<boolean> {
      if (plan.fires('log-mark')) plan.fail('log-mark');
      const marked = await inner.markDelivered(key, revision, ref);
      if (plan.fires('log-mark-lost')) plan.fail('log-mark-lost');
      return marked;
    },
  };
}

/** A scheduler whose calls fail before or after they act. */
export function faultyScheduler(inner: TimerScheduler, plan: AlertFaultPlan): TimerScheduler {
  return {
    async schedule(id: string, timer: Timer): Promise<void> {
      if (plan.fires('schedule')) plan.fail('schedule');
      await inner.schedule(id, timer);
      if (plan.fires('schedule-lost')) plan.fail('schedule-lost');
    },
    async cancel(id: string): Promise<void> {
      if (plan.fires('cancel')) plan.fail('cancel');
      await inner.cancel(id);
    },
  };
}
