import type { onnx as OnnxTypes } from 'onnx-proto';
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS: Node's ESM loader exposes it only as a default export.
const { onnx } = onnxProto;

/** The plain-object message shapes of onnx-proto (`IModelProto`, `INodeProto`, ...). */
export type { OnnxTypes };
/** The onnx-proto message constructors and enums, re-exported for callers that need a raw field. */
export { onnx };

/** Tensor element types used by Seismo models (values of ONNX `TensorProto.DataType`). */
export const ElemType = {
  FLOAT: onnx.TensorProto.DataType.FLOAT,
  INT64: onnx.TensorProto.DataType.INT64,
} as const;

/** One of the tensor element types in {@link ElemType}. */
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

/**
 * A node attribute value, tagged with its ONNX type because a JavaScript number alone cannot say whether
 * it is an INT or a FLOAT attribute.
 */
export type AttributeValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly string: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] }
  | { readonly tensor: OnnxTypes.ITensorProto };

/** Options of {@link makeNode}: a node name (defaults to the first output) and its operator domain. */
export interface NodeOptions {
  readonly name?: string;
  readonly domain?: string;
}

/** Options of {@link makeModel}. Opsets map a domain ('' is the standard one) to its version. */
export interface ModelOptions {
  readonly graphName: string;
  readonly nodes: readonly OnnxTypes.INodeProto[];
  readonly inputs: readonly OnnxTypes.IValueInfoProto[];
  readonly outputs: readonly OnnxTypes.IValueInfoProto[];
  readonly initializers?: readonly OnnxTypes.ITensorProto[];
  readonly opsets?: Readonly<Record<string, number>>;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly modelVersion?: number;
  readonly docString?: string;
  /** Stored as `metadata_props`, in the key order given. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Opsets used when {@link ModelOptions.opsets} is omitted: the standard domain at version 17. */
export const DEFAULT_OPSETS: Readonly<Record<string, number>> = { '': 17 };

/** IR version written into models: 8 is what opset 17 requires and what onnx-proto 8 defines. */
export const IR_VERSION = 8;

const utf8 = new TextEncoder();

function makeAttribute(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: Type.INT, i: value.int };
  if ('float' in value) return { name, type: Type.FLOAT, f: value.float };
  if ('string' in value) return { name, type: Type.STRING, s: utf8.encode(value.string) };
  if ('ints' in value) return { name, type: Type.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: Type.FLOATS, floats: [...value.floats] };
  if ('strings' in value)
    return { name, type: Type.STRINGS, strings: value.strings.map((s) => utf8.encode(s)) };
  return { name, type: Type.TENSOR, t: value.tensor };
}

/**
 * Builds one graph node. Attributes keep the key order of `attributes`, so the same call always
 * serializes to the same bytes.
 */
export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, AttributeValue>> = {},
  options: NodeOptions = {},
): OnnxTypes.INodeProto {
  const node: OnnxTypes.INodeProto = {
    name: options.name ?? outputs[0] ?? opType,
    opType,
    input: [...inputs],
    output: [...outputs],
    attribute: Object.entries(attributes).map(([name, value]) => makeAttribute(name, value)),
  };
  if (options.domain) node.domain = options.domain;
  return node;
}

function checkSize(name: string, dims: readonly number[], length: number): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => !Number.isInteger(d) || d < 0) || expected !== length) {
    throw new RangeError(
      `tensor '${name}': dims [${dims.join(', ')}] need ${expected} values, got ${length}`,
    );
  }
}

/**
 * Builds a float32 tensor (an initializer, or the value of a `tensor` attribute) from row-major values,
 * stored as little-endian `raw_data`, the compact form onnxruntime reads fastest.
 */
export function makeTensor(
  name: string,
  dims: readonly number[],
  values: Float32Array | readonly number[],
): OnnxTypes.ITensorProto {
  checkSize(name, dims, values.length);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return { name, dims: [...dims], dataType: ElemType.FLOAT, rawData: raw };
}

/** Builds an int64 tensor (shapes for Reshape, axes, indices), stored as little-endian `raw_data`. */
export function makeInt64Tensor(
  name: string,
  dims: readonly number[],
  values: readonly number[],
): OnnxTypes.ITensorProto {
  checkSize(name, dims, values.length);
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i] ?? 0), true);
  return { name, dims: [...dims], dataType: ElemType.INT64, rawData: raw };
}

/**
 * Declares a graph input or output: its name, element type and shape, where a string dimension is
 * symbolic (e.g. 'N' for a dynamic batch) and a number is fixed.
 */
export function makeValueInfo(
  name: string,
  elemType: ElemType,
  shape: readonly (number | string)[],
): OnnxTypes.IValueInfoProto {
  const dim = shape.map(
    (d): OnnxTypes.TensorShapeProto.IDimension => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }),
  );
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** Assembles a complete ModelProto from nodes, graph inputs/outputs, initializers and opset imports. */
export function makeModel(options: ModelOptions): OnnxTypes.IModelProto {
  const opsets = options.opsets ?? DEFAULT_OPSETS;
  const model: OnnxTypes.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    producerName: options.producerName ?? 'seismo',
    producerVersion: options.producerVersion ?? '0',
    modelVersion: options.modelVersion ?? 1,
    graph: {
      name: options.graphName,
      node: [...options.nodes],
      input: [...options.inputs],
      output: [...options.outputs],
      initializer: [...(options.initializers ?? [])],
    },
  };
  if (options.docString) model.docString = options.docString;
  if (options.metadata) {
    model.metadataProps = Object.entries(options.metadata).map(([key, value]) => ({ key, value }));
  }
  return model;
}

/**
 * Encodes a model to ONNX bytes. The encoding depends only on the model's content (fields in schema
 * order, no timestamps), so equal models give equal bytes and equal sha256 digests.
 */
export function serialize(model: OnnxTypes.IModelProto): Uint8Array {
  const problem = onnx.ModelProto.verify(model);
  if (problem) throw new TypeError(`invalid ONNX model: ${problem}`);
  // Copy out of protobufjs's pooled buffer so the bytes own their memory.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}
