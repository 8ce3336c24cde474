/**
 * Times the detector's cold start on a synthesized bundle: `import` of the bundle (module evaluation, SDK
 * clients' modules) and the first `detectHandler()` build (configuration, SDK clients, model load), the way a
 * Lambda init phase does it, with dummy credentials and no network. Run with Node 22 directly (type
 * stripping), not through tsx, so only the bundle's own work is timed:
 *
 *     node bench/init-harness.ts BUNDLE_DIR [timestream|influxdb]
 *
 * onnxruntime-node resolves from the repository's node_modules (as the layer provides it in Lambda) when the
 * bundle directory is inside the repository (cdk.out/asset.*); the model comes from models/default. Prints
 * one JSON line: milliseconds for import and build, and the resident set size afterwards.
 */

import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [bundleDir, backend = 'timestream'] = process.argv.slice(2);
if (!bundleDir) {
  process.stderr.write('usage: node bench/init-harness.ts BUNDLE_DIR [timestream|influxdb]\n');
  process.exit(2);
}
const repo = path.resolve(import.meta.dirname, '..');

// What Lambda's environment and the stack would set; nothing here reaches the network during init.
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHDUMMY',
  AWS_SECRET_ACCESS_KEY: 'bench-dummy-secret',
  POWERTOOLS_SERVICE_NAME: 'seismo-detect',
  POWERTOOLS_METRICS_NAMESPACE: 'Seismo',
  POWERTOOLS_TRACE_ENABLED: 'false',
  STATE_TABLE: 'bench-state',
  PUBLISHED_TABLE: 'bench-published',
  ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench',
  MODEL_DIR: path.join(repo, 'models/default'),
  TIMESERIES_BACKEND: backend,
  ...(backend === 'timestream'
    ? { TIMESTREAM_DATABASE: 'bench', TIMESTREAM_TABLE: 'points' }
    : {
        INFLUX_URL: 'https://influx.bench.invalid:8086',
        INFLUX_ORG: 'bench',
        INFLUX_BUCKET: 'seismo',
        INFLUX_TOKEN: 'bench-token',
      }),
});

const t0 = performance.now();
const mod = (await import(pathToFileURL(path.resolve(bundleDir, 'index.mjs')).href)) as {
  detectHandler: () => Promise<unknown>;
};
const t1 = performance.now();
await mod.detectHandler();
const t2 = performance.now();
const round = (ms: number) => Math.round(ms * 10) / 10;
process.stdout.write(
  `${JSON.stringify({
    backend,
    importMs: round(t1 - t0),
    buildMs: round(t2 - t1),
    initMs: round(t2 - t0),
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  })}\n`,
);
