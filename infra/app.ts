import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from './config.ts';
import { SeismoStack } from './seismo-stack.ts';

const app = new App();
const config = loadConfig(app.node);
const stack = new SeismoStack(app, `seismo-${config.stage}`, {
  config,
  description: `Seismo real-time anomaly detection (${config.stage})`,
});
Tags.of(stack).add('project', 'seismo');
Tags.of(stack).add('stage', config.stage);
// cdk-nag 3 is a policy-validation plugin: unacknowledged findings fail the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
