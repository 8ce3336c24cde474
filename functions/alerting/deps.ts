import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { AlertingConfig } from '../../core/alerting/config.ts';
import type { LinkFactory } from './action-links.ts';
import type {
  BudgetStore,
  ChannelQueues,
  ControlStore,
  FeedbackStore,
  IncidentStore,
  NotificationLog,
  TimerScheduler,
  TransitionLog,
} from './ports.ts';

/** Where the alerting functions log: Powertools' Logger in Lambda, the terminal locally. */
export type AlertingLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/** What the router, the escalator and the ack handler share: the config, the stores and the clock. */
export interface AlertingDeps {
  readonly config: AlertingConfig;
  readonly incidents: IncidentStore;
  readonly budgets: BudgetStore;
  readonly log: NotificationLog;
  readonly queues: ChannelQueues;
  readonly scheduler: TimerScheduler;
  readonly control: ControlStore;
  readonly links: LinkFactory;
  /** Processing time, epoch ms; the local stack's is controllable. */
  readonly clock: () => number;
  /** Only the router records transitions (for `routes replay`). */
  readonly transitions?: TransitionLog;
  /** Only the ack handler stores feedback labels. */
  readonly feedback?: FeedbackStore;
  /**
   * How long closed incidents and remembered episodes are kept for late deliveries, and how old a transition
   * may be to open an incident; 24 h by default (the local stack replays week-old samples: it keeps longer).
   */
  readonly retention?: number;
  /** How long the control table is cached; 10 s by default. */
  readonly controlCacheMs?: number;
  /** Attempts of a conditional write before the message is retried later; 10 by default. */
  readonly conflictAttempts?: number;
  /** Queue sends in flight at once during a carry-out; 8 by default. */
  readonly concurrency?: number;
  readonly logger?: AlertingLogger;
  readonly metrics?: Pick<Metrics, 'addMetric'>;
}
