// onnx2tf.mjs - translate an ONNX image classifier into a plan of TensorFlow.js
// ops in NHWC, so that TF.js's wasm backend (XNNPACK) runs the very same
// architecture and weights as edgerun and onnxruntime. Node only; the plan is
// run by common/tfjs-plan.mjs, in node and in the browser.
//
//   import { translate } from './onnx2tf.mjs';
//   const { plan, bin } = translate(fs.readFileSync('model.onnx'), 'model');
//
// What a careful TF.js port of the model would do, done mechanically:
// - activations live in NHWC, the layout TF.js and XNNPACK run convolutions
//   in; weights are transposed once, here (conv [Co,Ci,kh,kw] -> [kh,kw,Ci,Co],
//   depthwise -> [kh,kw,C,multiplier], Gemm B -> [K,N]), as tfjs-converter does;
// - Conv + bias + Relu/Relu6/Sigmoid becomes one tf.fused.conv2d (or
//   fused.depthwiseConv2d), Gemm + bias (+ activation) one tf.fused.matMul:
//   the fusions XNNPACK offers;
// - every value computed only from constants (the Shape -> Gather -> ...
//   chains PyTorch exports for padding and channel splits) is folded here;
// - Transpose and Reshape do not force NCHW: each value carries a permutation
//   of its ONNX (logical) axes, a Transpose only changes that permutation, and
//   a Reshape is a free physical reshape whenever the axes it merges or splits
//   are adjacent in memory. ShuffleNet's channel shuffle (NCHW Reshape to
//   [N,2,C/2,H,W], Transpose, Reshape back) so becomes the NHWC shuffle a
//   TF port would write: reshape to [N,H,W,2,C/2], one transpose, reshape.
//
// The TF.js model takes its input in NHWC, as a TF.js app has it
// (tf.browser.fromPixels is HWC), and returns the graph output in ONNX order.
//
// Operators: Conv (2-D; dense, depthwise with any multiplier, grouped as
// split + per-group conv + concat), Gemm, MatMul (2-D by a constant),
// MaxPool, AveragePool (incl. ceil_mode), GlobalAveragePool, GlobalMaxPool,
// ReduceMean, ReduceMax, Add, Sub, Mul, Div (numpy broadcasting), Relu, Clip,
// Sigmoid, Tanh, LeakyRelu, HardSigmoid, HardSwish, Softmax (last axis),
// Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split, Slice
// (positive steps), Pad (constant), Identity, Dropout, Cast (to float), and
// on constants also Constant, ConstantOfShape, Shape, Gather. Anything else,
// and any unsupported attribute, is an error naming the model and the node.
// BatchNormalization and LRN are not handled: the bench's models (exported
// with BatchNorm folded) have none.
import { readModel } from '../tests/lib/onnx_pb.mjs';

import { PLAN_FORMAT } from './common/tfjs-plan.mjs';
const NHWC = [0, 2, 3, 1];

const prod = (xs) => xs.reduce((a, b) => a * b, 1);
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const invert = (p) => { const q = []; p.forEach((a, i) => { q[a] = i; }); return q; };

class TranslateError extends Error {}

// Host-side tensor for constant folding: { const: true, dtype, dims, data }
// with data a Float32Array (float) or a plain array of numbers (integers;
// int64 values beyond 2^53 only ever mean "to the end" and survive as huge).
function hostTensor(t) {
  const isFloat = t.dtype === 'float32' || t.dtype === 'float64';
  const data = isFloat ? Float32Array.from(t.data) : Array.from(t.data, Number);
  return { const: true, dtype: isFloat ? 'float32' : 'int', dims: [...t.dims], data };
}
const hostOf = (dtype, dims, data) => ({ const: true, dtype, dims, data });
const strides = (dims) => {
  const s = new Array(dims.length);
  let k = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = k; k *= dims[i]; }
  return s;
};

// Transpose a host tensor: out axis i is in axis perm[i].
function hostTranspose(t, perm) {
  const dims = perm.map((a) => t.dims[a]);
  const is = strides(t.dims);
  const n = prod(dims);
  const out = t.dtype === 'float32' ? new Float32Array(n) : new Array(n);
  const idx = new Array(dims.length).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let i = 0; i < dims.length; i++) src += idx[i] * is[perm[i]];
    out[o] = t.data[src];
    for (let i = dims.length - 1; i >= 0; i--) {
      if (++idx[i] < dims[i]) break;
      idx[i] = 0;
    }
  }
  return hostOf(t.dtype, dims, out);
}

