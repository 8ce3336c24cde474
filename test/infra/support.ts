import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../infra/config.ts';
import { SeismoStack } from '../../infra/seismo-stack.ts';

/** The context `cdk synth` starts from: the defaults and feature flags in cdk.json. */
export const cdkJsonContext = (): Record<string, unknown> =>
  (
    JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
      context: Record<string, unknown>;
    }
  ).context;

/** Context that keeps unit tests fast: no esbuild bundling, no copying of assets into the cloud assembly. */
export const FAST_SYNTH_CONTEXT = {
  'aws:cdk:bundling-stacks': [],
  'aws:cdk:disable-asset-staging': true,
};

/**
 * An App with cdk.json's context, test-speed settings and the given overrides (as `-c key=value` would give).
 * The built-in CloudFormation validation (seconds to load) is off unless asked for; the synth test turns it on.
 */
export function testApp(overrides: Record<string, unknown> = {}, cfnValidation = false): App {
  return new App({
    context: { ...cdkJsonContext(), ...FAST_SYNTH_CONTEXT, ...overrides },
    builtinCloudFormationValidation: cfnValidation,
  });
}

/** Builds the Seismo stack the way infra/app.ts does, from cdk.json plus overrides, and returns its template. */
export function synthSeismo(overrides: Record<string, unknown> = {}): {
  app: App;
  stack: SeismoStack;
  template: Template;
} {
  const app = testApp(overrides);
  const config = loadConfig(app.node);
  const stack = new SeismoStack(app, `seismo-${config.stage}`, { config });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Context that switches the time-series backend to InfluxDB. */
export const INFLUX_CONTEXT = {
  timeseriesBackend: 'influxdb',
  influx: { url: 'https://influx.example.com:8086', org: 'acme', bucket: 'seismo' },
};

/**
 * The environment variables of one Lambda function in a template: the one whose logical id starts with
 * `logicalIdPrefix`, else the only one, else the detector in a whole stack (which has many); fails unless
 * exactly one matches.
 */
export function functionEnv(template: Template, logicalIdPrefix?: string): Record<string, unknown> {
  const all = Object.entries(template.findResources('AWS::Lambda::Function'));
  const fns = (
    logicalIdPrefix !== undefined
      ? all.filter(([id]) => id.startsWith(logicalIdPrefix))
      : all.length === 1
        ? all
        : all.filter(([, fn]) =>
            String((fn.Properties as { Description?: string }).Description).startsWith('Seismo detector'),
          )
  ).map(([, fn]) => fn);
  if (fns.length !== 1) throw new Error(`expected one (detector) function, found ${fns.length}`);
  const props = fns[0]?.Properties as { Environment?: { Variables?: Record<string, unknown> } } | undefined;
  return props?.Environment?.Variables ?? {};
}

/** Logical ids of the resources of `type` whose logical id starts with `prefix`. */
export function logicalIds(template: Template, type: string, prefix: string): string[] {
  return Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
}
