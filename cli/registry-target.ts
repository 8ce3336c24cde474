import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { localRegistry, s3Registry } from '../adapters/model-registry.ts';
import type { ModelRegistry } from '../core/learning/registry.ts';
import { LOCAL_LEARNING_DIR } from '../local/retrain.ts';
import { type OptionSpecs, UsageError } from './command.ts';

/** Options naming a registry: the deployed stack's bucket and table, or the local one. */
export const REGISTRY_OPTIONS = {
  bucket: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean', default: false },
  dir: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

/** Help lines for {@link REGISTRY_OPTIONS}. */
export const REGISTRY_OPTIONS_USAGE = `Registry (the deployed stack's, or the local stack's):
  --bucket NAME   learning bucket (stack output learning-bucket; env SEISMO_LEARNING_BUCKET)
  --table NAME    registry table (stack output registry-table; env SEISMO_REGISTRY_TABLE)
  --region NAME   AWS region (default: AWS_REGION or the SDK's)
  --local         the local stack's registry in .seismo/ (the default without --bucket and --table)
  --dir DIR       another local learning directory (implies --local)
`;

/** The registry the flags (or environment) name, and how to name it in messages. */
export function resolveRegistry(values: {
  readonly bucket?: string;
  readonly table?: string;
  readonly region?: string;
  readonly local?: boolean;
  readonly dir?: string;
}): { registry: ModelRegistry; description: string } {
  const bucket =
    values.bucket ?? (values.local || values.dir ? undefined : process.env.SEISMO_LEARNING_BUCKET);
  const table = values.table ?? (values.local || values.dir ? undefined : process.env.SEISMO_REGISTRY_TABLE);
  if ((values.local || values.dir) && (values.bucket || values.table)) {
    throw new UsageError(
      '--local/--dir and --bucket/--table name different registries: give one or the other',
    );
  }
  if ((bucket === undefined) !== (table === undefined)) {
    throw new UsageError(
      'the deployed registry needs both --bucket NAME and --table NAME (stack outputs learning-bucket and registry-table)',
    );
  }
  if (bucket !== undefined && table !== undefined) {
    const region = values.region ?? process.env.AWS_REGION;
    const config = region ? { region } : {};
    return {
      registry: s3Registry({ s3: new S3Client(config), dynamodb: new DynamoDBClient(config), bucket, table }),
      description: `s3://${bucket} and table ${table}`,
    };
  }
  const dir = values.dir ?? LOCAL_LEARNING_DIR;
  return { registry: localRegistry(dir), description: `the local registry in ${dir}` };
}
