import type { AttemptContext } from '../../adapters/alerting/delivery.ts';
import {
  MemoryControlStore,
  MemoryDeadLetters,
  MemoryFeedbackStore,
  MemoryNotificationLog,
  MemoryTransitionLog,
  MemoryVersionedStore,
  RecordingScheduler,
} from '../../adapters/alerting/memory-alerting-stores.ts';
import type { AlertTransition } from '../../core/alerting/alert-transition.ts';
import type { ChannelMessage } from '../../core/alerting/channel-message.ts';
import type { AlertingConfig } from '../../core/alerting/config.ts';
import type { ReceiverType } from '../../core/alerting/config-schema.ts';
import type { IncidentState, Timer } from '../../core/alerting/incident-types.ts';
import { type ActionRequest, performAction } from '../../functions/ack/incident-actions.ts';
import { createLinkFactory } from '../../functions/alerting/action-links.ts';
import type { AlertingDeps } from '../../functions/alerting/deps.ts';
import type {
  BudgetItem,
  ChannelQueues,
  LogEntry,
  NotificationLog,
  TimerScheduler,
} from '../../functions/alerting/ports.ts';
import { AlertingRuntime } from '../../functions/alerting/runtime.ts';
import { createEscalateHandler, type EscalateHandler } from '../../functions/escalate/escalate-handler.ts';
import { createRouteHandler, type RouteHandler } from '../../functions/route/route-handler.ts';
import { type ChannelDelivery, createSender, type SendResult } from '../../functions/send/sender.ts';
import { LocalChannelQueues } from '../../local/local-channel-queues.ts';
import { LocalQueue, type QueueHandler } from '../../local/local-queue.ts';

/** One message a fake channel was handed, with what it answered. */
export interface HarnessDelivery {
  readonly channel: ReceiverType;
  readonly receiver: string;
  readonly kind: string;
  readonly notificationId: string;
  readonly revision: number;
  readonly incidentId: string | undefined;
  readonly at: number;
  readonly result: SendResult['kind'];
  /** Whether the provider got it: delivered, or a timeout after it may have (`maybeDelivered`). */
  readonly received: boolean;
  /** Slack only: a new message, or an update of the one posted before. */
  readonly op?: 'post' | 'update';
  readonly attempt: number;
  /** When the router or escalator decided the notification (its processing time). */
  readonly emittedAt: number;
  /** Series of the incident's members that were firing in the notification's copy of it. */
  readonly firingSeries: readonly string[];
}

/** A fake channel's answer to one message; delivered unless a script says otherwise. */
export type FakeAnswer = (
  message: ChannelMessage,
  entry: LogEntry | undefined,
  attempt: AttemptContext,
) => SendResult | undefined;

/** What a harness is built from. */
export interface HarnessOptions {
  readonly config: AlertingConfig;
  readonly start: number;
  /** Wraps the ports, for fault injection. */
  readonly wrap?: {
    readonly queues?: (q: ChannelQueues) => ChannelQueues;
    readonly incidents?: (s: MemoryVersionedStore<IncidentState>) => AlertingDeps['incidents'];
    readonly budgets?: (s: MemoryVersionedStore<BudgetItem>) => AlertingDeps['budgets'];
    readonly log?: (l: NotificationLog) => NotificationLog;
    readonly scheduler?: (s: TimerScheduler) => TimerScheduler;
  };
  /** How long a failed router message stays hidden; 30 s by default, 0 retries it at once. */
  readonly routerRetryMs?: number;
  /** Router invocations at once when pumping (several containers); 1 by default. */
  readonly routerConcurrency?: number;
  /** Messages per router invocation; 10 by default. */
  readonly routerBatchSize?: number;
  /** Scripted answers of the fake channels. */
  readonly answer?: FakeAnswer;
  /** Asked after each message a handler succeeded on: true loses the delete, so SQS delivers it again. */
  readonly loseDelete?: () => boolean;
  readonly retention?: number;
}

const CHANNELS: readonly ReceiverType[] = ['slack', 'email', 'webhook', 'pagerduty'];

/**
 * The integrated alerting path in one process on a virtual clock: the real router, escalator and senders
 * over the in-memory stores, with in-process SQS queues (FIFO channel queues) pumped by the test, the
 * scheduler's timers fired by `advanceTo`, and fake channels that record what they were handed.
 */
export class AlertingHarness {
  now: number;
  readonly incidents = new MemoryVersionedStore<IncidentState>();
  readonly budgets = new MemoryVersionedStore<BudgetItem>();
  readonly log = new MemoryNotificationLog();
  readonly control = new MemoryControlStore();
  readonly feedback = new MemoryFeedbackStore();
  readonly transitions = new MemoryTransitionLog();
  readonly scheduler = new RecordingScheduler();
  readonly deadLetters = new MemoryDeadLetters();
  readonly routerDeadLetters = new MemoryDeadLetters();
  readonly delivered: HarnessDelivery[] = [];
  /** Router messages SQS would have moved to the dead-letter queue after every receive failed. */
  readonly redriven: { body: string; reason: string }[] = [];
  lastRouterError: unknown;
  readonly anomalies: LocalQueue;
  readonly queues: Readonly<Record<ReceiverType, LocalQueue>>;
  readonly runtime: AlertingRuntime;
  readonly route: RouteHandler;
  readonly escalate: EscalateHandler;

