/**
 * Per-channel pacing of Slack writes inside one process (one Lambda container): Slack allows about one
 * message per second per channel and answers 429 beyond short bursts.
 *
 * What it guarantees, within one pacer instance: two calls for the same channel start at least `intervalMs`
 * apart, in the order they asked; a call that would wait longer than `maxWaitMs` does not wait but is told
 * how long to come back after (so a Lambda never sleeps for minutes); after {@link ChannelPacer.pause}
 * (a 429's Retry-After) no call for that channel starts before the pause ends. It knows nothing of other
 * containers: SQS `maximumConcurrency` on the consumer bounds those (N containers, at most N starts per
 * interval per channel).
 */
import { realSleep } from '../backoff.ts';

/** Construction options of {@link ChannelPacer}. */
export interface ChannelPacerOptions {
  /** Least time between two starts for one channel; 1,000 ms by default (Slack's guidance). */
  readonly intervalMs?: number;
  /** Longest a call waits for its turn before it is told to come back later; 3,000 ms by default. */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Go ahead (after `waitedMs`), or come back after `delayMs` because the channel is `paced` or `paused`. */
export type PaceDecision =
  | { readonly kind: 'go'; readonly waitedMs: number }
  | { readonly kind: 'later'; readonly delayMs: number; readonly cause: 'paced' | 'paused' };

/** Entries kept before slots in the past are dropped. */
const PRUNE_ABOVE = 1_000;

/** Spaces calls per channel key; see the file comment for what it guarantees. */
export class ChannelPacer {
  private readonly nextStart = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();
  private readonly aliases = new Map<string, string>();
  private readonly intervalMs: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ChannelPacerOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.maxWaitMs = options.maxWaitMs ?? 3_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  /**
   * Records that `name` (as configured, e.g. `#alerts`) is channel `id` (as Slack answered), so that posts
   * by name and updates by id share one pace.
   */
  alias(name: string, id: string): void {
    if (name !== id) this.aliases.set(name, id);
  }

  /** Reserves the channel's next start and waits for it, or says when to come back without reserving. */
  async acquire(channel: string): Promise<PaceDecision> {
    const key = this.key(channel);
    const now = this.now();
    const paused = this.pausedFor(key, now);
    if (paused > 0) return { kind: 'later', delayMs: paused, cause: 'paused' };
    const slot = Math.max(now, this.nextStart.get(key) ?? now);
    const waitMs = slot - now;
    if (waitMs > this.maxWaitMs) return { kind: 'later', delayMs: waitMs, cause: 'paced' };
    this.nextStart.set(key, slot + this.intervalMs);
    this.prune(now);
    if (waitMs > 0) await this.sleep(waitMs);
    // A 429 for an earlier call may have paused the channel while this one waited.
    const pausedNow = this.pausedFor(key, this.now());
    if (pausedNow > 0) return { kind: 'later', delayMs: pausedNow, cause: 'paused' };
    return { kind: 'go', waitedMs: waitMs };
  }

  /** No call for `channel` starts in the next `ms` milliseconds (Slack's Retry-After after a 429). */
  pause(channel: string, ms: number): void {
    const key = this.key(channel);
    const until = this.now() + ms;
    this.pausedUntil.set(key, Math.max(until, this.pausedUntil.get(key) ?? 0));
    this.nextStart.set(key, Math.max(until, this.nextStart.get(key) ?? 0));
  }

  private key(channel: string): string {
    return this.aliases.get(channel) ?? channel;
  }

  private pausedFor(key: string, now: number): number {
    const until = this.pausedUntil.get(key);
    if (until === undefined) return 0;
    if (until <= now) this.pausedUntil.delete(key);
    return Math.max(0, until - now);
  }

  private prune(now: number): void {
    if (this.nextStart.size <= PRUNE_ABOVE) return;
    for (const [key, next] of this.nextStart) if (next < now) this.nextStart.delete(key);
  }
}
