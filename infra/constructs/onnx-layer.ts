import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AssetHashType } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  buildOnnxRuntimeLayer,
  describeLayer,
  type LayerBuildOptions,
  type LayerBuildResult,
} from '../../layers/onnxruntime/build-layer.ts';

/** Props of {@link OnnxRuntimeLayer}. */
export interface OnnxRuntimeLayerProps {
  /** Where and how to build the layer (default: `layers/onnxruntime/dist`, arm64). */
  readonly build?: LayerBuildOptions;
}

/**
 * The Lambda layer with onnxruntime-node (one architecture's Linux binaries only) and the shipped default model. It is built
 * at synth time, deterministically, and reused when its inputs have not changed.
 */
export class OnnxRuntimeLayer extends Construct {
  /** Where the default model lands in a function that uses this layer. */
  static readonly MODEL_DIR = '/opt/models/default';

  /** The layer version. */
  readonly layer: LayerVersion;
  /** What the build produced: content directory, content hash, sizes. */
  readonly build: LayerBuildResult;

  constructor(scope: Construct, id: string, props: OnnxRuntimeLayerProps = {}) {
    super(scope, id);
    this.build = buildOnnxRuntimeLayer(props.build);
    // stderr: the CDK CLI shows it during synth, and it does not mix with the template on stdout.
    if (this.build.rebuilt) process.stderr.write(`${describeLayer(this.build)}\n`);
    const ortVersion = readVersion(
      path.join(this.build.contentDir, 'nodejs/node_modules/onnxruntime-node/package.json'),
    );
    const arch = props.build?.arch ?? 'arm64';
    this.layer = new LayerVersion(this, 'layer', {
      // The hash is computed from file paths and contents, so identical builds never upload a new layer.
      code: Code.fromAsset(this.build.contentDir, {
        assetHashType: AssetHashType.CUSTOM,
        assetHash: this.build.assetHash,
      }),
      compatibleArchitectures: [arch === 'arm64' ? Architecture.ARM_64 : Architecture.X86_64],
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      description: `onnxruntime-node ${ortVersion} (linux ${arch}) + default model; content ${this.build.assetHash.slice(0, 12)}`,
      license: 'MIT',
    });
  }
}

function readVersion(packageJson: string): string {
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string }).version ?? 'unknown';
}
