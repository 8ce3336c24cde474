import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../local/emulators.ts';

/**
 * A throwaway PostgreSQL 15 cluster for integration tests (Debian's `postgresql-15`): `initdb` into a temp
 * dir, the server on a free loopback port with its socket in that dir, trust authentication for local
 * connections only, removed on stop. As root (CI), it runs as the `postgres` user, since PostgreSQL refuses
 * to run as root.
 */

/** Where Debian puts the server binaries; override with SEISMO_PG_BIN. */
export const PG_BIN = process.env.SEISMO_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A running test cluster: connection settings, a superuser client factory, and stop. */
export interface PostgresTestServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** A connected client (the caller ends it). */
  connect(): Promise<pg.Client>;
  stop(): Promise<void>;
}

/** Thrown when the binaries are missing: CI installs them with `.ci/install-servers.sh`. */
export class PostgresNotInstalledError extends Error {
  override readonly name = 'PostgresNotInstalledError';
  constructor(bin: string) {
    super(
      `PostgreSQL 15 not found in ${bin}: install it with \`apt-get install postgresql-15\` ` +
        '(or run .ci/install-servers.sh), or point SEISMO_PG_BIN at its bin directory',
    );
  }
}

/**
 * Whether the PostgreSQL integration tests run here. CI sets SEISMO_REQUIRE_POSTGRES and installs the server,
 * so there a missing binary fails the run; elsewhere they are skipped with a notice naming the install script.
 */
export function postgresTestsEnabled(): boolean {
  if (existsSync(join(PG_BIN, 'initdb')) || process.env.SEISMO_REQUIRE_POSTGRES) return true;
  process.stderr.write(
    `PostgreSQL integration tests skipped: no ${PG_BIN}/initdb. Run .ci/install-servers.sh (Debian package postgresql-15) to include them.\n`,
  );
  return false;
}

/** The uid and gid to run the server as: ours, or the `postgres` user's when we are root. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('running as root, but there is no "postgres" user to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Starts a fresh cluster and waits until it accepts connections. */
export async function startPostgres(): Promise<PostgresTestServer> {
  const initdb = join(PG_BIN, 'initdb');
  if (!existsSync(initdb)) throw new PostgresNotInstalledError(PG_BIN);
  const identity = serverIdentity();
  const dir = await mkdtemp(join(tmpdir(), 'seismo-pg-'));
  if (identity) await chown(dir, identity.uid, identity.gid);
  const data = join(dir, 'data');
  const user = 'seismo';
  execFileSync(initdb, ['-D', data, '-U', user, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
    stdio: 'pipe',
    ...identity,
  });
  const port = await freePort();
  // fsync off and a tiny shared memory: a throwaway cluster on a loaded machine.
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'];
  args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  args.push('-c', 'shared_buffers=16MB', '-c', 'max_connections=20', '-c', 'TimeZone=UTC');
  const child = spawn(join(PG_BIN, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...identity });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const server: PostgresTestServer = {
    host: '127.0.0.1',
    port,
    user,
    database: 'postgres',
    async connect() {
      const client = new pg.Client({ host: '127.0.0.1', port, user, database: 'postgres' });
      await client.connect();
      return client;
    },
    stop: () => stopChild(child).then(() => rm(dir, { recursive: true, force: true })),
  };
  try {
    await waitForConnections(server, child, () => stderr);
    return server;
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function waitForConnections(server: PostgresTestServer, child: ChildProcess, stderr: () => string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited with code ${child.exitCode}: ${stderr()}`);
    try {
      const client = await server.connect();
      await client.end();
      return;
    } catch {
      // Not accepting connections yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`postgres did not accept connections within 30 s: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGINT: PostgreSQL's "fast" shutdown (disconnect clients, stop).
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
