// tfjs-plan.mjs - run a model translated by bench/onnx2tf.mjs with TensorFlow.js.
// Used by the node bench and, served as is, by the browser bench page; it
// imports nothing: the caller passes its `tf` (tfjs-core with the wasm backend
// set), the plan (JSON) and the weights blob (ArrayBuffer).
//
//   const model = instantiate(tf, plan, bin);    // uploads the weights once
//   const logits = await model.run(nhwcFloat32Array);
//   model.dispose();
//
// Each plan step becomes one closure over tf ops, so a run is a flat loop of
// tf calls inside one tf.tidy (which frees the intermediates). The first run
// checks every step's output shape against the plan's: the translator and
// TF.js must agree on every shape, or the run throws naming the step.

export const PLAN_FORMAT = 'edgerun-bench-tfjs-plan/1';

export function instantiate(tf, plan, bin) {
  if (!plan || plan.format !== PLAN_FORMAT) throw new Error(`not a ${PLAN_FORMAT} plan`);
  const consts = plan.consts.map((c, i) => {
    if (c.offset % 4 || c.offset + c.length * 4 > bin.byteLength) throw new Error(`const ${i} lies outside the weights blob`);
    const data = c.dtype === 'float32' ? new Float32Array(bin, c.offset, c.length) : new Int32Array(bin, c.offset, c.length);
    return tf.tensor(data, c.shape, c.dtype);
  });
  const C = (i) => (i >= 0 ? consts[i] : null);
  const fns = plan.steps.map((s, k) => {
    const where = `step ${k} (${s.op})`;
    const [a, b] = s.in;
    const out = s.out;
    switch (s.op) {
      case 'conv2d': {
        const args = { filter: C(s.filter), bias: C(s.bias) ?? undefined, strides: s.strides, pad: s.pad, dilations: s.dilations, activation: s.activation };
        return (v) => { v[out] = tf.fused.conv2d({ x: v[a], ...args }); };
      }
      case 'depthwiseConv2d': {
        const args = { filter: C(s.filter), bias: C(s.bias) ?? undefined, strides: s.strides, pad: s.pad, dilations: s.dilations, activation: s.activation };
        return (v) => { v[out] = tf.fused.depthwiseConv2d({ x: v[a], ...args }); };
      }
      case 'matMul': {
        const args = { b: C(s.b), bias: C(s.bias) ?? undefined, transposeA: s.transposeA, activation: s.activation };
        return (v) => { v[out] = tf.fused.matMul({ a: v[a], ...args }); };
      }
      case 'add': case 'sub': case 'mul': case 'div': {
        const f = tf[s.op];
        const [ca, cb] = s.consts.map(C);
        if (ca) return (v) => { v[out] = f(ca, v[b]); };
        if (cb) return (v) => { v[out] = f(v[a], cb); };
        return (v) => { v[out] = f(v[a], v[b]); };
      }
      case 'relu': return (v) => { v[out] = tf.relu(v[a]); };
      case 'relu6': return (v) => { v[out] = tf.relu6(v[a]); };
      case 'sigmoid': return (v) => { v[out] = tf.sigmoid(v[a]); };
      case 'softmax': return (v) => { v[out] = tf.softmax(v[a]); };
      case 'tanh': return (v) => { v[out] = tf.tanh(v[a]); };
      case 'leakyRelu': return (v) => { v[out] = tf.leakyRelu(v[a], s.alpha); };
      case 'clip': return (v) => { v[out] = tf.clipByValue(v[a], s.min, s.max); };
      case 'maxPool': return (v) => { v[out] = tf.maxPool(v[a], s.filterSize, s.strides, s.pad); };
      case 'avgPool': return (v) => { v[out] = tf.avgPool(v[a], s.filterSize, s.strides, s.pad); };
      case 'mean': return (v) => { v[out] = tf.mean(v[a], s.axes, s.keepDims); };
      case 'max': return (v) => { v[out] = tf.max(v[a], s.axes, s.keepDims); };
      case 'reshape': return (v) => { v[out] = tf.reshape(v[a], s.to); };
      case 'transpose': return (v) => { v[out] = tf.transpose(v[a], s.perm); };
      case 'slice': return (v) => { v[out] = tf.slice(v[a], s.begin, s.size); };
      case 'stridedSlice': return (v) => { v[out] = tf.stridedSlice(v[a], s.begin, s.end, s.strides); };
      case 'pad': return (v) => { v[out] = tf.pad(v[a], s.paddings, s.value); };
      case 'concat': return (v) => { v[out] = tf.concat(s.in.map((i) => v[i]), s.axis); };
      case 'const': { const c = C(s.constant); return (v) => { v[out] = c; }; }
      case 'split': {
        const outs = s.outs;
        return (v) => { tf.split(v[a], s.sizes, s.axis).forEach((t, i) => { v[outs[i]] = t; }); };
      }
      default: throw new Error(`${where}: unknown op`);
    }
  });

  const { slot: inSlot, shape: inShape } = plan.input;
  const outSlot = plan.output.slot;
  let checked = false;

  function check(v) {
    plan.steps.forEach((s, k) => {
      const outs = s.outs || [s.out];
      const shapes = s.shapes || [s.shape];
      outs.forEach((o, i) => {
        const got = v[o].shape;
        if (got.length !== shapes[i].length || got.some((d, j) => d !== shapes[i][j])) {
          throw new Error(`${plan.model}: step ${k} (${s.op}) gave shape [${got}], the translator expected [${shapes[i]}]`);
        }
      });
    });
  }

  return {
    plan,
    async run(data) {
      if (data.length !== inShape.reduce((x, y) => x * y, 1)) throw new Error(`input has ${data.length} values, expected [${inShape}]`);
      const y = tf.tidy(() => {
        const v = new Array(plan.slots);
        v[inSlot] = tf.tensor(data, inShape, 'float32');
        for (const f of fns) f(v);
        if (!checked) { check(v); checked = true; }
        return v[outSlot];
      });
      try {
        return await y.data();
      } finally {
        y.dispose();
      }
    },
    dispose() { for (const c of consts) c.dispose(); },
  };
}
