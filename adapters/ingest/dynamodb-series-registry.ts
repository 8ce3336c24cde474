import { createHash } from 'node:crypto';
import {
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Admission, SeriesAdmission } from '../../core/ingest/ingest.ts';
import { isConditionalCheckFailed } from '../aws-errors.ts';
import { mapConcurrent } from '../concurrency.ts';

/**
 * The per-tenant series cap on DynamoDB, shared by every translator container. One item per known series
 * (`S#tenant#sha256(series key)`, created once with a conditional put) and one counter per tenant (`C#tenant`).
 * A new series first reserves a slot on the counter with a conditional `ADD` that can never pass the cap, then
 * creates its item; if another container created it in between, the slot is given back. So the count never
 * exceeds the cap; a crash between the two writes leaves the counter one slot high, which refuses early rather
 * than late. (One TransactWriteItems per series would be exact but costs twice the writes, conflicts on the hot
 * counter item when many containers register at once, and dynalite, the local stand-in, does not implement it.)
 *
 * Cost: series known to this container cost nothing (an in-memory set). Series new to the container cost one
 * BatchGetItem per 100 (eventually consistent, 0.5 RCU each); series new to the tenant one counter update per
 * request plus one conditional put each. A Prometheus scraping itself (about 1,000 series) costs about 10 batch
 * reads and 1,000 puts once, then nothing while the container lives. A tenant at its cap costs one batch read
 * per minute per refused series (refusals are remembered for {@link REFUSAL_MEMORY_MS}).
 */

/** How long a refused series is refused without asking DynamoDB again. */
export const REFUSAL_MEMORY_MS = 60_000;
/** Partition key attribute (the same as the state table's, so the local stack creates it alike). */
export const SERIES_KEY_ATTRIBUTE = 'pk';
const MAX_BATCH_GET = 100;
const PUT_CONCURRENCY = 16;

/** Options of {@link DynamoDbSeriesRegistry}. */
export interface SeriesRegistryOptions {
  readonly tableName: string;
  /** Distinct series a tenant may have. */
  readonly defaultCap: number;
  /** Per-tenant caps that differ from the default. */
  readonly caps?: Readonly<Record<string, number>>;
  /** Epoch ms; `Date.now` by default. */
  readonly clock?: () => number;
}

/** {@link SeriesAdmission} on DynamoDB with a per-container cache. */
export class DynamoDbSeriesRegistry implements SeriesAdmission {
  private readonly known = new Map<string, Set<string>>();
  private readonly refusedUntil = new Map<string, number>();
  private readonly clock: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: SeriesRegistryOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** The cap of `tenant`. */
  capOf(tenant: string): number {
    return this.options.caps?.[tenant] ?? this.options.defaultCap;
  }

  async admit(tenant: string, keys: readonly string[]): Promise<Admission> {
    const cap = this.capOf(tenant);
    let known = this.known.get(tenant);
    if (!known) {
      known = new Set();
      this.known.set(tenant, known);
    }
    const now = this.clock();
    const refused = new Set<string>();
    const unknown: string[] = [];
    for (const key of keys) {
      if (known.has(key)) continue;
      const until = this.refusedUntil.get(memoryKey(tenant, key));
      if (until !== undefined && until > now) refused.add(key);
      else unknown.push(key);
    }
    if (unknown.length === 0) return { refused, cap };

    for (const key of await this.existing(tenant, unknown)) known.add(key);
    // First come, first served: the request's order decides which new series get the last slots.
    let fresh = unknown.filter((k) => !known.has(k));
    while (fresh.length > 0) {
      const granted = await this.reserve(tenant, fresh.length, cap);
      const batch = fresh.slice(0, granted);
      const created = await mapConcurrent(batch, PUT_CONCURRENCY, (key) => this.create(tenant, key));
      for (const key of batch) known.add(key);
      fresh = fresh.slice(granted);
      // Another container created some of these in between: their slots go back, and the next new series
      // of this request may take them. Each round settles at least one series, so this ends.
      const lost = created.filter((c) => !c).length;
      if (lost === 0 || fresh.length === 0) {
        if (lost > 0) await this.release(tenant, lost);
        break;
      }
      await this.release(tenant, lost);
    }
    for (const key of fresh) {
      refused.add(key);
      this.refusedUntil.set(memoryKey(tenant, key), now + REFUSAL_MEMORY_MS);
    }
    this.forgetExpiredRefusals(now);
    return { refused, cap };
  }

