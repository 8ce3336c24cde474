import { mkdir, open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ObjectStore } from '../core/learning/object-store.ts';

/**
 * Objects as files under one directory, for the local stack and tests: `put` writes a temporary file and
 * renames it (a reader never sees half an object), `putIfAbsent` creates with `O_EXCL` (the file system
 * refuses the second writer, across processes, as S3's `If-None-Match: *` does).
 */
export class LocalObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  uri(key: string): string {
    return pathToFileURL(this.path(key)).href;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, path);
  }

  async putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    let file: Awaited<ReturnType<typeof open>>;
    try {
      file = await open(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      await file.writeFile(bytes);
    } finally {
      await file.close();
    }
    return true;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    // Walk from the deepest directory the prefix names, then filter: a prefix may end mid-name, as in S3.
    const slash = prefix.lastIndexOf('/');
    const start = this.path(slash < 0 ? '' : prefix.slice(0, slash));
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (!entry.name.endsWith('.tmp')) {
          const key = relative(this.root, full).split(sep).join('/');
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    await walk(start);
    return keys.sort();
  }

  private path(key: string): string {
    if (key.split('/').includes('..')) throw new Error(`object key "${key}" must not contain ".."`);
    return join(this.root, ...key.split('/').filter(Boolean));
  }
}
