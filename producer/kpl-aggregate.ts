import { RecordAggregator } from 'aws-kinesis-agg';
import type { MeasurementEvent } from '../core/events/event-schema.ts';
import { encodeEvent, type StreamRecord } from './event-record.ts';

/**
 * KPL aggregation (the Kinesis Producer Library's record format, which the detector and the KCL de-aggregate):
 * many events in one Kinesis record, so a shard's 1,000 records/s limit stops being the bottleneck.
 *
 * An aggregate is routed by one partition key, so it only ever holds events of ONE series: mixing series
 * would put a series' events on whichever shard the first event's key picks, and its order across
 * aggregates would be lost.
 */

/**
 * Our own ceiling on an aggregate's user data, below the 1 MiB record limit: the aggregator counts partition
 * keys in UTF-16 units, not bytes, and the record's partition key counts against the same 1 MiB.
 */
export const AGGREGATE_MAX_BYTES = 1_000_000;
/** Protobuf framing per user record (tags, lengths, the key index), a generous bound. */
const PER_RECORD_OVERHEAD = 16;

/**
 * Aggregates `events` (with their input indexes) per series into as few records as fit; each series' events
 * keep their order, spread over consecutive aggregates when they do not fit one. A series with a single event
 * gets a plain record (an aggregate of one only adds bytes).
 */
export function aggregateBySeries(
  events: readonly { readonly event: MeasurementEvent; readonly index: number }[],
): StreamRecord[] {
  const bySeries = new Map<string, { event: MeasurementEvent; index: number }[]>();
  for (const item of events) {
    const list = bySeries.get(item.event.series);
    if (list) list.push(item);
    else bySeries.set(item.event.series, [item]);
  }
  const records: StreamRecord[] = [];
  for (const [series, items] of bySeries) {
    if (items.length === 1) {
      const only = items[0] as { event: MeasurementEvent; index: number };
      records.push({
        partitionKey: series,
        data: Buffer.from(encodeEvent(only.event)),
        events: [only.index],
      });
      continue;
    }
    let aggregator = new RecordAggregator();
    let members: number[] = [];
    let bytes = Buffer.byteLength(series);
    const flush = () => {
      const built = aggregator.build();
      if (built) records.push({ partitionKey: series, data: built.data, events: members });
      aggregator = new RecordAggregator();
      members = [];
      bytes = Buffer.byteLength(series);
    };
    for (const { event, index } of items) {
      const user = { partitionKey: series, data: Buffer.from(encodeEvent(event)) };
      const size = user.data.byteLength + PER_RECORD_OVERHEAD;
      if (
        members.length > 0 &&
        (bytes + size > AGGREGATE_MAX_BYTES || !aggregator.checkIfUserRecordFits(user))
      ) {
        flush();
      }
      aggregator.addUserRecord(user);
      members.push(index);
      bytes += size;
    }
    flush();
  }
  return records;
}
