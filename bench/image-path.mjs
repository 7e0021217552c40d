// The image path: what a page's visitor waits for between dropping a photo
// and seeing the answer - decode, prepare and infer through run() with
// resnet20 - in node and in Debian's Chromium, and the module's memory
// afterwards. bench.mjs and browser.mjs measure inference against
// onnxruntime-web; this measures everything before it.
//
//   node bench/image-path.mjs [--runs 10] [--json out.json]
//
// Inputs, made fresh in a temporary directory by Debian's Pillow
// (tests/runtime/scaled_cases.py; nothing is committed): a CIFAR-10 test
// JPEG (32x32, from ../shared), a 1920x1080 and a 4032x3024 photo-like JPEG
// (4:2:0, quality 90, like a phone's) and the same 12 MP image as a PNG.
// Each is run --runs times after 2 warm-up runs through model.run({input,
// crop: true}); the table gives medians of the module's own "ms" (decode:
// JSON + base64 + image decoding; prepare: crop, resize, normalise; infer)
// and of the wall time of the whole run() call. "memory" is the module's
// memory after that image's runs, above the model's own (the memory after
// loading and one CIFAR run): wasm memory never shrinks, so this is the
// peak the image needed. The 12 MP JPEG is decoded at 1/8 scale straight
// into the average (er_image_decode_prepare); the PNG goes the whole way.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, process.env.SHARED || '../shared');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MODEL = 'models/resnet20-cifar10.wasm';
const WARM = 2;

function die(why) {
  console.error(`image-path.mjs: ${why}`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { runs: '10', json: null };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(key in o) || i + 1 >= argv.length) {
      die(`bad argument "${argv[i]}"; usage: node bench/image-path.mjs [--runs 10] [--json out.json]`);
    }
    o[key] = argv[i + 1];
  }
  const runs = Number(o.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) die(`--runs must be an integer 1..1000, got "${o.runs}"`);
  return { runs, json: o.json };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The inputs, as files in dir; returns [{name, file, bytes}].
function makeInputs(dir) {
  const py = (args) => {
    const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
    if (r.status !== 0) die(`python3 ${args.join(' ')} failed:\n${r.stderr}`);
  };
  const cases = path.join(root, 'tests/runtime/scaled_cases.py');
  const cifar = path.join(shared, 'data/cifar10-test/cat/0000.jpg');
  if (!fs.existsSync(cifar)) die(`${cifar} is missing; set SHARED to the shared data directory`);
  fs.copyFileSync(cifar, path.join(dir, 'cifar.jpg'));
  py([cases, dir, 'photo', path.join(dir, 'hd.jpg'), '1920', '1080']);
  py([cases, dir, 'photo', path.join(dir, 'phone.jpg'), '4032', '3024']);
  py(['-c', 'import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2], compress_level=1)',
    path.join(dir, 'phone.jpg'), path.join(dir, 'phone.png')]);
  return [
    ['CIFAR-10 JPEG 32x32', 'cifar.jpg'],
    ['JPEG 1920x1080 4:2:0 q90', 'hd.jpg'],
    ['JPEG 4032x3024 4:2:0 q90', 'phone.jpg'],
    ['PNG 4032x3024', 'phone.png'],
  ].map(([name, file]) => ({ name, file, bytes: fs.statSync(path.join(dir, file)).size }));
}

