import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ModelPointer,
  type Pointers,
  PromotionConflict,
  type PromotionLogEntry,
  type RegistryIndex,
  VersionExists,
} from '../core/learning/registry.ts';

/** Partition and sort key attribute names of the registry table (the infra creates the table with them). */
export const REGISTRY_KEYS = { partition: 'pk', sort: 'sk' } as const;

const POINTERS = 'pointers';
const COUNTER = 'counter';
const VERSION = 'version#';
const LOG = 'log#';
const LIVE = 'live#';

/** Zero-padded so that sort keys order numerically. */
const pad = (n: number) => String(n).padStart(10, '0');

/**
 * The registry index in ONE DynamoDB table, all items of a model under partition `model#<name>`:
 * `pointers` (champion, challenger, previous, revision), `counter` (next version number), `version#<n>`
 * (registered versions), `log#<revision>` (the promotion log) and `live#<time>#<revision>` (one per champion
 * change, so "live at T" is one Query). A pointer move is one TransactWriteItems: the pointers update,
 * conditioned on the revision read, plus the create-only log (and live) items.
 */
export class DynamoDbRegistryIndex implements RegistryIndex {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async allocateVersion(model: string): Promise<number> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(model, COUNTER),
        UpdateExpression: 'ADD #n :one',
        ExpressionAttributeNames: { '#n': 'next' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.next);
  }

  async recordVersion(model: string, pointer: ModelPointer, registeredAt: string): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.key(model, VERSION + pad(pointer.version)), ...pointer, registeredAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new VersionExists(`version ${pointer.version} of model ${model} is already registered`);
      }
      throw error;
    }
  }

  async versions(model: string): Promise<ModelPointer[]> {
    const items = await this.query(model, VERSION);
    return items.map((i) => ({ version: Number(i.version), uri: String(i.uri), sha256: String(i.sha256) }));
  }

  async read(model: string): Promise<Pointers> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(model, POINTERS), ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) return { revision: 0 };
    return {
      revision: Number(item.revision),
      ...(item.champion ? { champion: item.champion as ModelPointer } : {}),
      ...(item.challenger ? { challenger: item.challenger as ModelPointer } : {}),
      ...(item.previous ? { previous: item.previous as ModelPointer } : {}),
    };
  }

  async move(
    model: string,
    expectedRevision: number,
    next: Omit<Pointers, 'revision'>,
    entry: Omit<PromotionLogEntry, 'revision'>,
  ): Promise<Pointers> {
    const revision = expectedRevision + 1;
    const logged: PromotionLogEntry = { ...entry, revision };
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...this.key(model, POINTERS), ...next, revision },
          // The first move finds no item; every later one must find the revision it read.
          ConditionExpression: expectedRevision === 0 ? 'attribute_not_exists(pk)' : '#r = :expected',
          ...(expectedRevision === 0
            ? {}
            : {
                ExpressionAttributeNames: { '#r': 'revision' },
                ExpressionAttributeValues: { ':expected': expectedRevision },
              }),
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...this.key(model, LOG + pad(revision)), ...logged },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    if (entry.action === 'promote' || entry.action === 'rollback') {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: { ...this.key(model, `${LIVE}${entry.at}#${pad(revision)}`), ...logged },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
        if (codes.includes('ConditionalCheckFailed') || codes.includes('TransactionConflict')) {
          throw new PromotionConflict(
            `the pointers of model ${model} moved since revision ${expectedRevision} was read (${codes.join(', ')}); nothing was changed`,
          );
        }
      }
      throw error;
    }
    return { ...next, revision };
  }

  async log(model: string): Promise<PromotionLogEntry[]> {
    return (await this.query(model, LOG)).map(toEntry);
  }

  async liveAt(model: string, at: string): Promise<PromotionLogEntry | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: { ':pk': `model#${model}`, ':lo': LIVE, ':hi': `${LIVE}${at}#~` },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? toEntry(item) : undefined;
  }

  private key(model: string, sk: string): Record<string, string> {
    return { [REGISTRY_KEYS.partition]: `model#${model}`, [REGISTRY_KEYS.sort]: sk };
  }

  private async query(model: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `model#${model}`, ':prefix': prefix },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

function toEntry(item: Record<string, unknown>): PromotionLogEntry {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as PromotionLogEntry;
}
