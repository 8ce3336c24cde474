import type pg from 'pg';
import { pageQuery, type Watermark } from '../../core/poller/poll-query.ts';
import type { RowSource } from '../../core/poller/poll-run.ts';
import type { PollerSource } from '../../core/poller/poller-config.ts';
import type { SourceRow } from '../../core/poller/row-events.ts';

/**
 * {@link RowSource} on PostgreSQL through `pg`: one parameterized query per page. The client is the caller's,
 * connected with {@link clientOptions} (session in UTC, so `timestamp without time zone` compares with `now()`
 * as UTC; a statement timeout, so a slow page ends before the Lambda does).
 */
export class PostgresRowSource implements RowSource {
  constructor(
    private readonly client: Pick<pg.Client, 'query'>,
    private readonly source: PollerSource,
  ) {}

  async page(after: Watermark | undefined, limit: number): Promise<readonly SourceRow[]> {
    const { text, values } = pageQuery(this.source, after, limit);
    const result = await this.client.query({ text, values: [...values] });
    return result.rows as SourceRow[];
  }
}

/** Connection settings of the source database; the password comes from Secrets Manager. */
export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** TLS to the database (RDS requires it by default); on unless the config says otherwise. */
  readonly ssl: boolean;
}

/**
 * `pg` client options for `connection`: the session in UTC, statements cut at `statementTimeoutMs`, a short
 * connect timeout. With `ssl` the server certificate is verified (against Node's CA store, which on Lambda
 * includes the RDS CAs when NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem, as the poller construct sets).
 */
export function clientOptions(
  connection: PostgresConnection,
  password: string,
  statementTimeoutMs = 30_000,
): pg.ClientConfig {
  return {
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password,
    options: `-c TimeZone=UTC -c statement_timeout=${Math.trunc(statementTimeoutMs)}`,
    connectionTimeoutMillis: 10_000,
    application_name: 'seismo-poller',
    ...(connection.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
  };
}
