// edgerun against onnxruntime-web, side by side, in one run on one machine.
//
//   node bench/bench.mjs [--runs 300] [--models resnet20,resnet56] [--json out.json]
//
// For each model: bytes a page downloads (module + shim vs ORT's .wasm + JS +
// the .onnx), time to the first result in a fresh process (load, compile,
// first inference), and steady-state inference latency, measured interleaved
// (edgerun, ORT, edgerun, ...) so that machine noise hits both alike. Both run
// single-threaded with SIMD: edgerun modules are single-threaded by design,
// and a page without COOP/COEP headers gives ORT one thread too.
// Results are ratios; absolute times vary between machines and runs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(process.env.SHARED || path.join(root, '../shared'));
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const runs = Number(opt('--runs', '300'));
const models = opt('--models', 'resnet20,resnet56').split(',');
const require = createRequire(import.meta.url);
const ortDist = path.join(path.dirname(require.resolve('onnxruntime-web')), '.');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const gz = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
const input = (seed) => {
  const x = new Float32Array(3072);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(seed * 13.7 + i * 0.11) * 2;
  return x;
};

// Child mode: one cold start, printed as JSON.
if (args[0] === '--cold') {
  const [, which, name] = args;
  const t0 = performance.now();
  let ms;
  if (which === 'edgerun') {
    const edgerun = require(path.join(root, 'web/edgerun.js'));
    const m = await edgerun.load(path.join(root, `web/models/${name}-cifar10.wasm`));
    await m.runTensors({ input: { data: input(1), dims: [1, 3, 32, 32] } });
    ms = performance.now() - t0;
  } else {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const s = await ort.InferenceSession.create(path.join(shared, `models/${name}-cifar10.onnx`), { executionProviders: ['wasm'] });
    await s.run({ input: new ort.Tensor('float32', input(1), [1, 3, 32, 32]) });
    ms = performance.now() - t0;
  }
  console.log(JSON.stringify({ ms }));
  process.exit(0);
}

function coldStart(which, name, times = 5) {
  const ms = [];
  for (let i = 0; i < times; i++) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--cold', which, name], { encoding: 'utf8' });
    ms.push(JSON.parse(out.trim().split('\n').pop()).ms);
  }
  return median(ms);
}

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
const edgerun = require(path.join(root, 'web/edgerun.js'));
const ortWasm = path.join(ortDist, 'ort-wasm-simd-threaded.wasm');
const ortJs = path.join(ortDist, 'ort.wasm.min.js');
const shim = path.join(root, 'web/edgerun.min.js');

const rows = [];
for (const name of models) {
  const wasm = path.join(root, `web/models/${name}-cifar10.wasm`);
  const onnx = path.join(shared, `models/${name}-cifar10.onnx`);
  const ours = await edgerun.load(wasm);
  const theirs = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'] });
  const feedsOurs = { input: { data: input(2), dims: [1, 3, 32, 32] } };
  const feedsTheirs = { input: new ort.Tensor('float32', input(2), [1, 3, 32, 32]) };
  for (let i = 0; i < 20; i++) { // warm both
    await ours.runTensors(feedsOurs);
    await theirs.run(feedsTheirs);
  }
  const a = [], b = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await ours.runTensors(feedsOurs);
    a.push(performance.now() - t);
    t = performance.now();
    await theirs.run(feedsTheirs);
    b.push(performance.now() - t);
  }
  ours.dispose();
  await theirs.release();
  const bytes = {
    edgerun: fs.statSync(wasm).size + fs.statSync(shim).size,
    edgerunGzip: gz(wasm) + gz(shim),
    ort: fs.statSync(ortWasm).size + fs.statSync(ortJs).size + fs.statSync(onnx).size,
    ortGzip: gz(ortWasm) + gz(ortJs) + gz(onnx),
  };
  const cold = { edgerun: coldStart('edgerun', name), ort: coldStart('ort', name) };
  rows.push({ name, inferMs: { edgerun: median(a), ort: median(b) }, cold, bytes });
}

const fmt = (n, d = 2) => n.toFixed(d);
console.log(`edgerun vs onnxruntime-web ${JSON.parse(fs.readFileSync(path.join(root, 'node_modules/onnxruntime-web/package.json'), 'utf8')).version} (wasm, 1 thread, SIMD), node ${process.version}, ${runs} interleaved runs`);
console.log('model      infer ms (edgerun / ort / speed-up)   first result ms (edgerun / ort / ratio)   download MB (edgerun / ort / ratio), gzip');
for (const r of rows) {
  console.log(`${r.name.padEnd(10)} ${fmt(r.inferMs.edgerun)} / ${fmt(r.inferMs.ort)} / ${fmt(r.inferMs.ort / r.inferMs.edgerun)}x` +
    `                ${fmt(r.cold.edgerun, 0)} / ${fmt(r.cold.ort, 0)} / ${fmt(r.cold.ort / r.cold.edgerun, 1)}x` +
    `                    ${fmt(r.bytes.edgerun / 1e6)} / ${fmt(r.bytes.ort / 1e6)} / ${fmt(r.bytes.ort / r.bytes.edgerun, 1)}x` +
    `, ${fmt(r.bytes.edgerunGzip / 1e6)} / ${fmt(r.bytes.ortGzip / 1e6)}`);
}
if (opt('--json', null)) fs.writeFileSync(opt('--json'), JSON.stringify(rows, null, 2));
