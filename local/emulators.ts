import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * The AWS stand-ins of the local stack and the tests, as child processes of this one: kinesis-mock (npm
 * `kinesis-local`) and dynalite, both pure Node, on free ports of 127.0.0.1 and nowhere else (kinesis-mock has
 * no host setting; `emulator-preload.mjs` binds its sockets to loopback). They never outlive their parent:
 * stop() ends them, an `exit` handler kills any left, and each child exits by itself when its IPC channel to
 * the parent closes, which also covers a parent killed with SIGKILL.
 */

/** Region the emulators and their clients agree on. */
export const LOCAL_REGION = 'us-east-1';
/** Any credentials do: the emulators check signatures' shape, not their keys. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

const require = createRequire(import.meta.url);
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 1_000;
/** Output kept from a child, shown when it fails to start. */
const OUTPUT_TAIL = 4_000;
/** Preloaded into each emulator: listen on loopback only, and exit when the parent's IPC channel closes. */
const PRELOAD = pathToFileURL(join(import.meta.dirname, 'emulator-preload.mjs')).href;

/** A running emulator: where it listens, how long it took to answer, and how to stop it. */
export interface Emulator {
  readonly name: string;
  readonly endpoint: string;
  readonly pid: number;
  /** Milliseconds from spawn to the first good answer. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** Both emulators, started together and stopped together. */
export interface Emulators {
  readonly kinesis: Emulator;
  readonly dynamodb: Emulator;
  readonly region: string;
  stop(): Promise<void>;
}

/** Thrown when an emulator exits or stays silent while starting; carries the tail of its output. */
export class EmulatorStartError extends Error {
  override readonly name = 'EmulatorStartError';
}

/** Options of {@link startDynalite}. */
export interface DynaliteOptions {
  /** Port on 127.0.0.1; a free one by default. */
  readonly port?: number;
  /** How long tables stay CREATING, as in AWS; 500 ms by default (dynalite's own default). */
  readonly createTableMs?: number;
}

/** Starts kinesis-mock on a free loopback port (plus a TLS port it insists on) and waits for /healthcheck. */
export async function startKinesisMock(options: { readonly port?: number } = {}): Promise<Emulator> {
  const main = require.resolve('kinesis-local/main.js');
  const port = options.port ?? (await freePort());
  const tlsPort = await freePort();
  return startEmulator({
    name: 'kinesis-mock',
    args: [main],
    env: {
      KINESIS_MOCK_CERT_PATH: join(dirname(main), 'server.json'),
      KINESIS_MOCK_PLAIN_PORT: String(port),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      AWS_REGION: LOCAL_REGION,
      // Its INFO log is one line per request; errors are enough.
      LOG_LEVEL: 'ERROR',
      ROOT_LOG_LEVEL: 'ERROR',
      SHOULD_PERSIST_DATA: 'false',
    },
    port,
    readyPath: '/healthcheck',
  });
}

/** Starts dynalite (in-memory) on a free loopback port and waits until it answers HTTP. */
export async function startDynalite(options: DynaliteOptions = {}): Promise<Emulator> {
  const port = options.port ?? (await freePort());
  const args = [require.resolve('dynalite/cli.js'), '--host', '127.0.0.1', '--port', String(port)];
  if (options.createTableMs !== undefined) args.push('--createTableMs', String(options.createTableMs));
  return startEmulator({ name: 'dynalite', args, env: {}, port, readyPath: '/' });
}

/** Starts kinesis-mock and dynalite side by side; if one fails, the other is stopped before the error is thrown. */
export async function startEmulators(
  options: { readonly dynalite?: DynaliteOptions } = {},
): Promise<Emulators> {
  const [kinesis, dynamodb] = await Promise.allSettled([startKinesisMock(), startDynalite(options.dynalite)]);
  if (kinesis.status === 'rejected' || dynamodb.status === 'rejected') {
    if (kinesis.status === 'fulfilled') await kinesis.value.stop();
    if (dynamodb.status === 'fulfilled') await dynamodb.value.stop();
    throw kinesis.status === 'rejected' ? kinesis.reason : (dynamodb as PromiseRejectedResult).reason;
  }
  const both = { kinesis: kinesis.value, dynamodb: dynamodb.value };
  return {
    ...both,
    region: LOCAL_REGION,
    stop: async () => {
      await Promise.all([both.kinesis.stop(), both.dynamodb.stop()]);
    },
  };
}

/** A Kinesis client for an emulator: HTTP/1.1 (kinesis-mock fails HTTP/2 over plain HTTP), fake credentials. */
export function localKinesisClient(endpoint: string, region = LOCAL_REGION): KinesisClient {
  return new KinesisClient({
    endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: new NodeHttpHandler(),
  });
}

/** A DynamoDB client for dynalite, with fake credentials. */
export function localDynamoDbClient(endpoint: string, region = LOCAL_REGION): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
}

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

interface EmulatorSpec {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
  readonly readyPath: string;
}

/** Children still running, killed synchronously if this process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

async function startEmulator(spec: EmulatorSpec): Promise<Emulator> {
  const started = performance.now();
  // Not detached: the child stays in our process group, so a terminal's Ctrl-C reaches it too.
  const child = spawn(process.execPath, ['--import', PRELOAD, ...spec.args], {
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: false,
  });
  track(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = () => stopChild(child);

  const endpoint = `http://127.0.0.1:${spec.port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EmulatorStartError(
        `${spec.name} exited (${child.exitCode ?? child.signalCode}) before answering on ${endpoint}: ${output.trim()}`,
      );
    }
    if (await answers(spec.port, spec.readyPath)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new EmulatorStartError(
        `${spec.name} did not answer ${endpoint}${spec.readyPath} within ${READY_TIMEOUT_MS / 1000} s: ${output.trim()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    name: spec.name,
    endpoint,
    pid: child.pid as number,
    startupMs: Math.round(performance.now() - started),
    stop,
  };
}

/** True when 127.0.0.1:`port` answers GET `path` with 200. The connection is closed, never kept alive. */
function answers(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

/**
 * SIGTERM, then SIGKILL after a grace period: kinesis-mock's graceful shutdown waits for open keep-alive
 * connections (30 s when a client is still connected), and an emulator's in-memory data has nothing to flush.
 */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
