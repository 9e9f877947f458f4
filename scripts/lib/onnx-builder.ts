import { createRequire } from 'node:module';
import type { onnx } from 'onnx-proto';

/**
 * Small builder functions for ONNX protos, after onnx/onnx `onnx/helper.py` (make_tensor, make_node,
 * make_tensor_value_info, make_graph, make_model), on top of the protobufjs classes of `onnx-proto`.
 *
 * Reproducibility: nothing here reads the clock or the environment. Attributes are written sorted by name
 * (as helper.make_node does), tensor payloads go into `raw_data` as explicit little-endian bytes, and
 * protobufjs writes fields in field-number order, so the same calls always serialise to the same bytes.
 */

// onnx-proto is CommonJS (`module.exports = $root`); Node's ESM loader cannot see its `onnx` property as a
// named export, so `import { onnx } from 'onnx-proto'` fails at run time. Load it through require instead.
const require = createRequire(import.meta.url);
export const proto: typeof onnx = (require('onnx-proto') as { onnx: typeof onnx }).onnx;
export type { onnx };

/** ONNX element types used by this project (TensorProto.DataType values). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
} as const;
export type DataTypeName = keyof typeof DataType;

const DATA_TYPE_BY_VALUE = new Map<number, DataTypeName>(
  (Object.entries(DataType) as [DataTypeName, number][]).map(([k, v]) => [v, k]),
);
/** Bytes per element in raw_data. */
const ELEMENT_SIZE: Record<DataTypeName, number> = { FLOAT: 4, UINT8: 1, INT8: 1, INT32: 4, INT64: 8 };

/** The IR version that goes with opset 17 (ONNX 1.12). */
export const IR_VERSION_FOR_OPSET_17 = 8;

export type TensorValues = Float32Array | Int32Array | Int8Array | Uint8Array | BigInt64Array | readonly number[] | readonly bigint[];

function checkDims(what: string, dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${what}: bad dimension ${d} in [${dims.join(', ')}]`);
    count *= d;
  }
  return count;
}

/**
 * An initializer / constant tensor. `values` holds the elements in row-major order and its length must
 * equal the product of `dims`. Payload is stored as little-endian `raw_data`.
 */
export function makeTensor(
  name: string,
  dataType: DataTypeName,
  dims: readonly number[],
  values: TensorValues,
  docString?: string,
): onnx.ITensorProto {
  const what = `makeTensor(${JSON.stringify(name)})`;
  const count = checkDims(what, dims);
  if (values.length !== count) {
    throw new RangeError(`${what}: ${values.length} values given for dims [${dims.join(', ')}] (${count} elements)`);
  }
  let raw: Uint8Array;
  switch (dataType) {
    case 'FLOAT': {
      raw = new Uint8Array(count * 4);
      const view = new DataView(raw.buffer);
      for (let i = 0; i < count; i++) {
        const v = Number(values[i]);
        view.setFloat32(i * 4, v, true);
      }
      break;
    }
    case 'INT32': {
      raw = new Uint8Array(count * 4);
      const view = new DataView(raw.buffer);
      for (let i = 0; i < count; i++) {
        const v = Number(values[i]);
        if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`${what}: ${v} is not an int32`);
        view.setInt32(i * 4, v, true);
      }
      break;
    }
    case 'INT8':
    case 'UINT8': {
      const [lo, hi] = dataType === 'INT8' ? [-128, 127] : [0, 255];
      raw = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        const v = Number(values[i]);
        if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${what}: ${v} is not a${dataType === 'INT8' ? 'n int8' : ' uint8'}`);
        raw[i] = v & 0xff;
      }
      break;
    }
    case 'INT64': {
      raw = new Uint8Array(count * 8);
      const view = new DataView(raw.buffer);
      for (let i = 0; i < count; i++) {
        const v = values[i]!;
        if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`${what}: ${v} is not a safe integer`);
        view.setBigInt64(i * 8, BigInt(v), true);
      }
      break;
    }
    default:
      throw new TypeError(`${what}: unsupported data type ${String(dataType)}`);
  }
  const tensor: onnx.ITensorProto = { name, dataType: DataType[dataType], dims: [...dims], rawData: raw };
  if (docString !== undefined) tensor.docString = docString;
  return tensor;
}

