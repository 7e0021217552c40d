// edgerun against onnxruntime-web inside Debian's Chromium: the numbers a web
// page's visitors get. bench.mjs measures the same things in node.
//
//   node bench/browser.mjs [--runs 300] [--models resnet20,resnet56] [--json out.json]
//
// For each model:
// - first result: navigation start -> the first inference's logits, in a
//   fresh browser context (cold HTTP cache, new renderer), downloading the
//   shim and the model's .wasm, or ORT's JS, its 14 MB .wasm and the .onnx;
//   median of 5 cold starts, edgerun and ORT alternating;
// - bytes transferred for each runtime in those cold starts (resource timing
//   of the page; gzip -9 of the same files beside it, since this server does
//   not compress and a real site would);
// - steady-state latency: both runtimes in one page, timed interleaved
//   (edgerun, ORT, edgerun, ...) on the same random input, edgerun through
//   runTensors so both do the same work; median of --runs.
// Both runtimes must agree on the logits within 1e-4, or the bench aborts:
// comparing the speed of different computations would be meaningless.
//
// Everything is served from 127.0.0.1 by demo/serve.mjs's request handler,
// under the demo's Content-Security-Policy; any request elsewhere aborts the
// bench. ORT runs single-threaded: a page without COOP/COEP gets no threads.
// Timers in such a page tick in 0.1 ms steps (Chromium coarsens them), which
// is why latencies are medians over many runs.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from '../demo/serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, process.env.SHARED || '../shared');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const COLD_STARTS = 5;
const WARM_RUNS = 30;   // enough for Chromium to tier both modules up to TurboFan
const TOLERANCE = 1e-4; // max |edgerun - ORT| over the logits
const PAGE_TIMEOUT_MS = 120000;
const progress = (line) => process.stderr.isTTY && process.stderr.write(`${line.padEnd(50)}\r`);
const SEED = 20240601;

function die(why) {
  console.error(`browser.mjs: ${why}`);
  process.exit(2);
}

