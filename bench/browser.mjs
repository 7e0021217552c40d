// edgerun against onnxruntime-web and TensorFlow.js's wasm backend inside
// Debian's Chromium: the numbers a web page's visitors get. bench.mjs
// measures the same things in node; the tables are the same (report.mjs).
//
//   node bench/browser.mjs [--models resnet20,mobilenet_v2|resnets|arch|all] [--runs 100] [--cold 5] [--json out.json]
//
// --models defaults to every bench model (models.mjs); it takes names and
// the groups resnets, arch and all. For each model:
// - first result: navigation start -> the first inference's logits, in a
//   fresh browser context (cold HTTP cache, new renderer), downloading the
//   engine's JS, its .wasm and its model (edgerun: shim + module; ORT: its JS,
//   its 14 MB .wasm and the .onnx; TF.js: tf-core, the wasm backend, its SIMD
//   .wasm and the translated model's JSON + weights); median of --cold cold
//   starts (0 skips them), the engines alternating;
// - bytes transferred for each engine in those cold starts (resource timing
//   of the page; gzip -9 of the same files beside it, since this server does
//   not compress and a real site would);
// - steady-state latency: the three engines in one page, timed interleaved
//   (edgerun, ORT, TF.js, then ORT, TF.js, edgerun, ...) on the same seeded input, edgerun
//   through runTensors so all do the same work; median and p90 of --runs;
// - the ratios, edgerun's effective GMAC/s and its fraction of the SIMD128
//   mul+add peak measured in a page of the same browser (before and after the
//   models; the higher is used).
// Every engine's logits, from every page, must match onnxruntime-node's (run
// here, in node, on the same seeded input) within 1e-3, and edgerun's and
// TF.js's must match ORT-web's in the same page, or the bench aborts.
//
// Everything is served from 127.0.0.1 by demo/serve.mjs's request handler,
// under the demo's Content-Security-Policy; any request elsewhere aborts the
// bench. Every engine runs single-threaded: a page without COOP/COEP gets no
// SharedArrayBuffer, hence no threads. Timers in such a page tick in 0.1 ms
// steps (Chromium coarsens them), which is why latencies are medians.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { createServer } from '../demo/serve.mjs';
import { ALL, parseBenchArgs, root, modelFiles, peerFiles, checkModelFiles, preparePlan, referenceLogits, checkLogits, TOLERANCE, edgerunVariant, variantLine } from './models.mjs';
import { randomImage, median, quantile } from './common/input.mjs';
import { formatReport, ENGINES } from './report.mjs';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const WARM_RUNS = 10;   // enough for Chromium to tier the modules up to TurboFan
const PAGE_TIMEOUT_MS = 300000;
const progress = (line) => process.stderr.isTTY && process.stderr.write(`${line.padEnd(60)}\r`);
const SEED = 20240601;

function die(why) {
  console.error(`browser.mjs: ${why}`);
  process.exit(2);
}

const args = parseBenchArgs('browser.mjs', process.argv.slice(2));
let peers;
try {
  peers = peerFiles();
  checkModelFiles(args.models);
} catch (e) {
  die(e.message);
}

// URL prefix -> directory. Each gets demo/serve.mjs's handler (its checks,
// MIME types and CSP); one origin, as a site would serve them.
const MOUNTS = {
  '/bench/': path.join(root, 'bench/browser-page'),
  '/common/': path.join(root, 'bench/common'),
  '/web/': path.join(root, 'web'),
  '/ort/': peers.ort.dir,
  '/onnx/': path.join(modelFiles(ALL[0]).onnx, '..'),
  '/tfjs/': peers.tfjs.coreDir,
  '/tfjs-wasm/': peers.tfjs.wasmDir,
  '/tfjs-models/': path.dirname(modelFiles(ALL[0]).plan),
};
// Whose bytes each prefix is; the bench's own page and modules are no engine's.
const RUNTIME_OF = { '/web/': 'edgerun', '/ort/': 'ort', '/onnx/': 'ort', '/tfjs/': 'tfjs', '/tfjs-wasm/': 'tfjs', '/tfjs-models/': 'tfjs' };
const mountOf = (urlPath) => Object.keys(MOUNTS).find((p) => urlPath.startsWith(p));
const fileOf = (urlPath) => path.join(MOUNTS[mountOf(urlPath)], decodeURIComponent(urlPath.slice(mountOf(urlPath).length)));

