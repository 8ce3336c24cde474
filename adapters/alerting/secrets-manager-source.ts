import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../../functions/alerting/ports.ts';

/** Thrown for a secret that exists but holds no string value. */
export class EmptySecretError extends Error {
  override readonly name = 'EmptySecretError';
}

/**
 * {@link SecretSource} on Secrets Manager, read once per container and kept for `ttlMs` (5 minutes by
 * default), so a rotated value is picked up within minutes without a call per message. A failed read is
 * not cached.
 */
export class SecretsManagerSource implements SecretSource {
  private readonly cache = new Map<string, { at: number; value: Promise<string> }>();

  constructor(
    private readonly client: Pick<SecretsManagerClient, 'send'>,
    private readonly options: { readonly ttlMs?: number; readonly now?: () => number } = {},
  ) {}

  get(id: string): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < (this.options.ttlMs ?? 300_000)) return hit.value;
    const value = this.client.send(new GetSecretValueCommand({ SecretId: id })).then((out) => {
      if (out.SecretString === undefined || out.SecretString === '')
        throw new EmptySecretError(`secret ${id} holds no string value`);
      return out.SecretString;
    });
    this.cache.set(id, { at: now, value });
    value.catch(() => {
      if (this.cache.get(id)?.value === value) this.cache.delete(id);
    });
    return value;
  }
}

/** {@link SecretSource} from a map, for the local stack and tests. */
export class MapSecretSource implements SecretSource {
  constructor(private readonly values: ReadonlyMap<string, string>) {}

  async get(id: string): Promise<string> {
    const value = this.values.get(id);
    if (value === undefined) {
      const error = new Error(`Secrets Manager can't find the specified secret ${id}`);
      error.name = 'ResourceNotFoundException';
      throw error;
    }
    return value;
  }
}