/** Reads a tensor made by `makeTensor` back into a typed array (for checks and tests). */
export function tensorValues(tensor: onnx.ITensorProto): Float32Array | Int32Array | Int8Array | Uint8Array | BigInt64Array {
  const raw = tensor.rawData;
  if (!raw) throw new TypeError(`tensor ${tensor.name}: no raw_data`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (tensor.dataType) {
    case DataType.FLOAT:
      return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
    case DataType.INT8:
      return Int8Array.from(raw, (b) => (b << 24) >> 24);
    case DataType.UINT8:
      return Uint8Array.from(raw);
    case DataType.INT32:
      return Int32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
    case DataType.INT64:
      return BigInt64Array.from({ length: raw.byteLength / 8 }, (_, i) => view.getBigInt64(i * 8, true));
    default:
      throw new TypeError(`tensor ${tensor.name}: unsupported data type ${tensor.dataType}`);
  }
}

/** Marks a number as a FLOAT attribute even when it happens to be integral (e.g. `alpha: floatAttr(1)`). */
export interface FloatAttr {
  readonly kind: 'float';
  readonly value: number;
}
export interface FloatsAttr {
  readonly kind: 'floats';
  readonly value: readonly number[];
}
export const floatAttr = (value: number): FloatAttr => ({ kind: 'float', value });
export const floatsAttr = (value: readonly number[]): FloatsAttr => ({ kind: 'floats', value });

/**
 * Attribute values, typed as helper.make_attribute does: integral number -> INT, other number -> FLOAT,
 * string -> STRING, number[] -> INTS (FLOATS if any element is not integral), string[] -> STRINGS,
 * tensor -> TENSOR. Use floatAttr / floatsAttr to force floats.
 */
export type AttributeValue =
  | number
  | bigint
  | string
  | readonly number[]
  | readonly string[]
  | FloatAttr
  | FloatsAttr
  | onnx.ITensorProto;

const utf8 = new TextEncoder();
const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export function makeAttribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const what = `attribute ${JSON.stringify(name)}`;
  if (typeof value === 'bigint') return { name, type: AT.INT, i: Number(value) };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`${what}: ${value} is not finite`);
    return Number.isInteger(value) ? { name, type: AT.INT, i: value } : { name, type: AT.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: AT.STRING, s: utf8.encode(value) };
  if (Array.isArray(value)) {
    const arr = value as readonly (number | string)[];
    if (arr.length === 0) throw new TypeError(`${what}: empty list has no type; use floatsAttr([]) or a typed value`);
    if (arr.every((v) => typeof v === 'string')) return { name, type: AT.STRINGS, strings: (arr as string[]).map((s) => utf8.encode(s)) };
    if (arr.every((v) => typeof v === 'number')) {
      const nums = arr as number[];
      return nums.every(Number.isInteger) ? { name, type: AT.INTS, ints: [...nums] } : { name, type: AT.FLOATS, floats: [...nums] };
    }
    throw new TypeError(`${what}: mixed list`);
  }
  const v = value as FloatAttr | FloatsAttr | onnx.ITensorProto;
  if ('kind' in v && v.kind === 'float') return { name, type: AT.FLOAT, f: v.value };
  if ('kind' in v && v.kind === 'floats') return { name, type: AT.FLOATS, floats: [...v.value] };
  return { name, type: AT.TENSOR, t: v as onnx.ITensorProto };
}

export interface NodeOptions {
  name?: string;
  domain?: string;
  docString?: string;
}

/**
 * A NodeProto. Attributes are written in sorted name order so the bytes do not depend on object key order.
 * An empty string in `inputs` / `outputs` marks an omitted optional input / output.
 */
export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, AttributeValue | undefined>> = {},
  options: NodeOptions = {},
): onnx.INodeProto {
  const node: onnx.INodeProto = { input: [...inputs], output: [...outputs], opType };
  if (options.name !== undefined) node.name = options.name;
  if (options.domain !== undefined && options.domain !== '') node.domain = options.domain;
  const names = Object.keys(attributes)
    .filter((k) => attributes[k] !== undefined)
    .sort();
  if (names.length > 0) node.attribute = names.map((k) => makeAttribute(k, attributes[k]!));
  if (options.docString !== undefined) node.docString = options.docString;
  return node;
}

/** A dimension: a number is a fixed size, a string a symbolic one (dim_param), null an unknown one. */
export type Dim = number | string | null;

/** helper.make_tensor_value_info: a typed tensor value with an optional shape. */
export function makeValueInfo(name: string, elemType: DataTypeName, shape?: readonly Dim[], docString?: string): onnx.IValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType: DataType[elemType] };
  if (shape !== undefined) {
    tensorType.shape = {
      dim: shape.map((d) => {
        if (d === null) return {};
        if (typeof d === 'string') return { dimParam: d };
        checkDims(`makeValueInfo(${JSON.stringify(name)})`, [d]);
        return { dimValue: d };
      }),
    };
  }
  const info: onnx.IValueInfoProto = { name, type: { tensorType } };
  if (docString !== undefined) info.docString = docString;
  return info;
}

export interface GraphParts {
  name: string;
  nodes: readonly onnx.INodeProto[];
  inputs: readonly onnx.IValueInfoProto[];
  outputs: readonly onnx.IValueInfoProto[];
  initializers?: readonly onnx.ITensorProto[];
  valueInfo?: readonly onnx.IValueInfoProto[];
  docString?: string;
}

