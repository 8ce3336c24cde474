// Builds the `seismo/producer` entry point (package.json "exports") into dist/: an ESM bundle of the library's
// own code (its dependencies stay imports, resolved from the installing project's node_modules) and its type
// declarations. Runs as the `prepare` script, so a project that installs Seismo from git gets it built.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });

await build({
  entryPoints: [join(root, 'producer/index.ts')],
  outfile: join(root, 'dist/producer/index.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  // The oldest Node the package supports (package.json engines).
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

// Declarations: tsc keeps the source's `.ts` specifiers; a consumer resolves `.js` ones to the `.d.ts` files.
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.producer.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
const types = join(root, 'dist/types');
for (const entry of readdirSync(types, { recursive: true })) {
  const file = join(types, String(entry));
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/(from\s+'\.{1,2}\/[^']+)\.ts'/g, "$1.js'"));
}
