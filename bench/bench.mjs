// edgerun against onnxruntime-web and TensorFlow.js's wasm backend, side by
// side in one node process. bench/browser.mjs measures the same in Chromium.
//
//   node bench/bench.mjs [--models resnet20,mobilenet_v2|resnets|arch|all] [--runs 100] [--cold 5] [--json out.json]
//
// --models defaults to every bench model (the four CIFAR-10 ResNets and the
// six 224x224 architectures of ../shared/models/arch; models.mjs lists them);
// it takes names and the groups resnets, arch and all.
// For each model:
// - inference latency, median and p90 of --runs runs, interleaved (edgerun,
//   ORT, TF.js, then ORT, TF.js, edgerun, ...) on the same input so that
//   machine noise hits all three alike, after 10 warm-up rounds. Every engine runs on one thread
//   with WebAssembly SIMD: edgerun modules are single-threaded by design, ORT
//   gets numThreads = 1 and TF.js the SIMD, non-threaded binary (as in a page
//   without COOP/COEP headers). edgerun runs in tensor mode (runTensors), ORT
//   from the .onnx, TF.js the same graph translated op by op into NHWC tf ops
//   with its weights (onnx2tf.mjs), each given the input in its layout;
// - the ratio edgerun / peer, and edgerun's effective GMAC/s (the model's
//   Conv/Gemm/MatMul multiply-adds over its median time), also as a fraction of
//   the SIMD128 mul+add peak measured in this process (common/simd-peak.mjs,
//   before and after the models; the higher is used);
// - first result: a fresh node process loading the runtime, compiling the
//   module (ORT: creating the session from the .onnx; TF.js: initializing its
//   backend and uploading the translated weights) and running once; median of
//   --cold starts (0 skips them);
// - the bytes a page would download for each engine, raw and gzip -9.
// Every engine's logits must match onnxruntime-node's within 1e-3 (and 1% of
// the largest logit), at the first run, after the timed runs and in every cold
// start, and edgerun's and TF.js's must match ORT-web's within 1e-3, or the
// bench aborts: comparing the speed of different computations is meaningless.
// Results are ratios; absolute times vary between machines and runs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, root, modelFiles, peerFiles, checkModelFiles, preparePlan, readBin, referenceLogits, checkLogits, gzipSize, TOLERANCE, edgerunVariant, variantLine } from './models.mjs';
import { randomImage, nchwToNhwc, median, quantile } from './common/input.mjs';
import { instantiate } from './common/tfjs-plan.mjs';
import { measurePeak } from './common/simd-peak.mjs';
import { formatReport, ENGINES } from './report.mjs';

const require = createRequire(import.meta.url);
const SEED = 20240601;
const WARM_ROUNDS = 10;
const SHIM = path.join(root, 'web/edgerun.js');
const SHIM_MIN = path.join(root, 'web/edgerun.min.js');

const progress = (line) => process.stderr.isTTY && process.stderr.write(`${line.padEnd(60)}\r`);

// ---- the three engines, each as {infer(nchw) -> Float32Array, dispose} -----

async function loadOrt() {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  return ort;
}

async function loadTf() {
  const tf = require('@tensorflow/tfjs-core');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // the SIMD, single-threaded binary
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm')) || tf.getBackend() !== 'wasm') throw new Error('TF.js: the wasm backend did not initialize');
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('TF.js: this node has no WebAssembly SIMD');
  return tf;
}

