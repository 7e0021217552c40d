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

test('a truncated image of every kind should be refused with E_DECODE on every path, as Pillow refuses it', (t) => {
  // A half-transferred photo used to decode, stb reading zeros past the
  // end, into an image grey or black below the cut, and was classified.
  // Each file is cut at 63 points through its length and just before its
  // end (the JPEGs' EOI marker), and decoded plain, streamed for a 7x5
  // output and streamed for a 2x2 crop (reduced JPEG scales), under ASan and
  // UBSan. A cut copy may decode only if the decoder never needed what was
  // cut (a GIF's later frames or trailer, a TGA's footer): then its tensor
  // is the whole file's, bit for bit.
  const files = [...new Set(images().map((c) => path.join(out, c.image)))];
  const run = spawnSync(driver, ['--truncated', ...files], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(run.status, 0, run.stderr.slice(0, 2000));
  const rows = run.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.equal(rows.length, files.length * 66, 'one line per cut');
  const wrong = [], kinds = {}, whole = {};
  for (const [file, cut, len, ...codes] of rows) {
    const name = path.basename(file), ext = path.extname(name);
    if (cut === len) {
      whole[name] = codes.join(' ');
      if (codes.some((c) => !c.startsWith('OK:'))) wrong.push(`${name} whole: ${codes.join(' ')}`);
      continue;
    }
    kinds[ext] = kinds[ext] || { refused: 0, decoded: 0 };
    const refused = codes.every((c) => c === 'E_DECODE');
    kinds[ext][refused ? 'refused' : 'decoded']++;
    const jpegEnd = ext === '.jpg' && Number(len) - Number(cut) <= 2;
    if (!refused && (jpegEnd || codes.join(' ') !== whole[name])) wrong.push(`${name} cut at ${cut} of ${len}: ${codes.join(' ')}`);
  }
  for (const [ext, n] of Object.entries(kinds)) t.diagnostic(`${ext}: ${n.refused} cuts refused, ${n.decoded} decoded as the whole file`);
  assert.deepEqual(wrong, []);
  for (const ext of ['.jpg', '.png', '.bmp', '.gif', '.tga']) assert.ok(kinds[ext]?.refused > 0, `no ${ext} refused`);
});
