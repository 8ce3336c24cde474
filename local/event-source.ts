import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/**
 * A local Kinesis event-source mapping with Lambda's semantics, for the local stack: one poller per shard,
 * batches of up to `batchSize` records gathered within a short window, the handler invoked with a
 * Kinesis-shaped event, partial batch responses honoured (retry from the lowest failed sequence number),
 * a thrown error retrying the whole batch, bounded retries, then the rest sent to an on-failure sink.
 * Checkpoints move only past records that succeeded or were handed to the sink.
 */

/** The handler shape the mapping invokes: Lambda's Kinesis handler with partial batch responses. */
export type KinesisBatchHandler = (
  event: KinesisStreamEvent,
) => Promise<KinesisStreamBatchResponse | undefined>;

/** Records the handler kept failing, as Lambda sends them to an on-failure destination. */
export interface FailedBatch {
  readonly shardId: string;
  /** Why the last attempt failed: the handler's error, or the batch item failures it returned. */
  readonly reason: string;
  /** Invocations made for these records, the first included. */
  readonly attempts: number;
  readonly records: readonly KinesisStreamRecord[];
}

/** Where the mapping reports what it does; `console` by default. */
export interface EventSourceLogger {
  warn(message: string): void;
  error(message: string): void;
}

/** Configuration of a {@link KinesisEventSource}; the defaults suit a laptop. */
export interface KinesisEventSourceOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly handler: KinesisBatchHandler;
  /** Most records per invocation; 100 by default, as in Lambda. */
  readonly batchSize?: number;
  /** How long to gather records for a fuller batch once the first arrived; 200 ms by default. */
  readonly batchingWindowMs?: number;
  /** Retries after the first failed invocation before the records go to `onFailure`; 3 by default. */
  readonly maximumRetryAttempts?: number;
  /** Receives records whose retries are exhausted; without it they are logged and skipped, as in Lambda. */
  readonly onFailure?: (failed: FailedBatch) => Promise<void> | void;
  /** Where a shard without a checkpoint starts; TRIM_HORIZON by default. */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Resume after these sequence numbers, by shard id (from {@link KinesisEventSource.checkpoints}). */
  readonly checkpoints?: ReadonlyMap<string, string>;
  /** Pause between polls of an idle shard; 250 ms by default (Lambda polls once a second). */
  readonly pollIntervalMs?: number;
  /** First retry delay, doubling per attempt up to 2 s; 100 ms by default. */
  readonly retryDelayMs?: number;
  readonly logger?: EventSourceLogger;
}

/** Counters of what the mapping did so far. */
export interface EventSourceStats {
  invocations: number;
  /** Records in invocations that succeeded for them. */
  recordsProcessed: number;
  /** Invocations repeated after a failure. */
  retries: number;
  /** Records handed to `onFailure` (or skipped without it). */
  recordsFailed: number;
}

/** The per-shard cursor: what was read, what waits to be delivered, and where the checkpoint is. */
interface ShardCursor {
  readonly shardId: string;
  iterator: string | undefined;
  lastRead: string | undefined;
  readonly buffer: KinesisStreamRecord[];
  /** Failed invocations of the batch at the head of the buffer since the checkpoint last moved. */
  failures: number;
  /** Records whose retries are exhausted, waiting for the on-failure sink to accept them. */
  exhausted: FailedBatch | undefined;
}

/** Thrown by start() when the stream is missing or has no open shard. */
export class EventSourceError extends Error {
  override readonly name = 'EventSourceError';
}

/** Polls every shard of one stream and invokes one handler, like a Lambda event-source mapping. */
export class KinesisEventSource {
  /** What was done so far; read it to wait for a stream to be drained. */
  readonly stats: EventSourceStats = { invocations: 0, recordsProcessed: 0, retries: 0, recordsFailed: 0 };
  private readonly checkpointed = new Map<string, string>();
  private readonly abort = new AbortController();
  private readonly logger: EventSourceLogger;
  private readonly batchSize: number;
  private readonly maxRetries: number;
  private loops: Promise<void>[] = [];
  private streamArn = '';
  private region = '';
  private account = '';

