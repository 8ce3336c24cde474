import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DeliveryRecord } from '../../core/alerting/dedup.ts';
import type { NotificationKind } from '../../core/alerting/incident-types.ts';
import type { LogEntry, NotificationLog } from '../../functions/alerting/ports.ts';
import { isConditionalCheckFailed } from '../aws-errors.ts';

/** The notification log table's partition key attribute. */
export const NOTIFICATION_LOG_KEY_ATTRIBUTE = 'pk';

/** Table and retention of the log. */
export interface DynamoDbNotificationLogOptions {
  readonly tableName: string;
  /** Items expire this long after their last write (TTL on `expiresAt`); 30 days by default. */
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

/**
 * {@link NotificationLog} on DynamoDB, one item per (incident, receiver): `revision`, `kind`, `firing`, `at`
 * (what the router enqueued, written by a conditional UpdateItem `revision < :new`) and `delivered`, `ref`
 * (what the sender delivered, `delivered < :new`). The two sides update different attributes of one item,
 * so neither overwrites the other.
 */
export class DynamoDbNotificationLog implements NotificationLog {
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoDbNotificationLogOptions,
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 30 * 86_400;
    this.now = options.now ?? Date.now;
  }

  async get(key: string): Promise<LogEntry | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: keyOf(key), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const num = (name: string) => (Item[name]?.N === undefined ? undefined : Number(Item[name].N));
    return {
      v: 1,
      key,
      revision: num('revision') ?? 0,
      kind: (Item.kind?.S ?? 'opened') as NotificationKind,
      firing: Item.firing?.BOOL ?? false,
      at: num('at') ?? 0,
      ...(Item.ref?.S !== undefined && { ref: Item.ref.S }),
      ...(num('delivered') !== undefined && { delivered: num('delivered') }),
    };
  }

  async claim(record: DeliveryRecord): Promise<boolean> {
    return this.update(
      record.key,
      'SET revision = :r, kind = :kind, firing = :firing, #at = :at, expiresAt = :exp',
      'attribute_not_exists(revision) OR revision < :r',
      {
        ':r': { N: String(record.revision) },
        ':kind': { S: record.kind },
        ':firing': { BOOL: record.firing },
        ':at': { N: String(record.at) },
      },
    );
  }

  async markDelivered(key: string, revision: number, ref: string | undefined): Promise<boolean> {
    return this.update(
      key,
      `SET delivered = :r, expiresAt = :exp${ref !== undefined ? ', #ref = :ref' : ''}`,
      'attribute_not_exists(delivered) OR delivered < :r',
      { ':r': { N: String(revision) }, ...(ref !== undefined && { ':ref': { S: ref } }) },
      ref !== undefined ? { '#ref': 'ref' } : {},
    );
  }

  private async update(
    key: string,
    expression: string,
    condition: string,
    values: Record<string, AttributeValue>,
    names: Record<string, string> = {},
  ): Promise<boolean> {
    const usesAt = expression.includes('#at');
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: keyOf(key),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeValues: {
            ...values,
            ':exp': { N: String(Math.floor(this.now() / 1_000) + this.ttlSeconds) },
          },
          ...((usesAt || Object.keys(names).length > 0) && {
            ExpressionAttributeNames: { ...(usesAt && { '#at': 'at' }), ...names },
          }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

function keyOf(key: string): Record<string, AttributeValue> {
  return { [NOTIFICATION_LOG_KEY_ATTRIBUTE]: { S: key } };
}
