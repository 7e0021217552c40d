// wasm-module.test.mjs - the fixture modules as the browser gets them.
//
// The native tests (make test-runtime) check the runtime's logic; these load
// build/fixtures/*.wasm (`make fixtures`) with a bare WebAssembly loader -
// not the JS shim, which has its own tests - to check what only the real
// module can show: its imports and exports, float32 results identical to
// the formula, errors that leave it usable, memory that stops growing once
// warm, and a real allocation failure (wasm32's 2 GB) coming out as E_MEMORY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const f32 = Math.fround;

function load(name) {
  const file = path.join(root, 'build/fixtures', `${name}.wasm`);
  assert.ok(fs.existsSync(file), `${file} is missing: run make fixtures`);
  const module = new WebAssembly.Module(fs.readFileSync(file));
  let memory;
  const instance = new WebAssembly.Instance(module, {
    env: { emscripten_notify_memory_growth() {} },
    wasi_snapshot_preview1: {
      clock_time_get(id, precision, out) {
        new DataView(memory.buffer).setBigUint64(out, process.hrtime.bigint(), true);
        return 0;
      },
    },
  });
  const e = instance.exports;
  memory = e.memory;
  e._initialize();
  const text = (p) => {
    const u8 = new Uint8Array(memory.buffer);
    let end = p;
    while (u8[end]) end++;
    return new TextDecoder().decode(u8.subarray(p, end));
  };
  const run = (request) => {
    const bytes = new TextEncoder().encode(typeof request === 'string' ? request : JSON.stringify(request));
    const p = e.er_alloc(bytes.length);
    new Uint8Array(memory.buffer, p, bytes.length).set(bytes);
    const r = e.er_run(p, bytes.length);
    e.er_free(p);
    return JSON.parse(text(r));
  };
  return { module, e, memory, run, info: () => JSON.parse(text(e.er_info())) };
}

// A 24-bit BMP of width x height pixels of one colour, as base64.
function bmp(width, height, [r, g, b]) {
  const row = Math.ceil((width * 3) / 4) * 4, size = 54 + row * height, buf = Buffer.alloc(size);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(size, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) buf.set([b, g, r], 54 + y * row + x * 3);
  }
  return buf.toString('base64');
}

// The classifier fixture's logits for a uniform image, in float32 as the module computes them.
function expectedLogits(rgb, norm) {
  const v = [0, 1, 2].map((c) => f32(f32(f32(rgb[c] / 255) - f32(norm[2 * c])) / f32(norm[2 * c + 1])));
  return Array.from({ length: 10 }, (_, k) => f32((k + 1) * v[k % 3]));
}

const CIFAR_NORM = [0.485, 0.229, 0.456, 0.224, 0.406, 0.225];
const TEAL = [20, 180, 170];

test('a module should import only the clock and the memory-growth notice', () => {
  for (const name of ['fixture-classifier', 'fixture-multi']) {
    const imports = WebAssembly.Module.imports(load(name).module).map((i) => `${i.module}.${i.name}`).sort();
    assert.deepEqual(imports, ['env.emscripten_notify_memory_growth', 'wasi_snapshot_preview1.clock_time_get']);
  }
});

