import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { FeatureStateStore, SaveResult, VersionedState } from '../core/ports.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import { type BackoffOptions, backoffDelay, resolveBackoff } from './backoff.ts';
import { mapConcurrent } from './concurrency.ts';

/** DynamoDB's limit on keys per BatchGetItem call. */
export const DYNAMODB_MAX_BATCH_GET = 100;

/** The state table's partition key attribute by default; the CDK storage construct creates the table with it. */
export const STATE_KEY_ATTRIBUTE = 'pk';

/** Table layout and behaviour of the DynamoDB state store. */
export interface DynamoDbStateStoreOptions {
  readonly tableName: string;
  /** Partition key attribute (string); `pk` by default. */
  readonly keyAttribute?: string;
  /** When set, items carry `expiresAt` (epoch seconds) this far after their last save, for the table's TTL. */
  readonly ttlSeconds?: number;
  /** Epoch ms; `Date.now` by default. */
  readonly now?: () => number;
  /** Retries of UnprocessedKeys. */
  readonly backoff?: Partial<BackoffOptions>;
  /** PutItem calls in flight at once during a save; 16 by default. */
  readonly concurrency?: number;
}

/** Thrown when loading state fails: keys left unprocessed after every retry, or an item that cannot be read. */
export class StateLoadError extends Error {
  override readonly name = 'StateLoadError';
  constructor(
    readonly tableName: string,
    readonly keys: readonly string[],
    reason: string,
  ) {
    super(`loading state from ${tableName} failed for ${keys.join(', ')}: ${reason}`);
  }
}

/** Thrown when saves fail for a reason other than a version conflict; names the keys, with the first cause. */
export class StateSaveError extends Error {
  override readonly name = 'StateSaveError';
  constructor(
    readonly tableName: string,
    readonly keys: readonly string[],
    override readonly cause: unknown,
  ) {
    super(`saving state to ${tableName} failed for ${keys.join(', ')}: ${String(cause)}`, { cause });
  }
}

/**
 * {@link FeatureStateStore} on DynamoDB. Items: the key, `version` (N), `state` (S, JSON), `updatedAt` (N) and
 * optionally `expiresAt` (N, for TTL). Loads are strongly consistent; each save is a PutItem conditional on
 * the version read, and a lost race is returned as a conflict rather than thrown.
 */
export class DynamoDbStateStore implements FeatureStateStore {
  private readonly backoff: BackoffOptions;
  private readonly key: string;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoDbStateStoreOptions,
  ) {
    this.backoff = resolveBackoff(options.backoff);
    this.key = options.keyAttribute ?? STATE_KEY_ATTRIBUTE;
    this.now = options.now ?? Date.now;
  }

  /** Missing keys are absent from the result: such a series is new and starts at version 0. */
  async load(keys: readonly string[]): Promise<Map<string, VersionedState>> {
    const unique = [...new Set(keys)];
    const found = new Map<string, VersionedState>();
    for (let i = 0; i < unique.length; i += DYNAMODB_MAX_BATCH_GET) {
      await this.loadChunk(unique.slice(i, i + DYNAMODB_MAX_BATCH_GET), found);
    }
    return found;
  }

  private async loadChunk(keys: readonly string[], found: Map<string, VersionedState>): Promise<void> {
    const table = this.options.tableName;
    let request: KeysAndAttributes | undefined = {
      Keys: keys.map((k) => ({ [this.key]: { S: k } })),
      ConsistentRead: true,
      ProjectionExpression: '#k, #v, #s',
      ExpressionAttributeNames: { '#k': this.key, '#v': 'version', '#s': 'state' },
    };
    for (let attempt = 1; request?.Keys?.length; attempt++) {
      if (attempt > 1) {
        if (attempt > this.backoff.maxAttempts) {
          const left = request.Keys.map((k) => k[this.key]?.S ?? '?');
          throw new StateLoadError(table, left, `unprocessed after ${this.backoff.maxAttempts} attempts`);
        }
        await this.backoff.sleep(backoffDelay(attempt - 2, this.backoff));
      }
      const response: BatchGetItemCommandOutput = await this.client.send(
        new BatchGetItemCommand({ RequestItems: { [table]: request } }),
      );
      for (const item of response.Responses?.[table] ?? []) {
        const state = this.parse(item);
        found.set(state.key, state);
      }
      request = response.UnprocessedKeys?.[table];
    }
  }

  private parse(item: Record<string, AttributeValue>): VersionedState {
    const key = item[this.key]?.S ?? '?';
    const version = Number(item.version?.N);
    const json = item.state?.S;
    const binary = item.state?.B;
    if (!Number.isInteger(version) || version < 1 || (json === undefined && binary === undefined)) {
      throw new StateLoadError(this.options.tableName, [key], 'item lacks a numeric version or a state');
    }
    if (binary !== undefined) return { key, version, state: binary };
    try {
      return { key, version, state: JSON.parse(json as string) };
    } catch (error) {
      throw new StateLoadError(this.options.tableName, [key], `state is not JSON: ${String(error)}`);
    }
  }

  async save(entries: readonly VersionedState[]): Promise<SaveResult> {
    const conflicts: string[] = [];
    const failedKeys: string[] = [];
    let firstError: unknown;
    await mapConcurrent(entries, this.options.concurrency ?? 16, async (entry) => {
      try {
        await this.client.send(this.putCommand(entry));
      } catch (error) {
        if (isConditionalCheckFailed(error)) {
          conflicts.push(entry.key);
        } else {
          failedKeys.push(entry.key);
          firstError ??= error;
        }
      }
    });
    if (failedKeys.length > 0) throw new StateSaveError(this.options.tableName, failedKeys, firstError);
    return { conflicts };
  }

  private putCommand(entry: VersionedState): PutItemCommand {
    if (!Number.isInteger(entry.version) || entry.version < 0) {
      throw new RangeError(`state version of ${entry.key} must be an integer >= 0, got ${entry.version}`);
    }
    const now = this.now();
    const item: Record<string, AttributeValue> = {
      [this.key]: { S: entry.key },
      version: { N: String(entry.version + 1) },
      // Binary states (packed checkpoints) go in as they are; anything else as JSON text.
      state:
        entry.state instanceof Uint8Array ? { B: entry.state } : { S: JSON.stringify(entry.state) ?? 'null' },
      updatedAt: { N: String(now) },
    };
    if (this.options.ttlSeconds !== undefined) {
      item.expiresAt = { N: String(Math.floor(now / 1_000) + this.options.ttlSeconds) };
    }
    const isNew = entry.version === 0;
    return new PutItemCommand({
      TableName: this.options.tableName,
      Item: item,
      ConditionExpression: isNew ? 'attribute_not_exists(#k)' : '#v = :expected',
      ExpressionAttributeNames: isNew ? { '#k': this.key } : { '#v': 'version' },
      ...(!isNew && { ExpressionAttributeValues: { ':expected': { N: String(entry.version) } } }),
    });
  }
}
