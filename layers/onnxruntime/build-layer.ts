import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';

/** Bumped whenever the layout or the file selection changes, so an old build is never taken for a new one. */
const LAYOUT_VERSION = 'seismo-onnxruntime-layer/1';
/** Every file and folder gets this mtime, so two builds of the same inputs are byte- and metadata-identical. */
export const FIXED_MTIME = new Date('2000-01-01T00:00:00.000Z');
const PACKAGES = ['onnxruntime-node', 'onnxruntime-common'] as const;
const MODEL_FILES = ['model.onnx', 'model.json'] as const;
/** The shipped model's drift reference (models/model-store.ts SCORE_REFERENCE_FILE). */
const OPTIONAL_MODEL_FILE = 'score-reference.json';
const LOCK_STALE_MS = 5 * 60_000;
const LOCK_TIMEOUT_MS = 3 * 60_000;

const projectRootDefault = fileURLToPath(new URL('../../', import.meta.url));

/** Options of {@link buildOnnxRuntimeLayer}; every path defaults to this repository's layout. */
export interface LayerBuildOptions {
  /** Where the build goes: the layer content in `<outDir>/layer`, the build manifest beside it. */
  readonly outDir?: string;
  /** Folder holding `node_modules/` (default: the repository root). */
  readonly projectRoot?: string;
  /** Folder of the shipped default model (default: `<projectRoot>/models/default`). */
  readonly modelDir?: string;
  /** Lambda architecture whose native binaries are kept (default `arm64`, the house default). */
  readonly arch?: 'arm64' | 'x64';
}

/** What a build produced; `assetHash` depends on file paths and contents only, so it is stable across machines. */
export interface LayerBuildResult {
  /** The directory to hand to `Code.fromAsset`: it holds `nodejs/node_modules/...` and `models/default/...`. */
  readonly contentDir: string;
  /** sha256 over the sorted (path, content hash) list of the layer's files. */
  readonly assetHash: string;
  readonly fileCount: number;
  readonly unzippedBytes: number;
  /** Deflated sizes (zlib level 6, as the CDK CLI's zip) plus zip headers: what the uploaded asset will weigh. */
  readonly zippedBytes: number;
  /** Whether the shipped default model was found and packed. */
  readonly modelIncluded: boolean;
  /** False when an existing build already matched the inputs and was reused. */
  readonly rebuilt: boolean;
}

interface PlannedFile {
  readonly src: string;
  readonly dest: string;
  readonly size: number;
  readonly sha256: string;
}

interface Manifest {
  readonly layout: string;
  readonly assetHash: string;
  readonly files: readonly { readonly path: string; readonly size: number; readonly sha256: string }[];
  readonly unzippedBytes: number;
  readonly zippedBytes: number;
  readonly modelIncluded: boolean;
}

/** Lists files under `root` recursively as sorted POSIX-style relative paths, so the order never depends on the disk. */
export function listFilesSorted(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.isFile()) out.push(child);
    }
  };
  walk('');
  return out;
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Keeps what onnxruntime needs at run time on Linux/`arch`; drops other platforms, build scripts, TS sources and maps. */
function keepPackageFile(rel: string, arch: string): boolean {
  const parts = rel.split('/');
  if (parts.includes('node_modules') || parts.includes('@aws-sdk')) return false;
  if (parts[0] === 'bin') {
    // bin/napi-v<N>/<platform>/<arch>/...: only the Lambda platform and architecture.
    return (
      parts.length >= 5 && /^napi-v\d+$/.test(parts[1] ?? '') && parts[2] === 'linux' && parts[3] === arch
    );
  }
  if (parts[0] === 'script' || parts[0] === 'lib') return false;
  return !rel.endsWith('.map') && !rel.endsWith('.d.ts') && !rel.endsWith('.ts');
}

