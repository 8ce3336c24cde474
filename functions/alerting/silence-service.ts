import { timerId } from '../../core/alerting/incident-core.ts';
import { type Silence, silenceReminderTimer } from '../../core/alerting/silences.ts';
import type { ControlStore, TimerScheduler } from './ports.ts';

/**
 * Creating and ending silences, for the ack handler's buttons and the CLI: the silence goes into the control
 * table (the router reads it within its cache time) and its reminder, `remindBefore` its end, is scheduled.
 * The reminder timer re-reads the silence when due, so one planned for a silence since changed does nothing.
 */
export class SilenceService {
  constructor(
    private readonly control: ControlStore,
    /** Without a scheduler (a CLI that cannot reach one), silences work but no reminder is planned. */
    private readonly scheduler: TimerScheduler | undefined,
    private readonly remindBefore: number,
  ) {}

  /** Stores `silence` and plans its reminder; says whether a reminder was planned. */
  async create(silence: Silence, now: number): Promise<{ readonly reminder: boolean }> {
    await this.control.putSilence(silence);
    const timer = silenceReminderTimer(silence, this.remindBefore, now);
    if (!timer || !this.scheduler) return { reminder: false };
    await this.scheduler.schedule(timerId(timer), timer);
    return { reminder: true };
  }

  /** Ends a silence now; its reminder, if still planned, is deleted (and would find nothing to do anyway). */
  async expire(id: string, now: number): Promise<Silence | undefined> {
    const before = await this.control.getSilence(id);
    const after = await this.control.expireSilence(id, now);
    const timer = before ? silenceReminderTimer(before, this.remindBefore, Number.NEGATIVE_INFINITY) : null;
    if (timer && this.scheduler) await this.scheduler.cancel(timerId(timer)).catch(() => undefined);
    return after;
  }
}