function checkInputs() {
  const need = [
    [path.join(MOUNTS['/web/'], 'edgerun.min.js'), 'build it with "make"'],
    [path.join(MOUNTS['/ort/'], 'ort.wasm.min.mjs'), 'run "npm ci"'],
    [path.join(MOUNTS['/ort/'], 'ort-wasm-simd-threaded.wasm'), 'run "npm ci"'],
    ...peers.tfjs.files.map((f) => [f, 'run "npm ci"']),
    [path.join(MOUNTS['/bench/'], 'bench.html'), 'restore bench/browser-page/ from git'],
    [CHROMIUM, 'install Debian\'s chromium package (apt-get install chromium)'],
  ];
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

const modelQuery = (name, dims) => {
  const u = modelFiles(name).urls;
  return `wasm=${encodeURIComponent(u.wasm)}&onnx=${encodeURIComponent(u.onnx)}&plan=${encodeURIComponent(u.plan)}` +
    `&bin=${encodeURIComponent(u.bin)}&dims=${dims.join(',')}`;
};

const coldStart = (browser, origin, runtime, name, dims, outside) =>
  withPage(browser, origin, `mode=cold&runtime=${runtime}&${modelQuery(name, dims)}`, outside, (r) => {
    const files = {};
    for (const f of r.fetched) {
      const prefix = mountOf(f.url);
      if (prefix === '/bench/' || prefix === '/common/') continue; // the bench's own page and modules
      if (RUNTIME_OF[prefix] !== runtime) throw new Error(`${runtime} cold start fetched ${f.url}, which belongs to ${RUNTIME_OF[prefix] || 'no engine'}`);
      // transferSize 0 means a cache hit: the start was not cold.
      if (!(f.transferSize > 0)) throw new Error(`${runtime} cold start: ${f.url} came from a cache (transferSize ${f.transferSize})`);
      files[f.url] = f.transferSize;
    }
    return { ms: r.ms, logits: r.logits, files };
  });

const measurePeakInPage = (browser, origin, outside) =>
  withPage(browser, origin, 'mode=peak', outside, (_, page) => page.evaluate(() => window.peak()));

const gzipSize = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;

async function benchModel(browser, origin, name, outside) {
  progress(`${name}: translating for TF.js`);
  const { plan } = preparePlan(name);
  const dims = plan.input.dims;
  const ref = await referenceLogits(name, plan.input.name, randomImage(SEED, dims), dims);
  const diff = { edgerun: 0, ort: 0, tfjs: 0 };
  const check = (logits, when) => {
    for (const e of ENGINES) diff[e] = Math.max(diff[e], checkLogits(logits[e], ref, `${name}: ${e}, ${when}`));
    for (const e of ['edgerun', 'tfjs']) checkLogits(logits[e], logits.ort, `${name}: ${e} vs ORT-web, ${when}`);
  };

  const cold = { edgerun: [], ort: [], tfjs: [] };
  for (let i = 0; i < args.cold; i++) {
    for (const rt of ENGINES) {
      progress(`${name}: cold start ${i + 1}/${args.cold} ${rt}`);
      const c = await coldStart(browser, origin, rt, name, dims, outside);
      diff[rt] = Math.max(diff[rt], checkLogits(c.logits, ref, `${name}: ${rt}, cold start ${i + 1}`));
      cold[rt].push(c);
    }
    check(Object.fromEntries(ENGINES.map((e) => [e, cold[e][i].logits])), `cold start ${i + 1}`);
  }

  progress(`${name}: ${args.runs} interleaved runs`);
  const t = await withPage(browser, origin, `mode=steady&${modelQuery(name, dims)}`, outside, async (first, page) => {
    check(first.logits, 'first run in one page');
    const s = await page.evaluate(([n, warm]) => window.steady(n, warm), [args.runs, WARM_RUNS]);
    check(s.logits, `after ${args.runs} timed runs`);
    return { ...s, edgerunModule: edgerunVariant(name, first.edgerunSize) };
  });
  progress('');

  // Bytes: from the cold starts' resource timing, which must agree run after
  // run; without cold starts, the files the node bench counts.
  const bytes = {};
  const files = {};
  for (const rt of ENGINES) {
    if (!args.cold) break;
    files[rt] = cold[rt][0].files;
    for (const c of cold[rt]) {
      if (Object.keys(c.files).sort().join() !== Object.keys(files[rt]).sort().join()) {
        throw new Error(`${name}: ${rt} cold starts fetched different files: ${Object.keys(c.files)} vs ${Object.keys(files[rt])}`);
      }
    }
    bytes[rt] = Object.values(files[rt]).reduce((a, b) => a + b, 0);
    bytes[`${rt}Gzip`] = Object.keys(files[rt]).reduce((a, u) => a + gzipSize(fileOf(u)), 0);
  }
  const stats = (xs) => ({ median: median(xs), p10: quantile(xs, 0.1), p90: quantile(xs, 0.9) });
  return {
    name,
    macs: plan.macs,
    infer: Object.fromEntries(ENGINES.map((e) => [e, stats(t[e])])),
    cold: args.cold ? Object.fromEntries(ENGINES.map((e) => [e, median(cold[e].map((c) => c.ms))])) : null,
    coldAll: Object.fromEntries(ENGINES.map((e) => [e, cold[e].map((c) => c.ms)])),
    bytes,
    files,
    diff,
    maxLogit: Math.max(...Array.from(ref, Math.abs)),
    samples: Object.fromEntries(ENGINES.map((e) => [e, t[e]])),
    edgerunModule: t.edgerunModule,
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
  const loadStart = os.loadavg()[0];
  progress('measuring the SIMD128 peak');
  const peakStart = await measurePeakInPage(browser, origin, outside);
  const rows = [];
  for (const name of args.models) rows.push(await benchModel(browser, origin, name, outside));
  progress('measuring the SIMD128 peak again');
  const peakEnd = await measurePeakInPage(browser, origin, outside);
  progress('');
  if (outside.length) throw new Error(`the pages requested something other than ${origin}: ${[...new Set(outside)].join(', ')}`);
  const peak = peakEnd.gmacs > peakStart.gmacs ? peakEnd : peakStart;
  const fmtPeak = (p) => `${p.gmacs.toFixed(1)} GMAC/s (${p.chains} chains)`;
  const cpu = os.cpus();
  const meta = {
    title: `Chromium ${browser.version()} headless: edgerun vs onnxruntime-web ${peers.ort.version} vs TF.js ${peers.tfjs.version} wasm`,
    lines: [
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpu[0].model}, ${cpu.length} cores, ${os.platform()} ${os.release()}; ` +
        `load average ${loadStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end (the machine is shared)`,
      `\`node bench/browser.mjs --runs ${args.runs} --cold ${args.cold} --models ${args.models.join(',')}\``,
      variantLine(rows),
      `${args.runs} interleaved runs in one page after ${WARM_RUNS} warm-up rounds; ` +
        `${args.cold ? `first result = median of ${args.cold} cold starts (fresh context, empty cache, from navigation start)` : 'first result and download not measured (--cold 0)'}; ` +
        'one thread, SIMD, for all three',
      `SIMD128 f32x4.mul+f32x4.add peak in a page: ${fmtPeak(peakStart)} before the models, ${fmtPeak(peakEnd)} after` +
        (peak.relaxedGmacs ? `; relaxed-SIMD f32x4.relaxed_madd: ${peak.relaxedGmacs.toFixed(1)} GMAC/s` : ''),
      `every engine's logits within ${TOLERANCE} of onnxruntime-node's and of each other (checked in every cold start, at the first run and after the timed runs)`,
    ],
    peak,
  };
  console.log(formatReport(meta, rows));
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({ meta, browser: `Chromium ${browser.version()}`, ort: peers.ort.version, tfjs: peers.tfjs.version, rows }, null, 2));
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
