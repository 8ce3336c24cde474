/**
 * Times the detector's cold start on a synthesized bundle: `import` of the bundle (module evaluation, SDK
 * clients' modules) and the first `detectHandler()` build (configuration, SDK clients, model load), the way a
 * Lambda init phase does it, with dummy credentials and no network. Run with Node 22 directly (type
 * stripping), not through tsx, so only the bundle's own work is timed:
 *
 *     npx cdk synth --quiet && node bench/init-harness.ts [cdk.out | BUNDLE_DIR] [timestream|influxdb]
 *
 * onnxruntime-node resolves from the repository's node_modules (as the layer provides it in Lambda), wherever
 * the bundle lies; the model comes from models/default. Prints
 * one JSON line: milliseconds for import and build, and the resident set size afterwards.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [target = 'cdk.out', backend = 'timestream'] = process.argv.slice(2);
const repo = path.resolve(import.meta.dirname, '..');

/** The detector's bundle directory: `target` itself, or found in a cloud assembly through its template. */
function bundleDirOf(dir: string): string {
  if (existsSync(path.join(dir, 'index.mjs'))) return dir;
  const templates = readdirSync(dir).filter((f) => f.endsWith('.template.json'));
  for (const file of templates) {
    const template = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties?: { Description?: string }; Metadata?: Record<string, string> }
      >;
    };
    for (const resource of Object.values(template.Resources)) {
      const asset = resource.Metadata?.['aws:asset:path'];
      if (
        resource.Type === 'AWS::Lambda::Function' &&
        asset &&
        resource.Properties?.Description?.startsWith('Seismo detector')
      ) {
        return path.join(dir, asset);
      }
    }
  }
  // Without asset metadata (an App outside the CDK CLI): the one bundle that is the detector's.
  const bundles = readdirSync(dir)
    .map((d) => path.join(dir, d))
    .filter((d) => existsSync(path.join(d, 'index.mjs')))
    // Its Powertools clients are named for it; other bundles may only mention the name (metric dimensions).
    .filter((d) => readFileSync(path.join(d, 'index.mjs'), 'utf8').includes('serviceName:"seismo-detect"'));
  if (bundles.length === 1) return bundles[0] as string;
  process.stderr.write(
    `usage: node bench/init-harness.ts [BUNDLE_DIR | CDK_OUT] [timestream|influxdb]\n(no detector bundle in ${dir}: run npx cdk synth first)\n`,
  );
  process.exit(2);
}
const bundleDir = bundleDirOf(target);

// onnxruntime-node is external to the bundle (in Lambda the layer provides it): resolve it from this
// repository's node_modules, wherever the bundle lies, as the layer's /opt/nodejs/node_modules would.
const parentURL = JSON.stringify(pathToFileURL(path.join(repo, 'package.json')).href);
register(
  `data:text/javascript,${encodeURIComponent(
    `export async function resolve(specifier, context, next) {
      const ort = specifier === 'onnxruntime-node' || specifier.startsWith('onnxruntime-node/');
      return next(specifier, ort ? { ...context, parentURL: ${parentURL} } : context);
    }`,
  )}`,
);

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
