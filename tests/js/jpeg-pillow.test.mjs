// jpeg-pillow.test.mjs - edgerun's JPEG pixels against Pillow's (libjpeg-turbo), exactly.
//
// tests/runtime/jpeg_cases.py (Debian's /usr/bin/python3 with Pillow, and
// libjpeg-turbo's jpegtran for restart markers) writes JPEGs of every layout
// - 4:4:4, 4:2:2, 4:2:0 and grey; baseline, progressive, optimized Huffman
// tables; restart intervals; sizes off the MCU grid down to 1x1; EXIF
// orientations 1-8; qualities 30-100 - and Pillow's decoded, upright pixels.
// build/tests/er-prepare --decode runs er_image_decode on each (natively,
// under ASan and UBSan) and every pixel must be equal: src/runtime/er_jpeg.h
// reproduces libjpeg-turbo's IDCT, upsampling and colour conversion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const driver = path.join(root, 'build/tests/er-prepare');
const out = path.join(root, 'build/tests/jpeg-pillow');

test('every generated JPEG should decode to exactly the pixels Pillow decodes', (t) => {
  assert.ok(fs.existsSync(driver), `${driver} is missing: run make runtime-test-tools`);
  fs.rmSync(out, { recursive: true, force: true });
  const gen = spawnSync('/usr/bin/python3', [path.join(root, 'tests/runtime/jpeg_cases.py'), out], { encoding: 'utf8' });
  assert.equal(gen.status, 0, `jpeg_cases.py failed:\n${gen.stderr}`);
  const cases = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  // Every layout the issue names is there.
  for (const kind of ['444-', '422-', '420-', 'grey-', '-progressive', '-restart', '-1x1', '-exif6', '-exif8']) {
    assert.ok(cases.some((c) => c.name.includes(kind)), `no ${kind} case`);
  }
  assert.ok(cases.length >= 80, `only ${cases.length} cases`);

  const failures = [];
  let pixels = 0;
  for (const c of cases) {
    const run = spawnSync(driver, ['--decode', path.join(out, c.image)], { maxBuffer: 1 << 26 });
    if (run.status !== 0) {
      failures.push(`${c.name}: er-prepare failed: ${run.stderr}`);
      continue;
    }
    const head = new Int32Array(run.stdout.buffer.slice(run.stdout.byteOffset, run.stdout.byteOffset + 12));
    const ours = run.stdout.subarray(12);
    const ref = fs.readFileSync(path.join(out, c.reference));
    if (head[0] !== c.width || head[1] !== c.height || head[2] !== c.channels || ours.length !== ref.length) {
      failures.push(`${c.name}: ${head.join('x')}, Pillow has ${c.width}x${c.height}x${c.channels}`);
      continue;
    }
    let differing = 0, first = -1;
    for (let i = 0; i < ref.length; i += c.channels) {
      for (let k = 0; k < c.channels; k++) {
        if (ours[i + k] !== ref[i + k]) {
          if (first < 0) first = i / c.channels;
          differing++;
          break;
        }
      }
    }
    pixels += ref.length / c.channels;
    if (differing) {
      failures.push(`${c.name}: ${differing} pixels differ, the first at (${first % c.width}, ${Math.floor(first / c.width)})`);
    }
  }
  t.diagnostic(`${cases.length} JPEGs, ${pixels} pixels compared, ${failures.length} cases differ`);
  assert.deepEqual(failures, []);
});

test('damaged JPEGs of every layout should fail with coded errors, not crash, on every decode path', (t) => {
  // er-prepare runs under ASan and UBSan: a read past the data, an overflow
  // or any other memory error in stb's parser or our kernels aborts it. Each
  // damaged copy (bytes overwritten, bits flipped, the end cut off) goes
  // through the full decode + prepare and twice through the streamed,
  // reduced-scale path (er_image_decode_prepare at 1/2 and 1/4 or 1/8).
  const names = ['420-q95', '422-restart', '444-progressive', '420-progressive-restart', 'grey-restart', '420-17x9',
    '422-1x1', '444-exif6', 'grey-progressive', '420-mid-restart'];
  const files = names.map((n) => path.join(out, `${n}.jpg`));
  for (const f of files) assert.ok(fs.existsSync(f), `${f} is missing (the first test writes it)`);
  const run = spawnSync(driver, ['--damage', '300', ...files], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr.slice(0, 2000));
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, files.length);
  let streamedOk = 0, streamedDecode = 0;
  for (const line of lines) {
    t.diagnostic(path.basename(line));
    const m = line.match(/: (\d+) prepared, (\d+) E_DECODE, (\d+) E_LIMIT, (\d+) E_MEMORY; streamed twice: (\d+) prepared, (\d+) E_DECODE, (\d+) E_LIMIT, (\d+) E_MEMORY;/);
    assert.ok(m, line);
    const [ok, dec, lim, mem, sOk, sDec, sLim, sMem] = m.slice(1).map(Number);
    assert.equal(ok + dec + lim + mem, 300, line);
    assert.equal(sOk + sDec + sLim + sMem, 600, line);
    streamedOk += sOk;
    streamedDecode += sDec;
  }
  // Both outcomes happen: damage that stb tolerates, and damage it reports.
  assert.ok(streamedOk > 0 && streamedDecode > 0, `streamed: ${streamedOk} prepared, ${streamedDecode} E_DECODE`);
});
