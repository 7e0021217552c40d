// A minimal reader of the ONNX protobuf messages tests need (TensorProto, and
// the graph input names of a ModelProto), written independently of the C
// reader in src/compiler so that the two check each other.
const WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5;

function* fields(buf, start = 0, end = buf.length) {
  let p = start;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      if (p >= end) throw new Error('truncated varint');
      const b = buf[p++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (p < end) {
    const key = Number(varint());
    const field = key >>> 3, wire = key & 7;
    if (wire === WIRE_VARINT) yield { field, wire, value: varint() };
    else if (wire === WIRE_I64) { yield { field, wire, start: p, end: p + 8 }; p += 8; }
    else if (wire === WIRE_I32) { yield { field, wire, start: p, end: p + 4 }; p += 4; }
    else if (wire === WIRE_LEN) {
      const n = Number(varint());
      yield { field, wire, start: p, end: p + n };
      p += n;
    } else throw new Error(`wire type ${wire}`);
  }
}

function packedVarints(buf, f) {
  if (f.wire === WIRE_VARINT) return [f.value];
  const out = [];
  let p = f.start;
  while (p < f.end) {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[p++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7n;
    }
    out.push(v);
  }
  return out;
}

const TYPES = {
  1: ['float32', Float32Array], 2: ['uint8', Uint8Array], 3: ['int8', Int8Array], 4: ['uint16', Uint16Array],
  5: ['int16', Int16Array], 6: ['int32', Int32Array], 7: ['int64', BigInt64Array], 9: ['bool', Uint8Array],
  11: ['float64', Float64Array], 12: ['uint32', Uint32Array], 13: ['uint64', BigUint64Array],
};

// { name, dtype ('float32', ...), dims: number[], data: TypedArray }
export function readTensor(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = [];
  let type = 0, name = '', raw = null;
  const typed = { 4: [], 5: [], 7: [], 10: [], 11: [] };
  for (const f of fields(buf)) {
    if (f.field === 1) dims.push(...packedVarints(buf, f).map(Number));
    else if (f.field === 2) type = Number(f.value);
    else if (f.field === 8) name = buf.toString('utf8', f.start, f.end);
    else if (f.field === 9) raw = buf.subarray(f.start, f.end);
    else if (f.field === 4) {
      if (f.wire === WIRE_I32) typed[4].push(buf.readFloatLE(f.start));
      else for (let p = f.start; p < f.end; p += 4) typed[4].push(buf.readFloatLE(p));
    } else if (f.field === 10) {
      if (f.wire === WIRE_I64) typed[10].push(buf.readDoubleLE(f.start));
      else for (let p = f.start; p < f.end; p += 8) typed[10].push(buf.readDoubleLE(p));
    } else if (f.field === 5 || f.field === 7 || f.field === 11) typed[f.field].push(...packedVarints(buf, f));
  }
  if (!TYPES[type]) throw new Error(`unsupported tensor type ${type}`);
  const [dtype, Ctor] = TYPES[type];
  const count = dims.reduce((a, b) => a * b, 1);
  let data;
  if (raw) {
    data = new Ctor(count);
    new Uint8Array(data.buffer).set(raw);
  } else {
    const src = type === 1 ? typed[4] : type === 11 ? typed[10] : type === 7 ? typed[7]
      : type === 12 || type === 13 ? typed[11] : typed[5];
    data = new Ctor(count);
    for (let i = 0; i < count; i++) {
      const v = src[i];
      if (Ctor === BigInt64Array) data[i] = BigInt.asIntN(64, v);
      else if (Ctor === BigUint64Array) data[i] = BigInt.asUintN(64, v);
      else if (typeof v === 'bigint') data[i] = Number(BigInt.asIntN(32, v));
      else data[i] = v;
    }
  }
  return { name, dtype, dims, data };
}

// Names of the graph inputs that are not initializers, in order: the meaning
// of input_<i>.pb in the ONNX backend tests.
export function graphInputNames(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const f of fields(buf)) {
    if (f.field !== 7 || f.wire !== WIRE_LEN) continue;
    const inputs = [], inits = new Set();
    for (const g of fields(buf, f.start, f.end)) {
      if (g.field !== 11 && g.field !== 5) continue;
      for (const h of fields(buf, g.start, g.end)) {
        if (g.field === 11 && h.field === 1) inputs.push(buf.toString('utf8', h.start, h.end));
        if (g.field === 5 && h.field === 8) inits.add(buf.toString('utf8', h.start, h.end));
      }
    }
    return inputs.filter((n) => !inits.has(n));
  }
  throw new Error('no graph in the model');
}

