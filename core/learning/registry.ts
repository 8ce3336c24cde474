/**
 * The model registry as the rest of Seismo sees it. Versions are immutable artifacts (`model.onnx`, the
 * card, the evaluation report) under `registry/<model>/v<n>/`, written create-only; three movable pointers
 * (`champion`, `challenger`, `previous`) say which version plays which part; every pointer move appends one
 * entry to a promotion log in the same atomic step, so "which model was live at T" has one answer.
 */

/** Where a registered version lives and the checksum its bytes must match. */
export interface ModelPointer {
  readonly version: number;
  /** `s3://bucket/registry/<model>/v<n>` or `file:///…/registry/<model>/v<n>`: the folder of the version. */
  readonly uri: string;
  /** sha256 of `model.onnx`, as the card states it. */
  readonly sha256: string;
}

/** The three pointers of one model and the revision they were read at (for compare-and-set). */
export interface Pointers {
  readonly champion?: ModelPointer;
  readonly challenger?: ModelPointer;
  readonly previous?: ModelPointer;
  /** Increases by one with every pointer move; 0 before the first. */
  readonly revision: number;
}

/** What a pointer move did. */
export type PromotionAction = 'challenger' | 'promote' | 'rollback' | 'withdraw';

/** One entry of the append-only promotion log. */
export interface PromotionLogEntry {
  readonly action: PromotionAction;
  /** The version that held the part before (champion for promote and rollback, challenger for the others). */
  readonly from?: number;
  /** The version that holds it after; absent when a challenger is withdrawn. */
  readonly to?: number;
  /** A person (`alice@example.com`) or a process (`retraining:weekly-2026-W48`). */
  readonly who: string;
  readonly reason: string;
  /** URI of the evaluation report behind the decision, if any. */
  readonly report?: string;
  /** ISO 8601 time of the move. */
  readonly at: string;
  /** The pointer revision this move produced. */
  readonly revision: number;
  /** The champion after the move (what "live at T" answers with). */
  readonly champion?: ModelPointer;
}

/** The bytes of one registered version, as the detector downloads them. */
export interface ModelArtifact {
  readonly pointer: ModelPointer;
  /** The card (`model.json`) as stored: parse and verify it before trusting the bytes. */
  readonly cardJson: string;
  /** `model.onnx`. */
  readonly onnx: Uint8Array;
}

/**
 * The read side the detector needs: which version is champion, and its bytes. Implementations never cache:
 * the caller decides how often to ask (the detector: at most once a minute).
 */
export interface ChampionSource {
  /** The current champion, or undefined before the first promotion (serve the layer's default model). */
  championPointer(): Promise<ModelPointer | undefined>;
  /** The challenger during its shadow period (score it, never alert on it), or undefined. */
  challengerPointer(): Promise<ModelPointer | undefined>;
  /** The card and ONNX bytes of a registered version; throws {@link RegistryError} if it is not registered. */
  fetchArtifact(version: number): Promise<ModelArtifact>;
}

/** What a caller states about a pointer move, for the log. */
export interface MoveRequest {
  readonly who: string;
  readonly reason: string;
  readonly report?: string;
}

/** A version's files to register; written create-only, never overwritten. */
export interface NewVersion {
  readonly onnx: Uint8Array;
  /** The card as JSON text; its `sha256` must be the sha256 of `onnx`. */
  readonly cardJson: string;
  /** The evaluation report (JSON) and its text rendering. */
  readonly reportJson?: string;
  readonly reportText?: string;
}

/** A registered version as listed. */
export interface RegisteredVersion extends ModelPointer {
  /** Which pointers name it now. */
  readonly roles: readonly ('champion' | 'challenger' | 'previous')[];
}

/** The whole registry of one model: registration, pointer moves, the log and the read side. */
export interface ModelRegistry extends ChampionSource {
  /** The model this registry holds versions of (`default`: the detector's model). */
  readonly model: string;
  /** Registers a new version under the next free number; returns its pointer. */
  register(files: NewVersion): Promise<ModelPointer>;
  /** Every registered version, oldest first. */
  versions(): Promise<RegisteredVersion[]>;
  /** The card text of a version. */
  card(version: number): Promise<string>;
  /** The evaluation report (JSON text) of a version, if it was registered with one. */
  report(version: number): Promise<string | undefined>;
  pointers(): Promise<Pointers>;
  /** Names `version` the challenger (replacing any other), if the pointers are still at `expectedRevision` when given. */
  setChallenger(
    version: number,
    request: MoveRequest & { readonly expectedRevision?: number },
  ): Promise<Pointers>;
  /**
   * Makes `version` the champion and the old champion `previous`, clearing the challenger if it was
   * `version`. With `expectedChampion`, refuses unless the champion is still that version (undefined: none),
   * so two promotions racing from the same state cannot both win.
   */
  promote(
    version: number,
    request: MoveRequest & { readonly expectedChampion?: number | null; readonly expectedRevision?: number },
  ): Promise<Pointers>;
  /**
   * Makes `previous` the champion again. With `expectedChampion`, only if the champion is still that
   * version (a watch rolling back "its" promotion must not undo a later one).
   */
  rollback(request: MoveRequest & { readonly expectedChampion?: number }): Promise<Pointers>;
  /** The promotion log, oldest first. */
  history(): Promise<PromotionLogEntry[]>;
  /** The champion at time `at` (epoch ms): the latest promote or rollback at or before it. */
  liveAt(at: number): Promise<ModelPointer | undefined>;
}

/** A registry operation that cannot be done as asked (unknown version, no previous model, bad card). */
export class RegistryError extends Error {
  override readonly name: string = 'RegistryError';
}

/** The pointers moved since the caller read them: its move was not applied. Read again and decide again. */
export class PromotionConflict extends RegistryError {
  override readonly name = 'PromotionConflict';
}

/** A version's files already exist: versions are immutable, a second write of the same number is refused. */
export class VersionExists extends RegistryError {
  override readonly name = 'VersionExists';
}

/**
 * Where the registry keeps its pointers, version list and log: one DynamoDB table in AWS, a JSON file locally.
 * Every method is atomic on its own; {@link RegistryIndex.move} is the one that changes pointers.
 */
export interface RegistryIndex {
  /** Hands out the next version number of `model` (1, 2, …), never the same twice, even when racing. */
  allocateVersion(model: string): Promise<number>;
  /** Records a registered version (after its files were written); refuses a second record of the same number. */
  recordVersion(model: string, pointer: ModelPointer, registeredAt: string): Promise<void>;
  /** Registered versions, oldest first. */
  versions(model: string): Promise<ModelPointer[]>;
  read(model: string): Promise<Pointers>;
  /**
   * Sets the pointers to `next` and appends `entry` (at revision `expectedRevision + 1`) in one atomic step,
   * only if the pointers are still at `expectedRevision`; else throws {@link PromotionConflict}.
   */
  move(
    model: string,
    expectedRevision: number,
    next: Omit<Pointers, 'revision'>,
    entry: Omit<PromotionLogEntry, 'revision'>,
  ): Promise<Pointers>;
  /** The log, oldest first. */
  log(model: string): Promise<PromotionLogEntry[]>;
  /** The latest entry at or before `at` (ISO 8601) that changed the champion, if any. */
  liveAt(model: string, at: string): Promise<PromotionLogEntry | undefined>;
}