const engines = {
  async edgerun(name, dims) {
    const edgerun = require(SHIM);
    const m = await edgerun.load(modelFiles(name).wasm);
    const io = m.info.inputs[0], outName = m.info.outputs[0].name;
    return {
      infer: async (x) => (await m.runTensors({ [io.name]: { data: x, dims } }))[outName].data,
      dispose: () => m.dispose(),
      module: edgerunVariant(name, m.info.size),
    };
  },
  async ort(name, dims, ort) {
    ort = ort || await loadOrt();
    const s = await ort.InferenceSession.create(modelFiles(name).onnx, { executionProviders: ['wasm'] });
    const [inName] = s.inputNames, [outName] = s.outputNames;
    return {
      infer: async (x) => (await s.run({ [inName]: new ort.Tensor('float32', x, dims) }))[outName].data,
      dispose: () => s.release(),
    };
  },
  async tfjs(name, dims, tf) {
    tf = tf || await loadTf();
    const f = modelFiles(name);
    const plan = JSON.parse(fs.readFileSync(f.plan, 'utf8'));
    const m = instantiate(tf, plan, readBin(f.bin));
    // TF.js takes NHWC; the conversion is the caller's, outside the timing
    // (infer is given the NHWC tensor already, see below).
    return { infer: (xh) => m.run(xh), dispose: () => m.dispose() };
  },
};

// Child mode: one cold start, printed as JSON: {ms, logits}.
const argv = process.argv.slice(2);
if (argv[0] === '--cold-child') {
  const t0 = performance.now();
  const [, engine, name, dimsJson] = argv;
  const dims = JSON.parse(dimsJson);
  const e = await engines[engine](name, dims);
  const x = randomImage(SEED, dims);
  const logits = await e.infer(engine === 'tfjs' ? nchwToNhwc(x, dims) : x);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, logits: Array.from(logits) }));
  process.exit(0);
}

function coldStart(engine, name, dims, times, ref) {
  const ms = [];
  let worst = 0;
  for (let i = 0; i < times; i++) {
    progress(`${name}: cold start ${i + 1}/${times} ${engine}`);
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--cold-child', engine, name, JSON.stringify(dims)],
      { encoding: 'utf8', maxBuffer: 64 << 20 });
    const r = JSON.parse(out.trim().split('\n').pop());
    worst = Math.max(worst, checkLogits(r.logits, ref, `${name}: ${engine}, cold start ${i + 1}`));
    ms.push(r.ms);
  }
  return { ms: median(ms), worst };
}

const args = parseBenchArgs('bench.mjs', argv);
let peers;
try {
  peers = peerFiles();
  if (!fs.existsSync(SHIM) || !fs.existsSync(SHIM_MIN)) throw new Error(`${SHIM} is missing; build it with "make"`);
  checkModelFiles(args.models);
} catch (e) {
  console.error(`bench.mjs: ${e.message}`);
  process.exit(2);
}

// Any failure below (an engine missing or refusing a model, logits that
// disagree) ends the bench with one line saying what and where.
process.on('uncaughtException', (e) => {
  console.error(`bench.mjs: ${e.message}`);
  process.exit(1);
});
const ort = await loadOrt();
const tf = await loadTf();
progress('measuring the SIMD128 peak');
const peakStart = measurePeak();
const loadStart = os.loadavg()[0];

