// The page half of bench/browser.mjs. It loads each runtime the way a site
// would (the shim by a script tag, ORT's ESM build by import), from the URL
// prefixes browser.mjs serves: /web/ (edgerun's build output), /ort/ (ORT's
// dist) and /onnx/ (the ONNX models). window.benchDone, which the driver
// awaits, resolves to {ok: true, ...} or {ok: false, error}.
const params = new URLSearchParams(location.search);
const model = params.get('model');
const seed = Number(params.get('seed'));
const DIMS = [1, 3, 32, 32];

// A random CIFAR-sized image, normalized as the models were trained:
// uniform pixels in [0,1], then (x - mean) / std per channel. Seeded
// (mulberry32) so that every page and both runtimes see the same tensor.
function randomInput(s) {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const x = new Float32Array(3 * 32 * 32);
  let a = s >>> 0;
  for (let i = 0; i < x.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    const c = Math.floor(i / 1024);
    x[i] = (u - mean[c]) / std[c];
  }
  return x;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

// Each runtime as {infer(x) -> Promise<Float32Array of logits>}.
const runtimes = {
  async edgerun() {
    await loadScript('/web/edgerun.min.js');
    const m = await globalThis.edgerun.load(`/web/models/${model}-cifar10.wasm`);
    return {
      infer: async (x) => (await m.runTensors({ input: { data: x, dims: DIMS } })).logits.data,
    };
  },
  async ort() {
    const ort = await import('/ort/ort.wasm.min.mjs');
    ort.env.wasm.numThreads = 1; // a page without COOP/COEP gets no threads
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = new URL('/ort/', location.href).href;
    const s = await ort.InferenceSession.create(`/onnx/${model}-cifar10.onnx`, { executionProviders: ['wasm'] });
    return {
      infer: async (x) => (await s.run({ input: new ort.Tensor('float32', x, DIMS) })).logits.data,
    };
  },
};

// Bytes of each resource the page fetched (resource timing is passive: it
// does not slow the loads it measures). The document itself is not listed.
const fetched = () => performance.getEntriesByType('resource').map((e) => ({
  url: new URL(e.name).pathname, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize,
}));

async function cold(runtime) {
  if (!(runtime in runtimes)) throw new Error(`unknown runtime "${runtime}"`);
  const r = await runtimes[runtime]();
  const logits = await r.infer(randomInput(seed));
  // performance.now() counts from the navigation's start (timeOrigin).
  const ms = performance.now();
  return { ms, logits: Array.from(logits), fetched: fetched() };
}

// Both runtimes in one page, timed alternately so that noise (GC, tier-up,
// the other core's load) hits both alike. window.steady returns every sample.
async function steady() {
  const [ours, theirs] = [await runtimes.edgerun(), await runtimes.ort()];
  const x = randomInput(seed);
  const check = { edgerun: Array.from(await ours.infer(x)), ort: Array.from(await theirs.infer(x)) };
  window.steady = async (runs, warm) => {
    for (let i = 0; i < warm; i++) {
      await ours.infer(x);
      await theirs.infer(x);
    }
    const edgerun = [], ort = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      await ours.infer(x);
      edgerun.push(performance.now() - t);
      t = performance.now();
      await theirs.infer(x);
      ort.push(performance.now() - t);
    }
    // Once more after the timed runs: tier-up must not have changed the answers.
    const after = { edgerun: Array.from(await ours.infer(x)), ort: Array.from(await theirs.infer(x)) };
    return { edgerun, ort, logits: after };
  };
  return { logits: check };
}

// Set synchronously as the module runs, which is before DOMContentLoaded, so
// the driver can await it right after navigating (no polling on the page).
const mode = params.get('mode');
window.benchDone = (mode === 'cold' ? cold(params.get('runtime'))
  : mode === 'steady' ? steady() : Promise.reject(new Error(`unknown mode "${mode}"`)))
  .then((r) => ({ ok: true, ...r }))
  .catch((e) => ({ ok: false, error: `${e.code ? e.code + ': ' : ''}${e.message}` }));
