import type { IngestionConfig, SeismoConfig } from './config.ts';

/**
 * The translator's mapping and cardinality settings as the environment variables it reads at load
 * (functions/translate/translate-config.ts): MAPPING_RULES, ALLOW_LISTS and SERIES_CAPS. Tenants are API key
 * ids, which exist only once deployed, so the caller passes how to name a producer's key (a CloudFormation
 * token in the stack, a stand-in when only the size matters). Variables with nothing to say are left out.
 */
export function translatorMappingEnvironment(
  config: Pick<SeismoConfig, 'mappingRules'> & { readonly ingestion: IngestionConfig },
  keyIdOf: (producer: string) => string,
): Record<string, string> {
  const { ingestion, mappingRules } = config;
  const allowLists = Object.fromEntries([
    ...(ingestion.allowList ? [['*', ingestion.allowList]] : []),
    ...ingestion.producers.filter((p) => p.allowList).map((p) => [keyIdOf(p.name), p.allowList]),
  ]);
  const seriesCaps = Object.fromEntries(
    ingestion.producers.filter((p) => p.seriesCap !== undefined).map((p) => [keyIdOf(p.name), p.seriesCap]),
  );
  return {
    ...(mappingRules ? { MAPPING_RULES: JSON.stringify(mappingRules) } : {}),
    ...(Object.keys(allowLists).length > 0 ? { ALLOW_LISTS: JSON.stringify(allowLists) } : {}),
    ...(Object.keys(seriesCaps).length > 0 ? { SERIES_CAPS: JSON.stringify(seriesCaps) } : {}),
  };
}

/** An API Gateway key id is 10 characters; the size check measures with one that long. */
export const API_KEY_ID_STAND_IN = 'k000000000';

/**
 * Bytes the mapping settings may take of the translator's environment: Lambda allows 4 KB for all its variables
 * together, and the function's own (names, ARNs, Powertools, Node options) take under 1 KB.
 */
export const MAX_MAPPING_ENV_BYTES = 3_072;
