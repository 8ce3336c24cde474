import { createHash, randomBytes } from 'node:crypto';
import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_REASON_BYTES,
  type DeadLetterMessage,
  DeadLetterSendError,
  SQS_MAX_BATCH_BYTES,
  SQS_MAX_MESSAGE_BYTES,
  SqsDeadLetterQueue,
} from '../../adapters/sqs-dead-letter-queue.ts';
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

/**
 * SQS's SendMessageBatch as the service checks it: a batch over 256 KiB in all is refused whole
 * (BatchRequestTooLong), a body over 256 KiB or with characters SQS does not allow fails as a sender fault.
 * Every call is recorded for the assertions.
 */
function honestSqs(sqs: ReturnType<typeof mockClient>): SendMessageBatchCommandInput[] {
  const calls: SendMessageBatchCommandInput[] = [];
  sqs
    .on(SendMessageBatchCommand)
    .callsFake((input: SendMessageBatchCommandInput): SendMessageBatchCommandOutput => {
      calls.push(input);
      const entries = input.Entries ?? [];
      const total = entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? ''), 0);
      if (entries.length > 10 || total > SQS_MAX_BATCH_BYTES) {
        throw Object.assign(new Error(`batch of ${total} bytes`), { name: 'BatchRequestTooLong' });
      }
      const bad = (body: string) =>
        Buffer.byteLength(body) > SQS_MAX_MESSAGE_BYTES || /[\uFFFE\uFFFF]/.test(body);
      return {
        Successful: entries
          .filter((e) => !bad(e.MessageBody ?? ''))
          .map((e) => ({ Id: e.Id, MessageId: 'x', MD5OfMessageBody: '' })),
        Failed: entries
          .filter((e) => bad(e.MessageBody ?? ''))
          .map((e) => ({
            Id: e.Id,
            Code: 'InvalidParameterValue',
            SenderFault: true,
            Message: 'message too long',
          })),
        $metadata: {},
      };
    });
  return calls;
}

/** Bodies sent, parsed, in order. */
const sentBodies = (calls: readonly SendMessageBatchCommandInput[]): DeadLetterMessage[] =>
  calls.flatMap((c) => (c.Entries ?? []).map((e) => JSON.parse(e.MessageBody ?? '') as DeadLetterMessage));

/** A schema reason as the decoder writes it, with `n` issues: "invalid event: values.c0: rule; values.c1: rule; …". */
function manyIssues(n: number, rule = 'must be a finite number (got "NaN")'): string {
  return `invalid event: ${Array.from({ length: n }, (_, i) => `values.channel_${i}: ${rule}`).join('; ')}`;
}

