import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { FeedbackStore, StoredFeedback } from '../../functions/alerting/ports.ts';

/** The feedback table's keys: the episode, and who labelled it. */
export const FEEDBACK_KEY_ATTRIBUTES = { partition: 'episodeId', sort: 'who' } as const;

/**
 * {@link FeedbackStore} on DynamoDB: one item per (episode, person), the label as attributes a retraining
 * job can read without this code (`series`, `channel`, `from`, `to`, `at`, `via`, `label`: `not-an-anomaly`
 * or `anomaly`, ...). Labelling twice
 * keeps the latest; labels are kept (no TTL): they are training data.
 */
export class DynamoDbFeedbackStore implements FeedbackStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: { readonly tableName: string },
  ) {}

  async put(label: StoredFeedback): Promise<void> {
    const item: Record<string, AttributeValue> = {
      episodeId: { S: label.episodeId },
      who: { S: label.who },
      series: { S: label.series },
      channel: { S: label.channel },
      from: { N: String(label.from) },
      to: { N: String(label.to) },
      at: { N: String(label.at) },
      via: { S: label.via },
      // Kept as the buttons always wrote it; a confirmation from the command line reads `anomaly`.
      label: { S: label.verdict === 'anomaly' ? 'anomaly' : 'not-an-anomaly' },
      ...(label.incidentId !== undefined && { incidentId: { S: label.incidentId } }),
      ...(label.silenceForADay !== undefined && { silenceForADay: { BOOL: label.silenceForADay } }),
    };
    await this.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: item }));
  }

  async list(episodeId: string): Promise<StoredFeedback[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: 'episodeId = :e',
        ExpressionAttributeValues: { ':e': { S: episodeId } },
        ConsistentRead: true,
      }),
    );
    return Items.map((i) => ({
      episodeId: i.episodeId?.S ?? '',
      who: i.who?.S ?? '',
      series: i.series?.S ?? '',
      channel: i.channel?.S ?? '',
      from: Number(i.from?.N ?? 0),
      to: Number(i.to?.N ?? 0),
      at: Number(i.at?.N ?? 0),
      via: i.via?.S ?? '',
      ...(i.label?.S === 'anomaly' && { verdict: 'anomaly' as const }),
      ...(i.incidentId?.S !== undefined && { incidentId: i.incidentId.S }),
      ...(i.silenceForADay?.BOOL !== undefined && { silenceForADay: i.silenceForADay.BOOL }),
    }));
  }
}
