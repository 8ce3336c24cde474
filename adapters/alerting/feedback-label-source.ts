import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { FeedbackLabel, LabelSource } from '../../core/learning/labels.ts';

/**
 * Retraining's labels from the alerting feedback table: what people answered on alerts ("not an anomaly"
 * from the buttons, `anomaly` from `seismo alerts label --anomaly`). The table is keyed by episode, so a
 * window's labels are a filtered Scan: the table holds one item per person and episode labelled, a few
 * thousand, and a run reads it once.
 */
export class FeedbackTableLabelSource implements LabelSource {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async labels(from: number, to: number): Promise<FeedbackLabel[]> {
    const out: FeedbackLabel[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#from < :to AND #to >= :from',
          ExpressionAttributeNames: { '#from': 'from', '#to': 'to' },
          ExpressionAttributeValues: { ':from': { N: String(from) }, ':to': { N: String(to) } },
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) {
        const label = item.label?.S;
        // The buttons write `not-an-anomaly`; anything else unknown is no verdict at all.
        const verdict =
          label === 'anomaly' ? 'anomaly' : label === 'not-an-anomaly' ? 'not-anomaly' : undefined;
        const span = { from: Number(item.from?.N), to: Number(item.to?.N), at: Number(item.at?.N ?? 0) };
        if (!verdict || !item.episodeId?.S || !item.series?.S || !Number.isFinite(span.from + span.to))
          continue;
        out.push({
          episodeId: item.episodeId.S,
          series: item.series.S,
          channel: item.channel?.S ?? 'value',
          who: item.who?.S ?? 'unknown',
          verdict,
          ...span,
        });
      }
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    return out;
  }
}
