import { describe, expect, it } from 'vitest';
import {
  PollConfigError,
  passwordFromSecret,
  readPollConfig,
} from '../../../functions/db-poll/poll-config.ts';

const source = {
  name: 'orders',
  table: 'orders',
  idColumn: 'id',
  timestampColumn: 'ts',
  series: 'orders',
  valueColumns: ['total'],
};
const env = {
  POLLER_SOURCE: JSON.stringify(source),
  DB_HOST: 'db.internal',
  DB_NAME: 'shop',
  DB_USER: 'seismo',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:db',
  WATERMARK_TABLE: 'watermarks',
  STREAM_NAME: 'events',
  DLQ_URL: 'https://sqs/1/dlq',
};

describe('readPollConfig', () => {
  it('reads the connection with TLS on, port 5432 and aggregation by default', () => {
    // Act
    const config = readPollConfig(env);

    // Assess
    expect(config.connection).toEqual({
      host: 'db.internal',
      port: 5432,
      database: 'shop',
      user: 'seismo',
      ssl: true,
    });
    expect(config.aggregate).toBe(true);
    expect(config.source.delaySeconds).toBe(60);
  });

  it('names the variable and rule that is wrong', () => {
    // Act / Assess
    expect(() => readPollConfig({ ...env, DB_HOST: '' })).toThrow(/DB_HOST is required/);
    expect(() => readPollConfig({ ...env, DB_PORT: '99999' })).toThrow(/DB_PORT must be a port number/);
    expect(() => readPollConfig({ ...env, DB_SSL: 'true' })).toThrow(/DB_SSL must be 1, 0 or unset/);
    expect(() => readPollConfig({ ...env, POLLER_SOURCE: '{' })).toThrow(PollConfigError);
    expect(() =>
      readPollConfig({ ...env, POLLER_SOURCE: JSON.stringify({ ...source, idColumn: 'a b' }) }),
    ).toThrow(/POLLER_SOURCE: invalid poller source: idColumn must be a plain column name/);
  });
});

describe('passwordFromSecret', () => {
  it('takes the password of an RDS-style secret, or the whole string', () => {
    // Act / Assess
    expect(passwordFromSecret('{"username":"seismo","password":"s3cret","engine":"postgres"}')).toBe(
      's3cret',
    );
    expect(passwordFromSecret('plain-password')).toBe('plain-password');
    expect(() => passwordFromSecret('{"username":"seismo"}')).toThrow(/without a "password" string/);
  });
});
