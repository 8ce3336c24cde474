import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type AlertingConfig, AlertingConfigError } from '../core/alerting/config.ts';
import { parseAlertingConfigText } from '../core/alerting/config-loader.ts';
import { SeismoConfigError } from './config.ts';

/** The routing config a stack deploys: where it came from, its text (bundled into the functions) and its meaning. */
export interface DeployedAlertingConfig {
  readonly path: string;
  readonly text: string;
  readonly config: AlertingConfig;
}

/**
 * Reads and validates the routing config named by the `alertingConfig` context key (relative to the
 * directory `cdk` runs in), so an invalid config stops `cdk synth` with every problem, its path in the file
 * and the rule, e.g. `alertingConfig config/alerting.yaml: route.routes[0].receivers[1]: unknown receiver "x"`.
 */
export function loadDeployedAlertingConfig(path: string, cwd = process.cwd()): DeployedAlertingConfig {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new SeismoConfigError([`alertingConfig: cannot read ${path}: ${(error as Error).message}`]);
  }
  try {
    return { path, text, config: parseAlertingConfigText(text, path) };
  } catch (error) {
    if (!(error instanceof AlertingConfigError)) throw error;
    throw new SeismoConfigError(
      error.issues.map((i) => `alertingConfig ${path}: ${i.path ? `${i.path}: ` : ''}${i.message}`),
    );
  }
}
