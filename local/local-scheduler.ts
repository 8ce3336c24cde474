import type { Timer } from '../core/alerting/incident-types.ts';
import type { TimerScheduler } from '../functions/alerting/ports.ts';

/**
 * The local stand-in for EventBridge Scheduler: one-time timers by id (creating an existing id is a repeat,
 * cancelling a missing one is fine), fired at their time on a clock that can be moved forward (`advance`), so
 * a person can see an escalation happen, or not, without waiting fifteen minutes. A timer whose handler
 * fails is retried three times with a short backoff, then reported as dead-lettered, as Scheduler would.
 */

/** Real time plus an offset that only grows: what the local alerting functions read as now. */
export class LocalClock {
  private offset = 0;

  now = (): number => Date.now() + this.offset;

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('the local clock only moves forward');
    this.offset += ms;
  }

  /** How far ahead of real time it is. */
  get offsetMs(): number {
    return this.offset;
  }
}

/** What the scheduler calls. */
export interface LocalSchedulerOptions {
  readonly clock: LocalClock;
  /** Runs a due timer (the escalator). */
  readonly fire: (timer: Timer) => Promise<unknown>;
  /** Told of a timer that failed every attempt. */
  readonly onDeadLetter?: (timer: Timer, error: unknown) => void;
  /** Retries of a failing timer; 3 by default. */
  readonly retries?: number;
  /** Told of each timer planned, cancelled or fired (the terminal prints the ones people care about). */
  readonly onChange?: (change: TimerChange) => void;
}

/** Something that happened to a timer. */
export interface TimerChange {
  readonly kind: 'scheduled' | 'cancelled' | 'fired';
  readonly id: string;
  readonly timer: Timer;
  /** What the escalator said, for a fired timer. */
  readonly outcome?: unknown;
}

/** The local scheduler; see the module comment. */
export class LocalScheduler implements TimerScheduler {
  private readonly timers = new Map<string, Timer>();
  private handle: NodeJS.Timeout | undefined;
  private stopped = false;
  private firing = Promise.resolve();
  /** Timers fired so far, oldest first (for the terminal and the tests). */
  readonly fired: { readonly id: string; readonly timer: Timer; readonly outcome: unknown }[] = [];

  constructor(private readonly options: LocalSchedulerOptions) {}

  async schedule(id: string, timer: Timer): Promise<void> {
    if (this.timers.has(id)) return;
    this.timers.set(id, timer);
    this.options.onChange?.({ kind: 'scheduled', id, timer });
    this.arm();
  }

  async cancel(id: string): Promise<void> {
    const timer = this.timers.get(id);
    this.timers.delete(id);
    if (timer) this.options.onChange?.({ kind: 'cancelled', id, timer });
    this.arm();
  }

  /** Timers not yet fired, earliest first. */
  pending(): { readonly id: string; readonly timer: Timer }[] {
    return [...this.timers].map(([id, timer]) => ({ id, timer })).sort((a, b) => a.timer.at - b.timer.at);
  }

  /** Moves the clock forward and fires, in order, every timer that became due; resolves when they ran. */
  async advance(ms: number): Promise<void> {
    this.options.clock.advance(ms);
    await this.fireDue();
  }

  /** Fires every due timer (in due order, one at a time) and resolves when they ran. */
  fireDue(): Promise<void> {
    this.firing = this.firing.then(async () => {
      for (;;) {
        const next = this.pending()[0];
        if (!next || next.timer.at > this.options.clock.now() || this.stopped) break;
        this.timers.delete(next.id);
        const outcome = await this.run(next.timer);
        this.fired.push({ id: next.id, timer: next.timer, outcome });
        this.options.onChange?.({ kind: 'fired', id: next.id, timer: next.timer, outcome });
      }
      this.arm();
    });
    return this.firing;
  }

  stop(): void {
    this.stopped = true;
    if (this.handle) clearTimeout(this.handle);
  }

  private async run(timer: Timer): Promise<unknown> {
    const attempts = (this.options.retries ?? 3) + 1;
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await this.options.fire(timer);
      } catch (error) {
        last = error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt).unref());
      }
    }
    this.options.onDeadLetter?.(timer, last);
    return 'dead-lettered';
  }

  private arm(): void {
    if (this.handle) clearTimeout(this.handle);
    const next = this.pending()[0];
    if (!next || this.stopped) return;
    this.handle = setTimeout(
      () => void this.fireDue(),
      Math.max(0, next.timer.at - this.options.clock.now()),
    );
    this.handle.unref();
  }
}
