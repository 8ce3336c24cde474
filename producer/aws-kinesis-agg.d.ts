// The package exports RecordAggregator but its own typings leave it out.
import 'aws-kinesis-agg';

declare module 'aws-kinesis-agg' {
  /** A user record as the aggregator takes it. */
  export interface AggregatorUserRecord {
    partitionKey: string;
    data: Buffer;
  }

  /** Packs user records into one KPL aggregated record of at most 1 MiB. */
  export class RecordAggregator {
    /** True when `record` still fits the aggregate under construction. */
    checkIfUserRecordFits(record: AggregatorUserRecord): boolean;
    /** Adds `record`; throws when it does not fit. */
    addUserRecord(record: AggregatorUserRecord): void;
    /** Encodes the records added so far (magic, protobuf, MD5) and starts a new aggregate. */
    build(): { partitionKey: string; data: Buffer } | undefined;
    /** Number of user records added since the last build. */
    length(): number;
  }
}
