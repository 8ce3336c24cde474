import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type AlertTransition,
  InvalidTransitionError,
  parseAlertTransition,
  transitionVersion,
} from '../../core/alerting/alert-transition.ts';
import type { TransitionLog } from '../../functions/alerting/ports.ts';

/** The transitions table's keys: the UTC day of the transition's last point, and a sortable id within it. */
export const TRANSITION_KEY_ATTRIBUTES = { partition: 'day', sort: 'id' } as const;

const DAY_MS = 86_400_000;

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms instant. */
export function utcDay(at: number): string {
  return new Date(Math.floor(at / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** One transition that could not be read back, and why. */
export interface UnreadableTransition {
  readonly where: string;
  readonly reason: string;
}

/**
 * Every episode transition the router received, keyed for time-window reads: partition = the UTC day of its
 * last point, sort = `<ISO last point>#<episode>#<kind>#<fingerprint>`, so a repeat overwrites itself and a
 * window is one Query per day. The body is the transition as JSON; items expire `ttlDays` after receipt.
 */
export class DynamoDbTransitionLog implements TransitionLog {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: { readonly tableName: string; readonly ttlDays?: number },
  ) {}

  async record(t: AlertTransition, receivedAt: number): Promise<void> {
    const id = `${new Date(t.lastSeenAt).toISOString()}#${t.episodeId}#${t.kind}#${transitionVersion(t).fingerprint}`;
    await this.client.send(
      new PutItemCommand({
        TableName: this.options.tableName,
        Item: {
          day: { S: utcDay(t.lastSeenAt) },
          id: { S: id },
          body: { S: JSON.stringify(t) },
          receivedAt: { N: String(receivedAt) },
          expiresAt: { N: String(Math.floor(receivedAt / 1_000) + (this.options.ttlDays ?? 30) * 86_400) },
        },
      }),
    );
  }

  /** The transitions whose last point is in [from, to), day by day; unreadable items go to `skipped`. */
  async *read(
    from: number,
    to: number,
    skipped: (u: UnreadableTransition) => void,
  ): AsyncIterable<AlertTransition> {
    for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.options.tableName,
            KeyConditionExpression: '#day = :day AND #id BETWEEN :lo AND :hi',
            ExpressionAttributeNames: { '#day': 'day', '#id': 'id' },
            ExpressionAttributeValues: {
              ':day': { S: utcDay(day) },
              ':lo': { S: new Date(Math.max(day, from)).toISOString() },
              ':hi': { S: `${new Date(Math.min(day + DAY_MS, to)).toISOString()}` },
            },
            ...(start && { ExclusiveStartKey: start }),
          }),
        );
        for (const item of page.Items ?? []) {
          try {
            const t = parseAlertTransition(item.body?.S ?? '');
            if (t.lastSeenAt >= from && t.lastSeenAt < to) yield t;
          } catch (error) {
            if (!(error instanceof InvalidTransitionError)) throw error;
            skipped({
              where: `${this.options.tableName} ${item.day?.S}/${item.id?.S}`,
              reason: error.message,
            });
          }
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
  }
}
