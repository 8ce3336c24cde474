import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { type AlertingConfig, AlertingConfigError, parseAlertingConfig } from './config.ts';

/**
 * Reads the routing config file: the one module of core/alerting that touches the file system, so the rest
 * stays pure. YAML 1.2 (JSON is YAML too). Syntax errors carry their line and column.
 */

/** The example config shipped with the project, which the tests load. */
export const EXAMPLE_CONFIG_PATH = 'config/alerting.example.yaml';

/** Parses config text (YAML or JSON) and validates it; `source` names the file in errors. */
export function parseAlertingConfigText(text: string, source: string): AlertingConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new AlertingConfigError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return {
          path: pos ? `line ${pos.line}, column ${pos.col}` : '',
          message: e.message.split('\n')[0] ?? e.message,
        };
      }),
    );
  }
  return parseAlertingConfig(doc.toJS({ maxAliasCount: 100 }), source);
}

/** Reads and validates a config file; throws {@link AlertingConfigError} for an invalid one. */
export async function loadAlertingConfig(path: string): Promise<AlertingConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AlertingConfigError(path, [
      { path: '', message: `cannot read the file: ${(error as Error).message}` },
    ]);
  }
  return parseAlertingConfigText(text, path);
}