/** helper.make_graph, plus a structural check (see checkGraph). */
export function makeGraph(parts: GraphParts): onnx.IGraphProto {
  const graph: onnx.IGraphProto = {
    node: [...parts.nodes],
    name: parts.name,
    initializer: [...(parts.initializers ?? [])],
    input: [...parts.inputs],
    output: [...parts.outputs],
  };
  if (parts.valueInfo && parts.valueInfo.length > 0) graph.valueInfo = [...parts.valueInfo];
  if (parts.docString !== undefined) graph.docString = parts.docString;
  checkGraph(graph);
  return graph;
}

/**
 * Structural checks onnx.checker would also make for a flat graph: unique names, nodes in topological
 * order (each input produced by a graph input, an initializer or an earlier node), outputs produced.
 */
export function checkGraph(graph: onnx.IGraphProto): void {
  const defined = new Set<string>();
  const define = (name: string, by: string) => {
    if (name === '') return;
    if (defined.has(name)) throw new Error(`graph ${graph.name}: ${JSON.stringify(name)} is defined twice (again by ${by})`);
    defined.add(name);
  };
  for (const init of graph.initializer ?? []) {
    const dims = (init.dims ?? []).map(Number);
    const count = checkDims(`initializer ${init.name}`, dims);
    const typeName = DATA_TYPE_BY_VALUE.get(init.dataType ?? 0);
    if (typeName === undefined) throw new Error(`initializer ${init.name}: unsupported data type ${init.dataType}`);
    const width = ELEMENT_SIZE[typeName];
    if ((init.rawData?.byteLength ?? -1) !== count * width) {
      throw new Error(`initializer ${init.name}: raw_data has ${init.rawData?.byteLength} bytes, dims need ${count * width}`);
    }
    define(init.name ?? '', 'an initializer');
  }
  for (const input of graph.input ?? []) define(input.name ?? '', 'a graph input');
  const nodeNames = new Set<string>();
  for (const node of graph.node ?? []) {
    const label = `node ${node.name ?? node.opType}`;
    if (node.name) {
      if (nodeNames.has(node.name)) throw new Error(`graph ${graph.name}: two nodes are named ${node.name}`);
      nodeNames.add(node.name);
    }
    for (const input of node.input ?? []) {
      if (input !== '' && !defined.has(input)) throw new Error(`${label}: input ${JSON.stringify(input)} is not defined before it`);
    }
    for (const output of node.output ?? []) define(output, label);
  }
  for (const output of graph.output ?? []) {
    if (!defined.has(output.name ?? '')) throw new Error(`graph ${graph.name}: output ${JSON.stringify(output.name)} is never produced`);
  }
}

export interface ModelOptions {
  /** Default-domain opset version. */
  opset: number;
  /** Other operator sets the graph uses, e.g. [['com.microsoft', 1]]; written in the given order. */
  extraOpsets?: readonly (readonly [string, number])[];
  irVersion?: number;
  producerName: string;
  producerVersion: string;
  domain?: string;
  docString?: string;
  /** Written in the given order (keep it fixed for reproducible bytes). */
  metadataProps?: readonly (readonly [string, string])[];
}

/** helper.make_model. */
export function makeModel(graph: onnx.IGraphProto, options: ModelOptions): onnx.IModelProto {
  const irVersion = options.irVersion ?? (options.opset <= 17 ? IR_VERSION_FOR_OPSET_17 : undefined);
  if (irVersion === undefined) throw new Error(`makeModel: give irVersion for opset ${options.opset}`);
  const domains = new Set(['', ...(options.extraOpsets ?? []).map(([d]) => d)]);
  for (const node of graph.node ?? []) {
    if (!domains.has(node.domain ?? '')) throw new Error(`makeModel: node ${node.name ?? node.opType} uses domain ${JSON.stringify(node.domain)}, which has no opset import`);
  }
  const model: onnx.IModelProto = {
    irVersion,
    opsetImport: [{ domain: '', version: options.opset }, ...(options.extraOpsets ?? []).map(([domain, version]) => ({ domain, version }))],
    producerName: options.producerName,
    producerVersion: options.producerVersion,
    graph,
  };
  if (options.domain !== undefined) model.domain = options.domain;
  if (options.docString !== undefined) model.docString = options.docString;
  if (options.metadataProps && options.metadataProps.length > 0) {
    model.metadataProps = options.metadataProps.map(([key, value]) => ({ key, value }));
  }
  return model;
}

/** Serialises a model to the bytes of a .onnx file. */
export function serializeModel(model: onnx.IModelProto): Uint8Array {
  const err = proto.ModelProto.verify(model);
  if (err) throw new Error(`serializeModel: invalid ModelProto: ${err}`);
  const bytes = proto.ModelProto.encode(model).finish();
  // protobufjs may hand back a view into a shared pool; return an exact, unshared copy.
  return new Uint8Array(bytes);
}

/** Parses .onnx bytes (for inspection and tests). */
export function parseModel(bytes: Uint8Array): onnx.ModelProto {
  return proto.ModelProto.decode(bytes);
}
