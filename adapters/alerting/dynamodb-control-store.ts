import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Labels } from '../../core/alerting/alert-transition.ts';
import type { Silence } from '../../core/alerting/silences.ts';
import type { ControlStore, DisabledReceiver } from '../../functions/alerting/ports.ts';
import { isConditionalCheckFailed } from '../aws-errors.ts';

/** The control table's partition and sort keys: the kind of item and its id within the kind. */
export const CONTROL_KEY_ATTRIBUTES = { partition: 'kind', sort: 'id' } as const;

/** Kept after a silence ends, for `silences list --all`, before the TTL removes it. */
const ENDED_SILENCE_KEPT_SECONDS = 7 * 86_400;
/** An inhibition entry outlives its state's last write by this much at most (a state left firing for good). */
const INHIBITION_KEPT_SECONDS = 7 * 86_400;

/**
 * {@link ControlStore} on one small DynamoDB table keyed by (`kind`, `id`): `silence` items (the silence as
 * JSON, `endsAt`), `inhibit` items (one per incident state with firing sources: their labels as JSON and the
 * state's `version`, written only over an older version) and `disabled` items (a receiver, since when, why).
 * Each kind is read with one Query, which the router caches for a few seconds.
 */
export class DynamoDbControlStore implements ControlStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: { readonly tableName: string; readonly now?: () => number },
  ) {}

  async silences(): Promise<Silence[]> {
    return (await this.query('silence')).flatMap((item) => {
      const silence = storedSilence(item.body?.S);
      return silence ? [silence] : [];
    });
  }

  async getSilence(id: string): Promise<Silence | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.options.tableName,
        Key: key('silence', id),
        ConsistentRead: true,
      }),
    );
    return storedSilence(Item?.body?.S);
  }

  async putSilence(silence: Silence): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.options.tableName,
        Item: {
          ...key('silence', silence.id),
          body: { S: JSON.stringify(silence) },
          endsAt: { N: String(silence.endsAt) },
          expiresAt: { N: String(Math.ceil(silence.endsAt / 1_000) + ENDED_SILENCE_KEPT_SECONDS) },
        },
      }),
    );
  }

  async expireSilence(id: string, at: number): Promise<Silence | undefined> {
    const silence = await this.getSilence(id);
    if (!silence) return undefined;
    if (silence.endsAt <= at) return silence;
    const ended: Silence = { ...silence, endsAt: Math.max(at, silence.startsAt) };
    await this.putSilence(ended);
    return ended;
  }

  async inhibitionSources(): Promise<Labels[]> {
    return (await this.query('inhibit')).flatMap((item) => JSON.parse(item.sources?.S ?? '[]') as Labels[]);
  }

  async putInhibition(stateKey: string, sources: readonly Labels[], version: number): Promise<void> {
    const condition = {
      ConditionExpression: 'attribute_not_exists(version) OR version < :v',
      ExpressionAttributeValues: { ':v': { N: String(version) } },
    };
    try {
      if (sources.length === 0) {
        // Nothing fires here any more; an older version must not bring the entry back, so it stays as a marker.
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: key('inhibit', stateKey),
            UpdateExpression: 'SET sources = :empty, version = :v, expiresAt = :exp',
            ...condition,
            ExpressionAttributeValues: {
              ...condition.ExpressionAttributeValues,
              ':empty': { S: '[]' },
              ':exp': this.expiry(),
            },
          }),
        );
        return;
      }
      await this.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            ...key('inhibit', stateKey),
            sources: { S: JSON.stringify(sources) },
            version: { N: String(version) },
            expiresAt: this.expiry(),
          },
          ...condition,
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async disabledReceivers(): Promise<DisabledReceiver[]> {
    return (await this.query('disabled')).map((item) => ({
      name: item.id?.S ?? '',
      at: Number(item.at?.N ?? 0),
      reason: item.reason?.S ?? '',
    }));
  }

  async disableReceiver(receiver: DisabledReceiver): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.options.tableName,
        Item: {
          ...key('disabled', receiver.name),
          at: { N: String(receiver.at) },
          reason: { S: receiver.reason },
        },
      }),
    );
  }

  async enableReceiver(name: string): Promise<void> {
    await this.client.send(
      new DeleteItemCommand({ TableName: this.options.tableName, Key: key('disabled', name) }),
    );
  }

  private expiry(): AttributeValue {
    return { N: String(Math.floor((this.options.now ?? Date.now)() / 1_000) + INHIBITION_KEPT_SECONDS) };
  }

  private async query(kind: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#kind = :kind',
          ExpressionAttributeNames: { '#kind': CONTROL_KEY_ATTRIBUTES.partition },
          ExpressionAttributeValues: { ':kind': { S: kind } },
          ConsistentRead: true,
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

/**
 * A silence as stored: written by this store from a validated silence (recurrence parts already parsed to
 * numbers, so the input schema does not apply again); anything not shaped like one is skipped.
 */
export function storedSilence(json: string | undefined): Silence | undefined {
  if (json === undefined) return undefined;
  let value: Partial<Silence>;
  try {
    value = JSON.parse(json) as Partial<Silence>;
  } catch {
    return undefined;
  }
  const ok =
    typeof value.id === 'string' &&
    Array.isArray(value.matchers) &&
    typeof value.startsAt === 'number' &&
    typeof value.endsAt === 'number' &&
    typeof value.author === 'string';
  return ok ? (value as Silence) : undefined;
}

function key(kind: string, id: string): Record<string, AttributeValue> {
  return { [CONTROL_KEY_ATTRIBUTES.partition]: { S: kind }, [CONTROL_KEY_ATTRIBUTES.sort]: { S: id } };
}
