import {
  AuthorizationErrorException,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryPublishLedger } from '../../adapters/memory-stores.ts';
import { AlertPublishError, SnsAlertPublisher, summarize } from '../../adapters/sns-alert-publisher.ts';
import { recordingBackoff, transition } from './fixtures.ts';

const topicArn = 'arn:aws:sns:eu-west-1:123456789012:anomalies';
const client = new SNSClient({ region: 'eu-west-1' });

function publisher(arn = topicArn) {
  const ledger = new MemoryPublishLedger();
  const { backoff, sleeps } = recordingBackoff(3);
  return { subject: new SnsAlertPublisher(client, ledger, { topicArn: arn, backoff }), ledger, sleeps };
}

function entries(sns: AwsClientStub<SNSClient>, call: number): PublishBatchRequestEntry[] {
  return sns.commandCalls(PublishBatchCommand)[call]?.args[0].input.PublishBatchRequestEntries ?? [];
}

/** Every entry in the request succeeds except those whose ids are given, which fail with `senderFault`. */
function answer(failIds: string[] = [], senderFault = false) {
  return (input: { PublishBatchRequestEntries?: PublishBatchRequestEntry[] }) => {
    const ids = (input.PublishBatchRequestEntries ?? []).map((e) => e.Id ?? '');
    return {
      Successful: ids.filter((id) => !failIds.includes(id)).map((Id) => ({ Id, MessageId: `m-${Id}` })),
      Failed: ids
        .filter((id) => failIds.includes(id))
        .map((Id) => ({ Id, Code: 'InternalError', Message: 'boom', SenderFault: senderFault })),
    };
  };
}

