import { gunzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type ArchiveChunk,
  type ArchiveReader,
  archiveHourPrefixes,
  decodeArchiveLines,
} from '../core/learning/archive.ts';
import type { ObjectStore } from '../core/learning/object-store.ts';
import { LocalObjectStore } from './local-object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';

/** gzip's magic bytes: Firehose's GZIP output and the local sink's files start with them. */
const GZIP = [0x1f, 0x8b] as const;

/**
 * Reads the archive from an object store: lists the arrival-hour prefixes that can hold the window, reads
 * each object (gzipped or plain), and keeps the valid events timestamped inside the window.
 */
export class ObjectStoreArchive implements ArchiveReader {
  constructor(private readonly store: ObjectStore) {}

  async *chunks(from: number, to: number): AsyncIterable<ArchiveChunk> {
    for (const prefix of archiveHourPrefixes(from, to)) {
      for (const key of await this.store.list(prefix)) {
        const bytes = await this.store.get(key);
        if (bytes === undefined) continue; // expired between list and get
        const plain = bytes[0] === GZIP[0] && bytes[1] === GZIP[1] ? gunzipSync(bytes) : Buffer.from(bytes);
        yield { key, ...decodeArchiveLines(plain.toString('utf8'), from, to) };
      }
    }
  }
}

/** The archive Firehose writes into an S3 bucket. */
export function s3Archive(client: S3Client, bucket: string): ArchiveReader {
  return new ObjectStoreArchive(new S3ObjectStore(client, bucket));
}

/** The archive the local stack's sink writes under `dir` (`.seismo/archive/`'s parent layout: `dir/archive/…`). */
export function localArchive(dir: string): ArchiveReader {
  return new ObjectStoreArchive(new LocalObjectStore(dir));
}
