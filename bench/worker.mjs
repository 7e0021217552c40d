// The cost of worker mode per call: the same calls on the same model, in the
// calling thread and through edgerun.load(src, {worker: true}), in Debian's
// Chromium (a page served by demo/serve.mjs under the demo's CSP) and in node
// (worker_threads).
//
//   node bench/worker.mjs [--batches 15] [--calls 40] [--json out.json]
//
// Calls go back to back in batches (a batch is timed as a whole: Chromium's
// timers tick in 0.1 ms steps, finer than one call of a tiny model), thread
// and worker batches alternating so that both see the same machine; the
// figure is the median batch time over the calls in it. Models:
// - fixture-classifier (build/fixtures): a model of almost nothing, so its
//   time per call is the shim's and the worker's own;
// - resnet20-cifar10: runTensors (3072 floats in, 10 out, transferred) and
//   run() of a CIFAR-10 JPEG (bytes in, base64 in the worker, JSON back).
// The overhead is worker minus thread.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from '../demo/serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, process.env.SHARED || '../shared');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

function die(why) {
  console.error(`worker.mjs: ${why}`);
  process.exit(2);
}
const opts = { batches: 15, calls: 40, json: null };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '');
  if (!(k in opts) || argv[i + 1] === undefined) die(`unknown or incomplete option ${argv[i]}\nusage: node bench/worker.mjs [--batches 15] [--calls 40] [--json out.json]`);
  opts[k] = k == 'json' ? argv[i + 1] : +argv[i + 1];
  if (k != 'json' && !(opts[k] >= 1)) die(`--${k} must be a positive integer`);
}

const FILES = {
  'edgerun.min.js': path.join(root, 'web/edgerun.min.js'),
  'edgerun-worker.js': path.join(root, 'web/edgerun-worker.js'),
  'fixture-classifier.wasm': path.join(root, 'build/fixtures/fixture-classifier.wasm'),
  'resnet20-cifar10.wasm': path.join(root, 'web/models/resnet20-cifar10.wasm'),
  'cat.jpg': path.join(shared, 'data/cifar10-test/cat/0000.jpg'),
};
for (const f of Object.values(FILES)) if (!fs.existsSync(f)) die(`${f} is missing: run \`make shim fixtures resnets\``);

// Runs in the page and in node alike (as source text in the page): for each
// case, alternating thread and worker batches; returns ms per call.
async function measure(edgerun, url, jpeg, batches, calls) {
  const cases = [
    ['fixture-classifier', 'runTensors', url('fixture-classifier.wasm'), (m) => m.runTensors({ input: { data: new Float32Array(3072) } })],
    ['resnet20-cifar10', 'runTensors', url('resnet20-cifar10.wasm'), (m) => m.runTensors({ input: { data: new Float32Array(3072).fill(0.5) } })],
    ['resnet20-cifar10', 'run(jpeg)', url('resnet20-cifar10.wasm'), (m) => m.run({ input: jpeg })],
  ];
  const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  const out = [];
  for (const [model, call, src, once] of cases) {
    const thread = await edgerun.load(src), worker = await edgerun.load(src, { worker: true });
    for (let i = 0; i < 30; i++) { await once(thread); await once(worker); } // warm-up, tier-up
    const t = [], w = [];
    for (let b = 0; b < batches; b++) {
      for (const [m, times] of [[thread, t], [worker, w]]) {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) await once(m);
        times.push((performance.now() - t0) / calls);
      }
    }
    thread.dispose();
    worker.dispose();
    out.push({ model, call, thread_ms: median(t), worker_ms: median(w), overhead_ms: median(w) - median(t) });
  }
  return out;
}

async function inChromium() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-bench-worker-'));
  for (const [to, from] of Object.entries(FILES)) fs.copyFileSync(from, path.join(tmp, to));
  fs.writeFileSync(path.join(tmp, 'bench.js'), `${measure}
window.go = async (batches, calls) => measure(edgerun, (f) => f, await (await fetch('cat.jpg')).arrayBuffer(), batches, calls);\n`);
  fs.writeFileSync(path.join(tmp, 'index.html'), '<!doctype html><script src="edgerun.min.js"></script><script src="bench.js"></script>\n');
  const server = createServer(tmp);
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const page = await browser.newPage();
    const origin = `http://127.0.0.1:${server.address().port}`;
    page.on('request', (r) => { if (!r.url().startsWith(origin)) die(`the page requested ${r.url()}`); });
    await page.goto(`${origin}/`);
    const rows = await page.evaluate(([b, c]) => window.go(b, c), [opts.batches, opts.calls]);
    return { rows, version: browser.version() };
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function inNode() {
  const { default: edgerun } = await import(pathToFileURL(path.join(root, 'web/edgerun.mjs')));
  return measure(edgerun, (f) => FILES[f], fs.readFileSync(FILES['cat.jpg']), opts.batches, opts.calls);
}

const fmt = (x) => `${x.toFixed(3)} ms`;
function table(title, rows) {
  console.log(`\n${title}`);
  console.log('| model | call | thread | worker | worker overhead per call |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.model} | ${r.call} | ${fmt(r.thread_ms)} | ${fmt(r.worker_ms)} | ${r.overhead_ms >= 0 ? '+' : ''}${fmt(r.overhead_ms)} |`);
}

const chrome = await inChromium();
const node = await inNode();
console.log(`worker mode, per call: ${opts.batches} batches of ${opts.calls} back-to-back calls each, thread and worker alternating; median batch / calls`);
table(`Chromium ${chrome.version} (${os.cpus()[0].model}, ${os.cpus().length} cores)`, chrome.rows);
table(`node ${process.version}`, node);
if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ chromium: chrome, node }, null, 2));
