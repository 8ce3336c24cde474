import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/emulators.ts';

/**
 * Starts a throwaway InfluxDB 1.x (`influxd` from Debian's `influxdb` package) for integration tests:
 * data in a temp dir, HTTP and the backup RPC service bound to free loopback ports, nothing else listening.
 */

/** Where the Debian package puts the server; override with SEISMO_INFLUXD. */
export const INFLUXD_PATH = process.env.SEISMO_INFLUXD ?? '/usr/bin/influxd';

/** A running test server: its base URL and how to stop it and remove its files. */
export interface InfluxTestServer {
  readonly url: string;
  /** Runs an InfluxQL statement through /query and returns the parsed JSON body. */
  query(q: string, database?: string): Promise<InfluxQueryResponse>;
  stop(): Promise<void>;
}

/** The JSON shape InfluxDB 1.x answers /query with. */
export interface InfluxQueryResponse {
  readonly results: readonly {
    readonly statement_id: number;
    readonly error?: string;
    readonly series?: readonly {
      readonly name: string;
      readonly tags?: Record<string, string>;
      readonly columns: readonly string[];
      readonly values: readonly (readonly unknown[])[];
    }[];
  }[];
  readonly error?: string;
}

/** Thrown when influxd is missing: CI installs it with `.ci/install-servers.sh`. */
export class InfluxdNotInstalledError extends Error {
  override readonly name = 'InfluxdNotInstalledError';
  constructor(path: string) {
    super(
      `influxd not found at ${path}: install InfluxDB 1.x with \`apt-get install influxdb\` ` +
        '(or run .ci/install-servers.sh), or point SEISMO_INFLUXD at the binary',
    );
  }
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  // Keys as printed by `influxd config` of 1.6; every listener but HTTP and the (mandatory) RPC is off.
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false
  unix-socket-enabled = false

[ifql]
  enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`;
}

/**
 * Whether the InfluxDB integration tests run here. CI sets SEISMO_REQUIRE_INFLUXD and installs influxd, so
 * there a missing binary fails the run; on a developer's machine without it they are skipped with a notice
 * naming the install command, so `npm test` stays green on a fresh clone.
 */
export function influxdTestsEnabled(): boolean {
  if (existsSync(INFLUXD_PATH) || process.env.SEISMO_REQUIRE_INFLUXD) return true;
  process.stderr.write(
    `InfluxDB integration tests skipped: no ${INFLUXD_PATH}. Run .ci/install-servers.sh (Debian package influxdb) to include them.\n`,
  );
  return false;
}

/** Starts influxd, waits for /ping, and creates `database`. Throws {@link InfluxdNotInstalledError} if absent. */
export async function startInfluxDb(database: string): Promise<InfluxTestServer> {
  if (!existsSync(INFLUXD_PATH)) throw new InfluxdNotInstalledError(INFLUXD_PATH);
  const dir = await mkdtemp(join(tmpdir(), 'seismo-influxd-'));
  const httpPort = await freePort();
  const rpcPort = await freePort();
  const configPath = join(dir, 'influxdb.conf');
  await writeFile(configPath, config(dir, httpPort, rpcPort));

  const child = spawn(INFLUXD_PATH, ['-config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = () => stopChild(child).then(() => rm(dir, { recursive: true, force: true }));

  try {
    await waitForPing(url, child, () => stderr);
    const server: InfluxTestServer = { url, query: (q, db) => runQuery(url, q, db), stop };
    const created = await server.query(`CREATE DATABASE "${database}"`);
    const error = created.error ?? created.results[0]?.error;
    if (error) throw new Error(`CREATE DATABASE ${database} failed: ${error}`);
    return server;
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForPing(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`influxd exited with code ${child.exitCode} before answering /ping: ${stderr()}`);
    }
    try {
      const response = await fetch(`${url}/ping`);
      if (response.status === 204) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`influxd did not answer ${url}/ping within 20 s: ${stderr()}`);
}

async function runQuery(url: string, q: string, database?: string): Promise<InfluxQueryResponse> {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (database) params.set('db', database);
  const response = await fetch(`${url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: params,
  });
  if (!response.ok) throw new Error(`/query answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as InfluxQueryResponse;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
