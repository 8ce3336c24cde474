import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import { mapKafkaRecord, type PayloadFormats } from '../../core/kafka/kafka-payload.ts';
import { type KafkaRecordView, kafkaRecords, type LambdaKafkaEvent } from '../../core/kafka/kafka-records.ts';
import { type KafkaBatchResponse, kafkaBatchResponse } from '../../core/kafka/partial-failures.ts';
import type { DeadLetter, DeadLetterSink } from '../../core/ports.ts';

/** How far ahead of the function's clock an event may be: what the detector accepts. */
const MAX_FUTURE_MS = 5 * 60_000;

/** Puts validated events on the stream; `index` (here: the record's index in the batch) comes back in failures. */
export interface EventSender {
  sendValidated(events: readonly { readonly event: MeasurementEvent; readonly index: number }[]): Promise<{
    readonly sent: number;
    readonly failed: readonly { readonly index: number; readonly code: string; readonly message: string }[];
  }>;
}

/** What {@link ingestKafkaBatch} needs from the world. */
export interface KafkaIngestDeps {
  readonly sender: EventSender;
  readonly deadLetters: DeadLetterSink;
  readonly formats: PayloadFormats;
  /** Epoch ms, for the "not ahead of the clock" rule. */
  readonly now: () => number;
}

/** What a batch did, for the log line and metrics. */
export interface KafkaIngestStats {
  readonly records: number;
  readonly events: number;
  readonly sent: number;
  /** Records dead-lettered (wholly or partly invalid). */
  readonly deadLettered: number;
  /** Records to be redelivered because the stream refused some of their events. */
  readonly retried: number;
  /** Distinct stream error codes among the refused events. */
  readonly codes: readonly string[];
}

/**
 * One Kafka batch onto the stream, losing nothing: invalid records (unreadable value, unknown format, an
 * event the detector would refuse) go to the dead-letter queue with the reason and the original value, and
 * are not retried, since retrying cannot fix them; valid events go to the stream; a record some of whose
 * events the stream refused after every retry is named in the partial batch response, so Lambda redelivers
 * its partition from that record. If the dead letters cannot be sent, the whole batch fails (thrown) and is
 * retried: nothing is acknowledged that is not safely somewhere.
 */
export async function ingestKafkaBatch(
  event: LambdaKafkaEvent,
  deps: KafkaIngestDeps,
): Promise<{ response: KafkaBatchResponse; stats: KafkaIngestStats }> {
  const records = kafkaRecords(event);
  const window = { now: deps.now(), maxFutureMs: MAX_FUTURE_MS };
  const toSend: { event: MeasurementEvent; index: number }[] = [];
  const letters: DeadLetter[] = [];
  records.forEach((record, index) => {
    const mapped = mapKafkaRecord(record, deps.formats, window);
    for (const e of mapped.events) toSend.push({ event: e, index });
    if (mapped.problems.length > 0) letters.push(deadLetter(record, mapped.problems, mapped.events.length));
  });
  // Dead letters first: if they cannot be kept, fail before anything is written, and Lambda retries the batch.
  if (letters.length > 0) await deps.deadLetters.send(letters);
  const report = toSend.length > 0 ? await deps.sender.sendValidated(toSend) : { sent: 0, failed: [] };
  const failedRecords = new Set(report.failed.map((f) => f.index));
  return {
    response: kafkaBatchResponse(records, failedRecords),
    stats: {
      records: records.length,
      events: toSend.length,
      sent: report.sent,
      deadLettered: letters.length,
      retried: failedRecords.size,
      codes: [...new Set(report.failed.map((f) => f.code))],
    },
  };
}

function deadLetter(record: KafkaRecordView, problems: readonly string[], sentEvents: number): DeadLetter {
  const kept = sentEvents > 0 ? ` (its ${sentEvents} valid event(s) were sent)` : '';
  return {
    reason: `Kafka ${record.topic}-${record.partition}@${record.offset}${kept}: ${problems.join('; ')}`,
    data: record.valueBase64,
    sequenceNumber: String(record.offset),
    partitionKey: record.partitionKey,
  };
}
