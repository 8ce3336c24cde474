import type {
  MemoryPublishLedger,
  MemoryStateStore,
  MemoryTimeSeriesStore,
} from '../../adapters/memory-stores.ts';
import type { PublishLedger } from '../../adapters/publish-ledger.ts';
import type { ScoredPoint } from '../../core/detection-types.ts';
import type {
  DeadLetter,
  DeadLetterSink,
  FeatureStateStore,
  QuarantinedState,
  SaveResult,
  TimeSeriesStore,
  VersionedState,
  WriteResult,
} from '../../core/ports.ts';
import { Random } from '../../models/random.ts';

/**
 * Fault injection for the streaming path's invariant tests: wrappers around the honest in-memory stores that
 * fail, at random from one seed, the way the AWS services fail: a whole call, or part of it (some items done,
 * then an error), a write race lost, an entry refused. Every injected fault is counted by kind, so a test
 * can state bounds (duplicates only after a fault that may cause one).
 */

/** The fault kinds the wrappers inject. */
export type FaultKind =
  | 'store-total'
  | 'store-partial'
  | 'state-load'
  | 'state-save-total'
  | 'state-save-partial'
  | 'state-conflict'
  | 'sns-call'
  | 'sns-entry'
  | 'sns-lost-response'
  | 'ledger-claim'
  | 'ledger-mark'
  | 'dlq-total'
  | 'dlq-partial';

/** Decides, from a seed, whether each call fails, and counts what it injected. */
export class FaultPlan {
  private readonly random: Random;
  readonly injected = new Map<FaultKind, number>();

  /** `rate` is the chance that any one fault kind fires on a call that can suffer it. */
  constructor(
    seed: number,
    private readonly rate: number,
  ) {
    this.random = new Random(seed);
  }

  /** True (and counted) when the fault fires on this call. */
  fires(kind: FaultKind): boolean {
    if (this.rate <= 0 || this.random.next() >= this.rate) return false;
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    return true;
  }

  /** A split point in [0, n]: how much of a call gets done before it fails. */
  part(n: number): number {
    return this.random.nextInt(n + 1);
  }

  count(kind: FaultKind): number {
    return this.injected.get(kind) ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const count of this.injected.values()) n += count;
    return n;
  }
}

/** Thrown by every injected fault, so a test can tell injected failures from real ones. */
export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
  constructor(readonly kind: FaultKind) {
    super(`injected fault: ${kind}`);
  }
}

/** A time-series store that throws before writing, or after writing part of a call. */
export class FaultyTimeSeriesStore implements TimeSeriesStore {
  constructor(
    readonly inner: TimeSeriesStore,
    private readonly plan: FaultPlan,
  ) {}

  async write(points: readonly ScoredPoint[]): Promise<WriteResult> {
    if (this.plan.fires('store-total')) throw new InjectedFault('store-total');
    if (this.plan.fires('store-partial')) {
      await this.inner.write(points.slice(0, this.plan.part(points.length)));
      throw new InjectedFault('store-partial');
    }
    return this.inner.write(points);
  }
}

/**
 * A store that refuses for good (as Timestream refuses a record outside its retention) every point
 * `refuses` picks, and stores the others in `inner`. Deterministic, so a reference run refuses the same.
 */
export class RefusingTimeSeriesStore implements TimeSeriesStore {
  constructor(
    readonly inner: MemoryTimeSeriesStore,
    private readonly refuses: (point: ScoredPoint) => boolean,
  ) {}

  async write(points: readonly ScoredPoint[]): Promise<WriteResult> {
    const refused = points.filter(this.refuses);
    const { rejected } = await this.inner.write(points.filter((p) => !this.refuses(p)));
    return {
      rejected: [...rejected, ...refused.map((point) => ({ point, reason: 'outside retention (test)' }))],
    };
  }
}

/**
 * A state store that fails loads, fails saves whole or after saving some entries, and reports conflicts a
 * concurrent writer would cause (by moving the stored version on, with the same bytes, as a duplicate
 * invocation would).
 */
export class FaultyStateStore implements FeatureStateStore {
  constructor(
    readonly inner: MemoryStateStore,
    private readonly plan: FaultPlan,
  ) {}

  async load(keys: readonly string[]): Promise<Map<string, VersionedState>> {
    if (this.plan.fires('state-load')) throw new InjectedFault('state-load');
    return this.inner.load(keys);
  }

  async save(entries: readonly VersionedState[]): Promise<SaveResult> {
    if (this.plan.fires('state-save-total')) throw new InjectedFault('state-save-total');
    if (entries.length > 0 && this.plan.fires('state-conflict')) {
      // Someone else saved the first entry's series first: its stored version moves on, its bytes stay.
      const victim = entries[0] as VersionedState;
      const stored = (await this.inner.load([victim.key])).get(victim.key);
      if (stored) await this.inner.save([stored]);
    }
    if (this.plan.fires('state-save-partial')) {
      await this.inner.save(entries.slice(0, this.plan.part(entries.length)));
      throw new InjectedFault('state-save-partial');
    }
    return this.inner.save(entries);
  }

  async quarantine(entries: readonly QuarantinedState[]): Promise<void> {
    await this.inner.quarantine(entries);
  }
}

/** A publish ledger whose claims and marks fail: a failed mark after a publish is what duplicates a message. */
export class FaultyLedger implements PublishLedger {
  constructor(
    readonly inner: MemoryPublishLedger,
    private readonly plan: FaultPlan,
  ) {}

  async claim(id: string): Promise<boolean> {
    if (this.plan.fires('ledger-claim')) throw new InjectedFault('ledger-claim');
    return this.inner.claim(id);
  }

  async markSent(id: string): Promise<void> {
    if (this.plan.fires('ledger-mark')) throw new InjectedFault('ledger-mark');
    await this.inner.markSent(id);
  }
}

/** A dead-letter queue that fails whole, or after accepting some entries; keeps every entry it accepted. */
export class FaultyDeadLetters implements DeadLetterSink {
  readonly entries: DeadLetter[] = [];

  constructor(private readonly plan: FaultPlan | undefined) {}

  async send(entries: readonly DeadLetter[]): Promise<void> {
    if (this.plan?.fires('dlq-total')) throw new InjectedFault('dlq-total');
    if (this.plan?.fires('dlq-partial')) {
      this.entries.push(...entries.slice(0, this.plan.part(entries.length)));
      throw new InjectedFault('dlq-partial');
    }
    this.entries.push(...entries);
  }
}
