import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterSendError, SqsDeadLetterQueue } from '../../adapters/sqs-dead-letter-queue.ts';
import type { DeadLetter } from '../../functions/detect/decode-records.ts';
import { recordingBackoff } from './fixtures.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/detect-dlq';
const NOW = 1_700_000_000_000;

function letters(n: number): DeadLetter[] {
  return Array.from({ length: n }, (_, i) => ({
    reason: 'malformed JSON',
    data: Buffer.from(`bad ${i}`).toString('base64'),
    sequenceNumber: String(1000 + i),
    partitionKey: 'api/latency',
  }));
}

describe('SqsDeadLetterQueue', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => {
    sqs.reset();
  });

  function subject() {
    const { backoff, sleeps } = recordingBackoff(3);
    const queue = new SqsDeadLetterQueue(sqs as unknown as SQSClient, {
      queueUrl: QUEUE_URL,
      backoff,
      now: () => NOW,
    });
    return { queue, sleeps };
  }

  it('sends at most ten messages per call, each body carrying the record and when it was rejected', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const { queue } = subject();
    const entries = letters(23);
    // Act
    await queue.send(entries);
    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(sqs).toReceiveCommandWith(SendMessageBatchCommand, { QueueUrl: QUEUE_URL });
    const first = calls[0]?.args[0].input.Entries?.[0];
    expect(JSON.parse(first?.MessageBody ?? '')).toEqual({ ...entries[0], receivedAt: NOW });
  });

  it('retries only the entries SQS failed', async () => {
    // Prepare
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [],
        Failed: [{ Id: 'm1', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
      })
      .resolves({ Successful: [], Failed: [] });
    const { queue, sleeps } = subject();
    // Act
    await queue.send(letters(3));
    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(['m1']);
    expect(sleeps).toHaveLength(1);
  });

  it('throws naming the records still failing after every attempt', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: 'm2', Code: 'InternalError', SenderFault: false, Message: 'down' }],
    });
    const { queue } = subject();
    // Act
    const sending = queue.send(letters(3));
    // Assess
    await expect(sending).rejects.toThrow(DeadLetterSendError);
    await expect(sending).rejects.toThrow(/1002 \(InternalError: down\)/);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });
});
