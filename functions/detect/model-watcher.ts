import type { Detector } from '../../core/detector.ts';
import type { ModelSet } from '../../core/model-set.ts';
import type { Clock } from '../../core/ports.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';

/** A registered model version, as a pointer names it. */
export interface ModelRef {
  readonly version: string;
  /** sha256 of the ONNX bytes, as its card states: a loader refuses bytes that differ. */
  readonly sha256: string;
}

/** Where the registry points now: the champion, and a challenger in shadow or canary. */
export interface ModelPointers {
  readonly champion?: ModelRef;
  readonly challenger?: ModelRef;
  /** Share of series (0..100) the challenger is live for; 0 or absent = shadow only. */
  readonly canaryPercent?: number;
}

/** The detector's read side of the model registry. */
export interface ModelRegistryReader {
  pointers(): Promise<ModelPointers>;
  /** Downloads a version, verifies its sha256 and feature list against its card, opens a session. */
  load(ref: ModelRef): Promise<BatchScorer>;
}

/** Where the watcher reports what it did. */
export interface ModelWatcherEvents {
  swapped?(from: ModelSet, to: ModelSet): void;
  failed?(what: 'pointers' | 'champion' | 'challenger', error: unknown): void;
}

/** Options of a {@link ModelWatcher}. */
export interface ModelWatcherOptions {
  /** Longest a container serves a pointer without re-reading it; 60 s by default. */
  readonly ttlMs?: number;
  readonly clock?: Clock;
  readonly events?: ModelWatcherEvents;
}

/**
 * Keeps a detector on the registry's champion (and challenger) without a deploy. Called before each batch:
 * at most every `ttlMs` it re-reads the pointers; a version it does not hold yet is downloaded, verified
 * and opened before anything changes, then the detector switches between batches, so no batch sees a
 * half-loaded model. Any failure keeps the last good set (the layer's default model is the first and final
 * fallback) and is reported. Sessions no longer in use are released.
 */
export class ModelWatcher {
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private checkedAt = Number.NEGATIVE_INFINITY;
  /** Loaded scorers by version, the layer default among them. */
  private readonly loaded = new Map<string, BatchScorer>();

  constructor(
    private readonly detector: Detector,
    private readonly registry: ModelRegistryReader,
    private readonly fallback: BatchScorer,
    options: ModelWatcherOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.clock = options.clock ?? { now: Date.now };
    this.events = options.events ?? {};
    this.loaded.set(fallback.modelVersion, fallback);
  }

  private readonly events: ModelWatcherEvents;

  /** True when the pointers are older than the TTL: the next {@link refresh} reads them. */
  due(): boolean {
    return this.clock.now() - this.checkedAt >= this.ttlMs;
  }

  /** Re-reads the pointers when they are older than the TTL and switches the detector if they moved. */
  async refresh(): Promise<void> {
    const now = this.clock.now();
    if (now - this.checkedAt < this.ttlMs) return;
    this.checkedAt = now;
    let pointers: ModelPointers;
    try {
      pointers = await this.registry.pointers();
    } catch (error) {
      this.events.failed?.('pointers', error);
      return;
    }
    const current = this.detector.modelSet;
    const champion = pointers.champion
      ? ((await this.scorer(pointers.champion, 'champion')) ?? current.champion)
      : this.fallback;
    const challenger = pointers.challenger ? await this.scorer(pointers.challenger, 'challenger') : undefined;
    const next: ModelSet = {
      champion,
      ...(challenger && challenger !== champion && { challenger }),
      ...(challenger && pointers.canaryPercent !== undefined && { canaryPercent: pointers.canaryPercent }),
    };
    if (
      next.champion === current.champion &&
      next.challenger === current.challenger &&
      (next.canaryPercent ?? 0) === (current.canaryPercent ?? 0)
    ) {
      return;
    }
    this.detector.setModels(next);
    this.events.swapped?.(current, next);
    await this.releaseUnused(next);
  }

  /** The scorer of `ref`, loaded once; undefined (reported) when it cannot be loaded. */
  private async scorer(ref: ModelRef, role: 'champion' | 'challenger'): Promise<BatchScorer | undefined> {
    const held = this.loaded.get(ref.version);
    if (held) return held;
    try {
      const scorer = await this.registry.load(ref);
      this.loaded.set(ref.version, scorer);
      return scorer;
    } catch (error) {
      this.events.failed?.(role, error);
      return undefined;
    }
  }

  private async releaseUnused(inUse: ModelSet): Promise<void> {
    for (const [version, scorer] of this.loaded) {
      if (scorer === this.fallback || scorer === inUse.champion || scorer === inUse.challenger) continue;
      this.loaded.delete(version);
      await scorer.release?.();
    }
  }
}
