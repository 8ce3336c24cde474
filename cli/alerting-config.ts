import { access } from 'node:fs/promises';
import type { AlertingConfig } from '../core/alerting/config.ts';
import { AlertingConfigError } from '../core/alerting/config.ts';
import { EXAMPLE_CONFIG_PATH, loadAlertingConfig } from '../core/alerting/config-loader.ts';
import { CliError, type CliIo } from './command.ts';

/** Where the routing config is looked for when `--config` is not given. */
export const DEFAULT_ALERTING_CONFIG = 'config/alerting.yaml';

/** A loaded config and the path it came from. */
export interface LoadedConfig {
  readonly config: AlertingConfig;
  readonly path: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the routing config: `--config FILE`, else `$SEISMO_ALERTING_CONFIG`, else `config/alerting.yaml`, else
 * the shipped example (saying so on stderr). An invalid config is a CliError (exit 1) listing every problem.
 */
export async function loadCliConfig(flag: string | undefined, io: CliIo): Promise<LoadedConfig> {
  let path = flag ?? process.env.SEISMO_ALERTING_CONFIG;
  if (path === undefined) {
    if (await exists(DEFAULT_ALERTING_CONFIG)) path = DEFAULT_ALERTING_CONFIG;
    else {
      path = EXAMPLE_CONFIG_PATH;
      io.stderr.write(
        `no ${DEFAULT_ALERTING_CONFIG}: using the example ${EXAMPLE_CONFIG_PATH} (copy it, or pass --config FILE)\n`,
      );
    }
  }
  try {
    return { config: await loadAlertingConfig(path), path };
  } catch (error) {
    if (error instanceof AlertingConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** Text from events (series names, dimension values) quoted for a terminal: escapes, no control characters. */
export function quoted(text: string): string {
  return JSON.stringify(text);
}
