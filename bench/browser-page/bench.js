// The page half of bench/browser.mjs. It loads each engine the way a site
// would: edgerun's shim and TF.js's UMD builds by script tag, ORT's ESM build
// by import; from the URL prefixes browser.mjs serves: /web/ (edgerun's build
// output), /ort/ (ORT's dist), /onnx/ (the ONNX models), /tfjs/ and
// /tfjs-wasm/ (TF.js core and its wasm backend), /tfjs-models/ (the models
// translated for TF.js) and /common/ (the bench's own shared modules).
// window.benchDone, which the driver awaits, resolves to {ok: true, ...} or
// {ok: false, error}.
//
// The query string says what to do; the model's files and shape come in it
// too, so that a cold start fetches nothing else:
//   ?mode=cold&runtime=edgerun|ort|tfjs&seed=N&wasm=..&onnx=..&plan=..&bin=..&dims=1,3,32,32
//       load one engine, run once; {ms, logits, fetched}
//   ?mode=steady&seed=N&...   load all three and run once each; {logits, edgerunSize};
//       then window.steady(runs, warm) -> {edgerun, ort, tfjs: [ms...], logits}
//   ?mode=peak                window.peak() -> the SIMD128 mul+add peak
import { randomImage, nchwToNhwc } from '/common/input.mjs';

const params = new URLSearchParams(location.search);
const seed = Number(params.get('seed'));
const dims = (params.get('dims') || '').split(',').map(Number);
const url = (k) => params.get(k);

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

// Each engine as {infer(nchw) -> Promise<logits>}; layouts are converted
// before timing (prepare), so that each engine gets the input it takes.
const engines = {
  async edgerun() {
    await loadScript('/web/edgerun.min.js');
    const m = await globalThis.edgerun.load(url('wasm'));
    const inName = m.info.inputs[0].name, outName = m.info.outputs[0].name;
    return {
      prepare: (x) => x,
      infer: async (x) => (await m.runTensors({ [inName]: { data: x, dims } }))[outName].data,
      size: m.info.size, // which module the shim chose (NAME.wasm or its relaxed twin)
    };
  },
  async ort() {
    const ort = await import('/ort/ort.wasm.min.mjs');
    ort.env.wasm.numThreads = 1; // a page without COOP/COEP gets no threads
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = new URL('/ort/', location.href).href;
    const s = await ort.InferenceSession.create(url('onnx'), { executionProviders: ['wasm'] });
    const [inName] = s.inputNames, [outName] = s.outputNames;
    return {
      prepare: (x) => x,
      infer: async (x) => (await s.run({ [inName]: new ort.Tensor('float32', x, dims) }))[outName].data,
    };
  },
  async tfjs() {
    await loadScript('/tfjs/tf-core.min.js');
    await loadScript('/tfjs-wasm/tf-backend-wasm.min.js');
    const tf = globalThis.tf;
    tf.wasm.setWasmPaths(new URL('/tfjs-wasm/', location.href).href);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // the SIMD, single-threaded binary
    tf.wasm.setThreadsCount(1);
    const [{ instantiate }, plan, bin] = await Promise.all([
      import('/common/tfjs-plan.mjs'),
      fetch(url('plan')).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${url('plan')}: HTTP ${r.status}`)))),
      fetch(url('bin')).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${url('bin')}: HTTP ${r.status}`)))),
      tf.setBackend('wasm'),
    ]);
    if (tf.getBackend() !== 'wasm') throw new Error('TF.js: the wasm backend did not initialize');
    if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('TF.js: no WebAssembly SIMD');
    const m = instantiate(tf, plan, bin);
    return { prepare: (x) => nchwToNhwc(x, dims), infer: (x) => m.run(x) };
  },
};
const ENGINES = Object.keys(engines);

// Bytes of each resource the page fetched (resource timing is passive: it
// does not slow the loads it measures). The document itself is not listed.
const fetched = () => performance.getEntriesByType('resource').map((e) => ({
  url: new URL(e.name).pathname, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize,
}));

async function cold(runtime) {
  if (!(runtime in engines)) throw new Error(`unknown runtime "${runtime}"`);
  const e = await engines[runtime]();
  const logits = await e.infer(e.prepare(randomImage(seed, dims)));
  // performance.now() counts from the navigation's start (timeOrigin).
  const ms = performance.now();
  return { ms, logits: Array.from(logits), fetched: fetched() };
}

// All three in one page, timed in turn so that noise (GC, tier-up, the other
// core's load) hits them alike. window.steady returns every sample.
async function steady() {
  const run = {};
  for (const e of ENGINES) run[e] = await engines[e]();
  const x = randomImage(seed, dims);
  const input = Object.fromEntries(ENGINES.map((e) => [e, run[e].prepare(x)]));
  const once = async () => {
    const out = {};
    for (const e of ENGINES) out[e] = Array.from(await run[e].infer(input[e]));
    return out;
  };
  const first = await once();
  window.steady = async (runs, warm) => {
    for (let i = 0; i < warm; i++) for (const e of ENGINES) await run[e].infer(input[e]);
    const t = Object.fromEntries(ENGINES.map((e) => [e, []]));
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < ENGINES.length; k++) { // each round starts with the next engine
        const e = ENGINES[(i + k) % ENGINES.length];
        const t0 = performance.now();
        await run[e].infer(input[e]);
        t[e].push(performance.now() - t0);
      }
    }
    // Once more after the timed runs: tier-up must not have changed the answers.
    return { ...t, logits: await once() };
  };
  return { logits: first, edgerunSize: run.edgerun.size };
}

async function peak() {
  const { measurePeak } = await import('/common/simd-peak.mjs');
  window.peak = () => measurePeak();
  return {};
}

// Set synchronously as the module runs, which is before DOMContentLoaded, so
// the driver can await it right after navigating (no polling on the page).
const mode = params.get('mode');
window.benchDone = (mode === 'cold' ? cold(params.get('runtime'))
  : mode === 'steady' ? steady() : mode === 'peak' ? peak() : Promise.reject(new Error(`unknown mode "${mode}"`)))
  .then((r) => ({ ok: true, ...r }))
  .catch((e) => ({ ok: false, error: `${e.code ? e.code + ': ' : ''}${e.message}` }));
