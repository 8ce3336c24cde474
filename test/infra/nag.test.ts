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
    // The detector, and alert delivery's router, escalator, ack handler and four senders.
    expect(bundles).toHaveLength(8);
    for (const bundle of bundles) {
      expect(bundle.startsWith("import { createRequire as __seismoCreateRequire } from 'node:module';")).toBe(
        true,
      );
      expect(bundle).toMatch(/sourceMappingURL=index\.mjs\.map/);
      expect(bundle).not.toMatch(/onnxruntime_binding/);
    }
    // The routing config travels inside the router's, escalator's and ack handler's code, validated at synth.
    expect(bundles.filter((b) => b.includes('payments-oncall'))).toHaveLength(3);
  });
});
