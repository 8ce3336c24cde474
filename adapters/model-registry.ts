import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../core/learning/object-store.ts';
import {
  type ModelArtifact,
  type ModelPointer,
  type ModelRegistry,
  type MoveRequest,
  type NewVersion,
  type Pointers,
  PromotionConflict,
  type PromotionLogEntry,
  type RegisteredVersion,
  RegistryError,
  type RegistryIndex,
  VersionExists,
} from '../core/learning/registry.ts';
import { sha256Hex } from '../core/scoring/model-verification.ts';
import { parseModelCard } from '../models/model-store.ts';
import { DynamoDbRegistryIndex } from './dynamodb-registry-index.ts';
import { LocalObjectStore } from './local-object-store.ts';
import { LocalRegistryIndex } from './local-registry-index.ts';
import { S3ObjectStore } from './s3-object-store.ts';

/** The model the detector serves: its versions live under `registry/default/`. */
export const DEFAULT_MODEL = 'default';

/** Times a move is decided again after another move landed between its read and its write. */
const MOVE_ATTEMPTS = 5;

/** Key of a version's folder: `registry/<model>/v<n>`. */
export function versionPrefix(model: string, version: number): string {
  return `registry/${model}/v${version}`;
}

/**
 * A {@link ModelRegistry} over an object store (artifacts, create-only) and a registry index (pointers, log).
 * Moves are idempotent where a retry would otherwise do harm: registering bytes already registered returns
 * that version, and asking again for a move already made changes nothing.
 */
export class StoreModelRegistry implements ModelRegistry {
  constructor(
    private readonly objects: ObjectStore,
    private readonly index: RegistryIndex,
    readonly model: string = DEFAULT_MODEL,
    private readonly now: () => number = Date.now,
  ) {}

  async register(files: NewVersion): Promise<ModelPointer> {
    const card = parseModelCard(files.cardJson, 'the card to register');
    const sha256 = sha256Hex(files.onnx);
    if (card.sha256 !== sha256) {
      throw new RegistryError(`the card says sha256 ${card.sha256} but model.onnx hashes to ${sha256}`);
    }
    const same = (await this.index.versions(this.model)).find((v) => v.sha256 === sha256);
    if (same) return same;
    const version = await this.index.allocateVersion(this.model);
    const prefix = versionPrefix(this.model, version);
    const writes: [string, Uint8Array][] = [
      ['model.onnx', files.onnx],
      ['model.json', Buffer.from(files.cardJson)],
    ];
    if (files.reportJson !== undefined) writes.push(['report.json', Buffer.from(files.reportJson)]);
    if (files.reportText !== undefined) writes.push(['report.txt', Buffer.from(files.reportText)]);
    for (const [name, bytes] of writes) {
      if (!(await this.objects.putIfAbsent(`${prefix}/${name}`, bytes))) {
        throw new VersionExists(
          `${this.objects.uri(`${prefix}/${name}`)} already exists; versions are immutable`,
        );
      }
    }
    const pointer: ModelPointer = { version, uri: this.objects.uri(prefix), sha256 };
    await this.index.recordVersion(this.model, pointer, new Date(this.now()).toISOString());
    return pointer;
  }

  async versions(): Promise<RegisteredVersion[]> {
    const [all, pointers] = await Promise.all([this.index.versions(this.model), this.index.read(this.model)]);
    return all.map((v) => ({
      ...v,
      roles: (['champion', 'challenger', 'previous'] as const).filter(
        (r) => pointers[r]?.version === v.version,
      ),
    }));
  }

  async card(version: number): Promise<string> {
    await this.pointer(version);
    return this.text(`${versionPrefix(this.model, version)}/model.json`);
  }

  async report(version: number): Promise<string | undefined> {
    await this.pointer(version);
    const bytes = await this.objects.get(`${versionPrefix(this.model, version)}/report.json`);
    return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
  }

  pointers(): Promise<Pointers> {
    return this.index.read(this.model);
  }

  async championPointer(): Promise<ModelPointer | undefined> {
    return (await this.index.read(this.model)).champion;
  }

  async challengerPointer(): Promise<ModelPointer | undefined> {
    return (await this.index.read(this.model)).challenger;
  }

  async fetchArtifact(version: number): Promise<ModelArtifact> {
    // A version a pointer names is found from the pointers item alone: the detector, which only ever
    // fetches those, then needs GetItem on the table and no Query.
    const now = await this.index.read(this.model);
    const pointer =
      [now.champion, now.challenger, now.previous].find((p) => p?.version === version) ??
      (await this.pointer(version));
    const prefix = versionPrefix(this.model, version);
    const onnx = await this.objects.get(`${prefix}/model.onnx`);
    if (onnx === undefined) throw new RegistryError(`${this.objects.uri(`${prefix}/model.onnx`)} is missing`);
    return { pointer, cardJson: await this.text(`${prefix}/model.json`), onnx };
  }

  async setChallenger(
    version: number,
    request: MoveRequest & { readonly expectedRevision?: number },
  ): Promise<Pointers> {
    const target = await this.pointer(version);
    return this.moveWithRetry(request.expectedRevision, (now) => {
      // Already challenger, or already promoted (a rerun of the same retraining run): nothing to move.
      if (now.challenger?.version === version || now.champion?.version === version) return undefined;
      return {
        next: { ...roles(now), challenger: target },
        entry: this.entry('challenger', now.challenger?.version, version, request, now.champion),
      };
    });
  }