// AttributeProto -> [name, value]: a number, a string, a TensorProto (as
// readTensor gives), or an array of numbers or strings. Graph attributes
// (If, Loop) are not read: the models this serves have none.
function readAttribute(buf, start, end) {
  let name = '', type = 0;
  const v = { f: null, i: null, s: null, t: null, floats: [], ints: [], strings: [] };
  for (const f of fields(buf, start, end)) {
    if (f.field === 1) name = buf.toString('utf8', f.start, f.end);
    else if (f.field === 20) type = Number(f.value);
    else if (f.field === 2) v.f = buf.readFloatLE(f.start);
    else if (f.field === 3) v.i = Number(BigInt.asIntN(64, f.value));
    else if (f.field === 4) v.s = buf.toString('utf8', f.start, f.end);
    else if (f.field === 5) v.t = readTensor(buf.subarray(f.start, f.end));
    else if (f.field === 7) {
      if (f.wire === WIRE_I32) v.floats.push(buf.readFloatLE(f.start));
      else for (let p = f.start; p < f.end; p += 4) v.floats.push(buf.readFloatLE(p));
    } else if (f.field === 8) v.ints.push(...packedVarints(buf, f).map((x) => Number(BigInt.asIntN(64, x))));
    else if (f.field === 9) v.strings.push(buf.toString('utf8', f.start, f.end));
  }
  // AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7, STRINGS 8.
  const byType = { 1: v.f, 2: v.i, 3: v.s, 4: v.t, 6: v.floats, 7: v.ints, 8: v.strings };
  if (!(type in byType)) throw new Error(`attribute "${name}": unsupported attribute type ${type}`);
  return [name, byType[type]];
}

// ValueInfoProto -> { name, elemType, dims } (a symbolic dim is its name).
function readValueInfo(buf, start, end) {
  let name = '', elemType = 0;
  const dims = [];
  for (const f of fields(buf, start, end)) {
    if (f.field === 1) name = buf.toString('utf8', f.start, f.end);
    if (f.field !== 2) continue;
    for (const t of fields(buf, f.start, f.end)) {
      if (t.field !== 1) continue; // tensor_type
      for (const tt of fields(buf, t.start, t.end)) {
        if (tt.field === 1) elemType = Number(tt.value);
        if (tt.field !== 2) continue;
        for (const d of fields(buf, tt.start, tt.end)) {
          if (d.field !== 1) continue;
          let dim = null;
          for (const dd of fields(buf, d.start, d.end)) {
            if (dd.field === 1) dim = Number(dd.value);
            else if (dd.field === 2) dim = buf.toString('utf8', dd.start, dd.end);
          }
          dims.push(dim);
        }
      }
    }
  }
  return { name, elemType, dims };
}

// The main graph of a ModelProto:
// { opset, nodes: [{ name, opType, domain, inputs, outputs, attrs: {name: value} }],
//   initializers: Map name -> tensor (readTensor's form), inputs, outputs: [ValueInfo] }.
// graph.inputs leaves out the initializers, as graphInputNames does.
export function readModel(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let opset = null, graph = null;
  for (const f of fields(buf)) {
    if (f.field === 8 && f.wire === WIRE_LEN) { // OperatorSetIdProto: domain 1, version 2
      let domain = '', version = 0;
      for (const o of fields(buf, f.start, f.end)) {
        if (o.field === 1) domain = buf.toString('utf8', o.start, o.end);
        if (o.field === 2) version = Number(o.value);
      }
      if (domain === '' || domain === 'ai.onnx') opset = version;
    }
    if (f.field !== 7 || f.wire !== WIRE_LEN) continue;
    graph = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
    for (const g of fields(buf, f.start, f.end)) {
      if (g.field === 1) {
        const node = { name: '', opType: '', domain: '', inputs: [], outputs: [], attrs: {} };
        for (const n of fields(buf, g.start, g.end)) {
          const s = () => buf.toString('utf8', n.start, n.end);
          if (n.field === 1) node.inputs.push(s());
          else if (n.field === 2) node.outputs.push(s());
          else if (n.field === 3) node.name = s();
          else if (n.field === 4) node.opType = s();
          else if (n.field === 7) node.domain = s();
          else if (n.field === 5) {
            const [k, v] = readAttribute(buf, n.start, n.end);
            node.attrs[k] = v;
          }
        }
        graph.nodes.push(node);
      } else if (g.field === 5) {
        const t = readTensor(buf.subarray(g.start, g.end));
        graph.initializers.set(t.name, t);
      } else if (g.field === 11) graph.inputs.push(readValueInfo(buf, g.start, g.end));
      else if (g.field === 12) graph.outputs.push(readValueInfo(buf, g.start, g.end));
    }
  }
  if (!graph) throw new Error('no graph in the model');
  graph.inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  return { opset, graph };
}