const rows = [];
for (const name of args.models) {
  progress(`${name}: translating for TF.js`);
  const { plan } = preparePlan(name);
  const dims = plan.input.dims;
  const x = randomImage(SEED, dims), xh = nchwToNhwc(x, dims);
  const ref = await referenceLogits(name, plan.input.name, x, dims);
  const run = {
    edgerun: await engines.edgerun(name, dims),
    ort: await engines.ort(name, dims, ort),
    tfjs: await engines.tfjs(name, dims, tf),
  };
  const input = { edgerun: x, ort: x, tfjs: xh };
  const diff = { edgerun: 0, ort: 0, tfjs: 0 };
  const check = async (when) => {
    const out = {};
    for (const e of ENGINES) {
      out[e] = await run[e].infer(input[e]);
      diff[e] = Math.max(diff[e], checkLogits(out[e], ref, `${name}: ${e}, ${when}`));
    }
    // And against the rival in the same run, as the issue states the targets.
    for (const e of ['edgerun', 'tfjs']) checkLogits(out[e], out.ort, `${name}: ${e} vs ORT-web, ${when}`);
  };
  await check('first run');
  for (let i = 0; i < WARM_ROUNDS; i++) for (const e of ENGINES) await run[e].infer(input[e]);
  const t = { edgerun: [], ort: [], tfjs: [] };
  for (let i = 0; i < args.runs; i++) {
    if (i % 10 === 0) progress(`${name}: run ${i}/${args.runs}`);
    for (let k = 0; k < ENGINES.length; k++) { // each round starts with the next engine: no one always follows the same
      const e = ENGINES[(i + k) % ENGINES.length];
      const t0 = performance.now();
      await run[e].infer(input[e]);
      t[e].push(performance.now() - t0);
    }
  }
  await check(`after ${args.runs} timed runs`);
  for (const e of ENGINES) await run[e].dispose();

  const f = modelFiles(name);
  const sum = (files, fn) => files.reduce((s, p) => s + fn(p), 0);
  const size = (p) => fs.statSync(p).size;
  const files = {
    edgerun: [run.edgerun.module === 'relaxed' ? f.relaxed : f.wasm, SHIM_MIN],
    ort: [...peers.ort.files.map((p) => path.join(peers.ort.dir, p)), f.onnx],
    tfjs: [...peers.tfjs.files, f.plan, f.bin],
  };
  const bytes = {};
  for (const e of ENGINES) {
    bytes[e] = sum(files[e], size);
    bytes[`${e}Gzip`] = sum(files[e], gzipSize);
  }
  let cold = null;
  if (args.cold) {
    cold = {};
    for (const e of ENGINES) {
      const c = coldStart(e, name, dims, args.cold, ref);
      cold[e] = c.ms;
      diff[e] = Math.max(diff[e], c.worst);
    }
  }
  const stats = (xs) => ({ median: median(xs), p90: quantile(xs, 0.9) });
  rows.push({
    name, macs: plan.macs, infer: Object.fromEntries(ENGINES.map((e) => [e, stats(t[e])])),
    cold, bytes, diff, maxLogit: Math.max(...Array.from(ref, Math.abs)), samples: t, edgerunModule: run.edgerun.module,
  });
  progress('');
}
progress('measuring the SIMD128 peak again');
const peakEnd = measurePeak();
progress('');
const peak = peakEnd.gmacs > peakStart.gmacs ? peakEnd : peakStart;
const fmtPeak = (p) => `${p.gmacs.toFixed(1)} GMAC/s (${p.chains} chains)`;

const cpu = os.cpus();
const meta = {
  title: `node ${process.version}: edgerun vs onnxruntime-web ${peers.ort.version} vs TF.js ${peers.tfjs.version} wasm`,
  lines: [
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpu[0].model}, ${cpu.length} cores, ${os.platform()} ${os.release()}; ` +
      `load average ${loadStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end (the machine is shared)`,
    `\`node ${process.execArgv.join(' ')}${process.execArgv.length ? ' ' : ''}bench/bench.mjs --runs ${args.runs} --cold ${args.cold} --models ${args.models.join(',')}\``,
    variantLine(rows),
    `${args.runs} interleaved runs after ${WARM_ROUNDS} warm-up rounds; ` +
      `${args.cold ? `first result = median of ${args.cold} fresh processes` : 'first result not measured (--cold 0)'}; one thread, SIMD, for all three`,
    `SIMD128 f32x4.mul+f32x4.add peak: ${fmtPeak(peakStart)} before the models, ${fmtPeak(peakEnd)} after` +
      (peak.relaxedGmacs ? `; relaxed-SIMD f32x4.relaxed_madd: ${peak.relaxedGmacs.toFixed(1)} GMAC/s` : ''),
    `every engine's logits within ${TOLERANCE} of onnxruntime-node's and of each other (checked at the first run, after the timed runs and in every cold start)`,
  ],
  peak,
};
console.log(formatReport(meta, rows));
if (args.json) {
  fs.writeFileSync(args.json, JSON.stringify({ meta, versions: { node: process.version, ort: peers.ort.version, tfjs: peers.tfjs.version }, rows }, null, 2));
}
