import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type ModelPointer,
  type Pointers,
  PromotionConflict,
  type PromotionLogEntry,
  type RegistryIndex,
  VersionExists,
} from '../core/learning/registry.ts';

interface IndexFile {
  next: number;
  versions: (ModelPointer & { registeredAt: string })[];
  pointers: Pointers;
  log: PromotionLogEntry[];
}

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;

/**
 * The registry index of the local stack: one JSON file per model under `dir`. Every change reads, checks
 * and rewrites the file under an exclusive lock file (created with `O_EXCL`), then renames it into place,
 * so the CLI and the local stack in two processes see one history, and a move checks its revision as the
 * DynamoDB transaction does.
 */
export class LocalRegistryIndex implements RegistryIndex {
  constructor(private readonly dir: string) {}

  async allocateVersion(model: string): Promise<number> {
    return this.change(model, (index) => {
      index.next += 1;
      return index.next;
    });
  }

  async recordVersion(model: string, pointer: ModelPointer, registeredAt: string): Promise<void> {
    await this.change(model, (index) => {
      if (index.versions.some((v) => v.version === pointer.version)) {
        throw new VersionExists(`version ${pointer.version} of model ${model} is already registered`);
      }
      index.versions.push({ ...pointer, registeredAt });
      index.versions.sort((a, b) => a.version - b.version);
    });
  }

  async versions(model: string): Promise<ModelPointer[]> {
    return (await this.load(model)).versions.map(({ registeredAt: _, ...p }) => p);
  }

  async read(model: string): Promise<Pointers> {
    return (await this.load(model)).pointers;
  }

  async move(
    model: string,
    expectedRevision: number,
    next: Omit<Pointers, 'revision'>,
    entry: Omit<PromotionLogEntry, 'revision'>,
  ): Promise<Pointers> {
    return this.change(model, (index) => {
      if (index.pointers.revision !== expectedRevision) {
        throw new PromotionConflict(
          `the pointers of model ${model} moved since revision ${expectedRevision} was read (now ${index.pointers.revision}); nothing was changed`,
        );
      }
      const revision = expectedRevision + 1;
      index.pointers = { ...next, revision };
      index.log.push({ ...entry, revision });
      return index.pointers;
    });
  }

  async log(model: string): Promise<PromotionLogEntry[]> {
    return (await this.load(model)).log;
  }

  async liveAt(model: string, at: string): Promise<PromotionLogEntry | undefined> {
    const changes = (await this.load(model)).log.filter(
      (e) => (e.action === 'promote' || e.action === 'rollback') && e.at <= at,
    );
    return changes[changes.length - 1];
  }

  private file(model: string): string {
    return join(this.dir, `${encodeURIComponent(model)}.json`);
  }

  private async load(model: string): Promise<IndexFile> {
    try {
      return JSON.parse(await readFile(this.file(model), 'utf8')) as IndexFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return { next: 0, versions: [], pointers: { revision: 0 }, log: [] };
      }
      throw error;
    }
  }

  private async change<T>(model: string, apply: (index: IndexFile) => T): Promise<T> {
    const file = this.file(model);
    await mkdir(dirname(file), { recursive: true });
    const lock = `${file}.lock`;
    await acquire(lock);
    try {
      const index = await this.load(model);
      const result = apply(index);
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(index, null, 2)}\n`);
      await rename(temp, file);
      return result;
    } finally {
      await unlink(lock).catch(() => {});
    }
  }
}

async function acquire(lock: string): Promise<void> {
  const deadline = Date.now() + 2 * STALE_LOCK_MS;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await unlink(lock).catch(() => {});
      if (Date.now() > deadline)
        throw new Error(`registry index ${lock} stays locked; delete it if no seismo runs`);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
}
