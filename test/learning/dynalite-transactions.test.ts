import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { localDynamoDbClient, startDynalite } from '../../local/emulators.ts';

describe('dynalite', () => {
  it('does not implement TransactWriteItems, which is why the registry is tested on DynamoDB Local', async () => {
    // Prepare
    const dynalite = await startDynalite();
    const client = localDynamoDbClient(dynalite.endpoint);
    try {
      // Act
      const attempt = client.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName: 't', Item: { pk: { S: 'a' } } } }],
        }),
      );

      // Assess
      await expect(attempt).rejects.toThrow(/UnknownOperation|not.*support|Unknown/i);
    } finally {
      client.destroy();
      await dynalite.stop();
    }
  });
});
