import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from './support.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** Runs infra/app.ts as the CDK CLI does: the merged context (cdk.json plus `-c` overrides) in CDK_CONTEXT_JSON. */
function runApp(overrides: Record<string, unknown>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...overrides }),
      CDK_OUTDIR: '/nonexistent-never-written',
    },
    timeout: 60_000,
  });
}

describe('infra/app.ts with a bad configuration', () => {
  it('prints each problem once on stderr, without a stack trace, and exits 1', () => {
    // Act
    const result = runApp({ batchSize: '0', batchsize: '100' });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'Invalid Seismo configuration (CDK context):',
        '  - unknown context key "batchsize": did you mean "batchSize"?',
        '  - batchSize must be an integer from 1 to 10000 (got "0")',
        '',
      ].join('\n'),
    );
  });
});
