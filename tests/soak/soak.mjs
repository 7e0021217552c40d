// soak.mjs - many requests through one resnet20 module (issue #10).
//
//   node tests/soak/soak.mjs [--count 20000] [--seed 1]     (make soak)
//   import { soak } from './soak.mjs'                        (tests/js/soak.test.mjs: 2,000)
//
// A pool of distinct requests: valid images of every format the runtime
// reads (CIFAR-10 JPEGs from $SHARED, and the PNG, BMP, GIF, TGA and JPEG
// files of tests/runtime/pillow_cases.py, EXIF orientations among them),
// with varied options; truncated and bit-flipped files; random bytes and
// broken base64; missing and wrong-typed fields; NaN and Infinity in norm;
// a PNG header declaring 100000 x 100000; JSON nested too deep; too many
// fields. Every request of the pool is first answered by a clean module (a
// second instance that runs each request once), then the soak draws
// `count` requests at random from the pool through ONE module, and checks:
//   - a valid image gets the clean run's top-1 and exactly its logits;
//   - a bad request rejects with the code its kind must have (and the
//     clean run's code; a damaged file may still decode, and then its
//     answer must be the clean run's answer);
//   - the module's memory after the first 1,000 requests grows by at most
//     one 64 KiB page.
// Prints the counts by kind and outcome.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

function rng(seed) {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

function images(shared, rand) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-soak-'));
  execFileSync('/usr/bin/python3', [path.join(root, 'tests/runtime/pillow_cases.py'), dir]);
  const files = fs.readdirSync(dir).filter((f) => /\.(jpg|png|bmp|gif|tga)$/.test(f)).map((f) => path.join(dir, f));
  const cifar = path.join(shared, 'data/cifar10-test');
  for (const cls of fs.readdirSync(cifar).sort())
    for (const f of fs.readdirSync(path.join(cifar, cls)).sort().slice(0, 4)) files.push(path.join(cifar, cls, f));
  const out = files.map((f) => ({ name: path.relative(dir, f).startsWith('..') ? path.relative(shared, f) : path.basename(f), bytes: fs.readFileSync(f) }));
  fs.rmSync(dir, { recursive: true, force: true });
  const formats = new Set(out.map((i) => path.extname(i.name)));
  for (const ext of ['.jpg', '.png', '.bmp', '.gif', '.tga']) assert.ok(formats.has(ext), `no ${ext} image for the soak`);
  void rand;
  return out;
}

// A PNG of 1x1 whose header says width x height (stb_image reads no CRC).
function declaredPng(width, height) {
  const b = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108020000009077' +
    '53de0000000c4944415408d763f8ffff3f0005fe02fea7d6a4c80000000049454e44ae426082', 'hex');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}

const OPTIONS = ['', ',"crop":true', ',"exif":false', ',"top":5', ',"crop":true,"top":10',
  ',"norm":[0.5,0.25,0.5,0.25,0.5,0.25]', ',"width":32,"height":32,"channels":3', ',"type":"image"'];

