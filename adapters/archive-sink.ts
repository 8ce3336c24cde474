import { gzipSync } from 'node:zlib';
import { deaggregate } from 'aws-kinesis-agg';
import type { KinesisStreamRecord } from 'aws-lambda';
import { archiveHourPrefix } from '../core/learning/archive.ts';
import type { ObjectStore } from '../core/learning/object-store.ts';
import { LocalObjectStore } from './local-object-store.ts';

/** Appends the raw records of one Kinesis batch to the archive. */
export type ArchiveSink = (records: readonly KinesisStreamRecord[]) => Promise<void>;

const KPL_MAGIC = [0xf3, 0x89, 0x9a, 0xc2] as const;

/**
 * The local stand-in for Firehose: writes a batch's records as one gzipped object per arrival hour, one
 * record a line, under `archive/day=…/hour=…/`. Like Firehose it splits KPL aggregates into their user
 * records and appends a newline to each; a record spread over lines (pretty-printed JSON) is compacted onto
 * one. The object name comes from the shard and the batch's sequence numbers, so a retried batch rewrites
 * its object rather than adding one; a batch retried from a later record adds an overlapping object, which
 * readers tolerate, as they must with Firehose's at-least-once delivery.
 */
export function createArchiveSink(store: ObjectStore): ArchiveSink {
  return async (records) => {
    const byHour = new Map<string, { lines: string[]; first: string; last: string; shard: string }>();
    for (const record of records) {
      const arrived = Math.round(record.kinesis.approximateArrivalTimestamp * 1000);
      const prefix = archiveHourPrefix(arrived);
      const shard = (record.eventID ?? '').split(':')[0] || 'shard';
      let group = byHour.get(prefix);
      if (!group) {
        group = { lines: [], first: record.kinesis.sequenceNumber, last: '', shard };
        byHour.set(prefix, group);
      }
      group.last = record.kinesis.sequenceNumber;
      for (const data of userRecords(record)) group.lines.push(oneLine(data));
    }
    for (const [prefix, group] of byHour) {
      const name = `${prefix}seismo-archive-${group.shard}-${group.first}-${group.last}.gz`;
      await store.put(name, gzipSync(`${group.lines.join('\n')}\n`));
    }
  };
}

/** The sink writing into a local directory: the archive lands in `<dir>/archive/`. */
export function localArchiveSink(dir: string): ArchiveSink {
  return createArchiveSink(new LocalObjectStore(dir));
}

function userRecords(record: KinesisStreamRecord): Buffer[] {
  const bytes = Buffer.from(record.kinesis.data, 'base64');
  if (!(bytes.length > 4 && KPL_MAGIC.every((b, i) => bytes[i] === b))) return [bytes];
  const users: Buffer[] = [];
  let failed = false;
  deaggregate(
    record.kinesis,
    true,
    (error, user) => {
      if (error) failed = true;
      else if (user) users.push(Buffer.from(user.data, 'base64'));
    },
    (error) => {
      if (error) failed = true;
    },
  );
  // A broken aggregate is archived as it came (one unreadable line), as Firehose would keep it.
  return failed ? [bytes] : users;
}

function oneLine(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (!text.includes('\n')) return text;
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text.replaceAll('\n', ' ');
  }
}
