import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Watermark } from '../../core/poller/poll-query.ts';
import { WatermarkConflictError, type WatermarkStore } from '../../core/poller/poll-run.ts';
import { isConditionalCheckFailed } from '../aws-errors.ts';

/** The watermark table's partition key (a string): the source's name. */
export const WATERMARK_KEY = 'source';

/**
 * {@link WatermarkStore} on DynamoDB: one item per source `{source, ts, id, rows, updatedAt}`, read
 * consistently, moved with a conditional PutItem that expects the watermark the run started from, so two
 * overlapping runs can never move it backwards (the later one gets a {@link WatermarkConflictError}).
 */
export class DynamoDbWatermarkStore implements WatermarkStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async get(source: string): Promise<Watermark | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { [WATERMARK_KEY]: { S: source } },
        ConsistentRead: true,
      }),
    );
    if (!Item?.ts?.S || Item.id?.S === undefined) return undefined;
    return { ts: Item.ts.S, id: Item.id.S };
  }

  async advance(source: string, from: Watermark | undefined, to: Watermark, rows: number): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [WATERMARK_KEY]: { S: source },
            ts: { S: to.ts },
            id: { S: to.id },
            rows: { N: String(rows) },
            updatedAt: { S: new Date(this.now()).toISOString() },
          },
          ...(from
            ? {
                ConditionExpression: '#ts = :ts AND #id = :id',
                ExpressionAttributeNames: { '#ts': 'ts', '#id': 'id' },
                ExpressionAttributeValues: { ':ts': { S: from.ts }, ':id': { S: from.id } },
              }
            : {
                ConditionExpression: 'attribute_not_exists(#key)',
                ExpressionAttributeNames: { '#key': WATERMARK_KEY },
              }),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new WatermarkConflictError(
          `the watermark of ${source} moved while this run read from ${from ? `${from.ts}/${from.id}` : 'the start'}: another run is polling it; this one stops`,
        );
      }
      throw error;
    }
  }
}