  constructor(readonly options: HarnessOptions) {
    this.now = options.start;
    const clock = () => this.now;
    const handlers = {} as Record<ReceiverType, QueueHandler>;
    const senders = Object.fromEntries(
      CHANNELS.map((channel) => [
        channel,
        new LocalQueue({
          name: `${channel}.fifo`,
          fifo: true,
          mode: 'manual',
          clock,
          handler: (event) => handlers[channel](event),
          ...(options.loseDelete && { loseDelete: options.loseDelete }),
        }),
      ]),
    ) as Record<ReceiverType, LocalQueue>;
    this.queues = senders;
    const plainQueues = new LocalChannelQueues(senders);
    const deps: AlertingDeps = {
      config: options.config,
      incidents: options.wrap?.incidents?.(this.incidents) ?? this.incidents,
      budgets: options.wrap?.budgets?.(this.budgets) ?? this.budgets,
      log: options.wrap?.log?.(this.log) ?? this.log,
      queues: options.wrap?.queues?.(plainQueues) ?? plainQueues,
      scheduler: options.wrap?.scheduler?.(this.scheduler) ?? this.scheduler,
      control: this.control,
      links: createLinkFactory({ ackBaseUrl: 'https://ack.example.com', key: async () => 'k'.repeat(32) }),
      clock,
      transitions: this.transitions,
      feedback: this.feedback,
      controlCacheMs: 0,
      ...(options.retention !== undefined && { retention: options.retention }),
    };
    this.runtime = new AlertingRuntime(deps);
    this.route = createRouteHandler(this.runtime, this.routerDeadLetters);
    this.escalate = createEscalateHandler(this.runtime);
    this.anomalies = new LocalQueue({
      name: 'anomalies',
      mode: 'manual',
      clock,
      handler: (e) => this.route(e),
      visibilityTimeoutMs: options.routerRetryMs ?? 30_000,
      concurrency: options.routerConcurrency ?? 1,
      batchSize: options.routerBatchSize ?? 10,
      // Bounded, so a message that can never succeed shows up instead of looping for ever.
      maxReceiveCount: 200,
      deadLetter: (record, reason) => {
        this.redriven.push({ body: record.body, reason });
      },
      onError: (error) => {
        this.lastRouterError = error;
      },
      ...(options.loseDelete && { loseDelete: options.loseDelete }),
    });
    for (const channel of CHANNELS) {
      const q = senders[channel];
      handlers[channel] = createSender({
        channel,
        log: options.wrap?.log?.(this.log) ?? this.log,
        queue: { changeVisibility: async (handle, seconds) => q.changeVisibility(handle, seconds) },
        deadLetters: this.deadLetters,
        control: this.control,
        deliver: this.fakeChannel(channel),
        clock,
      });
    }
  }

  private fakeChannel(channel: ReceiverType): ChannelDelivery {
    return async (message, entry, attempt) => {
      const result: SendResult = this.options.answer?.(message, entry, attempt) ?? {
        kind: 'delivered',
        ref: entry?.ref ?? `${channel}:${message.key}`,
      };
      const n = message.notification;
      const received =
        result.kind === 'delivered' ||
        result.kind === 'skipped' ||
        (result.kind === 'retry-later' && result.maybeDelivered);
      this.delivered.push({
        channel,
        receiver: message.receiver.name,
        kind: n.kind,
        notificationId: n.id,
        revision: n.revision,
        incidentId: 'incident' in n ? n.incident.id : undefined,
        at: this.now,
        result: result.kind,
        received,
        ...(channel === 'slack' && { op: entry?.ref !== undefined && 'incident' in n ? 'update' : 'post' }),
        attempt: attempt.attempt,
        emittedAt: n.at,
        firingSeries:
          'incident' in n ? n.incident.members.filter((m) => m.status === 'firing').map((m) => m.series) : [],
      });
      return result;
    };
  }

  /** Publishes a transition on the anomalies queue (as SNS raw delivery would). */
  publish(t: AlertTransition): void {
    this.anomalies.send(JSON.stringify(t));
  }

  /** Runs every queue until nothing is visible at the current time. */
  async settle(): Promise<void> {
    for (let round = 0; round < 1_000; round++) {
      let work = await this.anomalies.pump();
      for (const q of Object.values(this.queues)) work += await q.pump();
      if (work === 0) return;
    }
    throw new Error('queues did not settle');
  }

  /** Moves the clock to `t`, firing each due timer (and settling the queues) at its own time on the way. */
  async advanceTo(t: number): Promise<void> {
    for (;;) {
      const nextTimer = Math.min(...[...this.scheduler.timers.values()].map((x) => x.at));
      const nextQueue = Math.min(
        ...[this.anomalies, ...Object.values(this.queues)].map(
          (q) => q.nextVisibleAt() ?? Number.POSITIVE_INFINITY,
        ),
      );
      const next = Math.min(nextTimer, nextQueue);
      if (next > t) break;
      this.now = Math.max(this.now, next);
      for (const timer of this.scheduler.takeDue(this.now)) await this.fire(timer);
      await this.settle();
    }
    this.now = Math.max(this.now, t);
    await this.settle();
  }

  /** Runs a timer as Scheduler would: retried (at once, on the virtual clock) until the escalator succeeds. */
  async fire(timer: Timer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.escalate({ timer });
        return;
      } catch (error) {
        if (attempt >= 100) throw error;
      }
    }
  }

  /** Acts on an incident as the ack handler would. */
  act(request: ActionRequest) {
    return performAction(this.runtime, request);
  }

  /** Deliveries the fake channels accepted. */
  accepted(): HarnessDelivery[] {
    return this.delivered.filter((d) => d.result === 'delivered' || d.result === 'skipped');
  }
}