describe('SnsAlertPublisher', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());

  it('publishes in batches of ten with filterable attributes and a JSON body', async () => {
    // Prepare
    sns.on(PublishBatchCommand).callsFake(answer());
    const { subject, ledger } = publisher();
    const transitions = Array.from({ length: 25 }, (_, i) => transition({ episodeId: `e${i}` }));

    // Act
    await subject.publish(transitions);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 3);
    expect([0, 1, 2].map((i) => entries(sns, i).length)).toEqual([10, 10, 5]);
    const first = entries(sns, 0)[0];
    expect(first?.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      series: { DataType: 'String', StringValue: 'api/latency' },
      kind: { DataType: 'String', StringValue: 'opened' },
      tenant: { DataType: 'String', StringValue: 'acme' },
    });
    expect(JSON.parse(first?.Message ?? '')).toEqual({
      ...transitions[0],
      id: 'e0#opened',
      summary: summarize(transitions[0] ?? transition()),
    });
    expect(first?.MessageGroupId).toBeUndefined();
    expect([...ledger.status.values()].every((s) => s === 'sent')).toBe(true);
    expect(ledger.status.size).toBe(25);
  });

  it("uses tenant 'default' when the dimensions name none", async () => {
    // Prepare
    sns.on(PublishBatchCommand).callsFake(answer());
    const { subject } = publisher();

    // Act
    await subject.publish([transition({ dimensions: {} })]);

    // Assess
    expect(entries(sns, 0)[0]?.MessageAttributes?.tenant?.StringValue).toBe('default');
  });

  it('retries only the failed entries, then succeeds', async () => {
    // Prepare
    sns
      .on(PublishBatchCommand)
      .callsFakeOnce(answer(['t1']))
      .callsFake(answer());
    const { subject, ledger, sleeps } = publisher();

    // Act
    await subject.publish([transition({ episodeId: 'a' }), transition({ episodeId: 'b' })]);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 2);
    expect(entries(sns, 1).map((e) => e.Id)).toEqual(['t1']);
    expect(JSON.parse(entries(sns, 1)[0]?.Message ?? '{}').id).toBe('b#opened');
    expect(sleeps).toHaveLength(1);
    expect(ledger.status.get('a#opened')).toBe('sent');
    expect(ledger.status.get('b#opened')).toBe('sent');
  });

  it('names the entries still failing after the bounded attempts', async () => {
    // Prepare
    sns.on(PublishBatchCommand).callsFake(answer(['t0']));
    const { subject, ledger } = publisher();

    // Act
    const result = subject.publish([transition({ episodeId: 'a' }), transition({ episodeId: 'b' })]);

    // Assess
    await expect(result).rejects.toBeInstanceOf(AlertPublishError);
    await expect(result).rejects.toMatchObject({
      failed: [{ id: 'a#opened', code: 'InternalError', message: 'boom' }],
      unrecorded: [],
    });
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 3);
    expect(ledger.status.get('a#opened')).toBe('pending');
    expect(ledger.status.get('b#opened')).toBe('sent');
  });

  it('does not retry a sender fault', async () => {
    // Prepare
    sns.on(PublishBatchCommand).callsFake(answer(['t0'], true));
    const { subject } = publisher();

    // Act
    const result = subject.publish([transition()]);

    // Assess
    await expect(result).rejects.toThrow(/5f1c0e0b9a3d4c2e8f7a6b5c4d3e2f10#opened \(InternalError: boom\)/);
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 1);
  });

  it('retries a throttled call as a whole', async () => {
    // Prepare
    sns
      .on(PublishBatchCommand)
      .rejectsOnce(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }))
      .callsFake(answer());
    const { subject } = publisher();

    // Act
    await subject.publish([transition()]);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 2);
  });

  it('skips transitions already sent, and publishes again those an attempt left pending', async () => {
    // Prepare
    sns
      .on(PublishBatchCommand)
      .rejectsOnce(new AuthorizationErrorException({ message: 'not allowed', $metadata: {} }))
      .callsFake(answer());
    const { subject, ledger } = publisher();
    const batch = [transition({ kind: 'opened' }), transition({ kind: 'escalated' })];

    // Act
    const first = subject.publish(batch);
    await expect(first).rejects.toMatchObject({ failed: [{ code: 'AuthorizationErrorException' }, {}] });
    await subject.publish(batch);
    await subject.publish(batch);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 2);
    expect(entries(sns, 1)).toHaveLength(2);
    expect(ledger.status.get('5f1c0e0b9a3d4c2e8f7a6b5c4d3e2f10#escalated')).toBe('sent');
  });

  it('publishes a transition repeated within one call once', async () => {
    // Prepare
    sns.on(PublishBatchCommand).callsFake(answer());
    const { subject } = publisher();

    // Act
    await subject.publish([transition(), transition(), transition({ kind: 'resolved' })]);

    // Assess
    expect(entries(sns, 0)).toHaveLength(2);
  });

  it('gives a FIFO topic message group and deduplication ids', async () => {
    // Prepare
    sns.on(PublishBatchCommand).callsFake(answer());
    const { subject } = publisher(`${topicArn}.fifo`);

    // Act
    await subject.publish([transition()]);

    // Assess
    expect(entries(sns, 0)[0]).toMatchObject({
      MessageGroupId: 'api/latency',
      MessageDeduplicationId: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('reports transitions published but not recorded in the ledger', async () => {
    // Prepare
    sns.on(PublishBatchCommand).callsFake(answer());
    const { subject, ledger } = publisher();
    ledger.markSent = async () => {
      throw new Error('ledger down');
    };

    // Act
    const result = subject.publish([transition()]);

    // Assess
    await expect(result).rejects.toMatchObject({
      failed: [],
      unrecorded: ['5f1c0e0b9a3d4c2e8f7a6b5c4d3e2f10#opened'],
    });
    await expect(result).rejects.toThrow(/published but not recorded/);
  });
});

describe('summarize', () => {
  it('describes an opened episode with value and expected range', () => {
    expect(summarize(transition())).toBe(
      '[CRITICAL] anomaly opened on api/latency: value 812.3, expected 90.5 to 210.1 (peak probability 0.994)',
    );
  });

  it('describes a resolved episode with its duration', () => {
    expect(summarize(transition({ kind: 'resolved', severity: 'warning' }))).toBe(
      '[WARNING] anomaly on api/latency resolved after 5 min (peak probability 0.994)',
    );
  });
});
