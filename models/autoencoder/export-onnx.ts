import {
  ElemType,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  serialize,
} from '../onnx/graph-builder.ts';
import { type Autoencoder, AutoencoderInputError } from './autoencoder.ts';

/** Options of {@link exportAutoencoderOnnx}. */
export interface ExportAutoencoderOptions {
  /** Feature names in input order, stored in the model's metadata; must number `model.featureCount`. */
  readonly featureNames?: readonly string[];
  /** Written as the ONNX `model_version`. */
  readonly modelVersion?: number;
}

/** ONNX opset of the exported graph; in 17 ReduceMean still takes `axes` as an attribute. */
export const AUTOENCODER_OPSET = 17;

/**
 * Exports a trained autoencoder as ONNX bytes that follow the Seismo model contract: input `features`
 * float32 [N, F], output `score` float32 [N, 1], the mean squared reconstruction error over the standardised
 * features. Standard ops only (Sub, Div, Gemm, Relu, Mul, ReduceMean, opset 17), so any ONNX runtime can
 * score it. The same model always gives the same bytes.
 */
export function exportAutoencoderOnnx(
  model: Autoencoder,
  options: ExportAutoencoderOptions = {},
): Uint8Array {
  const f = model.featureCount;
  checkModel(model);
  if (options.featureNames && options.featureNames.length !== f) {
    throw new AutoencoderInputError(
      `featureNames must list ${f} names, one per feature, got ${options.featureNames.length}`,
    );
  }

  const initializers = [makeTensor('mean', [f], model.mean), makeTensor('std', [f], model.std)];
  const nodes = [
    makeNode('Sub', ['features', 'mean'], ['centred']),
    makeNode('Div', ['centred', 'std'], ['z']),
  ];
  let hidden = 'z';
  model.layers.forEach((layer, i) => {
    initializers.push(
      makeTensor(`W${i}`, [layer.inputSize, layer.outputSize], layer.weights),
      makeTensor(`b${i}`, [layer.outputSize], layer.bias),
    );
    const gemm = `gemm${i}`;
    nodes.push(makeNode('Gemm', [hidden, `W${i}`, `b${i}`], [gemm]));
    hidden = gemm;
    if (layer.activation === 'relu') {
      nodes.push(makeNode('Relu', [gemm], [`relu${i}`]));
      hidden = `relu${i}`;
    }
  });
  nodes.push(
    makeNode('Sub', [hidden, 'z'], ['residual']),
    makeNode('Mul', ['residual', 'residual'], ['squared']),
    makeNode('ReduceMean', ['squared'], ['score'], { axes: { ints: [1] }, keepdims: { int: 1 } }),
  );

  const metadata: Record<string, string> = {
    algorithm: 'autoencoder',
    feature_count: String(f),
    hyperparameters: JSON.stringify(model.hyperparameters),
  };
  if (options.featureNames) metadata.feature_names = JSON.stringify(options.featureNames);

  return serialize(
    makeModel({
      graphName: 'seismo_autoencoder',
      nodes,
      inputs: [makeValueInfo('features', ElemType.FLOAT, ['N', f])],
      outputs: [makeValueInfo('score', ElemType.FLOAT, ['N', 1])],
      initializers,
      opsets: { '': AUTOENCODER_OPSET },
      modelVersion: options.modelVersion,
      docString: 'Dense autoencoder: score = mean squared reconstruction error of the standardised features.',
      metadata,
    }),
  );
}

/** Checks that the layers chain from F back to F, so a hand-edited or truncated model fails here, not in a runtime. */
function checkModel(model: Autoencoder): void {
  const f = model.featureCount;
  if (model.mean.length !== f || model.std.length !== f) {
    throw new AutoencoderInputError(
      `mean and std must hold ${f} values, got ${model.mean.length} and ${model.std.length}`,
    );
  }
  let width = f;
  model.layers.forEach((layer, i) => {
    if (layer.inputSize !== width) {
      throw new AutoencoderInputError(
        `layer ${i} takes ${layer.inputSize} inputs but the previous layer gives ${width}`,
      );
    }
    if (
      layer.weights.length !== layer.inputSize * layer.outputSize ||
      layer.bias.length !== layer.outputSize
    ) {
      throw new AutoencoderInputError(
        `layer ${i}: weights or bias do not match ${layer.inputSize}x${layer.outputSize}`,
      );
    }
    width = layer.outputSize;
  });
  if (width !== f || model.layers.length === 0) {
    throw new AutoencoderInputError(`the last layer must reconstruct ${f} features, it gives ${width}`);
  }
}
