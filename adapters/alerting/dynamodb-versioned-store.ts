import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Outbox, SaveOutcome, StoredItem, VersionedStore } from '../../functions/alerting/ports.ts';
import { isConditionalCheckFailed } from '../aws-errors.ts';
import { packJson, packOutbox, unpackJson, unpackOutbox } from './item-codec.ts';

/** The alert-state table's partition key attribute; the CDK construct creates the table with it. */
export const ALERT_STATE_KEY_ATTRIBUTE = 'pk';

/** Where the store keeps its items. */
export interface DynamoDbVersionedStoreOptions {
  readonly tableName: string;
}

/**
 * {@link VersionedStore} on DynamoDB: one item per key with `version` (N), `state` (B, gzipped JSON),
 * `outbox` (B, gzipped, absent when empty) and `expiresAt` (N, epoch seconds, for the table's TTL). Reads
 * are strongly consistent (a conflict retry must see the winner's write); every write is conditional on the
 * version the writer read, so of two writers one wins and the other reloads.
 */
export class DynamoDbVersionedStore<S> implements VersionedStore<S> {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoDbVersionedStoreOptions,
  ) {}

  async load(key: string): Promise<StoredItem<S> | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: this.key(key), ConsistentRead: true }),
    );
    if (!Item?.state?.B || !Item.version?.N) return undefined;
    return {
      state: unpackJson<S>(Item.state.B),
      version: Number(Item.version.N),
      outbox: Item.outbox?.B ? unpackOutbox(Item.outbox.B) : null,
    };
  }

  async save(
    key: string,
    state: S,
    expected: number,
    outbox: Outbox | null,
    expiresAt: number | null,
  ): Promise<SaveOutcome> {
    const item: Record<string, AttributeValue> = {
      ...this.key(key),
      version: { N: String(expected + 1) },
      state: { B: packJson(state) },
      ...(outbox && { outbox: { B: packOutbox(outbox) } }),
      ...(expiresAt !== null && { expiresAt: { N: String(Math.ceil(expiresAt / 1_000)) } }),
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: item,
          ...(expected === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': { N: String(expected) } },
              }),
        }),
      );
      return 'saved';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'conflict';
      throw error;
    }
  }

  async clearOutbox(key: string, version: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.key(key),
          UpdateExpression: 'REMOVE outbox',
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': { N: String(version) } },
        }),
      );
    } catch (error) {
      // A later write replaced the outbox (after carrying this one out): nothing of ours to clear.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  private key(key: string): Record<string, AttributeValue> {
    return { [ALERT_STATE_KEY_ATTRIBUTE]: { S: key } };
  }
}
