import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startKinesisMock } from '../../local/emulators.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE_MODULES = join(ROOT, 'node_modules');

/**
 * The package as another project gets it: `npm pack` runs `prepare` (as a git install does) and packs what
 * `files` lists; the tarball is unpacked into a consumer's node_modules beside Seismo's dependencies.
 */
describe('the seismo/producer export, from a packed tarball', () => {
  let consumer: string;
  let files: string[];
  let kinesis: Emulator;

  beforeAll(async () => {
    consumer = await mkdtemp(join(tmpdir(), 'seismo-consumer-'));
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', consumer], {
        cwd: ROOT,
        encoding: 'utf8',
      }),
    ) as { filename: string; files: { path: string }[] }[];
    files = packed[0]?.files.map((f) => f.path) ?? [];
    const modules = join(consumer, 'node_modules');
    await mkdir(join(modules, 'seismo'), { recursive: true });
    execFileSync('tar', [
      '-xzf',
      join(consumer, packed[0]?.filename ?? ''),
      '-C',
      join(modules, 'seismo'),
      '--strip-components=1',
    ]);
    for (const name of await readdir(NODE_MODULES)) {
      if (name !== '.bin' && name !== 'seismo') await symlink(join(NODE_MODULES, name), join(modules, name));
    }
    await writeFile(join(consumer, 'package.json'), '{"name":"consumer","private":true,"type":"module"}\n');
    kinesis = await startKinesisMock();
  }, 120_000);

  afterAll(async () => {
    await kinesis?.stop();
    if (consumer) await rm(consumer, { recursive: true, force: true });
  });

  it('packs the built library and its declarations, not the sources or the tests', () => {
    // Assess
    expect(files).toContain('dist/producer/index.js');
    expect(files).toContain('dist/types/producer/index.d.ts');
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('third_party/'))).toEqual([]);
  });

  it('imports as seismo/producer in plain Node and sends to a stream; other paths are not exported', async () => {
    // Prepare: a consumer script, run by node itself (no tsx), creating its stream and sending three events.
    const script = `
      import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
      import { NodeHttpHandler } from '@smithy/node-http-handler';
      import { SeismoProducer } from 'seismo/producer';
      const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
      const client = new KinesisClient({ endpoint: '${kinesis.endpoint}', region: 'us-east-1', credentials, requestHandler: new NodeHttpHandler() });
      await client.send(new CreateStreamCommand({ StreamName: 'consumer', ShardCount: 1 }));
      await new Promise((r) => setTimeout(r, 1500));
      const producer = new SeismoProducer({ streamName: 'consumer', client });
      const now = Date.now();
      const report = await producer.send([
        { series: 'a', timestamp: now, value: 1 },
        { series: 'b', timestamp: now, values: { x: 2 } },
        { series: 'a', timestamp: now / 1000, value: 3 },
      ]);
      let exported = 'yes';
      try { await import('seismo/cli/main.ts'); } catch (e) { exported = e.code; }
      console.log(JSON.stringify({ sent: report.sent, invalid: report.invalid.map((i) => i.index), exported }));
      client.destroy();
    `;
    await writeFile(join(consumer, 'send.mjs'), script);

    // Act
    const out = execFileSync(process.execPath, ['send.mjs'], { cwd: consumer, encoding: 'utf8' });

    // Assess
    expect(JSON.parse(out)).toEqual({ sent: 2, invalid: [2], exported: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  });

  it('type-checks a TypeScript consumer against the declarations, and catches a misuse', async () => {
    // Prepare
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['good.ts', 'bad.ts'],
      }),
    );
    await writeFile(
      join(consumer, 'good.ts'),
      `import { SeismoProducer, type SendReport } from 'seismo/producer';
       const p = new SeismoProducer({ streamName: 's', region: 'eu-west-1', aggregate: true });
       export const r: Promise<SendReport> = p.send([{ series: 'x', timestamp: 1, value: 2 }]);\n`,
    );
    await writeFile(
      join(consumer, 'bad.ts'),
      `import { SeismoProducer } from 'seismo/producer';\nnew SeismoProducer({ stream: 's' });\n`,
    );
    const tsc = join(NODE_MODULES, 'typescript/bin/tsc');

    // Act
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', consumer], { cwd: consumer, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
    }

    // Assess: exactly one error, in bad.ts, about the unknown option.
    const errors = output.split('\n').filter((l) => l.includes('error TS'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^bad\.ts\(2,.*'stream' does not exist/);
  });
});
