/**
 * Objects by key: the registry's artifacts, the retraining runs' work files and the archive. S3 in AWS, a
 * directory on one machine. Keys use `/` as separator, as S3 keys do.
 */
export interface ObjectStore {
  /** The address of a key, for logs, cards and pointers: `s3://bucket/key` or `file:///dir/key`. */
  uri(key: string): string;
  /** Writes (or overwrites) an object. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Writes an object only if no object has that key; false (and nothing written) when one already does. */
  putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every key that starts with `prefix`, in ascending order. */
  list(prefix: string): Promise<string[]>;
}

/** Reads an object that must exist, as UTF-8 text; the error names the URI. */
export async function getText(store: ObjectStore, key: string): Promise<string> {
  const bytes = await store.get(key);
  if (bytes === undefined) throw new ObjectMissing(store.uri(key));
  return Buffer.from(bytes).toString('utf8');
}

/** Reads an object that must exist, as JSON. */
export async function getJson<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse(await getText(store, key)) as T;
}

/** Writes a value as pretty JSON. */
export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, Buffer.from(`${JSON.stringify(value, null, 2)}\n`));
}

/** An object that had to exist does not. */
export class ObjectMissing extends Error {
  override readonly name = 'ObjectMissing';
  constructor(readonly uri: string) {
    super(`no object at ${uri}`);
  }
}
