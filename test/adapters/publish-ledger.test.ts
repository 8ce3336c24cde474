import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbPublishLedger, transitionId } from '../../adapters/publish-ledger.ts';
import { transition } from './fixtures.ts';

const client = new DynamoDBClient({ region: 'eu-west-1' });
const now = () => 1_700_000_000_000;

describe('DynamoDbPublishLedger', () => {
  const dynamo = mockClient(DynamoDBClient);
  afterEach(() => dynamo.reset());

  it('claims an id with a conditional put of a pending entry', async () => {
    // Prepare
    dynamo.on(PutItemCommand).resolves({});
    const ledger = new DynamoDbPublishLedger(client, { tableName: 'published', ttlSeconds: 60, now });

    // Act
    const claimed = await ledger.claim('e1#opened');

    // Assess
    expect(claimed).toBe(true);
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'published',
      Item: {
        id: { S: 'e1#opened' },
        status: { S: 'pending' },
        updatedAt: { N: '1700000000000' },
        expiresAt: { N: '1700000060' },
      },
      ConditionExpression: 'attribute_not_exists(id) OR #status <> :sent',
      ExpressionAttributeValues: { ':sent': { S: 'sent' } },
    });
  });

  it('reports an id already sent as not claimed', async () => {
    // Prepare
    dynamo
      .on(PutItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    const ledger = new DynamoDbPublishLedger(client, { tableName: 'published' });

    // Act
    const claimed = await ledger.claim('e1#opened');

    // Assess
    expect(claimed).toBe(false);
  });

  it('lets other errors through', async () => {
    // Prepare
    dynamo.on(PutItemCommand).rejects(new Error('network down'));
    const ledger = new DynamoDbPublishLedger(client, { tableName: 'published' });

    // Act, Assess
    await expect(ledger.claim('e1#opened')).rejects.toThrow('network down');
  });

  it('marks an id sent', async () => {
    // Prepare
    dynamo.on(UpdateItemCommand).resolves({});
    const ledger = new DynamoDbPublishLedger(client, { tableName: 'published', now });

    // Act
    await ledger.markSent('e1#opened');

    // Assess
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { id: { S: 'e1#opened' } },
      UpdateExpression: 'SET #status = :sent, updatedAt = :updatedAt, expiresAt = :expiresAt',
    });
  });
});

describe('transitionId', () => {
  it('joins episode id and kind', () => {
    expect(transitionId(transition({ episodeId: 'x@1', kind: 'resolved' }))).toBe('x@1#resolved');
  });
});