function broadcastDims(a, b, where) {
  const r = Math.max(a.length, b.length);
  const out = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new TranslateError(`${where}: shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

function hostBinary(op, a, b, where) {
  const dims = broadcastDims(a.dims, b.dims, where);
  const n = prod(dims), os = strides(dims);
  const idxOf = (t, o) => {
    let k = 0;
    const ts = strides(t.dims), off = dims.length - t.dims.length;
    for (let i = 0; i < t.dims.length; i++) {
      const c = Math.floor(o / os[i + off]) % dims[i + off];
      k += (t.dims[i] === 1 ? 0 : c) * ts[i];
    }
    return k;
  };
  const isInt = a.dtype === 'int' && b.dtype === 'int';
  const f = { Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y,
    Div: isInt ? (x, y) => Math.trunc(x / y) : (x, y) => x / y }[op];
  const out = isInt ? new Array(n) : new Float32Array(n);
  for (let o = 0; o < n; o++) out[o] = f(a.data[idxOf(a, o)], b.data[idxOf(b, o)]);
  return hostOf(isInt ? 'int' : 'float32', dims, out);
}

// ONNX Slice bounds on one axis of size n: the first index, the step and the
// number of elements taken.
function sliceBounds(n, start, end, step) {
  if (step === 0) throw new TranslateError('Slice step 0');
  const wrap = (v) => (v < 0 ? v + n : v);
  let s, e;
  if (step > 0) {
    s = Math.min(Math.max(wrap(start), 0), n);
    e = Math.min(Math.max(wrap(end), 0), n);
  } else {
    s = Math.min(Math.max(wrap(start), 0), n - 1);
    e = Math.min(Math.max(wrap(end), -1), n - 1);
  }
  return { start: s, step, size: Math.max(0, Math.ceil((e - s) / step)) };
}

function hostSlice(t, axes, starts, ends, steps, where) {
  let out = t;
  axes.forEach((ax, k) => {
    const b = sliceBounds(out.dims[ax], starts[k], ends[k], steps[k]);
    const dims = out.dims.map((d, i) => (i === ax ? b.size : d));
    const is = strides(out.dims), n = prod(dims), os = strides(dims);
    const data = out.dtype === 'float32' ? new Float32Array(n) : new Array(n);
    for (let o = 0; o < n; o++) {
      let src = 0;
      for (let i = 0; i < dims.length; i++) {
        const c = Math.floor(o / os[i]) % dims[i];
        src += (i === ax ? b.start + c * b.step : c) * is[i];
      }
      data[o] = out.data[src];
    }
    out = hostOf(out.dtype, dims, data);
  });
  return out;
}

// Groups of a reshape: consecutive input axes whose sizes multiply to the
// same as consecutive output axes. [[inAxes], [outAxes]] each.
function reshapeGroups(from, to, where) {
  const groups = [];
  let i = 0, j = 0;
  while (i < from.length || j < to.length) {
    const ins = [], outs = [];
    let p = 1, q = 1;
    const takeIn = () => { ins.push(i); p *= from[i++]; };
    const takeOut = () => { outs.push(j); q *= to[j++]; };
    if (i < from.length) takeIn();
    if (j < to.length) takeOut();
    while (p !== q) {
      if (p < q && i < from.length) takeIn();
      else if (q < p && j < to.length) takeOut();
      else throw new TranslateError(`${where}: cannot reshape [${from}] to [${to}]`);
    }
    groups.push([ins, outs]);
  }
  return groups;
}

export function translate(bytes, modelName = 'model') {
  const { graph, opset } = readModel(bytes);
  if (graph.inputs.length !== 1) throw new TranslateError(`${modelName}: ${graph.inputs.length} graph inputs; the bench handles one`);
  if (graph.outputs.length !== 1) throw new TranslateError(`${modelName}: ${graph.outputs.length} graph outputs; the bench handles one`);
  const consumers = new Map();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) consumers.set(i, (consumers.get(i) || 0) + 1);
  const graphOutput = graph.outputs[0].name;

  // ---- the plan being built -------------------------------------------------
  const consts = [];          // { shape, dtype: 'float32'|'int32', data }
  const constIds = new Map(); // cache key -> const index
  const steps = [];
  let nextSlot = 0;
  const newSlot = () => nextSlot++;
  const addConst = (key, dtype, shape, data) => {
    if (key && constIds.has(key)) return constIds.get(key);
    consts.push({ shape, dtype, data: dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data) });
    if (key) constIds.set(key, consts.length - 1);
    return consts.length - 1;
  };
  // A dynamic value: { slot, dims (ONNX order), perm (physical axis i holds logical axis perm[i]) }.
  const physShape = (v) => v.perm.map((a) => v.dims[a]);
  const emit = (op, inputs, attrs, dims, perm, extra = {}) => {
    const v = { slot: newSlot(), dims, perm };
    steps.push({ op, in: inputs, out: v.slot, shape: physShape(v), ...attrs, ...extra });
    return v;
  };
  const values = new Map(); // ONNX name -> dynamic value or host tensor
  let macs = 0;

  // Bring v to physical permutation `perm`: free (a reshape) when the axes of
  // size > 1 are already in that order, a transpose otherwise.
  function toPerm(v, perm) {
    if (same(v.perm, perm)) return v;
    const big = (p) => p.filter((a) => v.dims[a] !== 1);
    const target = { dims: v.dims, perm };
    if (same(big(v.perm), big(perm))) return emit('reshape', [v.slot], {}, v.dims, perm, { to: physShape(target) });
    return emit('transpose', [v.slot], { perm: perm.map((a) => v.perm.indexOf(a)) }, v.dims, perm);
  }
  const toNHWC = (v, where) => {
    if (v.dims.length !== 4) throw new TranslateError(`${where}: expected a 4-D input, got [${v.dims}]`);
    return toPerm(v, NHWC);
  };
  const identityPerm = (r) => [...Array(r).keys()];

  // A host tensor as a const in the physical layout of a value with logical
  // rank r and permutation perm (numpy broadcasting: right-aligned).
  function constLike(t, r, perm, key) {
    const dims = [...Array(r - t.dims.length).fill(1), ...t.dims];
    const u = hostTranspose(hostOf(t.dtype, dims, t.data), perm);
    return addConst(key && `${key}@${perm}`, 'float32', u.dims, u.data);
  }

  const get = (name, where) => {
    if (!values.has(name)) throw new TranslateError(`${where}: input "${name}" is not defined before use`);
    return values.get(name);
  };
  const host = (name, where) => {
    const v = get(name, where);
    if (!v.const) throw new TranslateError(`${where}: input "${name}" must be a constant for this translator`);
    return v;
  };
  const ints = (name, where) => host(name, where).data.map(Number);

  for (const [name, t] of graph.initializers) values.set(name, hostTensor(t));
  const gin = graph.inputs[0];
  if (!gin.dims.every((d) => Number.isInteger(d) || typeof d === 'string')) throw new TranslateError(`${modelName}: input has no shape`);
  const inDims = gin.dims.map((d, i) => (typeof d === 'string' ? (i === 0 ? 1 : NaN) : d));
  if (inDims.some((d) => !(d > 0))) throw new TranslateError(`${modelName}: input "${gin.name}" has symbolic dims [${gin.dims}]`);
  const input = { slot: newSlot(), dims: inDims, perm: inDims.length === 4 ? NHWC : identityPerm(inDims.length) };
  values.set(gin.name, input);

  const nodesByOutput = new Map();
  graph.nodes.forEach((n) => n.outputs.forEach((o) => nodesByOutput.set(o, n)));
  const fusedInto = new Set(); // activation nodes already folded into a conv/matmul

  // The activation node fused into the op that produces `out`, if any.
  const fusible = (out) => {
    if (out === graphOutput || consumers.get(out) !== 1) return null;
    const next = graph.nodes.find((n) => n.inputs[0] === out);
    if (!next) return null;
    if (next.opType === 'Relu') return { node: next, activation: 'relu' };
    if (next.opType === 'Sigmoid') return { node: next, activation: 'sigmoid' };
    if (next.opType === 'Clip') {
      const [lo, hi] = clipBounds(next);
      if (lo === 0 && hi === 6) return { node: next, activation: 'relu6' };
      if (lo === 0 && hi === Infinity) return { node: next, activation: 'relu' };
    }
    return null;
  };
  // A constant by name, also when its Constant node comes later in the file
  // (a fused activation's bounds are needed when its producer is translated).
  const lookupConst = (name, where) => {
    if (values.has(name)) return host(name, where);
    const c = nodesByOutput.get(name);
    if (c && c.opType === 'Constant' && c.attrs.value) return hostTensor(c.attrs.value);
    throw new TranslateError(`${where}: "${name}" is not a constant`);
  };
  function clipBounds(n) {
    const where = `${modelName}: node '${n.name}' (Clip)`;
    if (n.inputs.length > 1) { // opset >= 11: min and max are inputs
      const v = (i, d) => (n.inputs[i] ? lookupConst(n.inputs[i], where).data[0] : d);
      return [v(1, -Infinity), v(2, Infinity)];
    }
    return [n.attrs.min ?? -Infinity, n.attrs.max ?? Infinity];
  }

  function convPads(n, x, kh, kw, sh, sw, dh, dw, where) {
    const H = x.dims[2], W = x.dims[3];
    const autoPad = n.attrs.auto_pad || 'NOTSET';
    if (autoPad === 'NOTSET') {
      const p = n.attrs.pads || [0, 0, 0, 0];
      return { top: p[0], left: p[1], bottom: p[2], right: p[3] };
    }
    if (autoPad === 'VALID') return { top: 0, left: 0, bottom: 0, right: 0 };
    const padFor = (inSize, k, s, d) => {
      const out = Math.ceil(inSize / s);
      return Math.max(0, (out - 1) * s + (k - 1) * d + 1 - inSize);
    };
    const ph = padFor(H, kh, sh, dh), pw = padFor(W, kw, sw, dw);
    if (autoPad === 'SAME_UPPER') return { top: ph >> 1, bottom: ph - (ph >> 1), left: pw >> 1, right: pw - (pw >> 1) };
    if (autoPad === 'SAME_LOWER') return { top: ph - (ph >> 1), bottom: ph >> 1, left: pw - (pw >> 1), right: pw >> 1 };
    throw new TranslateError(`${where}: auto_pad ${autoPad} is not supported`);
  }

  // Explicit zero padding as its own op, for ops whose TF.js API takes only
  // symmetric padding.
  const padStep = (x, p, value = 0) => emit('pad', [x.slot], { paddings: [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]], value },
    [x.dims[0], x.dims[1], x.dims[2] + p.top + p.bottom, x.dims[3] + p.left + p.right], NHWC);

  function conv(n, where) {
    const x = toNHWC(get(n.inputs[0], where), where);
    const w = host(n.inputs[1], where);
    const b = n.inputs[2] ? host(n.inputs[2], where) : null;
    if (w.dims.length !== 4) throw new TranslateError(`${where}: only 2-D convolutions are supported (weight [${w.dims}])`);
    const [Co, Cig, kh, kw] = w.dims;
    const g = n.attrs.group || 1;
    const Ci = x.dims[1];
    if (Cig * g !== Ci || Co % g) throw new TranslateError(`${where}: weight [${w.dims}] with group ${g} does not fit input [${x.dims}]`);
    const [sh, sw] = n.attrs.strides || [1, 1];
    const [dh, dw] = n.attrs.dilations || [1, 1];
    const p = convPads(n, x, kh, kw, sh, sw, dh, dw, where);
    const Ho = Math.floor((x.dims[2] + p.top + p.bottom - ((kh - 1) * dh + 1)) / sh) + 1;
    const Wo = Math.floor((x.dims[3] + p.left + p.right - ((kw - 1) * dw + 1)) / sw) + 1;
    const outDims = [x.dims[0], Co, Ho, Wo];
    macs += x.dims[0] * Co * Ho * Wo * Cig * kh * kw;
    const fuse = fusible(n.outputs[0]);
    const activation = fuse ? fuse.activation : 'linear';
    if (fuse) fusedInto.add(fuse.node);
    const common = { strides: [sh, sw], dilations: [dh, dw], activation };
    const biasOf = (lo, hi) => (b ? addConst(`${n.inputs[2]}[${lo}:${hi}]`, 'float32', [hi - lo], b.data.slice(lo, hi)) : -1);
    const explicit = [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]];
    if (g === 1) {
      const f = hostTranspose(w, [2, 3, 1, 0]); // [kh,kw,Ci,Co]
      const filter = addConst(`${n.inputs[1]}:hwio`, 'float32', f.dims, f.data);
      return emit('conv2d', [x.slot], { filter, bias: biasOf(0, Co), pad: explicit, ...common }, outDims, NHWC);
    }
    if (g === Ci) { // depthwise, channel multiplier Co / Ci
      const mult = Co / Ci;
      const f = hostTranspose(hostOf('float32', [Ci, mult, kh, kw], w.data), [2, 3, 0, 1]); // [kh,kw,Ci,mult]
      const filter = addConst(`${n.inputs[1]}:hwcm`, 'float32', f.dims, f.data);
      const sym = p.top === p.bottom && p.left === p.right && p.top === p.left;
      const xin = sym ? x : padStep(x, p);
      return emit('depthwiseConv2d', [xin.slot], { filter, bias: biasOf(0, Co), pad: sym ? p.top : 0, ...common }, outDims, NHWC);
    }
    // Grouped: one conv per group on a channel split, then concat.
    const parts = emit('split', [x.slot], { sizes: Array(g).fill(Cig), axis: 3 }, [x.dims[0], Cig, x.dims[2], x.dims[3]], NHWC);
    parts.slots = [parts.slot, ...Array.from({ length: g - 1 }, newSlot)];
    steps[steps.length - 1].outs = parts.slots;
    steps[steps.length - 1].shapes = parts.slots.map(() => [x.dims[0], x.dims[2], x.dims[3], Cig]);
    const cog = Co / g;
    const outs = [];
    for (let k = 0; k < g; k++) {
      const wk = hostOf('float32', [cog, Cig, kh, kw], w.data.slice(k * cog * Cig * kh * kw, (k + 1) * cog * Cig * kh * kw));
      const f = hostTranspose(wk, [2, 3, 1, 0]);
      const filter = addConst(`${n.inputs[1]}:hwio:g${k}`, 'float32', f.dims, f.data);
      outs.push(emit('conv2d', [parts.slots[k]], { filter, bias: biasOf(k * cog, (k + 1) * cog), pad: explicit, ...common },
        [x.dims[0], cog, Ho, Wo], NHWC).slot);
    }
    return emit('concat', outs, { axis: 3 }, outDims, NHWC);
  }

  function gemm(n, where) {
    let a = get(n.inputs[0], where);
    if (a.const) throw new TranslateError(`${where}: a constant A operand is not supported`);
    if (a.dims.length !== 2) throw new TranslateError(`${where}: A must be 2-D, got [${a.dims}]`);
    a = toPerm(a, [0, 1]);
    const B = host(n.inputs[1], where);
    const isGemm = n.opType === 'Gemm';
    const transA = isGemm && n.attrs.transA === 1, transB = isGemm && n.attrs.transB === 1;
    const alpha = isGemm ? (n.attrs.alpha ?? 1) : 1, beta = isGemm ? (n.attrs.beta ?? 1) : 1;
    if (B.dims.length !== 2) throw new TranslateError(`${where}: B must be 2-D, got [${B.dims}]`);
    const Bkn = transB ? hostTranspose(B, [1, 0]) : B;
    const [K, N] = Bkn.dims;
    const M = transA ? a.dims[1] : a.dims[0];
    if ((transA ? a.dims[0] : a.dims[1]) !== K) throw new TranslateError(`${where}: A [${a.dims}] and B [${B.dims}] do not multiply`);
    macs += M * N * K;
    const bdata = alpha === 1 ? Bkn.data : Bkn.data.map((x) => x * alpha);
    const b = addConst(`${n.inputs[1]}:kn:${alpha}`, 'float32', [K, N], bdata);
    let bias = -1;
    if (isGemm && n.inputs[2]) {
      const C = host(n.inputs[2], where);
      if (prod(C.dims) !== N || (C.dims.length === 2 && C.dims[1] !== N)) throw new TranslateError(`${where}: bias C [${C.dims}] is not a row of ${N}`);
      bias = addConst(`${n.inputs[2]}:${beta}`, 'float32', [N], beta === 1 ? C.data : C.data.map((x) => x * beta));
    }
    const fuse = fusible(n.outputs[0]);
    if (fuse) fusedInto.add(fuse.node);
    return emit('matMul', [a.slot], { b, bias, transposeA: transA, activation: fuse ? fuse.activation : 'linear' }, [M, N], [0, 1]);
  }

  function pool(n, where) {
    const x = toNHWC(get(n.inputs[0], where), where);
    const [kh, kw] = n.attrs.kernel_shape;
    const [sh, sw] = n.attrs.strides || [1, 1];
    if (n.attrs.dilations && n.attrs.dilations.some((d) => d !== 1)) throw new TranslateError(`${where}: dilated pooling is not supported`);
    const p = convPads(n, x, kh, kw, sh, sw, 1, 1, where);
    const out = (size, k, s, lo, hi) => {
      if (!n.attrs.ceil_mode) return Math.floor((size + lo + hi - k) / s) + 1;
      let o = Math.ceil((size + lo + hi - k) / s) + 1;
      if ((o - 1) * s >= size + lo) o--; // the last window must start inside the input or its left padding
      return o;
    };
    const Ho = out(x.dims[2], kh, sh, p.top, p.bottom), Wo = out(x.dims[3], kw, sw, p.left, p.right);
    // ceil_mode: pad the far side so that floor division gives the same count.
    p.bottom = Math.max(p.bottom, (Ho - 1) * sh + kh - x.dims[2] - p.top);
    p.right = Math.max(p.right, (Wo - 1) * sw + kw - x.dims[3] - p.left);
    const padded = p.top || p.bottom || p.left || p.right;
    if (n.opType === 'AveragePool' && padded && n.attrs.count_include_pad) {
      throw new TranslateError(`${where}: AveragePool with padding and count_include_pad=1 is not supported`);
    }
    // TF.js's pools skip padding: max over real pixels, average over real pixels (count_include_pad=0).
    return emit(n.opType === 'MaxPool' ? 'maxPool' : 'avgPool', [x.slot], {
      filterSize: [kh, kw], strides: [sh, sw],
      pad: padded ? [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]] : 'valid',
    }, [x.dims[0], x.dims[1], Ho, Wo], NHWC);
  }

  function reduce(n, x, axes, keepDims, op, where) {
    const r = x.dims.length;
    axes = axes.map((a) => (a < 0 ? a + r : a));
    if (axes.some((a) => a < 0 || a >= r)) throw new TranslateError(`${where}: axes [${axes}] out of range for rank ${r}`);
    const dims = keepDims ? x.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : x.dims.filter((_, i) => !axes.includes(i));
    let perm = x.perm;
    if (!keepDims) {
      const kept = x.perm.filter((a) => !axes.includes(a));
      const rank = invert([...kept].sort((p, q) => p - q));
      perm = kept.map((a) => rank[a]);
    }
    return emit(op, [x.slot], { axes: axes.map((a) => x.perm.indexOf(a)).sort(), keepDims }, dims, perm);
  }

  function reshape(x, dims, where) {
    if (prod(dims) !== prod(x.dims)) throw new TranslateError(`${where}: cannot reshape [${x.dims}] to [${dims}]`);
    const groups = reshapeGroups(x.dims, dims, where);
    const groupOfIn = [];
    groups.forEach(([ins], gi) => ins.forEach((a) => { groupOfIn[a] = gi; }));
    // Is every group's set of axes (of size > 1) contiguous and in order in memory?
    const big = x.perm.filter((a) => x.dims[a] !== 1);
    let ok = true;
    const seen = new Set();
    for (let i = 0; i < big.length; i++) {
      const gi = groupOfIn[big[i]];
      if (i > 0 && groupOfIn[big[i - 1]] === gi) { if (big[i] < big[i - 1]) ok = false; continue; }
      if (seen.has(gi)) ok = false;
      seen.add(gi);
    }
    // Order groups by where their axes sit in memory; a group of only new
    // size-1 axes goes right after the group before it.
    const posOf = [];
    groups.forEach(([ins], gi) => {
      posOf[gi] = ins.length ? Math.min(...ins.map((a) => x.perm.indexOf(a))) : (gi ? posOf[gi - 1] : -1) + 0.5;
    });
    const order = groups.map((_, gi) => gi).sort((p, q) => (posOf[p] - posOf[q]) || (p - q));
    let v = x;
    if (!ok) v = toPerm(x, order.flatMap((gi) => groups[gi][0]));
    const perm = order.flatMap((gi) => groups[gi][1]);
    return emit('reshape', [v.slot], {}, dims, perm, { to: perm.map((a) => dims[a]) });
  }

  function binary(n, where) {
    let [a, b] = [get(n.inputs[0], where), get(n.inputs[1], where)];
    if (a.const && b.const) return hostBinary(n.opType, a, b, where);
    const op = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div' }[n.opType];
    const dims = broadcastDims(a.dims, b.dims, where);
    const r = dims.length;
    // Both operands in the layout of the dynamic one with the output's rank
    // (the first, if both are dynamic); a constant is laid out to match.
    const lead = !a.const && a.dims.length === r ? a : !b.const && b.dims.length === r ? b : null;
    if (!lead) throw new TranslateError(`${where}: broadcasting a dynamic operand up in rank is not supported`);
    const perm = lead.perm;
    const place = (v, name) => {
      if (v.const) return { constant: constLike(v, r, perm, name) };
      const full = { dims: [...Array(r - v.dims.length).fill(1), ...v.dims], perm: null };
      // A lower-rank dynamic operand: reshape to rank r (leading 1s), then permute.
      let u = v;
      if (v.dims.length !== r) u = reshape(v, full.dims, where);
      return { slot: toPerm(u, perm).slot };
    };
    const pa = place(a, n.inputs[0]), pb = place(b, n.inputs[1]);
    return emit(op, [pa.slot ?? null, pb.slot ?? null], { consts: [pa.constant ?? -1, pb.constant ?? -1] }, dims, perm);
  }

  function unary(op, x, attrs = {}) { return emit(op, [x.slot], attrs, x.dims, x.perm); }
  const scalar = (value) => addConst(`scalar:${value}`, 'float32', [], [value]);

  function hardSigmoid(x, alpha, beta) {
    // max(0, min(1, alpha*x + beta)); TF.js has no such op: the formula.
    const m = emit('mul', [x.slot, null], { consts: [-1, scalar(alpha)] }, x.dims, x.perm);
    const s = emit('add', [m.slot, null], { consts: [-1, scalar(beta)] }, x.dims, x.perm);
    return unary('clip', s, { min: 0, max: 1 });
  }

  for (const n of graph.nodes) {
    const where = `${modelName}: node '${n.name || n.outputs[0]}' (${n.opType})`;
    if (fusedInto.has(n)) { // its producer applied it: the output is the producer's
      values.set(n.outputs[0], values.get(n.inputs[0]));
      continue;
    }
    if (n.domain && n.domain !== 'ai.onnx') throw new TranslateError(`${where}: domain ${n.domain} is not supported`);
    const ins = n.inputs.map((i) => (i ? get(i, where) : null));
    const allConst = ins.every((v) => v === null || v.const);
    const set = (v) => values.set(n.outputs[0], v);
    const x = ins[0];
    switch (n.opType) {
      case 'Constant': {
        if (!n.attrs.value) throw new TranslateError(`${where}: only the "value" form of Constant is supported`);
        set(hostTensor(n.attrs.value));
        break;
      }
      case 'Identity': case 'Dropout':
        set(x);
        break;
      case 'Shape':
        set(hostOf('int', [x.dims.length], [...x.dims]));
        break;
      case 'Gather': {
        if (!allConst) throw new TranslateError(`${where}: Gather on a computed tensor is not supported`);
        const axis = n.attrs.axis || 0;
        if (axis !== 0 || x.dims.length !== 1) throw new TranslateError(`${where}: only Gather on a 1-D constant is supported`);
        const idx = ins[1].data.map((i) => (i < 0 ? i + x.dims[0] : i));
        set(hostOf(x.dtype, [...ins[1].dims], idx.map((i) => x.data[i])));
        break;
      }
      case 'Unsqueeze': case 'Squeeze': {
        const axes = (n.inputs[1] ? ints(n.inputs[1], where) : n.attrs.axes || []);
        let dims;
        if (n.opType === 'Unsqueeze') {
          const r = x.dims.length + axes.length;
          const ax = axes.map((a) => (a < 0 ? a + r : a));
          dims = [];
          for (let i = 0, k = 0; i < r; i++) dims.push(ax.includes(i) ? 1 : x.dims[k++]);
        } else {
          const ax = axes.length ? axes.map((a) => (a < 0 ? a + x.dims.length : a)) : x.dims.map((d, i) => (d === 1 ? i : -1));
          dims = x.dims.filter((_, i) => !ax.includes(i));
        }
        set(x.const ? hostOf(x.dtype, dims, x.data) : reshape(x, dims, where));
        break;
      }
      case 'Cast': {
        if (!allConst) { // float to float is all these models do at run time
          if (n.attrs.to !== 1) throw new TranslateError(`${where}: Cast of a computed tensor to type ${n.attrs.to} is not supported`);
          set(x);
          break;
        }
        const toFloat = n.attrs.to === 1 || n.attrs.to === 11;
        set(hostOf(toFloat ? 'float32' : 'int', x.dims, toFloat ? Float32Array.from(x.data) : Array.from(x.data, Math.trunc)));
        break;
      }
      case 'ConstantOfShape': {
        const dims = ints(n.inputs[0], where);
        const v = n.attrs.value ? hostTensor(n.attrs.value) : hostOf('float32', [1], [0]);
        set(hostOf(v.dtype, dims, Array(prod(dims)).fill(v.data[0])));
        break;
      }
      case 'Reshape': case 'Flatten': {
        let dims;
        if (n.opType === 'Flatten') {
          const axis = n.attrs.axis ?? 1;
          const ax = axis < 0 ? axis + x.dims.length : axis;
          dims = [prod(x.dims.slice(0, ax)), prod(x.dims.slice(ax))];
        } else {
          dims = ints(n.inputs[1], where).map((d, i) => (d === 0 && !n.attrs.allowzero ? x.dims[i] : d));
          const known = prod(dims.filter((d) => d !== -1));
          dims = dims.map((d) => (d === -1 ? prod(x.dims) / known : d));
        }
        if (!dims.every(Number.isInteger) || prod(dims) !== prod(x.dims)) throw new TranslateError(`${where}: cannot reshape [${x.dims}] to [${dims}]`);
        set(x.const ? hostOf(x.dtype, dims, x.data) : reshape(x, dims, where));
        break;
      }
      case 'Transpose': {
        const perm = n.attrs.perm || [...x.dims.keys()].reverse();
        if (x.const) { set(hostTranspose(x, perm)); break; }
        // Free: only the logical order changes. Physical axis i holds input
        // logical axis x.perm[i], which is output logical axis invert(perm)[...].
        const inv = invert(perm);
        set({ slot: x.slot, dims: perm.map((a) => x.dims[a]), perm: x.perm.map((a) => inv[a]) });
        break;
      }
      case 'Slice': {
        const r = x.dims.length;
        const starts = ints(n.inputs[1], where), ends = ints(n.inputs[2], where);
        const axes = (n.inputs[3] ? ints(n.inputs[3], where) : starts.map((_, i) => i)).map((a) => (a < 0 ? a + r : a));
        const stepsIn = n.inputs[4] ? ints(n.inputs[4], where) : starts.map(() => 1);
        if (x.const) { set(hostSlice(x, axes, starts, ends, stepsIn, where)); break; }
        const begin = Array(r).fill(0), end = [...x.dims], step = Array(r).fill(1);
        axes.forEach((a, k) => {
          const bnd = sliceBounds(x.dims[a], starts[k], ends[k], stepsIn[k]);
          if (bnd.step < 0) throw new TranslateError(`${where}: Slice with a negative step on a computed tensor is not supported`);
          [begin[a], end[a], step[a]] = [bnd.start, bnd.start + (bnd.size - 1) * bnd.step + 1, bnd.step];
        });
        const dims = x.dims.map((_, a) => Math.max(0, Math.ceil((end[a] - begin[a]) / step[a])));
        // Slicing a slice nobody else reads (x[:, :, ::2][..., ::2], as the
        // ResNets' shortcuts do) is one strided slice of the original, as a
        // TF port would write it; the first slice becomes dead and is dropped.
        let src = x;
        if (x.sliced && consumers.get(n.inputs[0]) === 1) {
          const p = x.sliced;
          src = p.src;
          for (let a = 0; a < r; a++) {
            begin[a] = p.begin[a] + begin[a] * p.step[a];
            step[a] *= p.step[a];
            end[a] = begin[a] + (dims[a] - 1) * step[a] + 1;
          }
        }
        const ph = (arr) => src.perm.map((a) => arr[a]);
        const v = step.every((s) => s === 1)
          ? emit('slice', [src.slot], { begin: ph(begin), size: ph(dims) }, dims, src.perm)
          : emit('stridedSlice', [src.slot], { begin: ph(begin), end: ph(end), strides: ph(step) }, dims, src.perm);
        v.sliced = { src, begin, step };
        set(v);
        break;
      }
      case 'Pad': {
        const mode = n.attrs.mode || 'constant';
        if (mode !== 'constant') throw new TranslateError(`${where}: Pad mode ${mode} is not supported`);
        const pads = n.inputs[1] ? ints(n.inputs[1], where) : n.attrs.pads;
        const value = n.inputs[2] ? host(n.inputs[2], where).data[0] : (n.attrs.value || 0);
        const r = x.dims.length;
        if (n.inputs[3]) throw new TranslateError(`${where}: Pad with axes is not supported`);
        if (pads.some((p) => p < 0)) throw new TranslateError(`${where}: negative pads are not supported`);
        if (x.const) throw new TranslateError(`${where}: Pad of a constant is not supported`);
        const dims = x.dims.map((d, a) => d + pads[a] + pads[a + r]);
        if (pads.every((p) => p === 0)) { set(x); break; }
        set(emit('pad', [x.slot], { paddings: x.perm.map((a) => [pads[a], pads[a + r]]), value }, dims, x.perm));
        break;
      }
      case 'Concat': {
        const r = (ins.find((v) => !v.const) || x).dims.length;
        const axis = n.attrs.axis < 0 ? n.attrs.axis + r : n.attrs.axis;
        const dims = [...ins[0].dims];
        dims[axis] = ins.reduce((s, v) => s + v.dims[axis], 0);
        if (allConst) {
          if (r !== 1) throw new TranslateError(`${where}: Concat of constants of rank ${r} is not supported`);
          set(hostOf(ins[0].dtype, dims, ins.flatMap((v) => Array.from(v.data))));
          break;
        }
        const lead = ins.find((v) => !v.const);
        const perm = r === 4 ? NHWC : lead.perm;
        const slots = ins.map((v, k) => (v.const
          ? emit('const', [], { constant: constLike(v, r, perm, n.inputs[k]) }, v.dims, perm).slot
          : toPerm(v, perm).slot));
        set(emit('concat', slots, { axis: perm.indexOf(axis) }, dims, perm));
        break;
      }
      case 'Split': {
        const r = x.dims.length;
        const axis = (n.attrs.axis || 0) < 0 ? n.attrs.axis + r : (n.attrs.axis || 0);
        const sizes = n.inputs[1] ? ints(n.inputs[1], where) : n.attrs.split
          || Array(n.outputs.length).fill(x.dims[axis] / n.outputs.length);
        const v = emit('split', [x.slot], { sizes, axis: x.perm.indexOf(axis) }, x.dims.map((d, a) => (a === axis ? sizes[0] : d)), x.perm);
        const slots = [v.slot, ...sizes.slice(1).map(newSlot)];
        steps[steps.length - 1].outs = slots;
        steps[steps.length - 1].shapes = sizes.map((s) => x.perm.map((a) => (a === axis ? s : x.dims[a])));
        n.outputs.forEach((o, k) => values.set(o, { slot: slots[k], dims: x.dims.map((d, a) => (a === axis ? sizes[k] : d)), perm: x.perm }));
        break;
      }
      case 'Add': case 'Sub': case 'Mul': case 'Div':
        set(binary(n, where));
        break;
      case 'Conv':
        set(conv(n, where));
        break;
      case 'Gemm': case 'MatMul':
        set(gemm(n, where));
        break;
      case 'Relu': set(unary('relu', x)); break;
      case 'Sigmoid': set(unary('sigmoid', x)); break;
      case 'Tanh': set(unary('tanh', x)); break;
      case 'LeakyRelu': set(unary('leakyRelu', x, { alpha: n.attrs.alpha ?? 0.01 })); break;
      case 'Clip': {
        const [lo, hi] = clipBounds(n);
        set(lo === 0 && hi === 6 ? unary('relu6', x) : unary('clip', x, { min: lo, max: hi }));
        break;
      }
      case 'HardSigmoid':
        set(hardSigmoid(x, n.attrs.alpha ?? 0.2, n.attrs.beta ?? 0.5));
        break;
      case 'HardSwish': {
        const hs = hardSigmoid(x, 1 / 6, 0.5);
        set(emit('mul', [x.slot, hs.slot], { consts: [-1, -1] }, x.dims, x.perm));
        break;
      }
      case 'Softmax': {
        // Over the last axis (opset 13's default; before 13 the same for the 2-D logits classifiers end with).
        const r = x.dims.length;
        const axis = n.attrs.axis ?? (opset >= 13 ? -1 : 1);
        if ((axis < 0 ? axis + r : axis) !== r - 1) throw new TranslateError(`${where}: Softmax over axis ${axis} of rank ${r} is not supported (only the last axis)`);
        const y = toPerm(x, identityPerm(r));
        set(emit('softmax', [y.slot], {}, x.dims, y.perm));
        break;
      }
      case 'MaxPool': case 'AveragePool':
        if (n.outputs.length > 1 && n.outputs[1]) throw new TranslateError(`${where}: MaxPool's Indices output is not supported`);
        set(pool(n, where));
        break;
      case 'GlobalAveragePool': case 'GlobalMaxPool':
        set(reduce(n, toNHWC(x, where), [2, 3], true, n.opType === 'GlobalMaxPool' ? 'max' : 'mean', where));
        break;
      case 'ReduceMean': case 'ReduceMax': {
        const axes = n.inputs[1] ? ints(n.inputs[1], where) : n.attrs.axes || [...x.dims.keys()];
        set(reduce(n, x, axes, n.attrs.keepdims ?? 1, n.opType === 'ReduceMean' ? 'mean' : 'max', where));
        break;
      }
      default:
        throw new TranslateError(`${where}: operator ${n.opType} is not supported by the TF.js translator`);
    }
  }

  const outV = values.get(graphOutput);
  if (!outV || outV.const) throw new TranslateError(`${modelName}: the output "${graphOutput}" is not computed from the input`);
  const out = toPerm(outV, identityPerm(outV.dims.length));

  // Drop steps whose results nothing reads (the first of two merged slices).
  const read = new Set([out.slot]);
  for (let k = steps.length - 1; k >= 0; k--) {
    const outs = steps[k].outs || [steps[k].out];
    if (!outs.some((o) => read.has(o))) { steps.splice(k, 1); continue; }
    for (const i of steps[k].in) if (i !== null) read.add(i);
  }

  // Pack the constants into one little-endian blob, 4-byte aligned.
  let offset = 0;
  const constTable = consts.map((c) => {
    const e = { shape: c.shape, dtype: c.dtype, offset, length: c.data.length };
    offset += c.data.length * 4;
    return e;
  });
  const bin = new Uint8Array(offset);
  consts.forEach((c, i) => bin.set(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength), constTable[i].offset));

  const plan = {
    format: PLAN_FORMAT,
    model: modelName,
    input: { name: gin.name, slot: input.slot, dims: input.dims, shape: physShape(input), layout: same(input.perm, NHWC) ? 'NHWC' : 'ONNX' },
    output: { name: graphOutput, slot: out.slot, dims: out.dims },
    slots: nextSlot,
    macs,
    consts: constTable,
    steps,
  };
  return { plan, bin, macs };
}

export { TranslateError };
