import type { PostgresConnection } from '../../adapters/poller/postgres-row-source.ts';
import { type PollerSource, parsePollerSource } from '../../core/poller/poller-config.ts';

/** The poller function's configuration, from its environment. */
export interface PollFunctionConfig {
  readonly source: PollerSource;
  readonly connection: PostgresConnection;
  /** Secrets Manager secret with the database password (RDS's JSON `{"password": ...}` or the bare password). */
  readonly secretArn: string;
  readonly watermarkTable: string;
  readonly streamName: string;
  readonly dlqUrl: string;
  /** KPL-aggregate each series' events: a catching-up poll is a burst beyond one shard's 1,000 records/s. */
  readonly aggregate: boolean;
}

/** Thrown for a missing or invalid environment variable; names it and the rule. */
export class PollConfigError extends Error {
  override readonly name = 'PollConfigError';
}

/** Reads and checks the configuration once, at load; throws {@link PollConfigError} naming what to fix. */
export function readPollConfig(env: NodeJS.ProcessEnv = process.env): PollFunctionConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new PollConfigError(`environment variable ${name} is required`);
    return value;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if (value !== '0' && value !== '1')
      throw new PollConfigError(`${name} must be 1, 0 or unset, got "${value}"`);
    return value === '1';
  };
  let source: PollerSource;
  try {
    source = parsePollerSource(JSON.parse(required('POLLER_SOURCE')));
  } catch (error) {
    throw new PollConfigError(`POLLER_SOURCE: ${(error as Error).message}`);
  }
  const port = Number(env.DB_PORT ?? '5432');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new PollConfigError(`DB_PORT must be a port number, got "${env.DB_PORT}"`);
  }
  return {
    source,
    connection: {
      host: required('DB_HOST'),
      port,
      database: required('DB_NAME'),
      user: required('DB_USER'),
      ssl: flag('DB_SSL', true),
    },
    secretArn: required('DB_SECRET_ARN'),
    watermarkTable: required('WATERMARK_TABLE'),
    streamName: required('STREAM_NAME'),
    dlqUrl: required('DLQ_URL'),
    aggregate: flag('POLLER_AGGREGATE', true),
  };
}

/** The password in a secret's string: RDS-style JSON `{"password": "..."}`, or the string itself. */
export function passwordFromSecret(secret: string): string {
  const text = secret.trim();
  if (!text.startsWith('{')) return secret;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return secret;
  }
  const password = (json as { password?: unknown }).password;
  if (typeof password !== 'string' || password === '') {
    throw new PollConfigError(
      'the database secret is JSON without a "password" string (RDS format expected)',
    );
  }
  return password;
}
