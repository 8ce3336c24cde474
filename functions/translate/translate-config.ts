import { type MappingRules, parseMappingRules } from '../../core/ingest/mapping-rules.ts';
import type { AllowList } from '../../core/ingest/to-events.ts';

/** The translate function's configuration, from its environment. */
export interface TranslateConfig {
  readonly streamName: string;
  readonly seriesTable: string;
  /** Distinct series a tenant may have unless `seriesCaps` says otherwise. */
  readonly seriesCap: number;
  readonly seriesCaps: Readonly<Record<string, number>>;
  readonly rules: MappingRules;
  /** Allow-lists by tenant; `*` applies to tenants without their own. */
  readonly allowLists: Readonly<Record<string, AllowList>>;
  /** The Secrets Manager secret holding the Firehose access key; the Firehose route is closed without it. */
  readonly firehoseAccessKeySecretArn?: string;
}

/** Thrown for a missing or invalid environment variable; names it and the rule. */
export class TranslateConfigError extends Error {
  override readonly name = 'TranslateConfigError';
}

/** Series a tenant may have by default: a few Prometheus servers' worth. */
export const DEFAULT_SERIES_CAP = 10_000;

/**
 * Reads the configuration once, at load: STREAM_NAME and SERIES_TABLE are required; SERIES_CAP (a whole
 * number), SERIES_CAPS and ALLOW_LISTS (JSON objects by tenant), MAPPING_RULES (JSON, see
 * core/ingest/mapping-rules.ts) and FIREHOSE_ACCESS_KEY_SECRET_ARN are optional.
 */
export function readTranslateConfig(env: NodeJS.ProcessEnv = process.env): TranslateConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '')
      throw new TranslateConfigError(`environment variable ${name} is required`);
    return value;
  };
  const jsonObject = (name: string): Record<string, unknown> => {
    const text = env[name];
    if (text === undefined || text === '') return {};
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw new TranslateConfigError(`environment variable ${name} must be a JSON object`);
  };
  const capText = env.SERIES_CAP;
  const seriesCap = capText === undefined || capText === '' ? DEFAULT_SERIES_CAP : Number(capText);
  if (!Number.isInteger(seriesCap) || seriesCap < 1) {
    throw new TranslateConfigError(
      `environment variable SERIES_CAP must be a whole number >= 1, got "${capText}"`,
    );
  }
  const seriesCaps = jsonObject('SERIES_CAPS');
  for (const [tenant, cap] of Object.entries(seriesCaps)) {
    if (!Number.isInteger(cap) || (cap as number) < 0) {
      throw new TranslateConfigError(`SERIES_CAPS.${tenant} must be a whole number >= 0`);
    }
  }
  return {
    streamName: required('STREAM_NAME'),
    seriesTable: required('SERIES_TABLE'),
    seriesCap,
    seriesCaps: seriesCaps as Record<string, number>,
    rules: parseMappingRules(jsonObject('MAPPING_RULES')),
    allowLists: jsonObject('ALLOW_LISTS') as Record<string, AllowList>,
    ...(env.FIREHOSE_ACCESS_KEY_SECRET_ARN
      ? { firehoseAccessKeySecretArn: env.FIREHOSE_ACCESS_KEY_SECRET_ARN }
      : {}),
  };
}

/** The allow-list of a tenant: its own, else the `*` one, else none. */
export function allowListOf(
  config: Pick<TranslateConfig, 'allowLists'>,
  tenant: string,
): AllowList | undefined {
  return config.allowLists[tenant] ?? config.allowLists['*'];
}
