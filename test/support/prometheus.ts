import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/emulators.ts';

/**
 * A throwaway Prometheus 2.x (Debian's `prometheus` package) for integration tests: it scrapes itself every
 * second on a free loopback port and remote-writes to the given URL with `Authorization: Bearer <key>`; data in a
 * temp dir. (Debian's 2.42 build does not send `remote_write.headers`: its patch removing OpenTelemetry also
 * drops the transport that injects them; `authorization` goes through the HTTP client config and is sent.)
 */

/** Where the Debian package puts the server; override with SEISMO_PROMETHEUS. */
export const PROMETHEUS_PATH = process.env.SEISMO_PROMETHEUS ?? '/usr/bin/prometheus';

/** True when the Prometheus tests can run (or must: SEISMO_REQUIRE_PROMETHEUS, as CI sets); says why not. */
export function prometheusTestsEnabled(): boolean {
  if (existsSync(PROMETHEUS_PATH) || process.env.SEISMO_REQUIRE_PROMETHEUS) return true;
  process.stderr.write(
    `Prometheus integration tests skipped: no ${PROMETHEUS_PATH}. Run .ci/install-servers.sh (Debian package prometheus) to include them.\n`,
  );
  return false;
}

/** A running Prometheus: its port and how to stop it and remove its files. */
export interface PrometheusTestServer {
  readonly port: number;
  /** The tail of its log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping itself and remote-writing to `remoteWriteUrl`. */
export async function startPrometheus(remoteWriteUrl: string, bearer: string): Promise<PrometheusTestServer> {
  if (!existsSync(PROMETHEUS_PATH))
    throw new Error(`prometheus not found at ${PROMETHEUS_PATH}: run .ci/install-servers.sh`);
  const dir = await mkdtemp(join(tmpdir(), 'seismo-prometheus-'));
  const port = await freePort();
  await writeFile(
    join(dir, 'prometheus.yml'),
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:${port}']
remote_write:
  - url: ${JSON.stringify(remoteWriteUrl)}
    authorization:
      credentials: ${JSON.stringify(bearer)}
    queue_config:
      batch_send_deadline: 1s
      max_samples_per_send: 500
      min_backoff: 100ms
      max_backoff: 1s
`,
  );
  const child: ChildProcess = spawn(
    PROMETHEUS_PATH,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