function plan(
  projectRoot: string,
  modelDir: string,
  arch: string,
): { files: PlannedFile[]; modelIncluded: boolean } {
  const files: PlannedFile[] = [];
  const add = (src: string, dest: string): void => {
    files.push({ src, dest, size: fs.statSync(src).size, sha256: sha256File(src) });
  };
  for (const pkg of PACKAGES) {
    const pkgDir = path.join(projectRoot, 'node_modules', pkg);
    if (!fs.existsSync(path.join(pkgDir, 'package.json'))) {
      throw new Error(`Cannot build the onnxruntime layer: ${pkgDir} is missing; run npm ci first.`);
    }
    for (const rel of listFilesSorted(pkgDir)) {
      if (keepPackageFile(rel, arch)) add(path.join(pkgDir, rel), `nodejs/node_modules/${pkg}/${rel}`);
    }
  }
  const binaries = files.filter((f) => f.dest.endsWith('.node'));
  if (binaries.length === 0) {
    throw new Error(`onnxruntime-node ships no linux/${arch} binding under bin/napi-v*/linux/${arch}/`);
  }
  const present = MODEL_FILES.filter((f) => fs.existsSync(path.join(modelDir, f)));
  let modelIncluded = false;
  if (present.length === MODEL_FILES.length) {
    for (const f of MODEL_FILES) add(path.join(modelDir, f), `models/default/${f}`);
    // Optional: without it the detector serves the model and measures no drift for it.
    const reference = path.join(modelDir, OPTIONAL_MODEL_FILE);
    if (fs.existsSync(reference)) add(reference, `models/default/${OPTIONAL_MODEL_FILE}`);
    modelIncluded = true;
  } else if (present.length > 0) {
    throw new Error(
      `${modelDir} holds ${present.join(', ')} but not ${MODEL_FILES.filter((f) => !present.includes(f)).join(', ')}: ` +
        'a model ships only with its card (model.onnx and model.json together).',
    );
  } else {
    console.warn(
      `onnxruntime layer: no default model in ${modelDir}; the layer ships without /opt/models/default.`,
    );
  }
  files.sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
  return { files, modelIncluded };
}

function hashPlan(files: readonly PlannedFile[], arch: string): string {
  const h = createHash('sha256').update(`${LAYOUT_VERSION}\0${arch}\n`);
  for (const f of files) h.update(`${f.dest}\0${f.sha256}\n`);
  return h.digest('hex');
}

function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** True when `contentDir` holds exactly the manifest's files with the recorded sizes (cheap: stat only). */
function outputMatches(contentDir: string, manifest: Manifest): boolean {
  if (!fs.existsSync(contentDir)) return false;
  const onDisk = listFilesSorted(contentDir);
  if (onDisk.length !== manifest.files.length) return false;
  return manifest.files.every(
    (f, i) => onDisk[i] === f.path && fs.statSync(path.join(contentDir, f.path)).size === f.size,
  );
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A cross-process mutex (mkdir is atomic), so parallel synths and test workers never build into each other. */
function withLock<T>(lockDir: string, fn: () => T): T {
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) fs.rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() - started > LOCK_TIMEOUT_MS)
        throw new Error(`Timed out waiting for the layer build lock ${lockDir}`);
      else sleepSync(100);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Local file header (30) + central directory entry (46) + both copies of the name + data descriptor (16). */
const zipEntryOverhead = (name: string): number => 30 + 46 + 16 + 2 * Buffer.byteLength(name);

