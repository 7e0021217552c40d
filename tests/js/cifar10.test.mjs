// All 10,000 CIFAR-10 test images through the whole product path: JPEG bytes
// -> base64 -> JSON request -> the resnet20 module (decode, prepare, infer)
// -> JSON response, compared with the reference CSV (Pillow + PyTorch).
// The JPEGs decode to Pillow's pixels exactly (src/runtime/er_jpeg.h), so the
// logits match the reference's to float rounding: measured 10,000 of 10,000
// top-1 agreements, largest logit difference below 0.0005.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(process.env.SHARED || path.join(root, '../shared'));
const require = createRequire(import.meta.url);

test('resnet20 on all 10,000 CIFAR-10 test images should agree with the reference >= 99.9% and score >= 80.5%', async (t) => {
  const shim = path.join(root, 'web/edgerun.js');
  const wasm = path.join(root, 'web/models/resnet20-cifar10.wasm');
  for (const f of [shim, wasm]) assert.ok(fs.existsSync(f), `${path.relative(root, f)} is missing: run make`);
  const edgerun = require(shim);
  const model = await edgerun.load(wasm);
  const csv = fs.readFileSync(path.join(shared, 'data/cifar10-test-reference.csv'), 'utf8').trim().split('\n');
  const header = csv[0].split(',');
  const col = (name) => header.indexOf(name);
  const [iPath, iLabel, iPred] = [col('path'), col('label'), col('pred_resnet20')];
  const iLogit0 = col('logit20_0');
  let agree = 0, correct = 0, n = 0, maxLogitDiff = 0;
  const disagreements = [];
  for (const line of csv.slice(1)) {
    const f = line.split(',');
    const jpeg = fs.readFileSync(path.join(shared, 'data/cifar10-test', f[iPath]));
    // The request as a page sends it: a data URL, the model's own size and norm.
    const result = await model.run(JSON.stringify({
      type: 'image', input: `data:image/jpeg;base64,${jpeg.toString('base64')}`, width: 32, height: 32, channels: 3, crop: true,
    }));
    const top = result.top[0].index;
    assert.equal(result.output.length, 10);
    if (top === Number(f[iPred])) agree++;
    else if (disagreements.length < 10) disagreements.push(`${f[iPath]}: ${top} vs reference ${f[iPred]}`);
    if (top === Number(f[iLabel])) correct++;
    for (let k = 0; k < 10; k++) maxLogitDiff = Math.max(maxLogitDiff, Math.abs(result.logits[k] - Number(f[iLogit0 + k])));
    n++;
  }
  model.dispose();
  const agreement = (100 * agree) / n, accuracy = (100 * correct) / n;
  t.diagnostic(`CIFAR-10 resnet20: ${n - agree} disagreements; ${n} images, top-1 agreement with the reference ${agreement.toFixed(2)}% (${agree}/${n}), ` +
    `accuracy ${accuracy.toFixed(2)}% (reference 81.03%), largest logit difference ${maxLogitDiff.toFixed(3)}`);
  if (disagreements.length) t.diagnostic(`first disagreements: ${disagreements.join('; ')}`);
  console.log(`CIFAR-10 resnet20: agreement ${agreement.toFixed(2)}% (${n - agree} disagreements), accuracy ${accuracy.toFixed(2)}%, ` +
    `largest logit difference ${maxLogitDiff.toFixed(4)}`);
  assert.equal(n, 10000);
  assert.ok(agreement >= 99.9, `agreement ${agreement}%`);
  assert.ok(maxLogitDiff < 0.01, `largest logit difference ${maxLogitDiff}`);
  assert.ok(accuracy >= 80.5, `accuracy ${accuracy}%`);
});