function pool(shared, rand) {
  const imgs = images(shared, rand), reqs = [];
  const add = (kind, text, code) => reqs.push({ kind, text, code });
  const b64 = (bytes) => bytes.toString('base64');
  imgs.forEach((img, i) => {
    const opt = OPTIONS[i % OPTIONS.length];
    add('valid', `{"input":"${b64(img.bytes)}"${opt}}`, null);
    add('valid', `{"input":"data:image/${img.name.endsWith('.jpg') ? 'jpeg' : 'png'};base64,${b64(img.bytes)}"${OPTIONS[(i + 3) % OPTIONS.length]}}`, null);
    const cut = img.bytes.subarray(0, 1 + rand(Math.max(1, img.bytes.length - 1)));
    add('truncated', `{"input":"${b64(cut)}"}`, 'E_DECODE');
    const bad = Buffer.from(img.bytes);
    for (let k = 0; k < 4; k++) bad[rand(bad.length)] ^= 1 << rand(8);
    add('corrupted', `{"input":"${b64(bad)}"}`, 'E_DECODE');
  });
  for (let i = 0; i < 20; i++) {
    const noise = Buffer.alloc(1 + rand(3000));
    for (let k = 0; k < noise.length; k++) noise[k] = rand(256);
    noise[0] = 0x20 + rand(0x40); // not 0xff / 0x89 / 'B' / 'G': no format's magic
    add('random bytes', `{"input":"${b64(noise)}"}`, 'E_DECODE');
  }
  const good = b64(imgs[0].bytes);
  for (const text of [`{"input":"${good.slice(0, 10)}#${good.slice(11)}"}`, `{"input":"${good}A"}`, '{"input":"A==="}',
    `{"input":"data:image/png;base64,${good}%"}`, '{"input":"QQ=A"}'])
    add('wrong base64', text, 'E_BASE64');
  for (const text of ['{}', '{"type":"image"}', '{"inptu":"AAAA"}', '{"input":42}', `{"input":"${good}","crop":"yes"}`,
    `{"input":"${good}","top":1.5}`, `{"input":"${good}","norm":[1,2,3]}`, `{"input":"${good}","exif":0}`,
    `{"input":"${good}","type":"video"}`, '{"input":null}', `{"input":["${good}"]}`, '[]', '"image"',
    `{"input":"${good}","input":"${good}"}`, `{"type":"tensor","input":"${good}"}`])
    add('missing or wrong-typed field', text, 'E_FIELD');
  add('NaN in norm', `{"input":"${good}","norm":[NaN,0.2,0.4,0.2,0.4,0.2]}`, 'E_JSON');
  add('NaN in norm', `{"input":"${good}","norm":[null,0.2,0.4,0.2,0.4,0.2]}`, 'E_FIELD');
  add('Infinity in norm', `{"input":"${good}","norm":[0.5,Infinity,0.4,0.2,0.4,0.2]}`, 'E_JSON');
  add('Infinity in norm', `{"input":"${good}","norm":[0.5,1e999,0.4,0.2,0.4,0.2]}`, 'E_FIELD');
  add('Infinity in norm', `{"input":"${good}","norm":[0.5,0.2,0.4,0.2,0.4,1e-50]}`, 'E_FIELD');
  add('oversize declared size', `{"input":"${b64(declaredPng(100000, 100000))}"}`, 'E_LIMIT');
  add('oversize declared size', `{"input":"${b64(declaredPng(20000, 10))}"}`, 'E_LIMIT');
  add('oversize declared size', `{"input":"${b64(declaredPng(10000, 10000))}"}`, 'E_LIMIT');
  add('deeply nested JSON', `{"input":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'E_LIMIT');
  add('deeply nested JSON', `${'{"a":'.repeat(100)}1${'}'.repeat(100)}`, 'E_LIMIT');
  add('too many fields', `{"input":"${good}",${Array.from({ length: 5000 }, (_, i) => `"f${i}":0`).join(',')}}`, 'E_LIMIT');
  add('bad JSON', `{"input":"${good}"`, 'E_JSON');
  add('bad JSON', '', 'E_JSON');
  add('wrong shape', `{"input":"${good}","width":64}`, 'E_SHAPE');
  add('wrong shape', '{"type":"tensor","input":[1,2,3]}', 'E_SHAPE');
  return reqs;
}

async function answer(model, text) {
  try {
    const r = await model.run(text);
    return { top: r.top[0].index, logits: r.logits };
  } catch (e) {
    if (!e.code || e.code === 'E_MODULE' || e.code === 'E_DISPOSED') throw e;
    return { code: e.code, message: e.message };
  }
}

export async function soak({ count = 20000, seed = 1, shared = process.env.SHARED || path.join(root, '../shared'), log = console.log } = {}) {
  const edgerun = require(path.join(root, 'web/edgerun.js'));
  const wasm = path.join(root, 'web/models/resnet20-cifar10.wasm');
  const rand = rng(seed);
  const reqs = pool(path.resolve(shared), rand);
  const clean = await edgerun.load(wasm);
  for (const r of reqs) r.expected = await answer(clean, r.text);
  clean.dispose();
  for (const r of reqs) {
    if (r.code === null) assert.equal(r.expected.code, undefined, `clean run of a valid image: ${JSON.stringify(r.expected)}`);
    // A damaged file may still decode; any other bad request has its code.
    else if (!(r.kind === 'truncated' || r.kind === 'corrupted') || r.expected.code)
      assert.equal(r.expected.code, r.code, `${r.kind}: ${r.expected.message} (${r.text.slice(0, 80)})`);
  }

  const model = await edgerun.load(wasm);
  const counts = {};
  let memoryAt1000 = 0, worst = 0;
  for (let i = 0; i < count; i++) {
    const r = reqs[rand(reqs.length)];
    const got = await answer(model, r.text);
    const outcome = got.code || 'ok';
    const key = `${r.kind}: ${outcome}`;
    counts[key] = (counts[key] || 0) + 1;
    if (r.expected.code) {
      assert.equal(got.code, r.expected.code, `request ${i} (${r.kind}): ${got.code} ${got.message || ''}, clean run ${r.expected.code}`);
    } else {
      assert.equal(got.code, undefined, `request ${i} (${r.kind}) failed: ${got.code} ${got.message}`);
      assert.equal(got.top, r.expected.top, `request ${i} (${r.kind}): top-1 ${got.top}, clean run ${r.expected.top}`);
      assert.deepEqual(got.logits, r.expected.logits, `request ${i} (${r.kind}): logits differ from the clean run`);
    }
    if (i === 999) memoryAt1000 = model.memoryBytes;
    if (i >= 1000) worst = Math.max(worst, model.memoryBytes - memoryAt1000);
  }
  const memoryEnd = model.memoryBytes;
  model.dispose();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  log(`soak: ${total} requests through one resnet20 module, ${reqs.length} distinct; memory ${memoryAt1000} bytes after 1,000, ` +
    `${memoryEnd} at the end (growth ${worst} bytes, limit 65536)`);
  for (const k of Object.keys(counts).sort()) log(`  ${k}: ${counts[k]}`);
  assert.equal(total, count);
  if (count > 1000) assert.ok(worst <= 65536, `memory grew by ${worst} bytes after the first 1,000 requests`);
  return { counts, total, growth: worst };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  soak({ count: arg('--count', 20000), seed: arg('--seed', 1) }).catch((e) => {
    console.error(`soak: FAILED: ${e.message}`);
    process.exit(1);
  });
}
