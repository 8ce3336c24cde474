import type { Labels } from '../../core/alerting/alert-transition.ts';
import type { Silence } from '../../core/alerting/silences.ts';
import type { ControlStore, DisabledReceiver } from './ports.ts';

/** What the router reads of the control table for one carry-out. */
export interface ControlSnapshot {
  readonly silences: readonly Silence[];
  readonly inhibitionSources: readonly Labels[];
  readonly disabled: ReadonlyMap<string, DisabledReceiver>;
}

/**
 * The control table (silences, inhibition sources, disabled receivers) cached for a few seconds per
 * container: every transition consults it, and a silence taking effect a few seconds late is acceptable.
 * Inhibition sources are read only when the config has inhibit rules.
 */
export class ControlCache {
  private cached: { at: number; value: Promise<ControlSnapshot> } | undefined;

  constructor(
    private readonly store: ControlStore,
    private readonly options: {
      readonly ttlMs: number;
      readonly clock: () => number;
      readonly inhibition: boolean;
    },
  ) {}

  /** The snapshot, read again when older than the TTL (or after {@link invalidate}). */
  snapshot(): Promise<ControlSnapshot> {
    const now = this.options.clock();
    if (this.cached && now - this.cached.at < this.options.ttlMs) return this.cached.value;
    const value = this.read();
    this.cached = { at: now, value };
    value.catch(() => {
      if (this.cached?.value === value) this.cached = undefined;
    });
    return value;
  }

  /** Forgets the cached snapshot (after this container changed the table itself). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async read(): Promise<ControlSnapshot> {
    const [silences, inhibitionSources, disabled] = await Promise.all([
      this.store.silences(),
      this.options.inhibition ? this.store.inhibitionSources() : Promise.resolve([]),
      this.store.disabledReceivers(),
    ]);
    return { silences, inhibitionSources, disabled: new Map(disabled.map((d) => [d.name, d])) };
  }
}
