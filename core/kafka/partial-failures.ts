import type { KafkaRecordView } from './kafka-records.ts';

/**
 * Lambda's partial batch response for Kafka (with `ReportBatchItemFailures` on the mapping, which Lambda
 * offers in provisioned mode): one failure per topic-partition naming the offset to resume from. Lambda
 * commits that partition below the offset and delivers the records from it again; other partitions move on.
 */

/** One partition to resume: `partition` is the `topic-partition` key of the event, `offset` the first to redo. */
export interface KafkaBatchItemFailure {
  readonly itemIdentifier: { readonly partition: string; readonly offset: number };
}

/** What the handler returns; an empty list means the whole batch is done. */
export interface KafkaBatchResponse {
  readonly batchItemFailures: KafkaBatchItemFailure[];
}

/**
 * The response that makes Lambda redeliver every record in `failed` (indexes into `records`): per partition,
 * the lowest failed offset. Records after it that did succeed come again too (duplicates, never a loss).
 */
export function kafkaBatchResponse(
  records: readonly KafkaRecordView[],
  failed: Iterable<number>,
): KafkaBatchResponse {
  const lowest = new Map<string, number>();
  for (const index of failed) {
    const record = records[index];
    if (!record) continue;
    const current = lowest.get(record.partitionKey);
    if (current === undefined || record.offset < current) lowest.set(record.partitionKey, record.offset);
  }
  return {
    batchItemFailures: [...lowest].map(([partition, offset]) => ({ itemIdentifier: { partition, offset } })),
  };
}
