import { readFile } from 'node:fs/promises';
import {
  type DetectionSettings,
  DetectionSettingsError,
  parseDetectionSettings,
  SENSITIVITIES,
  type Sensitivity,
} from '../core/sensitivity.ts';
import { CliError } from './command.ts';

/**
 * Detection settings from the command line: `--settings FILE` (JSON, the same shape as the deploy config's
 * `detectionSettings`) and `--sensitivity LEVEL`, which wins over the file's own sensitivity.
 */
export async function detectionSettingsOf(options: {
  readonly settingsFile?: string | undefined;
  readonly sensitivity?: string | undefined;
}): Promise<DetectionSettings | undefined> {
  let settings: Record<string, unknown> | undefined;
  if (options.settingsFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.settingsFile, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read --settings ${options.settingsFile}: ${(error as Error).message}`);
    }
    try {
      settings = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new CliError(`--settings ${options.settingsFile} is not JSON: ${(error as Error).message}`);
    }
  }
  if (options.sensitivity !== undefined) {
    if (!(options.sensitivity in SENSITIVITIES)) {
      throw new CliError(`--sensitivity must be low, medium or high, got "${options.sensitivity}"`, 2);
    }
    settings = { ...settings, sensitivity: options.sensitivity as Sensitivity };
  }
  if (settings === undefined) return undefined;
  try {
    return parseDetectionSettings(settings);
  } catch (error) {
    if (error instanceof DetectionSettingsError) {
      throw new CliError(`${options.settingsFile ?? '--sensitivity'}: ${error.problems.join('; ')}`);
    }
    throw error;
  }
}

/** The usage lines of the two options. */
export const SETTINGS_USAGE = `  --sensitivity LEVEL  low, medium (default) or high: how readily episodes open
  --settings FILE      detection settings (JSON): sensitivity, openAbove, stayAbove, calmPoints and
                       per-series overrides (see the README's "Sensitivity")`;
