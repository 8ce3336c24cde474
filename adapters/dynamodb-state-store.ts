import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type FeatureStateStore,
  type QuarantinedState,
  type SaveResult,
  UNVERSIONED,
  type VersionedState,
} from '../core/ports.ts';
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
  /**
   * When set, items carry `expiresAt` (epoch seconds) this far after their last save, for the table's TTL:
   * the state of a series that stopped reporting goes away, and reads treat an expired item as gone.
   */
  readonly ttlSeconds?: number;
  /** Epoch ms; `Date.now` by default. */
  readonly now?: () => number;
  /** Retries of UnprocessedKeys. */
  readonly backoff?: Partial<BackoffOptions>;
  /** PutItem calls in flight at once during a save; 16 by default. */
  readonly concurrency?: number;
}

/**
 * Prefix of the keys quarantined states are kept under. Series keys never hold control characters
 * (validation refuses them), so a quarantined copy can never be mistaken for, or overwrite, a series.
 */
export const QUARANTINE_PREFIX = '\u001fquarantine\u001f';

/** How long a quarantined copy is kept for inspection before the table's TTL removes it. */
const QUARANTINE_TTL_SECONDS = 30 * 24 * 3600;

/** Thrown when loading state fails: keys left unprocessed after every retry. */
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
      ProjectionExpression: '#k, #v, #s, #e',
      ExpressionAttributeNames: { '#k': this.key, '#v': 'version', '#s': 'state', '#e': 'expiresAt' },
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

  /** Reads an item as stored; what cannot be parsed is returned as it is, for the caller to quarantine. */
  private parse(item: Record<string, AttributeValue>): VersionedState {
    const key = item[this.key]?.S ?? '?';
    const number = Number(item.version?.N);
    const version = Number.isInteger(number) && number >= 1 ? number : UNVERSIONED;
    const json = item.state?.S;
    const binary = item.state?.B;
    // The table's TTL deletes expired items days late; until then they read as gone (the series starts afresh).
    const expiresAt = Number(item.expiresAt?.N);
    if (Number.isFinite(expiresAt) && expiresAt * 1_000 <= this.now())
      return { key, version, state: undefined };
    if (binary !== undefined) return { key, version, state: binary };
    if (json === undefined) return { key, version, state: undefined };
    try {
      return { key, version, state: JSON.parse(json) };
    } catch {
      return { key, version, state: json };
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

  /** Copies each unreadable state under {@link QUARANTINE_PREFIX}, with the reason, for 30 days. */
  async quarantine(entries: readonly QuarantinedState[]): Promise<void> {
    const now = this.now();
    await mapConcurrent(entries, this.options.concurrency ?? 16, async (entry) => {
      const item: Record<string, AttributeValue> = {
        [this.key]: { S: `${QUARANTINE_PREFIX}${entry.key}\u001f${now}` },
        series: { S: entry.key },
        version: { N: String(entry.version) },
        reason: { S: entry.reason.slice(0, 4_000) },
        quarantinedAt: { N: String(now) },
        expiresAt: { N: String(Math.floor(now / 1_000) + QUARANTINE_TTL_SECONDS) },
      };
      if (entry.state instanceof Uint8Array) item.state = { B: entry.state };
      else if (entry.state !== undefined) item.state = { S: JSON.stringify(entry.state) ?? 'null' };
      await this.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: item }));
    });
  }

  private putCommand(entry: VersionedState): PutItemCommand {
    if (!Number.isInteger(entry.version) || entry.version < UNVERSIONED) {
      throw new RangeError(`state version of ${entry.key} must be an integer >= -1, got ${entry.version}`);
    }
    const now = this.now();
    const item: Record<string, AttributeValue> = {
      [this.key]: { S: entry.key },
      version: { N: String(Math.max(entry.version, 0) + 1) },
      // Binary states (packed checkpoints) go in as they are; anything else as JSON text.
      state:
        entry.state instanceof Uint8Array ? { B: entry.state } : { S: JSON.stringify(entry.state) ?? 'null' },
      updatedAt: { N: String(now) },
    };
    if (this.options.ttlSeconds !== undefined) {
      item.expiresAt = { N: String(Math.floor(now / 1_000) + this.options.ttlSeconds) };
    }
    return new PutItemCommand({
      TableName: this.options.tableName,
      Item: item,
      ...this.condition(entry.version),
    });
  }

  /** The write happens only if the stored item is still the one read: absent, at `version`, or versionless. */
  private condition(
    version: number,
  ): Pick<
    PutItemCommand['input'],
    'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  > {
    if (version === 0) {
      return {
        ConditionExpression: 'attribute_not_exists(#k)',
        ExpressionAttributeNames: { '#k': this.key },
      };
    }
    if (version === UNVERSIONED) {
      return {
        ConditionExpression: 'attribute_exists(#k) AND (NOT attribute_type(#v, :number) OR #v < :one)',
        ExpressionAttributeNames: { '#k': this.key, '#v': 'version' },
        ExpressionAttributeValues: { ':number': { S: 'N' }, ':one': { N: '1' } },
      };
    }
    return {
      ConditionExpression: '#v = :expected',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: { ':expected': { N: String(version) } },
    };
  }
}
