// jpeg-scaled.test.mjs - large JPEGs, decoded at a reduced scale and streamed,
// against Pillow's full-size preparation.
//
// tests/runtime/scaled_cases.py writes photo-like JPEGs at phone (4032x3024)
// and HD sizes - 4:2:0, 4:2:2, 4:4:4, grey, progressive, EXIF-rotated, an odd
// size - and what Pillow makes of each at full resolution: exif_transpose,
// centre crop, BOX resize (pillow_cases.reference). `er-prepare --stream`
// runs er_image_decode_prepare, the protocol's path: the JPEG is decoded at
// 1/2, 1/4 or 1/8 (the largest keeping twice the output size in the crop)
// straight into the area average, never as a full-size image.
//
// Where an output pixel's edge cuts a block, the decoder splits the block
// there in the DCT domain (er_jpeg_idct_cells), so the averages are the
// full-size image's, and every value is within 2/255 of Pillow's. Scale 1/2
// is never used: its cells are small enough that clamping a cell's mean
// instead of each pixel (saturated colours at sharp edges, which the
// generator draws on purpose) moved values by up to 8.5/255, so where 1/2
// would fit the JPEG is streamed at full size (the hd 224x224 case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const driver = path.join(root, 'build/tests/er-prepare');
const out = path.join(root, 'build/tests/jpeg-scaled');
const TOLERANCE = 2 + 1e-3; // 1/255 steps, plus float rounding

// Whether scale 1/d leaves twice the output in the crop (er_box_denominator's rule).
const fits = (c, d) => Math.floor(c.source_width / d) >= 2 * c.width && Math.floor(c.source_height / d) >= 2 * c.height;
// The scale er_image_decode_prepare decodes at: the largest 1/d of 1/8 and
// 1/4 that fits, else 1 (never 1/2).
const denominator = (c) => [8, 4].find((d) => fits(c, d)) || 1;

test('large JPEGs decoded at reduced scale should prepare within 2/255 of Pillow at full size', (t) => {
  assert.ok(fs.existsSync(driver), `${driver} is missing: run make runtime-test-tools`);
  fs.rmSync(out, { recursive: true, force: true });
  const gen = spawnSync('/usr/bin/python3', [path.join(root, 'tests/runtime/scaled_cases.py'), out], { encoding: 'utf8' });
  assert.equal(gen.status, 0, `scaled_cases.py failed:\n${gen.stderr}`);
  const cases = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  assert.ok(cases.length >= 15, `only ${cases.length} cases`);
  for (const kind of ['420', '422', '444', 'grey', 'exif6', 'progressive', 'hd']) {
    assert.ok(cases.some((c) => c.name.includes(kind)), `no ${kind} case`);
  }

  const failures = [];
  for (const c of cases) {
    const args = ['--stream', path.join(out, c.image), c.width, c.height, c.channels, c.crop ? 1 : 0].map(String);
    const run = spawnSync(driver, args, { maxBuffer: 1 << 26 });
    if (run.status !== 0) {
      failures.push(`${c.name}: er-prepare failed: ${run.stderr}`);
      continue;
    }
    const plane = c.width * c.height;
    const ours = new Float32Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.byteLength / 4);
    const ref = fs.readFileSync(path.join(out, c.reference));
    if (ours.length !== plane * c.channels || ref.length !== ours.length) {
      failures.push(`${c.name}: ${ours.length} values, Pillow has ${ref.length}`);
      continue;
    }
    let max = 0, over = 0;
    for (let ch = 0; ch < c.channels; ch++) {
      for (let i = 0; i < plane; i++) {
        const d = Math.abs(ours[ch * plane + i] * 255 - ref[i * c.channels + ch]);
        if (d > max) max = d;
        if (d > TOLERANCE) over++;
      }
    }
    const d = c.image.includes('progressive') ? 1 : denominator(c); // progressive: stb's planes, scale 1
    t.diagnostic(`${c.name.padEnd(38)} scale 1/${d}: max ${max.toFixed(3)}/255, ${over} of ${ours.length} values ` +
      'over 2/255');
    if (max > TOLERANCE) {
      failures.push(`${c.name}: max ${max.toFixed(3)}/255, ${over} values over 2/255`);
    }
  }
  assert.deepEqual(failures, []);
  // Both reduced scales were exercised, and a case where 1/2 would fit.
  for (const d of [4, 8]) assert.ok(cases.some((c) => denominator(c) === d), `no case at scale 1/${d}`);
  assert.ok(cases.some((c) => denominator(c) === 1 && fits(c, 2)), 'no case at full size where 1/2 would fit');
});

test('a 12 MP JPEG through run() should leave the module at most 16 MB above the model\'s own memory', async (t) => {
  // wasm memory never shrinks: what a request needed at its peak stays. The
  // full-size decode needed 36 MB for the RGB image alone; streamed at 1/8,
  // the request text and the JPEG bytes are most of what is left. "The
  // model's own" is its memory after a first, 1080p request.
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const shim = path.join(root, 'web/edgerun.js');
  const wasm = path.join(root, 'web/models/resnet20-cifar10.wasm');
  for (const f of [shim, wasm]) assert.ok(fs.existsSync(f), `${path.relative(root, f)} is missing: run make`);
  const photo = path.join(out, 'phone-420.jpg'); // written by the first test
  assert.ok(fs.existsSync(photo), `${photo} is missing`);
  const model = await require(shim).load(wasm);
  const small = await model.run({ input: fs.readFileSync(path.join(out, 'hd-420.jpg')).toString('base64'), crop: true });
  assert.equal(small.output.length, 10);
  const own = model.memoryBytes;
  const r = await model.run({ input: fs.readFileSync(photo).toString('base64'), crop: true });
  const above = model.memoryBytes - own;
  t.diagnostic(`4032x3024 JPEG: decode ${r.ms.decode.toFixed(1)} ms, prepare ${r.ms.prepare.toFixed(1)} ms, ` +
    `module memory ${(model.memoryBytes / 1048576).toFixed(1)} MB, ${(above / 1048576).toFixed(1)} MB above the model's own`);
  assert.equal(r.output.length, 10);
  assert.ok(above <= 16 * 1048576, `${above} bytes above the model's own memory`);
  model.dispose();
});
