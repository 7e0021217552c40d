// make zoo: the torchvision classification zoo, exported with seeded random
// weights (tests/zoo/export.py), compiled with `make model`, run in node as
// wasm and matched against onnxruntime-node (|Δ| <= 1e-4 + 1e-3 |ref|).
//
//   node tests/zoo/zoo.mjs [NAME,NAME...]
//
// Prints one table row per model: nodes and kernel calls, weights, build
// time and peak RSS of `make model` (both modules), wasm size, max |Δ| and
// the largest logit it is relative to;
// writes the table to build/zoo/zoo.md. Exits 1 if any model fails.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const edgerun = require(path.join(root, 'web/edgerun.js'));
const ALL = ['resnet18', 'resnet50', 'resnext50_32x4d', 'densenet121', 'efficientnet_b0', 'regnet_y_400mf', 'mnasnet0_5',
  'googlenet', 'inception_v3', 'mobilenet_v2', 'mobilenet_v3_small', 'shufflenet_v2_x0_5', 'squeezenet1_1',
  'convnext_tiny', 'swin_t', 'vit_b_16', 'maxvit_t'];
const names = process.argv[2] ? process.argv[2].split(',') : ALL;
const dir = path.join(root, 'build/zoo');
fs.mkdirSync(dir, { recursive: true });

function seeded(n, seed) {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32) * 4 - 2;
  }
  return x;
}

const rows = [];
let failed = 0;
for (const name of names) {
  const row = { name };
  rows.push(row);
  try {
    execFileSync('/usr/bin/python3', [path.join(root, 'tests/zoo/export.py'), dir, name], { stdio: 'inherit' });
    const onnx = path.join(dir, `${name}.onnx`), module = `zoo-${name}`;
    const b = spawnSync('/usr/bin/time', ['-v', 'make', '--no-print-directory', 'model', `MODEL=${onnx}`, `NAME=${module}`],
      { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (b.status !== 0) throw new Error(`make model failed:\n${(b.stdout + b.stderr).split('\n').filter((l) => /error|edgerun-compile/i.test(l)).slice(-5).join('\n')}`);
    const summary = (b.stdout + b.stderr).match(/(\d+) nodes \((\d+) folded, (\d+) fused\) -> (\d+) kernel calls/);
    row.nodes = summary ? `${summary[1]} → ${summary[4]}` : '?';
    const wall = b.stderr.match(/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/);
    row.build = wall ? (Number(wall[1] || 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3])).toFixed(1) : '?';
    row.rss = (Number(b.stderr.match(/Maximum resident set size \(kbytes\): (\d+)/)?.[1] || 0) / 1024).toFixed(0);
    row.weights = (fs.statSync(path.join(root, `build/models/${module}.weights`)).size / 1e6).toFixed(1);
    const wasm = path.join(root, `web/models/${module}.wasm`);
    row.wasm = (fs.statSync(wasm).size / 1e6).toFixed(1);
    const m = await edgerun.load(wasm, { relaxed: false });
    const io = m.info.inputs[0], dims = io.dims.map((d) => (d > 0 ? d : 1));
    const x = seeded(dims.reduce((p, q) => p * q, 1), 7);
    const ours = (await m.runTensors({ [io.name]: { data: x, dims } }))[m.info.outputs[0].name].data;
    m.dispose();
    const session = await ort.InferenceSession.create(onnx);
    const theirs = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, dims) }))[session.outputNames[0]].data;
    if (ours.length !== theirs.length) throw new Error(`${ours.length} outputs, onnxruntime ${theirs.length}`);
    let worst = 0, bad = 0, spread = 0;
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i] - theirs[i]);
      worst = Math.max(worst, d);
      spread = Math.max(spread, Math.abs(theirs[i] - theirs[0]));
      if (!(d <= 1e-4 + 1e-3 * Math.abs(theirs[i]))) bad++;
    }
    // Outputs that do not depend on the input would match anything.
    if (!(spread > 1e-3)) throw new Error(`the logits hardly vary (spread ${spread}): the check proves nothing`);
    row.diff = worst.toExponential(1);
    row.scale = Math.max(...Array.from(theirs, Math.abs)).toPrecision(3);
    row.ok = bad === 0;
    if (bad) throw new Error(`${bad} of ${ours.length} logits beyond 1e-4 + 1e-3|ref| (max |Δ| ${row.diff})`);
  } catch (e) {
    row.ok = false;
    row.error = e.message.split('\n')[0];
    console.error(`${name}: ${e.message}`);
  }
  if (!row.ok) failed++;
  console.log(`${name}: ${row.ok ? 'match' : 'FAIL'} ${JSON.stringify(row)}`);
}

const table = ['| model | nodes → kernel calls | weights MB | build s | peak RSS MB | wasm MB | max abs diff | largest \\|logit\\| | |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.name} | ${r.nodes ?? ''} | ${r.weights ?? ''} | ${r.build ?? ''} | ${r.rss ?? ''} | ${r.wasm ?? ''} | ${r.diff ?? ''} | ${r.scale ?? ''} | ${r.ok ? 'match' : `FAIL: ${r.error}`} |`)].join('\n');
fs.writeFileSync(path.join(dir, 'zoo.md'), `${table}\n`);
console.log(`\n${table}\n\n${rows.length - failed} of ${rows.length} models match onnxruntime-node`);
process.exit(failed || rows.length === 0 ? 1 : 0);
