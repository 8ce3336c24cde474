import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildOnnxRuntimeLayer,
  FIXED_MTIME,
  type LayerBuildResult,
  listFilesSorted,
} from '../../layers/onnxruntime/build-layer.ts';

const work = mkdtempSync(path.join(tmpdir(), 'seismo-layer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const repoModelDir = path.resolve('models/default');

/** A model folder of our own, so the test does not depend on whether the shipped model exists yet. */
function modelFixture(name: string, onnxBytes: string): string {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), onnxBytes);
  writeFileSync(path.join(dir, 'model.json'), '{"name":"fixture"}\n');
  return dir;
}

/** Path → sha256 of every file in a built layer, computed independently of the build's own manifest. */
function contentHashes(r: LayerBuildResult): Record<string, string> {
  return Object.fromEntries(
    listFilesSorted(r.contentDir).map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(path.join(r.contentDir, f)))
        .digest('hex'),
    ]),
  );
}

describe('buildOnnxRuntimeLayer', () => {
  const modelDir = modelFixture('model-a', 'not really onnx');
  const first = buildOnnxRuntimeLayer({ outDir: path.join(work, 'a'), modelDir });
  const second = buildOnnxRuntimeLayer({ outDir: path.join(work, 'b'), modelDir });

  it('is deterministic: two builds have the same files, contents, mtimes and asset hash', () => {
    // Act
    const a = contentHashes(first);
    const b = contentHashes(second);

    // Assess
    expect(Object.keys(a).length).toBeGreaterThan(10);
    expect(b).toEqual(a);
    expect(second.assetHash).toBe(first.assetHash);
    for (const f of Object.keys(a)) {
      expect(statSync(path.join(first.contentDir, f)).mtime).toEqual(FIXED_MTIME);
    }
  });

  it('keeps only the linux arm64 binaries and no AWS SDK', () => {
    // Act
    const files = Object.keys(contentHashes(first));

    // Assess
    const binaries = files.filter((f) => f.includes('/bin/'));
    expect(binaries.some((f) => f.endsWith('linux/arm64/onnxruntime_binding.node'))).toBe(true);
    expect(binaries.some((f) => f.endsWith('linux/arm64/libonnxruntime.so.1'))).toBe(true);
    expect(binaries.every((f) => /\/bin\/napi-v\d+\/linux\/arm64\//.test(f))).toBe(true);
    expect(files.filter((f) => /x64|darwin|win32|@aws-sdk/.test(f))).toEqual([]);
  });

  it('lays out node modules and the model where Lambda finds them (/opt/nodejs/node_modules, /opt/models/default)', () => {
    // Act
    const files = Object.keys(contentHashes(first));

    // Assess
    expect(files).toContain('nodejs/node_modules/onnxruntime-node/package.json');
    expect(files).toContain('nodejs/node_modules/onnxruntime-common/package.json');
    expect(files).toContain('models/default/model.onnx');
    expect(files).toContain('models/default/model.json');
    expect(first.modelIncluded).toBe(true);
    expect(first.unzippedBytes).toBeLessThan(60 * 1024 * 1024);
    expect(first.zippedBytes).toBeLessThan(first.unzippedBytes);
  });

  it('reuses an up-to-date build and rebuilds when an input changes', () => {
    // Prepare
    const outDir = path.join(work, 'c');
    const changingModel = modelFixture('model-c', 'version 1');
    const built = buildOnnxRuntimeLayer({ outDir, modelDir: changingModel });

    // Act
    const reused = buildOnnxRuntimeLayer({ outDir, modelDir: changingModel });
    writeFileSync(path.join(changingModel, 'model.onnx'), 'version 2');
    const rebuilt = buildOnnxRuntimeLayer({ outDir, modelDir: changingModel });

    // Assess
    expect(built.rebuilt).toBe(true);
    expect(reused.rebuilt).toBe(false);
    expect(reused.assetHash).toBe(built.assetHash);
    expect(rebuilt.rebuilt).toBe(true);
    expect(rebuilt.assetHash).not.toBe(built.assetHash);
    expect(readFileSync(path.join(outDir, 'layer/models/default/model.onnx'), 'utf8')).toBe('version 2');
  });

  it('ships without a model when none exists yet, and refuses a model without its card', () => {
    // Prepare
    const empty = path.join(work, 'no-model');
    const halfModel = path.join(work, 'half-model');
    mkdirSync(halfModel, { recursive: true });
    writeFileSync(path.join(halfModel, 'model.onnx'), 'x');

    // Act
    const withoutModel = buildOnnxRuntimeLayer({ outDir: path.join(work, 'd'), modelDir: empty });
    const act = () => buildOnnxRuntimeLayer({ outDir: path.join(work, 'e'), modelDir: halfModel });

    // Assess
    expect(withoutModel.modelIncluded).toBe(false);
    expect(listFilesSorted(withoutModel.contentDir).some((f) => f.startsWith('models/'))).toBe(false);
    expect(act).toThrow(/but not model\.json/);
  });

  it('copies the model files byte for byte', () => {
    // Prepare
    const dir = modelFixture('model-bytes', '');
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    writeFileSync(path.join(dir, 'model.onnx'), bytes);

    // Act
    const r = buildOnnxRuntimeLayer({ outDir: path.join(work, 'f'), modelDir: dir });

    // Assess
    expect(readFileSync(path.join(r.contentDir, 'models/default/model.onnx')).equals(bytes)).toBe(true);
  });

  it.runIf(process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64'))(
    'is loadable: built for this machine, the trimmed package scores a model in a plain Node process',
    () => {
      // Prepare: with the shipped model, score two rows; before the model lands, loading the binding is the check.
      const arch = process.arch as 'x64' | 'arm64';
      const r = buildOnnxRuntimeLayer({ outDir: path.join(work, 'local'), arch, modelDir: repoModelDir });
      const script = [
        "const ort = require('onnxruntime-node');",
        "const fs = require('node:fs');",
        `const dir = ${JSON.stringify(path.join(r.contentDir, 'models/default'))};`,
        "if (!fs.existsSync(dir + '/model.onnx')) { console.log(typeof ort.InferenceSession.create); process.exit(0); }",
        "const card = JSON.parse(fs.readFileSync(dir + '/model.json', 'utf8'));",
        'const f = card.input.shape[1];',
        "ort.InferenceSession.create(dir + '/model.onnx').then((s) => s.run({ features: new ort.Tensor('float32', new Float32Array(2 * f), [2, f]) }))",
        '  .then((out) => console.log(JSON.stringify(out.score.dims)));',
      ].join('\n');

      // Act: NODE_PATH stands in for Lambda's /opt/nodejs/node_modules; the cwd has no node_modules of its own.
      const output = execFileSync(process.execPath, ['-e', script], {
        cwd: work,
        env: { ...process.env, NODE_PATH: path.join(r.contentDir, 'nodejs/node_modules') },
        encoding: 'utf8',
      }).trim();

      // Assess
      expect(['[2,1]', 'function']).toContain(output);
      expect(
        listFilesSorted(r.contentDir).filter((f) => f.includes('/bin/') && !f.includes(`/linux/${arch}/`)),
      ).toEqual([]);
    },
  );
});
