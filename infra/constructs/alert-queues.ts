import { Duration, Validations } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** A queue and the dead-letter queue its failures end in. */
export interface QueueWithDeadLetters {
  readonly queue: Queue;
  readonly deadLetters: Queue;
}

/** How {@link queueWithDeadLetters} makes a pair. */
export interface QueueWithDeadLettersOptions {
  readonly key: IKey;
  /** FIFO (per message group order, five-minute deduplication by id) in high-throughput mode. */
  readonly fifo: boolean;
  /** At least six times the consumer's timeout, as Lambda advises for SQS event sources. */
  readonly visibilityTimeout: Duration;
  /** Receives before SQS moves a message to the dead letters on its own (the consumer dead-letters with a reason first). */
  readonly maxReceiveCount: number;
}

/**
 * An encrypted (KMS), TLS-only queue with its dead-letter queue. Consumers write a failure's reason to the
 * dead-letter queue themselves; SQS's redrive after `maxReceiveCount` catches what they could not.
 */
export function queueWithDeadLetters(
  scope: Construct,
  id: string,
  options: QueueWithDeadLettersOptions,
): QueueWithDeadLetters {
  const common = {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: options.key,
    dataKeyReuse: Duration.minutes(5),
    enforceSSL: true,
    ...(options.fifo && { fifo: true }),
  };
  const deadLetters = new Queue(scope, `${id}-dead-letters`, {
    ...common,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetters).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself a dead-letter destination; a DLQ of a DLQ only moves the problem.',
  });
  const queue = new Queue(scope, id, {
    ...common,
    visibilityTimeout: options.visibilityTimeout,
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: options.maxReceiveCount },
    ...(options.fifo && {
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
    }),
  });
  return { queue, deadLetters };
}