function copyDeterministic(files: readonly PlannedFile[], target: string): number {
  let zipped = 22; // end of central directory record
  const dirs = new Set<string>();
  for (const f of files) {
    const dest = path.join(target, f.dest);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const content = fs.readFileSync(f.src);
    fs.writeFileSync(dest, content, { mode: 0o644 });
    fs.chmodSync(dest, 0o644);
    fs.utimesSync(dest, FIXED_MTIME, FIXED_MTIME);
    zipped +=
      Math.min(deflateRawSync(content, { level: 6 }).length, content.length) + zipEntryOverhead(f.dest);
    for (let d = path.posix.dirname(f.dest); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  // Deepest first, so setting a parent's mtime is not undone by touching its children.
  for (const d of [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1))) {
    fs.chmodSync(path.join(target, d), 0o755);
    fs.utimesSync(path.join(target, d), FIXED_MTIME, FIXED_MTIME);
  }
  return zipped;
}

/**
 * Builds the onnxruntime-node Lambda layer deterministically: onnxruntime-node and onnxruntime-common under
 * `nodejs/node_modules/` with only the Linux binaries of one architecture, plus the shipped default model under
 * `models/default/` (it lands at `/opt/models/default`). Reuses an existing build whose inputs are unchanged.
 */
export function buildOnnxRuntimeLayer(options: LayerBuildOptions = {}): LayerBuildResult {
  const projectRoot = options.projectRoot ?? projectRootDefault;
  const outDir = path.resolve(options.outDir ?? path.join(projectRoot, 'layers/onnxruntime/dist'));
  const modelDir = options.modelDir ?? path.join(projectRoot, 'models/default');
  const arch = options.arch ?? 'arm64';
  const contentDir = path.join(outDir, 'layer');
  const manifestFile = path.join(outDir, 'manifest.json');

  const { files, modelIncluded } = plan(projectRoot, modelDir, arch);
  const assetHash = hashPlan(files, arch);
  const result = (m: Manifest, rebuilt: boolean): LayerBuildResult => ({
    contentDir,
    assetHash,
    fileCount: m.files.length,
    unzippedBytes: m.unzippedBytes,
    zippedBytes: m.zippedBytes,
    modelIncluded: m.modelIncluded,
    rebuilt,
  });
  const upToDate = (): Manifest | undefined => {
    const m = readManifest(manifestFile);
    return m?.layout === LAYOUT_VERSION && m.assetHash === assetHash && outputMatches(contentDir, m)
      ? m
      : undefined;
  };

  const existing = upToDate();
  if (existing) return result(existing, false);

  fs.mkdirSync(outDir, { recursive: true });
  return withLock(path.join(outDir, '.lock'), () => {
    const builtMeanwhile = upToDate();
    if (builtMeanwhile) return result(builtMeanwhile, false);

    // Holding the lock, any staging folder left is a crashed build's: clear them all.
    for (const leftover of fs.readdirSync(outDir).filter((n) => n.startsWith('.staging-'))) {
      fs.rmSync(path.join(outDir, leftover), { recursive: true, force: true });
    }
    const staging = path.join(outDir, `.staging-${process.pid}`);
    const zippedBytes = copyDeterministic(files, staging);
    fs.utimesSync(staging, FIXED_MTIME, FIXED_MTIME);
    fs.rmSync(contentDir, { recursive: true, force: true });
    fs.renameSync(staging, contentDir);

    const manifest: Manifest = {
      layout: LAYOUT_VERSION,
      assetHash,
      files: files.map((f) => ({ path: f.dest, size: f.size, sha256: f.sha256 })),
      unzippedBytes: files.reduce((n, f) => n + f.size, 0),
      zippedBytes,
      modelIncluded,
    };
    fs.writeFileSync(`${manifestFile}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
    fs.renameSync(`${manifestFile}.tmp`, manifestFile);
    return result(manifest, true);
  });
}

/** Formats a byte count as MiB with one decimal, for build logs. */
export const formatMiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** One line describing a build, e.g. for the synth log and the CLI. */
export function describeLayer(r: LayerBuildResult): string {
  return (
    `onnxruntime layer ${r.rebuilt ? 'built' : 'up to date'}: ${r.fileCount} files, ` +
    `${formatMiB(r.unzippedBytes)} unzipped (Lambda limit 250 MiB with the function), ` +
    `~${formatMiB(r.zippedBytes)} zipped, model ${r.modelIncluded ? 'included' : 'absent'}, hash ${r.assetHash.slice(0, 12)}`
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const outArg = process.argv[2];
  console.log(describeLayer(buildOnnxRuntimeLayer(outArg ? { outDir: outArg } : {})));
}