const sha256 = (base64: string) => createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex');

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a failing case can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('SqsDeadLetterQueue with letters larger than SQS takes', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => {
    sqs.reset();
  });

  const queue = () =>
    new SqsDeadLetterQueue(sqs as unknown as SQSClient, { queueUrl: QUEUE_URL, now: () => NOW });

  it('keeps the first issues of a 6,000-channel reason and says how many more there were', async () => {
    // Prepare
    const calls = honestSqs(sqs);
    const reason = manyIssues(6_000);
    const data = Buffer.from('{"series":"rack-7","values":{}}').toString('base64');
    expect(Buffer.byteLength(reason)).toBeGreaterThan(300_000);

    // Act
    await queue().send([{ reason, data, sequenceNumber: '49', partitionKey: 'rack-7' }]);

    // Assess
    const [body] = sentBodies(calls);
    const kept = body?.reason.split('; ') ?? [];
    const more = Number(/ … and (\d+) more issues$/.exec(body?.reason ?? '')?.[1]);
    expect(kept[0]).toBe('invalid event: values.channel_0: must be a finite number (got "NaN")');
    expect(kept.length + more).toBe(6_000);
    expect(Buffer.byteLength(body?.reason ?? '')).toBeLessThanOrEqual(DEAD_LETTER_REASON_BYTES);
    expect(body).toMatchObject({ data, sequenceNumber: '49', partitionKey: 'rack-7', receivedAt: NOW });
    expect(body).toMatchObject({ truncated: true, originalBytes: 31, sha256: sha256(data) });
  });

  it('keeps a prefix of 1 MB of data, with its size and SHA-256 to find the original record', async () => {
    // Prepare: a bad KPL aggregate as large as a Kinesis record gets.
    const calls = honestSqs(sqs);
    const bytes = randomBytes(1024 * 1024);
    const data = bytes.toString('base64');

    // Act
    await queue().send([
      { reason: 'bad KPL aggregate: checksum mismatch', data, sequenceNumber: '50', partitionKey: 'k' },
    ]);

    // Assess
    const body = calls[0]?.Entries?.[0]?.MessageBody ?? '';
    const message = JSON.parse(body) as DeadLetterMessage;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(body)).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES - 4);
    expect(data.startsWith(message.data)).toBe(true);
    expect(message.data.length % 4).toBe(0);
    expect(Buffer.from(message.data, 'base64').equals(bytes.subarray(0, (message.data.length / 4) * 3))).toBe(
      true,
    );
    expect(message).toMatchObject({
      reason: 'bad KPL aggregate: checksum mismatch',
      truncated: true,
      originalBytes: 1024 * 1024,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it.each([
    ['3-byte characters', '東京', 50_000],
    ['4-byte characters (surrogate pairs)', '🌋🔥', 35_000],
  ])(
    'measures a reason of %s in bytes, not characters, and never splits one',
    async (_what, text, repeats) => {
      // Prepare: fewer characters than the limit, more bytes; as many issues and as one long issue.
      const calls = honestSqs(sqs);
      const asIssues = manyIssues(2_000, text.repeat(30));
      const asOne = `malformed JSON: ${text.repeat(repeats)}`;
      expect(asOne.length).toBeLessThan(SQS_MAX_MESSAGE_BYTES);
      expect(Buffer.byteLength(asOne)).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES);
      const letter = { data: 'e30=', sequenceNumber: '51', partitionKey: 'k' };

      // Act
      await queue().send([
        { ...letter, reason: asIssues },
        { ...letter, reason: asOne },
      ]);

      // Assess
      const [issues, one] = sentBodies(calls);
      for (const body of [issues, one]) {
        const reason = body?.reason ?? '';
        expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(DEAD_LETTER_REASON_BYTES);
        expect(Buffer.byteLength(reason)).toBeGreaterThan(DEAD_LETTER_REASON_BYTES - 300);
        // A split surrogate pair would not survive a round trip through UTF-8.
        expect(Buffer.from(reason, 'utf8').toString('utf8')).toBe(reason);
        expect(body?.truncated).toBe(true);
      }
      expect(issues?.reason).toMatch(/ … and \d+ more issues$/);
      expect(one?.reason).toMatch(new RegExp(`^malformed JSON: (${text})+ … \\(\\d+ more bytes\\)$`, 'u'));
    },
  );

  it('writes U+FFFE and U+FFFF, which SQS refuses in a body, as escapes', async () => {
    // Prepare
    const calls = honestSqs(sqs);
    const reason = 'invalid event: series: must not contain \uFFFE or \uFFFF';

    // Act
    await queue().send([{ reason, data: 'e30=', sequenceNumber: '52', partitionKey: 'k\uFFFF' }]);

    // Assess
    const body = calls[0]?.Entries?.[0]?.MessageBody ?? '';
    expect(body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(JSON.parse(body)).toMatchObject({ reason, partitionKey: 'k\uFFFF' });
  });

  it.each([1, 2, 3, 4, 5])(
    'never sends SQS a body or a batch over 256 KiB, and sends every letter once (seed %i)',
    async (seed) => {
      // Prepare: 30 letters of every size, from tiny to 1 MB of data and 400 KB of reason.
      const random = seeded(seed);
      const calls = honestSqs(sqs);
      const sizes = [0, 10, 1_000, 50_000, 120_000, 200_000, 262_000, 400_000, 1_048_576];
      const pick = () => sizes[Math.floor(random() * sizes.length)] as number;
      const letters = Array.from({ length: 30 }, (_, i) => ({
        reason: random() < 0.5 ? manyIssues(Math.ceil(pick() / 60)) : `bad record ${'é'.repeat(pick() / 2)}`,
        data: Buffer.alloc(pick(), i).toString('base64'),
        sequenceNumber: String(9_000 + i),
        partitionKey: `key-${i}`,
      }));

      // Act
      await queue().send(letters);

      // Assess
      for (const call of calls) {
        const bodies = (call.Entries ?? []).map((e) => Buffer.byteLength(e.MessageBody ?? ''));
        expect(bodies.length).toBeLessThanOrEqual(10);
        expect(Math.max(...bodies)).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
        expect(bodies.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(SQS_MAX_BATCH_BYTES);
      }
      const sent = sentBodies(calls);
      expect(sent.map((m) => m.sequenceNumber)).toEqual(letters.map((l) => l.sequenceNumber));
      for (const [i, m] of sent.entries()) {
        const original = letters[i] as DeadLetter;
        if (m.truncated) expect(m.sha256).toBe(sha256(original.data));
        else expect(m).toEqual({ ...original, receivedAt: NOW });
      }
    },
  );
});