function usage(why) {
  console.error(`browser.mjs: ${why}\n` +
    'usage: node bench/browser.mjs [--runs 300] [--models resnet20,resnet56] [--json out.json]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { runs: '300', models: 'resnet20,resnet56', json: null };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(key in o)) usage(`unknown argument "${argv[i]}"`);
    if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`);
    o[key] = argv[i + 1];
  }
  const runs = Number(o.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100000) usage(`--runs must be an integer 1..100000, got "${o.runs}"`);
  const models = o.models.split(',');
  for (const m of models) {
    // The name becomes part of URLs and file names.
    if (!/^[A-Za-z0-9_-]+$/.test(m)) usage(`--models: bad model name "${m}"`);
  }
  return { runs, models, json: o.json };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

const args = parseArgs(process.argv.slice(2));
const require = createRequire(import.meta.url);
let ortDist;
try {
  ortDist = path.dirname(require.resolve('onnxruntime-web'));
} catch {
  die('onnxruntime-web is not installed; run "npm ci" in the repository');
}
const ortVersion = JSON.parse(fs.readFileSync(path.join(ortDist, '../package.json'), 'utf8')).version;

// URL prefix -> directory. Each gets demo/serve.mjs's handler (its checks,
// MIME types and CSP); one origin, as a site would serve them.
const MOUNTS = {
  '/bench/': path.join(root, 'bench/browser-page'),
  '/web/': path.join(root, 'web'),
  '/ort/': ortDist,
  '/onnx/': path.join(shared, 'models'),
};
const RUNTIME_OF = { '/web/': 'edgerun', '/ort/': 'ort', '/onnx/': 'ort' };
const mountOf = (urlPath) => Object.keys(MOUNTS).find((p) => urlPath.startsWith(p));
const fileOf = (urlPath) => path.join(MOUNTS[mountOf(urlPath)], decodeURIComponent(urlPath.slice(mountOf(urlPath).length)));

function checkInputs() {
  const need = [
    [path.join(MOUNTS['/web/'], 'edgerun.min.js'), 'build it with "make"'],
    [path.join(MOUNTS['/ort/'], 'ort.wasm.min.mjs'), 'run "npm ci"'],
    [path.join(MOUNTS['/ort/'], 'ort-wasm-simd-threaded.wasm'), 'run "npm ci"'],
    [path.join(MOUNTS['/bench/'], 'bench.html'), 'restore bench/browser-page/ from git'],
    [CHROMIUM, 'install Debian\'s chromium package (apt-get install chromium)'],
  ];
  for (const m of args.models) {
    need.push([path.join(MOUNTS['/onnx/'], `${m}-cifar10.onnx`), 'set SHARED to the shared data directory (the one with models/*.onnx)']);
    need.push([path.join(MOUNTS['/web/'], `models/${m}-cifar10.wasm`), 'build it with "make"']);
  }
  for (const [file, fix] of need) {
    if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) die(`${file} is missing; ${fix}`);
  }
}

function startServer() {
  const handlers = Object.fromEntries(Object.entries(MOUNTS)
    .map(([prefix, dir]) => [prefix, createServer(dir).listeners('request')[0]]));
  const server = http.createServer((req, res) => {
    const prefix = mountOf((req.url || '/').split('?')[0]);
    if (!prefix) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    req.url = req.url.slice(prefix.length - 1); // keep the leading '/'
    handlers[prefix](req, res);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function assertSameLogits(a, b, what) {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(`${what}: edgerun gave ${a.length} logits, ORT ${b.length}`);
  }
  let worst = 0, at = 0;
  a.forEach((v, i) => {
    const d = Math.abs(v - b[i]);
    if (!(d <= worst)) [worst, at] = [d, i]; // !(<=) also catches NaN
  });
  if (!(worst <= TOLERANCE)) {
    throw new Error(`${what}: logits differ by ${worst} at index ${at} (edgerun ${a[at]}, ORT ${b[at]}), ` +
      `more than ${TOLERANCE}; the two runtimes do not compute the same thing, so no timing is reported`);
  }
  return worst;
}

// Opens the bench page with `query` in a new browser context, awaits the
// page's window.benchDone and hands it to fn(result, page). A new context has
// its own empty HTTP cache (the wasm code cache lives in it too) and its own
// renderer process: a first visit. Requests leaving origin go to `outside`.
async function withPage(browser, origin, query, outside, fn) {
  const url = `${origin}/bench/bench.html?${query}&seed=${SEED}`;
  const context = await browser.newContext();
  const errors = [];
  let timer;
  try {
    context.on('request', (req) => {
      if (!req.url().startsWith(origin + '/')) outside.push(req.url());
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    const r = await Promise.race([
      page.evaluate(() => window.benchDone),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${url}: no result within ${PAGE_TIMEOUT_MS / 1000} s`)), PAGE_TIMEOUT_MS);
      }),
    ]);
    if (!r || !r.ok) {
      throw new Error(`${url}: ${r ? r.error : 'the page set no result'}${errors.length ? `; page errors: ${errors.join(' | ')}` : ''}`);
    }
    return await fn(r, page);
  } finally {
    clearTimeout(timer);
    await context.close();
  }
}

const coldStart = (browser, origin, runtime, model, outside) =>
  withPage(browser, origin, `mode=cold&runtime=${runtime}&model=${model}`, outside, (r) => {
    const files = {};
    for (const f of r.fetched) {
      const prefix = mountOf(f.url);
      if (prefix === '/bench/') continue; // the bench page itself, the same for both
      if (RUNTIME_OF[prefix] !== runtime) throw new Error(`${runtime} cold start fetched ${f.url}, which belongs to ${RUNTIME_OF[prefix] || 'neither runtime'}`);
      // transferSize 0 means a cache hit: the start was not cold.
      if (!(f.transferSize > 0)) throw new Error(`${runtime} cold start: ${f.url} came from a cache (transferSize ${f.transferSize})`);
      files[f.url] = f.transferSize;
    }
    return { ms: r.ms, logits: r.logits, files };
  });

const steadyState = (browser, origin, model, runs, outside) =>
  withPage(browser, origin, `mode=steady&model=${model}`, outside, async (first, page) => {
    const maxDiff = assertSameLogits(first.logits.edgerun, first.logits.ort, `${model}, first run in one page`);
    const t = await page.evaluate(([n, warm]) => window.steady(n, warm), [runs, WARM_RUNS]);
    assertSameLogits(t.logits.edgerun, t.logits.ort, `${model}, after ${runs} timed runs`);
    return { edgerun: t.edgerun, ort: t.ort, maxDiff };
  });

const gzipSize = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;

