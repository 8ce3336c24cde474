import {
  ElemType,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  serialize,
} from '../onnx/graph-builder.ts';
import { averagePathLength, type IsolationForest, IsolationForestSchema } from './isolation-forest.ts';

/** Options of {@link exportIsolationForestOnnx}: extra `metadata_props` and the producer version. */
export interface IsolationForestOnnxOptions {
  readonly producerVersion?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * Exports a forest as an ONNX model honouring the Seismo model contract: input `features` float32[N, F],
 * output `score` float32[N, 1] equal to `scoreSamples`. An `ai.onnx.ml` TreeEnsembleRegressor averages
 * the trees' path lengths (leaf weight = depth + c(leaf size)), then Mul and Exp compute 2^(−mean / c(ψ)).
 * The bytes depend only on the forest, so a retrain with the same seed yields the same sha256.
 */
export function exportIsolationForestOnnx(
  forest: IsolationForest,
  options: IsolationForestOnnxOptions = {},
): Uint8Array {
  const { featureCount, trees } = IsolationForestSchema.parse(forest);

  const nodesTreeIds: number[] = [];
  const nodesNodeIds: number[] = [];
  const nodesFeatureIds: number[] = [];
  const nodesValues: number[] = [];
  const nodesModes: string[] = [];
  const nodesTrueNodeIds: number[] = [];
  const nodesFalseNodeIds: number[] = [];
  const targetTreeIds: number[] = [];
  const targetNodeIds: number[] = [];
  const targetWeights: number[] = [];
  trees.forEach((tree, t) => {
    tree.feature.forEach((feature, k) => {
      const leaf = feature < 0;
      nodesTreeIds.push(t);
      nodesNodeIds.push(k);
      nodesFeatureIds.push(leaf ? 0 : feature);
      nodesValues.push(leaf ? 0 : (tree.threshold[k] ?? 0));
      // The trainer sends x < threshold left: BRANCH_LT takes the "true" branch exactly then.
      nodesModes.push(leaf ? 'LEAF' : 'BRANCH_LT');
      nodesTrueNodeIds.push(leaf ? 0 : (tree.left[k] ?? 0));
      nodesFalseNodeIds.push(leaf ? 0 : (tree.right[k] ?? 0));
      if (leaf) {
        targetTreeIds.push(t);
        targetNodeIds.push(k);
        targetWeights.push(tree.pathLength[k] ?? 0);
      }
    });
  });

  const forestNode = makeNode(
    'TreeEnsembleRegressor',
    ['features'],
    ['mean_path_length'],
    {
      aggregate_function: { string: 'AVERAGE' },
      n_targets: { int: 1 },
      post_transform: { string: 'NONE' },
      nodes_treeids: { ints: nodesTreeIds },
      nodes_nodeids: { ints: nodesNodeIds },
      nodes_featureids: { ints: nodesFeatureIds },
      nodes_values: { floats: nodesValues },
      nodes_modes: { strings: nodesModes },
      nodes_truenodeids: { ints: nodesTrueNodeIds },
      nodes_falsenodeids: { ints: nodesFalseNodeIds },
      target_treeids: { ints: targetTreeIds },
      target_nodeids: { ints: targetNodeIds },
      target_ids: { ints: targetTreeIds.map(() => 0) },
      target_weights: { floats: targetWeights },
    },
    { domain: 'ai.onnx.ml', name: 'isolation_trees' },
  );
  // 2^(−m / c(ψ)) = exp(m · (−ln 2 / c(ψ))).
  const exponentScale = makeTensor('exponent_scale', [], [-Math.LN2 / averagePathLength(forest.sampleSize)]);
  const model = makeModel({
    graphName: 'isolation_forest',
    nodes: [
      forestNode,
      makeNode('Mul', ['mean_path_length', 'exponent_scale'], ['log_score']),
      makeNode('Exp', ['log_score'], ['score']),
    ],
    inputs: [makeValueInfo('features', ElemType.FLOAT, ['N', featureCount])],
    outputs: [makeValueInfo('score', ElemType.FLOAT, ['N', 1])],
    initializers: [exponentScale],
    opsets: { '': 17, 'ai.onnx.ml': 3 },
    producerVersion: options.producerVersion,
    docString: 'Isolation forest (Liu et al. 2008): score = 2^(-E[h(x)]/c(psi)), higher = more anomalous.',
    metadata: {
      algorithm: 'isolation-forest',
      trees: String(trees.length),
      sample_size: String(forest.sampleSize),
      max_depth: String(forest.maxDepth),
      seed: String(forest.seed),
      ...options.metadata,
    },
  });
  return serialize(model);
}
