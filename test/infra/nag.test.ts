import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { SeismoStack } from '../../infra/seismo-stack.ts';
import { cdkJsonContext, INFLUX_CONTEXT, synthSeismo, testApp } from './support.ts';

/** Every AwsSolutions finding left after acknowledgements, as "rule at construct path". */
function unacknowledged(app: App): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  it.each([
    ['Timestream, on-demand stream', {}],
    ['Timestream for InfluxDB provisioned by the stack', { timeseriesBackend: 'timestream-influxdb' }],
    [
      'Timestream for InfluxDB, Multi-AZ, prod',
      {
        timeseriesBackend: 'timestream-influxdb',
        influxInstance: { type: 'db.influx.xlarge' },
        stage: 'prod',
      },
    ],
    [
      'InfluxDB, provisioned stream, model from S3, prod',
      {
        ...INFLUX_CONTEXT,
        streamMode: 'PROVISIONED',
        shardCount: 2,
        modelS3Uri: 's3://models/seismo/',
        stage: 'prod',
      },
    ],
  ])('finds nothing unacknowledged with %s', (_name, context) => {
    // Prepare
    const { app, stack } = synthSeismo(context);

    // Act
    const findings = unacknowledged(app);

    // Assess
    expect(findings).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual(
      [],
    );
  });

  it.each([
    ['an action that can be scoped', ['s3:GetObject']],
    ['X-Ray beside an action that can be scoped', ['xray:PutTraceSegments', 's3:GetObject']],
  ])(
    'reports a "*" grant of %s: the Resource::* acknowledgement covers resource-less statements only',
    (_what, actions) => {
      // Prepare
      const app = testApp();
      const stack = new SeismoStack(app, 'seismo-dev', { config: loadConfig(app.node) });
      stack.detection.fn.addToRolePolicy(new PolicyStatement({ actions, resources: ['*'] }));

      // Act
      const findings = unacknowledged(app);

      // Assess
      expect(findings).toEqual([
        'AwsSolutions-IAM5[Resource::*] at seismo-dev/detection/detect-role/DefaultPolicy/Resource',
      ]);
    },
  );

  it('reports a resource that breaks a rule (the check can fail)', () => {
    // Prepare
    const { app, stack } = synthSeismo();
    new Queue(stack, 'unencrypted-queue');

    // Act
    const findings = unacknowledged(app);

    // Assess
    expect(findings).toContain('AwsSolutions-SQS4 at seismo-dev/unencrypted-queue/Resource');
  });
});

describe('cdk synth', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'seismo-synth-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  // Eleven bundles and a cold start: about 50 s alone, well over 60 s on a shared two-core machine.
  it('bundles every function as ESM and passes cdk-nag and CloudFormation validation', () => {
    // Prepare: as `npx cdk synth` does it, with bundling and every validation on.
    const app = new App({ context: cdkJsonContext(), outdir });
    const stack = new SeismoStack(app, 'seismo-dev', { config: loadConfig(app.node) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    const assembly = app.synth();

    // Assess
    const errors = Annotations.fromStack(stack).findError('*', Match.anyValue());
    expect(errors).toEqual([]);
    expect(assembly.getStackByName('seismo-dev').templateFile).toBe('seismo-dev.template.json');
    const bundles = readdirSync(outdir)
      .filter((d) => d.startsWith('asset.') && existsSync(path.join(outdir, d, 'index.mjs')))
      .map((d) => readFileSync(path.join(outdir, d, 'index.mjs'), 'utf8'));
    // The detector, the translator, the retraining steps and trigger, and alert delivery's router, escalator,
    // ack handler and four senders.
    expect(bundles).toHaveLength(11);
    for (const bundle of bundles) {
      expect(bundle.startsWith("import { createRequire as __seismoCreateRequire } from 'node:module';")).toBe(
        true,
      );
      expect(bundle).toMatch(/sourceMappingURL=index\.mjs\.map/);
      expect(bundle).not.toMatch(/onnxruntime_binding/);
    }
    // The routing config travels inside the router's, escalator's and ack handler's code, validated at synth.
    expect(bundles.filter((b) => b.includes('payments-oncall'))).toHaveLength(3);
    // The translator carries its protobuf descriptors: no .proto file is read at run time.
    expect(bundles.some((b) => b.includes('ExportMetricsServiceRequest') && b.includes('WriteRequest'))).toBe(
      true,
    );
    // The SDK is bundled at the versions the tests ran, not left to the runtime's copy.
    for (const bundle of bundles) expect(bundle).not.toMatch(/(?:from\s*|import\s*\(\s*)["']@aws-sdk\//);
    const detector = bundles.find((b) => b.includes('serviceName:"seismo-detect"')) ?? '';
    for (const client of ['client-dynamodb', 'client-sns', 'client-sqs']) {
      const { version } = JSON.parse(
        readFileSync(new URL(`../../node_modules/@aws-sdk/${client}/package.json`, import.meta.url), 'utf8'),
      ) as { version: string };
      expect(detector).toContain(`name:"@aws-sdk/${client}",version:"${version}"`);
    }

    // The cold-start harness (docs/deploy.md) finds the detector's bundle and builds the handler from it.
    const init = spawnSync(process.execPath, ['bench/init-harness.ts', outdir], { encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
    const figures = JSON.parse(init.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    expect(figures.initMs).toBeGreaterThan(0);
  }, 240_000);
});