// The measurement, the same in node and in the page: model = edgerun.load(..),
// b64s = base64 of each input. Returns one row per input.
async function measure(edgerun, modelUrl, b64s, runs, now) {
  const model = await edgerun.load(modelUrl);
  const rows = [];
  const one = async (input) => {
    const t = now();
    const r = await model.run({ type: 'image', input, crop: true });
    return { wall: now() - t, ms: r.ms, top: r.top[0].label };
  };
  await one(b64s[0]);
  const own = model.memoryBytes;
  for (const input of b64s) {
    const got = [];
    for (let i = 0; i < WARM + runs; i++) {
      const r = await one(input);
      if (i >= WARM) got.push(r);
    }
    const med = (f) => {
      const s = got.map(f).sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    rows.push({
      decode: med((r) => r.ms.decode), prepare: med((r) => r.ms.prepare), infer: med((r) => r.ms.infer),
      total: med((r) => r.wall), memoryAbove: model.memoryBytes - own, memory: model.memoryBytes, top: got[0].top,
    });
  }
  model.dispose();
  return { own, rows };
}

async function inNode(dir, inputs, runs) {
  const require = createRequire(import.meta.url);
  const edgerun = require(path.join(root, 'web/edgerun.js'));
  const b64s = inputs.map((i) => fs.readFileSync(path.join(dir, i.file)).toString('base64'));
  return measure(edgerun, path.join(root, 'web', MODEL), b64s, runs, () => performance.now());
}

async function inChromium(dir, inputs, runs) {
  // One origin: the page, the shim and model from web/, the inputs as base64 text.
  const server = http.createServer((req, res) => {
    const url = req.url.split('?')[0];
    let body, type = 'text/plain';
    if (url === '/') {
      body = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="/web/edgerun.min.js"></script>';
      type = 'text/html';
    } else if (url.startsWith('/input/')) {
      const i = inputs[Number(url.slice(7))];
      if (i) body = fs.readFileSync(path.join(dir, i.file)).toString('base64');
    } else if (url === '/web/edgerun.min.js' || url === `/web/${MODEL}`) {
      body = fs.readFileSync(path.join(root, url));
      type = url.endsWith('.js') ? 'text/javascript' : 'application/wasm';
    }
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'Content-Type': type }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(origin + '/');
    await page.waitForFunction(() => typeof window.edgerun === 'object');
    const version = browser.version();
    const measureSource = measure.toString();
    const result = await page.evaluate(async ({ n, runs, src, warm, model }) => {
      const b64s = [];
      for (let i = 0; i < n; i++) b64s.push(await (await fetch(`/input/${i}`)).text());
      // eslint-disable-next-line no-new-func
      const fn = new Function('WARM', `return ${src}`)(warm);
      return fn(window.edgerun, `/web/${model}`, b64s, runs, () => performance.now());
    }, { n: inputs.length, runs, src: measureSource, warm: WARM, model: MODEL });
    return { ...result, version };
  } finally {
    await browser.close();
    server.close();
  }
}

const args = parseArgs(process.argv.slice(2));
for (const f of [path.join(root, 'web/edgerun.js'), path.join(root, 'web/edgerun.min.js'), path.join(root, 'web', MODEL)]) {
  if (!fs.existsSync(f)) die(`${f} is missing; build it with "make"`);
}
if (!fs.existsSync(CHROMIUM)) die(`${CHROMIUM} is missing; install Debian's chromium package`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-image-path-'));
try {
  const inputs = makeInputs(dir);
  const node = await inNode(dir, inputs, args.runs);
  const browser = await inChromium(dir, inputs, args.runs);
  const mb = (b) => (b / 1048576).toFixed(1);
  const f = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  console.log(`resnet20, run({input, crop: true}), median of ${args.runs} runs; ms decode / prepare / infer, ` +
    `the whole run() call, module memory above the model's own (${mb(node.own)} MB in node)\n`);
  console.log('| input | file | node: decode / prepare / infer | node: run() | Chromium: decode / prepare / infer | Chromium: run() | memory above the model\'s |');
  console.log('|---|---|---|---|---|---|---|');
  inputs.forEach((input, i) => {
    const n = node.rows[i], b = browser.rows[i];
    console.log(`| ${input.name} | ${(input.bytes / 1024).toFixed(0)} KB | ${f(n.decode)} / ${f(n.prepare)} / ${f(n.infer)} | ` +
      `${f(n.total)} | ${f(b.decode)} / ${f(b.prepare)} / ${f(b.infer)} | ${f(b.total)} | ${mb(b.memoryAbove)} MB |`);
  });
  console.log(`\nChromium ${browser.version}, node ${process.versions.node}; top-1 of each input: ` +
    `${node.rows.map((r) => r.top).join(', ')} (node), ${browser.rows.map((r) => r.top).join(', ')} (Chromium)`);
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ inputs, runs: args.runs, node, browser }, null, 1));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