  async promote(
    version: number,
    request: MoveRequest & { readonly expectedChampion?: number | null; readonly expectedRevision?: number },
  ): Promise<Pointers> {
    const target = await this.pointer(version);
    return this.moveWithRetry(request.expectedRevision, (now) => {
      if (now.champion?.version === version) return undefined;
      if (
        request.expectedChampion !== undefined &&
        (now.champion?.version ?? null) !== request.expectedChampion
      ) {
        throw new PromotionConflict(
          `promote v${version}: the champion is ${label(now.champion)}, not ${request.expectedChampion === null ? 'none' : `v${request.expectedChampion}`} as expected; nothing was changed`,
        );
      }
      return {
        next: {
          champion: target,
          ...(now.champion ? { previous: now.champion } : {}),
          ...(now.challenger && now.challenger.version !== version ? { challenger: now.challenger } : {}),
        },
        entry: this.entry('promote', now.champion?.version, version, request, target),
      };
    });
  }

  async rollback(request: MoveRequest & { readonly expectedChampion?: number }): Promise<Pointers> {
    return this.moveWithRetry(undefined, (now) => {
      if (request.expectedChampion !== undefined && now.champion?.version !== request.expectedChampion) {
        throw new PromotionConflict(
          `rollback: the champion is ${label(now.champion)}, not v${request.expectedChampion} as expected; nothing was changed`,
        );
      }
      if (!now.champion || !now.previous) {
        throw new RegistryError(`rollback: model ${this.model} has no previous champion to go back to`);
      }
      return {
        next: { champion: now.previous, ...(now.challenger ? { challenger: now.challenger } : {}) },
        entry: this.entry('rollback', now.champion.version, now.previous.version, request, now.previous),
      };
    });
  }

  /**
   * Reads the pointers, decides the move from them (undefined: nothing to do) and applies it at the revision
   * read. When another move landed in between, reads again and decides again: a move's precondition is about
   * the pointers (the champion it expects), not about the revision, unless the caller pinned one.
   */
  private async moveWithRetry(
    expectedRevision: number | undefined,
    decide: (
      now: Pointers,
    ) => { next: Omit<Pointers, 'revision'>; entry: Omit<PromotionLogEntry, 'revision'> } | undefined,
  ): Promise<Pointers> {
    for (let attempt = 1; ; attempt++) {
      const now = await this.read(expectedRevision);
      const move = decide(now);
      if (!move) return now;
      try {
        return await this.index.move(this.model, now.revision, move.next, move.entry);
      } catch (error) {
        if (
          !(error instanceof PromotionConflict) ||
          expectedRevision !== undefined ||
          attempt >= MOVE_ATTEMPTS
        )
          throw error;
      }
    }
  }

  history(): Promise<PromotionLogEntry[]> {
    return this.index.log(this.model);
  }

  async liveAt(at: number): Promise<ModelPointer | undefined> {
    return (await this.index.liveAt(this.model, new Date(at).toISOString()))?.champion;
  }

  private async read(expectedRevision: number | undefined): Promise<Pointers> {
    const now = await this.index.read(this.model);
    if (expectedRevision !== undefined && now.revision !== expectedRevision) {
      throw new PromotionConflict(
        `the pointers of model ${this.model} are at revision ${now.revision}, not ${expectedRevision} as expected; nothing was changed`,
      );
    }
    return now;
  }

  private async pointer(version: number): Promise<ModelPointer> {
    const found = (await this.index.versions(this.model)).find((v) => v.version === version);
    if (!found) throw new RegistryError(`model ${this.model} has no version v${version}`);
    return found;
  }

  private async text(key: string): Promise<string> {
    const bytes = await this.objects.get(key);
    if (bytes === undefined) throw new RegistryError(`${this.objects.uri(key)} is missing`);
    return Buffer.from(bytes).toString('utf8');
  }

  private entry(
    action: PromotionLogEntry['action'],
    from: number | undefined,
    to: number | undefined,
    request: MoveRequest,
    champion: ModelPointer | undefined,
  ): Omit<PromotionLogEntry, 'revision'> {
    return {
      action,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      who: request.who,
      reason: request.reason,
      ...(request.report === undefined ? {} : { report: request.report }),
      at: new Date(this.now()).toISOString(),
      ...(champion ? { champion } : {}),
    };
  }
}

function roles(p: Pointers): Omit<Pointers, 'revision'> {
  return {
    ...(p.champion ? { champion: p.champion } : {}),
    ...(p.challenger ? { challenger: p.challenger } : {}),
    ...(p.previous ? { previous: p.previous } : {}),
  };
}

function label(p: ModelPointer | undefined): string {
  return p ? `v${p.version}` : 'none';
}

/** The deployed registry: artifacts in an S3 bucket, pointers and log in a DynamoDB table. */
export function s3Registry(options: {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly bucket: string;
  readonly table: string;
  readonly model?: string;
  readonly now?: () => number;
}): StoreModelRegistry {
  return new StoreModelRegistry(
    new S3ObjectStore(options.s3, options.bucket),
    new DynamoDbRegistryIndex(options.dynamodb, options.table),
    options.model,
    options.now,
  );
}

/** The local stack's registry: artifacts under `<root>/registry/`, the index under `<root>/registry-index/`. */
export function localRegistry(root: string, model?: string, now?: () => number): StoreModelRegistry {
  return new StoreModelRegistry(
    new LocalObjectStore(root),
    new LocalRegistryIndex(`${root}/registry-index`),
    model,
    now,
  );
}
