// runTensors' arguments at random (issue #10, the tensor path): the JS half
// of tests/fuzz/fuzz_tensor.c, which fuzzes the module's side (er_io_data,
// er_run_tensors, JSON tensor requests) with libFuzzer. Here the shim's
// checks get 3,000 random argument sets for fixture-multi (a float32 [2,3],
// b float32 [3]): missing, extra and misspelt names; dims right, wrong,
// absent or not arrays; data as every typed array, plain arrays with
// numbers, booleans, strings, bigints, NaN, holes, and byte lengths
// around the right one. Each call must resolve with sum = a + b (as
// float32) or reject with E_FIELD or E_SHAPE; the model must stay usable
// (never E_MODULE) and its memory flat.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

test('3,000 random runTensors argument sets should each compute or reject with E_FIELD/E_SHAPE', async (t) => {
  const shim = path.join(root, 'web/edgerun.js'), wasm = path.join(root, 'build/fixtures/fixture-multi.wasm');
  for (const f of [shim, wasm]) assert.ok(fs.existsSync(f), `${path.relative(root, f)} is missing: run make`);
  const edgerun = require(shim);
  const model = await edgerun.load(wasm);
  let seed = 12345;
  const rand = (n) => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) % n);
  const TYPED = [Float32Array, Float64Array, Int32Array, Uint8Array, Int8Array, Uint16Array, BigInt64Array];
  const VALUES = [0, 1, -2.5, 3.4e38, 1e39, NaN, Infinity, -0, true, '1', 1n, null, undefined, [], 0.1];
  const tensorFor = (right) => {
    const kind = rand(10);
    const count = rand(4) === 0 ? rand(8) : right.count;
    let data;
    if (kind < 5) data = Float32Array.from({ length: count }, (_, i) => i * 1.5 - 2);
    else if (kind < 7) {
      const T = TYPED[rand(TYPED.length)];
      data = T === BigInt64Array ? new T(count) : T.from({ length: count }, (_, i) => i);
    } else if (kind < 9) data = Array.from({ length: count }, (_, i) => (rand(4) ? i - 1 : VALUES[rand(VALUES.length)]));
    else data = [new ArrayBuffer(count * 4), 'abc', null, 42, { length: count }][rand(5)];
    const dimsKind = rand(6);
    const dims = dimsKind === 0 ? undefined : dimsKind < 4 ? right.dims : [[count], [1, ...right.dims], 'x', [right.count], []][rand(5)];
    return dimsKind === 0 ? { data } : { data, dims };
  };
  const counts = {};
  const a0 = { count: 6, dims: [2, 3] }, b0 = { count: 3, dims: [3] };
  const memory0 = model.memoryBytes;
  for (let k = 0; k < 3000; k++) {
    const args = {};
    if (rand(10)) args.a = tensorFor(a0);
    if (rand(10)) args.b = tensorFor(b0);
    if (!rand(15)) args[['c', 'A', ''][rand(3)]] = tensorFor(b0);
    let outcome;
    try {
      const out = await model.runTensors(rand(50) ? args : [null, 'x', 3][rand(3)]);
      outcome = 'ok';
      const a = Float32Array.from(args.a.data, Number), b = Float32Array.from(args.b.data, Number);
      for (let i = 0; i < 6; i++) {
        const want = Math.fround(a[i] + b[i % 3]), got = out.sum.data[i];
        assert.ok(Object.is(want, got) || (Number.isNaN(want) && Number.isNaN(got)) || want === got,
          `case ${k}: sum[${i}] ${got}, want ${want}`);
      }
      assert.deepEqual(out.sum.dims, [2, 3]);
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      outcome = e.code;
      assert.ok(e.code === 'E_FIELD' || e.code === 'E_SHAPE', `case ${k}: ${e.code} ${e.message}`);
      assert.ok(e.message.length > 10, `case ${k}: message "${e.message}"`);
    }
    counts[outcome] = (counts[outcome] || 0) + 1;
  }
  const line = `runTensors random arguments: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}; memory ${memory0} -> ${model.memoryBytes}`;
  t.diagnostic(line);
  console.log(line);
  assert.ok(counts.ok > 300 && counts.E_FIELD > 300 && counts.E_SHAPE > 100, line);
  assert.equal(model.memoryBytes, memory0);
  model.dispose();
});
