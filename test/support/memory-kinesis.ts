import type { KinesisClient, PutRecordsCommand, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { Random } from '../../models/random.ts';

/** One record as the fake stream accepted it. */
export interface AcceptedRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
}

/** What the fake injected, by kind, so a test can bound duplicates by the faults that may cause them. */
export interface KinesisFaults {
  /** Entries refused with ProvisionedThroughputExceededException (the call still answers 200). */
  entry: number;
  /** Calls that failed whole with a ThrottlingException before writing anything. */
  call: number;
  /** Calls that wrote every entry, then lost the answer (a timeout): the caller resends, a duplicate. */
  lostResponse: number;
}

/**
 * An honest in-memory Kinesis for PutRecords, at its worst: from one seed it refuses single entries (answering
 * 200 with `FailedRecordCount`), fails whole calls, or writes a call and loses the answer. It records every
 * record it accepted, duplicates included, and never deduplicates. Pass it where a `KinesisClient` goes.
 */
export class MemoryKinesis {
  readonly records: AcceptedRecord[] = [];
  readonly faults: KinesisFaults = { entry: 0, call: 0, lostResponse: 0 };
  private readonly random: Random;

  constructor(
    seed: number,
    private readonly rate: number,
  ) {
    this.random = new Random(seed);
  }

  /** The fake typed as the SDK client the producer takes. */
  get client(): KinesisClient {
    return this as unknown as KinesisClient;
  }

  async send(command: PutRecordsCommand) {
    const entries = command.input.Records ?? [];
    if (this.fires()) {
      this.faults.call += 1;
      throw Object.assign(new Error('Rate exceeded for stream'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const results: PutRecordsResultEntry[] = entries.map((entry) => {
      if (this.fires()) {
        this.faults.entry += 1;
        return {
          ErrorCode: 'ProvisionedThroughputExceededException',
          ErrorMessage: 'Rate exceeded for shard',
        };
      }
      this.records.push({ partitionKey: entry.PartitionKey ?? '', data: Buffer.from(entry.Data ?? []) });
      return { SequenceNumber: String(this.records.length), ShardId: 'shardId-000000000000' };
    });
    if (this.fires()) {
      this.faults.lostResponse += 1;
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
    }
    return { FailedRecordCount: results.filter((r) => r.ErrorCode).length, Records: results };
  }

  destroy(): void {}

  private fires(): boolean {
    return this.rate > 0 && this.random.next() < this.rate;
  }
}