  constructor(private readonly options: KinesisEventSourceOptions) {
    this.logger = options.logger ?? console;
    this.batchSize = options.batchSize ?? 100;
    this.maxRetries = options.maximumRetryAttempts ?? 3;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10_000) {
      throw new RangeError(`batchSize must be an integer from 1 to 10000, got ${this.batchSize}`);
    }
    if (!Number.isInteger(this.maxRetries) || this.maxRetries < 0) {
      throw new RangeError(`maximumRetryAttempts must be an integer >= 0, got ${this.maxRetries}`);
    }
    for (const [shard, seq] of options.checkpoints ?? []) this.checkpointed.set(shard, seq);
  }

  /** Last sequence number done with, by shard: restart from here with the `checkpoints` option. */
  checkpoints(): ReadonlyMap<string, string> {
    return new Map(this.checkpointed);
  }

  /** Finds the stream's shards and starts one poller per open shard; resolves once all are positioned. */
  async start(): Promise<void> {
    const { client, streamName } = this.options;
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    this.streamArn = summary.StreamDescriptionSummary?.StreamARN ?? '';
    [, , , this.region = '', this.account = ''] = this.streamArn.split(':');
    // Resharding is not followed: the local stack's streams keep their shards.
    const listed = await client.send(new ListShardsCommand({ StreamName: streamName }));
    const shards = (listed.Shards ?? []).filter(
      (s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined,
    );
    if (shards.length === 0) throw new EventSourceError(`stream ${streamName} has no open shard`);
    const cursors = await Promise.all(shards.map((s) => this.position(s.ShardId as string)));
    this.loops = cursors.map((cursor) => this.poll(cursor));
  }

  /** Stops polling: an invocation in flight finishes (and is checkpointed) first. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async position(shardId: string): Promise<ShardCursor> {
    const after = this.checkpointed.get(shardId);
    const iterator = await this.iteratorAt(shardId, after);
    return { shardId, iterator, lastRead: after, buffer: [], failures: 0, exhausted: undefined };
  }

  private async iteratorAt(shardId: string, after: string | undefined): Promise<string | undefined> {
    const type: ShardIteratorType = after
      ? 'AFTER_SEQUENCE_NUMBER'
      : (this.options.startingPosition ?? 'TRIM_HORIZON');
    const response = await this.options.client.send(
      new GetShardIteratorCommand({
        StreamName: this.options.streamName,
        ShardId: shardId,
        ShardIteratorType: type,
        ...(after && { StartingSequenceNumber: after }),
      }),
    );
    return response.ShardIterator;
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  private async poll(cursor: ShardCursor): Promise<void> {
    let errors = 0;
    while (!this.stopping) {
      try {
        if (cursor.exhausted) {
          await this.deliverFailure(cursor, cursor.exhausted);
        } else {
          await this.fill(cursor);
          if (cursor.buffer.length > 0 && !this.stopping) await this.invoke(cursor);
          else if (cursor.iterator === undefined && cursor.buffer.length === 0) return; // the shard was closed
        }
        errors = 0;
      } catch (error) {
        if (this.stopping) return;
        errors += 1;
        this.logger.error(`event source, ${cursor.shardId}: ${(error as Error).message}; retrying`);
        await this.sleep(this.retryDelay(errors));
      }
    }
  }

  /** Reads until a full batch, the end of the batching window, or an idle shard with nothing buffered. */
  private async fill(cursor: ShardCursor): Promise<void> {
    const window = this.options.batchingWindowMs ?? 200;
    const idle = this.options.pollIntervalMs ?? 250;
    let windowEnds = cursor.buffer.length > 0 ? Date.now() + window : undefined;
    while (!this.stopping && cursor.iterator !== undefined && cursor.buffer.length < this.batchSize) {
      const read = await this.read(cursor);
      if (cursor.buffer.length > 0) windowEnds ??= Date.now() + window;
      if (cursor.buffer.length >= this.batchSize) return;
      if (windowEnds !== undefined && Date.now() >= windowEnds) return;
      if (read === 0)
        await this.sleep(windowEnds === undefined ? idle : Math.min(idle, windowEnds - Date.now()));
    }
  }

  /** One GetRecords call, topping the buffer up to one batch; returns how many records it added. */
  private async read(cursor: ShardCursor): Promise<number> {
    let response: Awaited<ReturnType<typeof this.getRecords>>;
    try {
      response = await this.getRecords(cursor.iterator as string, this.batchSize - cursor.buffer.length);
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ExpiredIteratorException') {
        cursor.iterator = await this.iteratorAt(cursor.shardId, cursor.lastRead);
        return 0;
      }
      if (name === 'ProvisionedThroughputExceededException') {
        await this.sleep(this.options.pollIntervalMs ?? 250);
        return 0;
      }
      throw error;
    }
    cursor.iterator = response.NextShardIterator;
    const records = response.Records ?? [];
    for (const record of records) cursor.buffer.push(this.toEventRecord(cursor.shardId, record));
    const last = records.at(-1);
    if (last?.SequenceNumber) cursor.lastRead = last.SequenceNumber;
    return records.length;
  }

  private getRecords(iterator: string, limit: number) {
    return this.options.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), {
      abortSignal: this.abort.signal,
    });
  }

  /** Invokes the handler with the head of the buffer and moves the checkpoint past whatever succeeded. */
  private async invoke(cursor: ShardCursor): Promise<void> {
    const batch = cursor.buffer.slice(0, this.batchSize);
    this.stats.invocations += 1;
    if (cursor.failures > 0) this.stats.retries += 1;
    const failedFrom = await this.invokeOnce(batch);
    if (failedFrom === undefined) {
      this.done(cursor, batch.length);
      this.stats.recordsProcessed += batch.length;
      return;
    }
    if (failedFrom.index > 0) {
      this.done(cursor, failedFrom.index);
      this.stats.recordsProcessed += failedFrom.index;
    }
    cursor.failures += 1;
    if (cursor.failures <= this.maxRetries) {
      await this.sleep(this.retryDelay(cursor.failures));
      return;
    }
    const records = batch.slice(failedFrom.index);
    cursor.exhausted = {
      shardId: cursor.shardId,
      reason: failedFrom.reason,
      attempts: cursor.failures,
      records,
    };
    await this.deliverFailure(cursor, cursor.exhausted);
  }

  /** Index of the first record to retry and why, or undefined when the whole batch succeeded. */
  private async invokeOnce(
    batch: readonly KinesisStreamRecord[],
  ): Promise<{ index: number; reason: string } | undefined> {
    let response: KinesisStreamBatchResponse | undefined;
    try {
      response = await this.options.handler({ Records: [...batch] });
    } catch (error) {
      return { index: 0, reason: `handler failed: ${(error as Error).message}` };
    }
    const failures = response?.batchItemFailures ?? [];
    if (failures.length === 0) return undefined;
    let index = batch.length;
    for (const { itemIdentifier } of failures) {
      const at = batch.findIndex((r) => r.kinesis.sequenceNumber === itemIdentifier);
      // Lambda treats an empty or unknown identifier as a failure of the whole batch.
      if (at < 0) return { index: 0, reason: `batch item failure names unknown record "${itemIdentifier}"` };
      index = Math.min(index, at);
    }
    return {
      index,
      reason: `${failures.length} batch item failure(s), first at ${batch[index]?.kinesis.sequenceNumber}`,
    };
  }

  private async deliverFailure(cursor: ShardCursor, failed: FailedBatch): Promise<void> {
    if (this.options.onFailure) {
      await this.options.onFailure(failed);
    } else {
      this.logger.warn(
        `event source, ${failed.shardId}: skipping ${failed.records.length} record(s) after ${failed.attempts} attempts (${failed.reason})`,
      );
    }
    cursor.exhausted = undefined;
    this.stats.recordsFailed += failed.records.length;
    this.done(cursor, failed.records.length);
  }

  /** Drops the first `count` buffered records and checkpoints the last of them. */
  private done(cursor: ShardCursor, count: number): void {
    const finished = cursor.buffer.splice(0, count);
    const last = finished.at(-1);
    if (last) this.checkpointed.set(cursor.shardId, last.kinesis.sequenceNumber);
    cursor.failures = 0;
  }

  private toEventRecord(shardId: string, record: KinesisRecord): KinesisStreamRecord {
    const sequenceNumber = record.SequenceNumber as string;
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.PartitionKey as string,
        sequenceNumber,
        data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
        // Lambda sends seconds with a fraction.
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${this.account}:role/seismo-local`,
      awsRegion: this.region,
      eventSourceARN: this.streamArn,
    };
  }

  private retryDelay(attempt: number): number {
    return Math.min(2_000, (this.options.retryDelayMs ?? 100) * 2 ** (attempt - 1));
  }

  /** Waits `ms`, or less when the mapping is stopped meanwhile. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done);
    });
  }
}
