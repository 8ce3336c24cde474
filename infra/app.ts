import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig, SeismoConfigError } from './config.ts';
import { SeismoStack } from './seismo-stack.ts';

const app = new App();
try {
  const config = loadConfig(app.node);
  const stack = new SeismoStack(app, `seismo-${config.stage}`, {
    config,
    description: `Seismo real-time anomaly detection (${config.stage})`,
  });
  Tags.of(stack).add('project', 'seismo');
  Tags.of(stack).add('stage', config.stage);
  // cdk-nag 3 is a policy-validation plugin: unacknowledged findings fail the synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  // A configuration mistake is the operator's to fix, not a crash: its problems once, no stack trace.
  if (!(error instanceof SeismoConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
