import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { EpisodeTransition } from '../core/detection-types.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';

/** The ledger table's partition key attribute; the CDK storage construct creates the table with it. */
export const LEDGER_KEY_ATTRIBUTE = 'id';

/** The id under which a transition is published once: `${episodeId}#${kind}`. */
export function transitionId(transition: Pick<EpisodeTransition, 'episodeId' | 'kind'>): string {
  return `${transition.episodeId}#${transition.kind}`;
}

/**
 * Remembers which transitions were published, so a retried batch does not alert twice. An entry is
 * claimed ('pending') before publishing and marked 'sent' after; only 'sent' entries are skipped.
 */
export interface PublishLedger {
  /** Claims `id` for publishing: false when an earlier attempt already sent it, true otherwise. */
  claim(id: string): Promise<boolean>;
  /** Records that `id` was delivered, so later attempts skip it. */
  markSent(id: string): Promise<void>;
}

/** Table and retention of the DynamoDB ledger. */
export interface DynamoDbPublishLedgerOptions {
  /** Table with partition key `id` (string). */
  readonly tableName: string;
  /** Entries expire this long after their last write, through the table's TTL on `expiresAt`; 30 days by default. */
  readonly ttlSeconds?: number;
  /** Epoch ms; `Date.now` by default. */
  readonly now?: () => number;
}

/**
 * {@link PublishLedger} on a DynamoDB table: `claim` is a PutItem conditional on the id being absent or not yet
 * 'sent', `markSent` an UpdateItem. Items: `id` (S), `status` ('pending' | 'sent'), `updatedAt`, `expiresAt` (N).
 */
export class DynamoDbPublishLedger implements PublishLedger {
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoDbPublishLedgerOptions,
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 30 * 24 * 3600;
    this.now = options.now ?? Date.now;
  }

  async claim(id: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: { id: { S: id }, status: { S: 'pending' }, ...this.timestamps() },
          // A 'pending' entry is an attempt that may have died before publishing: it is claimed again.
          ConditionExpression: 'attribute_not_exists(id) OR #status <> :sent',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sent': { S: 'sent' } },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async markSent(id: string): Promise<void> {
    const { updatedAt, expiresAt } = this.timestamps();
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { id: { S: id } },
        UpdateExpression: 'SET #status = :sent, updatedAt = :updatedAt, expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':sent': { S: 'sent' },
          ':updatedAt': updatedAt,
          ':expiresAt': expiresAt,
        },
      }),
    );
  }

  private timestamps(): { updatedAt: { N: string }; expiresAt: { N: string } } {
    const now = this.now();
    return {
      updatedAt: { N: String(now) },
      expiresAt: { N: String(Math.floor(now / 1_000) + this.ttlSeconds) },
    };
  }
}
