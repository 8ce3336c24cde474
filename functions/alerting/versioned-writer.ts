import type { Labels } from '../../core/alerting/alert-transition.ts';
import type { Effect } from '../../core/alerting/incident-types.ts';
import type { Outbox, VersionedStore } from './ports.ts';

/**
 * The write loop every alerting function uses on a versioned item (an incident state, a route's budget):
 * carry out what the last writer left in the item's outbox, reduce, write the new state with its effects as
 * the outbox under a version condition, carry the effects out, clear the outbox. A lost race reloads and
 * reduces again (the reducers are idempotent); a failure after the write leaves the outbox for the retry.
 * So a state is never written without its effects eventually being carried out, and nothing is carried out
 * for a state that was not written.
 */

/** What a reducer step decided: the state to write (when `write`), its effects and where they belong. */
export interface Reduced<S> {
  readonly state: S;
  readonly effects: readonly Effect[];
  /** For logs and metrics: the reducer's outcome. */
  readonly outcome: string;
  /** False when there is nothing to write (a duplicate, a stale timer, an unknown incident). */
  readonly write: boolean;
  readonly routeId: string;
  /** Inhibition sources of the new state, to index (only when the config has inhibit rules). */
  readonly inhibit?: readonly Labels[];
  /** When the item may be deleted (the table's TTL), or null. */
  readonly expiresAt: number | null;
}

/** Thrown when an item kept changing under every attempt; the caller's retry (SQS, Scheduler) tries later. */
export class ConflictRetriesExhausted extends Error {
  override readonly name = 'ConflictRetriesExhausted';
  constructor(
    readonly key: string,
    readonly attempts: number,
  ) {
    super(`${key} changed under each of ${attempts} attempts to update it; will be retried`);
  }
}

/** How the loop runs. */
export interface WriterOptions {
  readonly clock: () => number;
  /** Attempts before giving up; 10 by default. */
  readonly attempts?: number;
  readonly onConflict?: (key: string) => void;
}

/** What the loop did. */
export interface WriteResult {
  readonly outcome: string;
  readonly attempts: number;
  readonly written: boolean;
}

/** Runs the loop for `key`; see the module comment. */
export async function writeWithOutbox<S>(
  store: VersionedStore<S>,
  key: string,
  reduce: (state: S | undefined, now: number) => Reduced<S> | Promise<Reduced<S>>,
  carry: (outbox: Outbox, version: number) => Promise<void>,
  options: WriterOptions,
): Promise<WriteResult> {
  const attempts = options.attempts ?? 10;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const item = await store.load(key);
    if (item?.outbox) {
      await carry(item.outbox, item.version);
      await store.clearOutbox(key, item.version);
    }
    const now = options.clock();
    const reduced = await reduce(item?.state, now);
    if (!reduced.write) return { outcome: reduced.outcome, attempts: attempt, written: false };
    const expected = item?.version ?? 0;
    const outbox: Outbox | null =
      reduced.effects.length === 0 && reduced.inhibit === undefined
        ? null
        : {
            routeId: reduced.routeId,
            at: now,
            effects: reduced.effects,
            ...(reduced.inhibit !== undefined && { inhibit: reduced.inhibit }),
          };
    const saved = await store.save(key, reduced.state, expected, outbox, reduced.expiresAt);
    if (saved === 'conflict') {
      options.onConflict?.(key);
      continue;
    }
    if (outbox) {
      await carry(outbox, expected + 1);
      await store.clearOutbox(key, expected + 1);
    }
    return { outcome: reduced.outcome, attempts: attempt, written: true };
  }
  throw new ConflictRetriesExhausted(key, attempts);
}