test('a module should export exactly the functions of edgerun.h, and what the linker adds', () => {
  const header = fs.readFileSync(path.join(root, 'src/runtime/edgerun.h'), 'utf8');
  const declared = [...header.matchAll(/^[a-z][^(\n]*?\b(er_[a-z_]+)\(/gm)].map((m) => m[1]).sort();
  assert.ok(declared.length >= 7, `found ${declared}`);
  const linker = ['_initialize', '__errno_location', '__indirect_function_table', 'memory', 'stackAlloc',
    'stackRestore', 'stackSave'];
  const exports = WebAssembly.Module.exports(load('fixture-classifier').module).map((x) => x.name);
  assert.deepEqual(exports.filter((n) => !linker.includes(n)).sort(), declared);
});

test('an image request should give the float32 logits of the formula', () => {
  const { run, info } = load('fixture-classifier');
  assert.equal(info().name, 'fixture-classifier');
  const r = run({ input: `data:image/bmp;base64,${bmp(32, 32, TEAL)}`, top: 10 });
  assert.deepEqual(r.logits.map(f32), expectedLogits(TEAL, CIFAR_NORM));
  assert.equal(r.labels[3], 'cat');
  const sum = r.output.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-6, `probabilities sum to ${sum}`);
  assert.deepEqual(r.top.map((t) => t.prob), [...r.output].sort((a, b) => b - a));
  for (const stage of ['decode', 'prepare', 'infer']) assert.ok(r.ms[stage] >= 0, `ms.${stage}`);
});

test('errors should leave the module working, and a warm module should stop growing', () => {
  const { run, e, memory } = load('fixture-classifier');
  const good = { input: bmp(45, 30, TEAL), crop: true, norm: [0, 1, 0, 1, 0, 1] };
  const want = expectedLogits(TEAL, [0, 1, 0, 1, 0, 1]);
  const bad = [
    ['{"input": ', 'E_JSON'],
    [{ input: 'iVBO@w0K' }, 'E_BASE64'],
    [{ input: 'aGVsbG8gd29ybGQh' }, 'E_DECODE'],
    [{ input: bmp(45, 30, TEAL), width: 64 }, 'E_SHAPE'],
    [{ input: bmp(45, 30, TEAL), nrom: [] }, 'E_FIELD'],
    [{ type: 'tensor', input: [1, 2, 3] }, 'E_SHAPE'],
  ];
  const round = () => {
    for (const [request, code] of bad) {
      assert.equal(run(request).error?.code, code, JSON.stringify(request).slice(0, 40));
      assert.deepEqual(run(good).logits.map(f32), want);
    }
    e.er_set_max_pixels(1000);
    assert.equal(run(good).error?.code, 'E_LIMIT');
    e.er_set_max_pixels(50000000);
    assert.equal(run({ type: 'tensor', input: new Array(3072).fill(0.5) }).logits.length, 10);
  };
  round();
  const warm = memory.buffer.byteLength;
  for (let i = 0; i < 20; i++) round();
  assert.equal(memory.buffer.byteLength, warm);
});

test('the generic response should carry every output of a multi-output model', () => {
  const { run, info } = load('fixture-multi');
  assert.equal(info().image, null);
  const r = run({ type: 'tensor', input: { a: [1, -2, 3.5, 4, 5, -6], b: [10, 20, 30] } });
  assert.deepEqual(r.outputs, {
    sum: { dims: [2, 3], data: [11, 18, 33.5, 14, 25, 24] },
    max: { dims: [2], data: [3.5, 5] },
    argmax: { dims: [2], data: [2, 1] },
  });
  assert.equal(run({ input: 'AAAA' }).error.code, 'E_SHAPE');
});

test('running out of wasm memory should be E_MEMORY, and the module should carry on', () => {
  // A progressive JPEG header of 16384 x 16384 x 3: stb allocates 2.4 GB of
  // coefficient and sample planes for it up front, more than wasm32 can
  // give, before it looks for the (missing) scans.
  const { run, e, memory } = load('fixture-classifier');
  const jpeg = Buffer.from([
    0xff, 0xd8, // SOI
    0xff, 0xc2, 0x00, 0x11, 0x08, 0x40, 0x00, 0x40, 0x00, 0x03, // SOF2: 8-bit, 16384 x 16384, 3 components
    0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00,
    0xff, 0xd9, // EOI
  ]);
  e.er_set_max_pixels(300000000);
  const r = run({ input: jpeg.toString('base64') });
  e.er_set_max_pixels(50000000);
  assert.equal(r.error?.code, 'E_MEMORY', JSON.stringify(r));
  assert.ok(memory.buffer.byteLength <= 2 ** 31);
  assert.deepEqual(run({ input: bmp(32, 32, TEAL) }).logits.map(f32), expectedLogits(TEAL, CIFAR_NORM));
});