  /** The keys among `keys` that already have an item (created by any container). */
  private async existing(tenant: string, keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const byItemKey = new Map(keys.map((k) => [seriesItemKey(tenant, k), k]));
    const itemKeys = [...byItemKey.keys()];
    for (let i = 0; i < itemKeys.length; i += MAX_BATCH_GET) {
      let request: Record<string, { Keys: Record<string, { S: string }>[]; ProjectionExpression: string }> = {
        [this.options.tableName]: {
          Keys: itemKeys.slice(i, i + MAX_BATCH_GET).map((k) => ({ [SERIES_KEY_ATTRIBUTE]: { S: k } })),
          ProjectionExpression: SERIES_KEY_ATTRIBUTE,
        },
      };
      for (let attempt = 0; attempt < 10 && Object.keys(request).length > 0; attempt += 1) {
        const response = await this.client.send(new BatchGetItemCommand({ RequestItems: request }));
        for (const item of response.Responses?.[this.options.tableName] ?? []) {
          const key = byItemKey.get(item[SERIES_KEY_ATTRIBUTE]?.S ?? '');
          if (key !== undefined) found.add(key);
        }
        request = (response.UnprocessedKeys ?? {}) as typeof request;
      }
    }
    return found;
  }

  /** Reserves up to `wanted` slots under the cap; returns how many it got. */
  private async reserve(tenant: string, wanted: number, cap: number): Promise<number> {
    let asking = Math.min(wanted, cap);
    while (asking > 0) {
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: { [SERIES_KEY_ATTRIBUTE]: { S: counterKey(tenant) } },
            UpdateExpression: 'ADD #count :n',
            ConditionExpression: 'attribute_not_exists(#count) OR #count <= :most',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':n': { N: String(asking) }, ':most': { N: String(cap - asking) } },
          }),
        );
        return asking;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      const room = cap - (await this.count(tenant));
      if (room <= 0) return 0;
      asking = Math.min(asking - 1, room);
    }
    return 0;
  }

  private async release(tenant: string, slots: number): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { [SERIES_KEY_ATTRIBUTE]: { S: counterKey(tenant) } },
        UpdateExpression: 'ADD #count :n',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':n': { N: String(-slots) } },
      }),
    );
  }

  /** The tenant's counter (consistent read); 0 when it has none. */
  async count(tenant: string): Promise<number> {
    const response = await this.client.send(
      new GetItemCommand({
        TableName: this.options.tableName,
        Key: { [SERIES_KEY_ATTRIBUTE]: { S: counterKey(tenant) } },
        ConsistentRead: true,
      }),
    );
    return Number(response.Item?.count?.N ?? 0);
  }

  /** Creates the series item; false when it already existed. */
  private async create(tenant: string, key: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            [SERIES_KEY_ATTRIBUTE]: { S: seriesItemKey(tenant, key) },
            tenant: { S: tenant },
            // For people reading the table; DynamoDB items stay far below 400 KB.
            series: { S: key.slice(0, 2048) },
            createdAt: { N: String(this.clock()) },
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': SERIES_KEY_ATTRIBUTE },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private forgetExpiredRefusals(now: number): void {
    if (this.refusedUntil.size < 10_000) return;
    for (const [key, until] of this.refusedUntil) if (until <= now) this.refusedUntil.delete(key);
  }
}

function counterKey(tenant: string): string {
  return `C#${tenant}`;
}

function seriesItemKey(tenant: string, key: string): string {
  return `S#${tenant}#${createHash('sha256').update(key).digest('base64url')}`;
}

function memoryKey(tenant: string, key: string): string {
  return `${tenant}\u0000${key}`;
}
