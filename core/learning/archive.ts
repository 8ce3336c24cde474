import { type MeasurementEvent, parseEvent } from '../events/event-schema.ts';

/**
 * The history archive: every raw record of the stream, as producers sent it, one JSON document a line,
 * gzipped, in objects under `archive/day=YYYY-MM-DD/hour=HH/` by arrival hour (UTC). Kinesis Data Firehose
 * writes it in AWS; the local stack's archive sink writes the same layout into a directory.
 */

/** Where archive objects live, in the bucket or the local directory. */
export const ARCHIVE_PREFIX = 'archive/';

const HOUR_MS = 3_600_000;

/** The key prefix of the arrival hour holding `at` (epoch ms): `archive/day=2026-11-30/hour=14/`. */
export function archiveHourPrefix(at: number): string {
  const iso = new Date(at).toISOString();
  return `${ARCHIVE_PREFIX}day=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

/**
 * The arrival-hour prefixes that can hold events timestamped in [from, to): arrival follows the event by up
 * to `lateMs` (producers' delay, Firehose's buffering), and precedes it by at most `earlyMs` (clock skew).
 */
export function archiveHourPrefixes(
  from: number,
  to: number,
  lateMs = 2 * HOUR_MS,
  earlyMs = 5 * 60_000,
): string[] {
  const prefixes: string[] = [];
  const first = Math.floor((from - earlyMs) / HOUR_MS) * HOUR_MS;
  for (let hour = first; hour < to + lateMs; hour += HOUR_MS) prefixes.push(archiveHourPrefix(hour));
  return prefixes;
}

/** What one archive object held: its valid events and how many lines were not events. */
export interface ArchiveChunk {
  readonly key: string;
  readonly events: MeasurementEvent[];
  /** Lines that were not valid events (malformed JSON, schema violations): the detector dead-lettered them too. */
  readonly invalid: number;
}

/** Reads the archive. The S3 and local-directory adapters share one implementation over an object store. */
export interface ArchiveReader {
  /**
   * Every valid event timestamped in [from, to), one chunk per archive object, objects in key order. Events
   * arrive in arrival order, not time order, and may repeat (Firehose delivers at least once): sort and
   * deduplicate per series, as {@link seriesInTimeOrder} does.
   */
  chunks(from: number, to: number): AsyncIterable<ArchiveChunk>;
}

/** Decodes archive text: one JSON event a line; keeps those timestamped in [from, to). */
export function decodeArchiveLines(
  text: string,
  from: number,
  to: number,
): { events: MeasurementEvent[]; invalid: number } {
  const events: MeasurementEvent[] = [];
  let invalid = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      invalid += 1;
      continue;
    }
    const parsed = parseEvent(json);
    if (!parsed.ok) invalid += 1;
    else if (parsed.event.timestamp >= from && parsed.event.timestamp < to) events.push(parsed.event);
  }
  return { events, invalid };
}

/** One series' channel as retraining reads it: time-ordered, each timestamp once. */
export interface SeriesHistory {
  readonly series: string;
  readonly channel: string;
  readonly timestamps: number[];
  readonly values: number[];
}

/**
 * Splits events into one history per series and channel, sorted by time, keeping the first of repeated
 * timestamps (as the detector scores a re-delivery once). Counter events stay raw readings: the caller that
 * scores them passes them through the detector, which turns them into rates.
 */
export function seriesInTimeOrder(events: Iterable<MeasurementEvent>): SeriesHistory[] {
  const bySeries = new Map<string, { series: string; channel: string; points: Map<number, number> }>();
  for (const event of events) {
    for (const channel in event.values) {
      const key = `${event.series}\u001f${channel}`;
      let entry = bySeries.get(key);
      if (!entry) {
        entry = { series: event.series, channel, points: new Map() };
        bySeries.set(key, entry);
      }
      if (!entry.points.has(event.timestamp))
        entry.points.set(event.timestamp, event.values[channel] as number);
    }
  }
  return [...bySeries.values()]
    .map(({ series, channel, points }) => {
      const timestamps = [...points.keys()].sort((a, b) => a - b);
      return { series, channel, timestamps, values: timestamps.map((t) => points.get(t) as number) };
    })
    .sort((a, b) =>
      a.series === b.series ? a.channel.localeCompare(b.channel) : a.series.localeCompare(b.series),
    );
}
