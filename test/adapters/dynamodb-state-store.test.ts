import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DynamoDbStateStore,
  QUARANTINE_PREFIX,
  StateLoadError,
  StateSaveError,
} from '../../adapters/dynamodb-state-store.ts';
import { UNVERSIONED } from '../../core/ports.ts';
import { recordingBackoff } from './fixtures.ts';

const client = new DynamoDBClient({ region: 'eu-west-1' });

function store(options: { ttlSeconds?: number; now?: () => number } = {}) {
  const { backoff, sleeps } = recordingBackoff(3);
  const subject = new DynamoDbStateStore(client, {
    tableName: 'state',
    backoff,
    now: () => 1_700_000_000_000,
    ...options,
  });
  return { subject, sleeps };
}

const item = (key: string, version: number, state: unknown) => ({
  pk: { S: key },
  version: { N: String(version) },
  state: { S: JSON.stringify(state) },
});

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** A PutItem fake that fails with `error()` for `key` and succeeds for every other key. */
function failFor(key: string, error: () => Error) {
  return async (input: PutItemCommandInput) => {
    if (input.Item?.pk?.S === key) throw error();
    return {};
  };
}

describe('DynamoDbStateStore', () => {
  const dynamo = mockClient(DynamoDBClient);
  afterEach(() => dynamo.reset());

  it('loads in strongly consistent batches of at most 100 keys', async () => {
    // Prepare
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { state: [item('k7', 3, { mean: 1.5 })] } });
    const { subject } = store();
    const keys = Array.from({ length: 150 }, (_, i) => `k${i}`);

    // Act
    const loaded = await subject.load([...keys, 'k7']);

    // Assess
    expect(dynamo).toHaveReceivedCommandTimes(BatchGetItemCommand, 2);
    const sizes = dynamo
      .commandCalls(BatchGetItemCommand)
      .map((c) => c.args[0].input.RequestItems?.state?.Keys?.length);
    expect(sizes).toEqual([100, 50]);
    expect(dynamo).toHaveReceivedNthCommandWith(BatchGetItemCommand, 1, {
      RequestItems: { state: expect.objectContaining({ ConsistentRead: true }) },
    });
    expect([...loaded.values()]).toEqual([{ key: 'k7', version: 3, state: { mean: 1.5 } }]);
  });

  it('retries UnprocessedKeys with backoff', async () => {
    // Prepare
    const unprocessed = { Keys: [{ pk: { S: 'b' } }] };
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { state: [item('a', 1, 'A')] }, UnprocessedKeys: { state: unprocessed } })
      .resolves({ Responses: { state: [item('b', 2, 'B')] } });
    const { subject, sleeps } = store();

    // Act
    const loaded = await subject.load(['a', 'b']);

    // Assess
    expect(dynamo).toHaveReceivedNthCommandWith(BatchGetItemCommand, 2, {
      RequestItems: { state: unprocessed },
    });
    expect(sleeps).toHaveLength(1);
    expect(loaded.get('a')?.state).toBe('A');
    expect(loaded.get('b')?.version).toBe(2);
  });

  it('throws naming the keys still unprocessed after every attempt', async () => {
    // Prepare
    dynamo.on(BatchGetItemCommand).resolves({ UnprocessedKeys: { state: { Keys: [{ pk: { S: 'hot' } }] } } });
    const { subject } = store();

    // Act
    const result = subject.load(['hot']);

    // Assess
    await expect(result).rejects.toBeInstanceOf(StateLoadError);
    await expect(result).rejects.toMatchObject({ keys: ['hot'] });
    expect(dynamo).toHaveReceivedCommandTimes(BatchGetItemCommand, 3);
  });

  it('returns an unreadable item as it is, for the caller to quarantine, instead of failing the load', async () => {
    // Prepare
    dynamo.on(BatchGetItemCommand).resolves({
      Responses: {
        state: [
          { pk: { S: 'x' }, version: { N: '1' }, state: { S: '{oops' } },
          { pk: { S: 'y' }, state: { B: Uint8Array.of(1, 2) } },
          { pk: { S: 'z' }, version: { N: '3' }, state: { B: Uint8Array.of(9) } },
        ],
      },
    });
    const { subject } = store();

    // Act
    const loaded = await subject.load(['x', 'y', 'z']);

    // Assess
    expect(loaded.get('x')).toEqual({ key: 'x', version: 1, state: '{oops' });
    expect(loaded.get('y')).toEqual({ key: 'y', version: UNVERSIONED, state: Uint8Array.of(1, 2) });
    expect(loaded.get('z')).toEqual({ key: 'z', version: 3, state: Uint8Array.of(9) });
  });

  it('reads an expired item the TTL has not deleted yet as gone, at its version', async () => {
    // Prepare
    dynamo.on(BatchGetItemCommand).resolves({
      Responses: {
        state: [
          { pk: { S: 'old' }, version: { N: '4' }, state: { B: Uint8Array.of(1) }, expiresAt: { N: '1000' } },
        ],
      },
    });
    const { subject } = store({ now: () => 1_000_001 });

    // Act
    const loaded = await subject.load(['old']);

    // Assess
    expect(loaded.get('old')).toEqual({ key: 'old', version: 4, state: undefined });
  });

  it('replaces an unversioned item only while it is still unversioned', async () => {
    // Prepare
    dynamo.on(PutItemCommand).resolves({});
    const { subject } = store();

    // Act
    await subject.save([{ key: 'y', version: UNVERSIONED, state: Uint8Array.of(7) }]);

    // Assess
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({ pk: { S: 'y' }, version: { N: '1' } }),
      ConditionExpression: 'attribute_exists(#k) AND (NOT attribute_type(#v, :number) OR #v < :one)',
    });
  });

  it('keeps a quarantined state under a key no series can have, with the reason and a TTL', async () => {
    // Prepare
    dynamo.on(PutItemCommand).resolves({});
    const { subject } = store({ now: () => 1_700_000_000_000 });

    // Act
    await subject.quarantine([{ key: 'cpu', version: 2, state: Uint8Array.of(5), reason: 'bad magic' }]);

    // Assess
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({
        pk: { S: `${QUARANTINE_PREFIX}cpu\u001f1700000000000` },
        series: { S: 'cpu' },
        state: { B: Uint8Array.of(5) },
        reason: { S: 'bad magic' },
        expiresAt: { N: String(1_700_000_000 + 30 * 86_400) },
      }),
    });
    expect(QUARANTINE_PREFIX.charCodeAt(0)).toBeLessThan(0x20);
  });

  it('saves a new series only if absent, and an existing one only at the version read', async () => {
    // Prepare
    dynamo.on(PutItemCommand).resolves({});
    const { subject } = store({ ttlSeconds: 3_600 });

    // Act
    const result = await subject.save([
      { key: 'new', version: 0, state: { n: 1 } },
      { key: 'old', version: 4, state: { n: 9 } },
    ]);

    // Assess
    expect(result).toEqual({ conflicts: [] });
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'state',
      Item: {
        pk: { S: 'new' },
        version: { N: '1' },
        state: { S: '{"n":1}' },
        updatedAt: { N: '1700000000000' },
        expiresAt: { N: '1700003600' },
      },
      ConditionExpression: 'attribute_not_exists(#k)',
      ExpressionAttributeNames: { '#k': 'pk' },
    });
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({ pk: { S: 'old' }, version: { N: '5' } }),
      ConditionExpression: '#v = :expected',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: { ':expected': { N: '4' } },
    });
  });

  it('returns conditional failures as conflicts', async () => {
    // Prepare
    dynamo.on(PutItemCommand).callsFake(failFor('raced', conditionFailed));
    const { subject } = store();

    // Act
    const result = await subject.save([
      { key: 'raced', version: 2, state: {} },
      { key: 'fine', version: 2, state: {} },
    ]);

    // Assess
    expect(result).toEqual({ conflicts: ['raced'] });
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 2);
  });

  it('throws other failures naming the keys, after trying every entry', async () => {
    // Prepare
    dynamo
      .on(PutItemCommand)
      .callsFake(failFor('big', () => new Error('Item size has exceeded the maximum allowed size')));
    const { subject } = store();

    // Act
    const result = subject.save([
      { key: 'big', version: 1, state: {} },
      { key: 'fine', version: 1, state: {} },
    ]);

    // Assess
    await expect(result).rejects.toBeInstanceOf(StateSaveError);
    await expect(result).rejects.toMatchObject({ keys: ['big'] });
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 2);
  });
});
