// prepare-pillow.test.mjs - edgerun's decode + prepare against Pillow's.
//
// tests/runtime/pillow_cases.py (Debian's /usr/bin/python3 with Pillow and
// numpy) writes images of every supported kind - odd sizes, portrait and
// landscape, grey, RGBA with real transparency, grey+alpha, 16-bit, palette
// with and without transparency, progressive and baseline JPEG (4:4:4),
// BMP, GIF, TGA - and what Pillow makes of each for a crop/size/channels
// case; JPEGs with EXIF orientations 2-8 (both byte orders) are compared
// with what PIL.ImageOps.exif_transpose makes of them, turned upright as a
// browser shows them. build/tests/er-prepare (`make runtime-test-tools`) runs the runtime's
// er_image_decode + er_image_prepare on the same file. Every prepared pixel
// must be within 2/255 of Pillow's: Pillow rounds to 8 bits between its two
// resize passes, edgerun keeps floats. (The decoded JPEG pixels themselves
// are Pillow's exactly: jpeg-pillow.test.mjs.)
// (Box ties are not a source of difference: the kernels' box table repeats
// Pillow's own arithmetic, see er_resample.c.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const driver = path.join(root, 'build/tests/er-prepare');
const out = path.join(root, 'build/tests/pillow');
// In 1/255 steps, plus float rounding: ours is v/255 in float32, times 255.
const TOLERANCE = 2 + 1e-3;

let generated;
function images() {
  if (!generated) {
    assert.ok(fs.existsSync(driver), `${driver} is missing: run make runtime-test-tools`);
    fs.rmSync(out, { recursive: true, force: true });
    const generator = path.join(root, 'tests/runtime/pillow_cases.py');
    const gen = spawnSync('/usr/bin/python3', [generator, out], { encoding: 'utf8' });
    assert.equal(gen.status, 0, `pillow_cases.py failed:\n${gen.stderr}`);
    generated = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  }
  return generated;
}

test('decode + prepare should match Pillow within 2/255 on every kind of image', (t) => {
  const cases = images();
  assert.ok(cases.length >= 30, `only ${cases.length} cases`);

  const failures = [];
  // Both paths: er_image_decode + er_image_prepare, and --stream, the
  // protocol's er_image_decode_prepare (JPEGs streamed into the average).
  for (const mode of ['', '--stream']) for (const c of cases) {
    const args = [path.join(out, c.image), c.width, c.height, c.channels, c.crop ? 1 : 0].map(String);
    const run = spawnSync(driver, mode ? [mode, ...args] : args, { maxBuffer: 1 << 26 });
    const name = `${c.name}${mode ? ' streamed' : ''}`;
    if (run.status !== 0) {
      failures.push(`${name}: er-prepare failed: ${run.stderr}`);
      continue;
    }
    const plane = c.width * c.height;
    const ours = new Float32Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.byteLength / 4); // CHW, 0..1
    const ref = fs.readFileSync(path.join(out, c.reference)); // HWC, 0..255
    if (ours.length !== plane * c.channels || ref.length !== ours.length) {
      failures.push(`${name}: ${ours.length} values, Pillow has ${ref.length}`);
      continue;
    }
    let max = 0, where = 0;
    for (let ch = 0; ch < c.channels; ch++) {
      for (let i = 0; i < plane; i++) {
        const d = Math.abs(ours[ch * plane + i] * 255 - ref[i * c.channels + ch]);
        if (d > max) { max = d; where = i; }
      }
    }
    t.diagnostic(`${name.padEnd(53)} max difference ${max.toFixed(3)}/255`);
    if (!(max <= TOLERANCE)) {
      failures.push(`${name}: ${max.toFixed(3)}/255 at pixel (${where % c.width}, ${Math.floor(where / c.width)})`);
    }
  }
  assert.deepEqual(failures, []);
});

test('decode + prepare should survive damaged copies of every kind of image', (t) => {
  // The driver runs under ASan and UBSan: a memory error in stb_image or the
  // runtime aborts it. (Debian's stb_image 2.27 overruns its Huffman tables
  // on some damaged JPEGs; er_image.c screens those out.) In the JPEGs with
  // an EXIF block, half the copies are damaged inside it.
  const files = [...new Set(images().map((c) => path.join(out, c.image)))];
  const run = spawnSync(driver, ['--damage', '1000', ...files], { encoding: 'utf8' });
  const lines = run.stdout.trim().split('\n');
  for (const line of lines) t.diagnostic(path.basename(line));
  assert.equal(run.status, 0, run.stderr.slice(0, 2000));
  assert.equal(lines.length, files.length);
  const byOrientation = new Array(8).fill(0);
  for (const line of lines.filter((l) => /\/exif\d\.jpg:/.test(l))) {
    const [, inExif, prepared, counts] = line.match(/\((\d+) in the EXIF block\): (\d+) prepared.*orientation 1-8: ([\d ]+)$/);
    assert.equal(Number(inExif), 500, line);
    counts.split(' ').forEach((n, o) => (byOrientation[o] += Number(n)));
    assert.ok(Number(prepared) > 0, line);
  }
  // Every orientation was prepared from damaged files.
  assert.ok(byOrientation.every((n) => n > 0), `prepared by orientation 1-8: ${byOrientation.join(' ')}`);
});