async function benchModel(browser, origin, model, outside) {
  const cold = { edgerun: [], ort: [] };
  for (let i = 0; i < COLD_STARTS; i++) {
    for (const rt of ['edgerun', 'ort']) {
      progress(`${model}: cold start ${i + 1}/${COLD_STARTS} ${rt}`);
      cold[rt].push(await coldStart(browser, origin, rt, model, outside));
    }
  }
  // The cold starts' first inferences must agree too, run after run.
  for (let i = 0; i < COLD_STARTS; i++) assertSameLogits(cold.edgerun[i].logits, cold.ort[i].logits, `${model}, cold start ${i + 1}`);

  progress(`${model}: ${args.runs} interleaved runs`);
  const t = await steadyState(browser, origin, model, args.runs, outside);
  progress('');

  const bytes = {};
  const files = {};
  for (const rt of ['edgerun', 'ort']) {
    files[rt] = cold[rt][0].files; // each start fetched the same files (checked below)
    for (const c of cold[rt]) {
      if (Object.keys(c.files).sort().join() !== Object.keys(files[rt]).sort().join()) {
        throw new Error(`${model}: ${rt} cold starts fetched different files: ${Object.keys(c.files)} vs ${Object.keys(files[rt])}`);
      }
    }
    bytes[rt] = Object.values(files[rt]).reduce((a, b) => a + b, 0);
    bytes[`${rt}Gzip`] = Object.keys(files[rt]).reduce((a, u) => a + gzipSize(fileOf(u)), 0);
  }
  const stats = (xs) => ({ median: median(xs), p10: quantile(xs, 0.1), p90: quantile(xs, 0.9) });
  return {
    name: model,
    inferMs: { edgerun: median(t.edgerun), ort: median(t.ort) },
    inferStats: { edgerun: stats(t.edgerun), ort: stats(t.ort) },
    cold: { edgerun: median(cold.edgerun.map((c) => c.ms)), ort: median(cold.ort.map((c) => c.ms)) },
    coldAll: { edgerun: cold.edgerun.map((c) => c.ms), ort: cold.ort.map((c) => c.ms) },
    bytes,
    files,
    maxLogitDiff: t.maxDiff,
  };
}

checkInputs();
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-bench-'));
process.on('exit', () => fs.rmSync(profile, { recursive: true, force: true }));
const server = await startServer();
const origin = `http://127.0.0.1:${server.address().port}`;
let context;
let exitCode = 0;
try {
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  const browser = context.browser();
  const outside = [];
  const rows = [];
  for (const model of args.models) rows.push(await benchModel(browser, origin, model, outside));
  if (outside.length) throw new Error(`the pages requested something other than ${origin}: ${[...new Set(outside)].join(', ')}`);

  const fmt = (n, d = 2) => n.toFixed(d);
  console.log(`edgerun vs onnxruntime-web ${ortVersion} (wasm, 1 thread, SIMD) in Chromium ${browser.version()} headless, ` +
    `${args.runs} interleaved runs, first result = median of ${COLD_STARTS} cold starts`);
  console.log('model      infer ms (edgerun / ort / speed-up)   first result ms (edgerun / ort / ratio)   download MB (edgerun / ort / ratio), gzip');
  for (const r of rows) {
    console.log(`${r.name.padEnd(10)} ${fmt(r.inferMs.edgerun)} / ${fmt(r.inferMs.ort)} / ${fmt(r.inferMs.ort / r.inferMs.edgerun)}x` +
      `                ${fmt(r.cold.edgerun, 0)} / ${fmt(r.cold.ort, 0)} / ${fmt(r.cold.ort / r.cold.edgerun, 1)}x` +
      `                    ${fmt(r.bytes.edgerun / 1e6)} / ${fmt(r.bytes.ort / 1e6)} / ${fmt(r.bytes.ort / r.bytes.edgerun, 1)}x` +
      `, ${fmt(r.bytes.edgerunGzip / 1e6)} / ${fmt(r.bytes.ortGzip / 1e6)}`);
  }
  console.log(`logits agree within ${TOLERANCE} (largest difference ${Math.max(...rows.map((r) => r.maxLogitDiff)).toExponential(1)})`);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({
      browser: `Chromium ${browser.version()}`, onnxruntimeWeb: ortVersion, runs: args.runs, coldStarts: COLD_STARTS, rows,
    }, null, 2));
  }
} catch (e) {
  console.error(`browser.mjs: ${e.message}`);
  exitCode = 1;
} finally {
  if (context) await context.close();
  server.closeAllConnections();
  server.close();
}
process.exitCode = exitCode;
