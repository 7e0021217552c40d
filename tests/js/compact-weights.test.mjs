// Compact weights (edgerun-compile --weights fp16|int8) on resnet20: what a
// page downloads (module + shim, gzip), and all 10,000 CIFAR-10 test images
// through the whole product path against the reference CSV (Pillow + PyTorch,
// float32). fp16 must keep >= 99.5% top-1 agreement; int8 >= 99.0% and an
// accuracy within 0.5 points of the float32 network's.
// Build first: make (the compact modules are part of `resnets`).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(process.env.SHARED || path.join(root, '../shared'));
const require = createRequire(import.meta.url);

const shimMin = path.join(root, 'web/edgerun.min.js');
const variants = {
  fp32: path.join(root, 'web/models/resnet20-cifar10.wasm'),
  fp16: path.join(root, 'web/models/resnet20-cifar10-fp16.wasm'),
  int8: path.join(root, 'web/models/resnet20-cifar10-int8.wasm'),
};
function need(file) {
  assert.ok(fs.existsSync(file), `${path.relative(root, file)} is missing: run make`);
  return file;
}
const gzipSize = (...files) => zlib.gzipSync(Buffer.concat(files.map((f) => fs.readFileSync(need(f)))), { level: 9 }).length;

test('compact resnet20 downloads (module + shim, gzip) should be <= 0.60 MB with fp16 and <= 0.35 MB with int8', (t) => {
  const sizes = Object.fromEntries(Object.entries(variants).map(([k, f]) => [k, gzipSize(f, shimMin)]));
  t.diagnostic(`gzip module + shim: fp32 ${sizes.fp32} B, fp16 ${sizes.fp16} B, int8 ${sizes.int8} B`);
  console.log(`resnet20 gzip module+shim: fp32 ${(sizes.fp32 / 1e6).toFixed(3)} MB, fp16 ${(sizes.fp16 / 1e6).toFixed(3)} MB, ` +
    `int8 ${(sizes.int8 / 1e6).toFixed(3)} MB`);
  assert.ok(sizes.fp16 <= 600_000, `fp16: ${sizes.fp16} bytes`);
  assert.ok(sizes.int8 <= 350_000, `int8: ${sizes.int8} bytes`);
  assert.ok(sizes.int8 < sizes.fp16 && sizes.fp16 < sizes.fp32, 'each form is smaller than the one before');
});

test('compact resnet20 modules should store their weights as they say and keep the model\'s interface', async () => {
  const edgerun = require(need(path.join(root, 'web/edgerun.js')));
  const models = {};
  for (const [k, f] of Object.entries(variants)) models[k] = await edgerun.load(need(f));
  const w = Object.fromEntries(Object.entries(models).map(([k, m]) => [k, m.info.weight_bytes]));
  // fp16 holds two bytes of each value fp32 stores (packed weights too); int8 one byte of each of
  // the network's 272,474 weights (plus per-channel scales and fp32 biases), fp32 four or more.
  assert.ok(w.fp16 < w.fp32 * 0.51 && w.fp16 > w.fp32 * 0.49, `fp16 ${w.fp16} vs fp32 ${w.fp32} bytes`);
  assert.ok(w.int8 < w.fp32 * 0.27 && w.int8 > 272_474, `int8 ${w.int8} vs fp32 ${w.fp32} bytes`);
  for (const k of ['fp16', 'int8']) {
    assert.deepEqual(models[k].info.inputs, models.fp32.info.inputs);
    assert.deepEqual(models[k].info.outputs.map((o) => [o.name, o.dims]), models.fp32.info.outputs.map((o) => [o.name, o.dims]));
    assert.deepEqual(models[k].info.labels, models.fp32.info.labels);
  }
  for (const m of Object.values(models)) m.dispose();
});

test('fp16 and int8 resnet20 on all 10,000 CIFAR-10 images should agree with the float32 reference (>= 99.5%, >= 99.0%)', async (t) => {
  const edgerun = require(need(path.join(root, 'web/edgerun.js')));
  const fp16 = await edgerun.load(need(variants.fp16));
  const int8 = await edgerun.load(need(variants.int8));
  const csv = fs.readFileSync(path.join(shared, 'data/cifar10-test-reference.csv'), 'utf8').trim().split('\n');
  const header = csv[0].split(',');
  const col = (name) => header.indexOf(name);
  const [iPath, iLabel, iPred, iLogit0] = [col('path'), col('label'), col('pred_resnet20'), col('logit20_0')];
  const stats = { fp16: { agree: 0, correct: 0, maxDiff: 0 }, int8: { agree: 0, correct: 0, maxDiff: 0 } };
  let n = 0, refCorrect = 0;
  for (const line of csv.slice(1)) {
    const f = line.split(',');
    const jpeg = fs.readFileSync(path.join(shared, 'data/cifar10-test', f[iPath]));
    const request = JSON.stringify({ type: 'image', input: jpeg.toString('base64'), crop: true });
    for (const [k, model] of [['fp16', fp16], ['int8', int8]]) {
      const r = await model.run(request);
      const s = stats[k];
      const top = r.top[0].index;
      if (top === Number(f[iPred])) s.agree++;
      if (top === Number(f[iLabel])) s.correct++;
      for (let c = 0; c < 10; c++) s.maxDiff = Math.max(s.maxDiff, Math.abs(r.logits[c] - Number(f[iLogit0 + c])));
    }
    if (Number(f[iPred]) === Number(f[iLabel])) refCorrect++;
    n++;
  }
  fp16.dispose();
  int8.dispose();
  assert.equal(n, 10000);
  const pct = (x) => (100 * x) / n;
  const refAccuracy = pct(refCorrect);
  for (const k of ['fp16', 'int8']) {
    const s = stats[k];
    const line = `CIFAR-10 resnet20 ${k}: agreement ${pct(s.agree).toFixed(2)}%, accuracy ${pct(s.correct).toFixed(2)}% ` +
      `(float32 reference ${refAccuracy.toFixed(2)}%), largest logit difference ${s.maxDiff.toFixed(3)}`;
    t.diagnostic(line);
    console.log(line);
  }
  assert.ok(pct(stats.fp16.agree) >= 99.5, `fp16 agreement ${pct(stats.fp16.agree)}%`);
  assert.ok(pct(stats.int8.agree) >= 99.0, `int8 agreement ${pct(stats.int8.agree)}%`);
  assert.ok(Math.abs(pct(stats.int8.correct) - refAccuracy) <= 0.5,
    `int8 accuracy ${pct(stats.int8.correct)}% vs float32 ${refAccuracy}%`);
  assert.ok(Math.abs(pct(stats.fp16.correct) - refAccuracy) <= 0.5,
    `fp16 accuracy ${pct(stats.fp16.correct)}% vs float32 ${refAccuracy}%`);
});
