// The relaxed-SIMD modules (NAME.relaxed.wasm: f32x4.relaxed_madd, a fused
// multiply-add) against onnxruntime-node. Node 20 runs relaxed SIMD only
// behind --experimental-wasm-relaxed-simd, so the comparison runs in a child
// node with that flag; this process, without it, shows that the module
// really uses relaxed opcodes (it does not validate here) while its SIMD128
// twin does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), '../..');
const shared = path.resolve(process.env.SHARED || path.join(root, '../shared'));

if (process.argv[2] === '--child') {
  // Child: node --experimental-wasm-relaxed-simd relaxed.test.mjs --child MODULE ONNX INPUTS
  const [, , , wasm, onnx, n] = process.argv;
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const edgerun = require(path.join(root, 'web/edgerun.js'));
  const ort = await import('onnxruntime-node');
  ort.env.logLevel = 'error';
  // The shim picks the twin by itself where relaxed SIMD validates (here).
  const picked = await edgerun.load(wasm.replace('.relaxed.wasm', '.wasm'));
  const pickedSize = picked.info.size;
  picked.dispose();
  const model = await edgerun.load(wasm);
  const session = await ort.InferenceSession.create(onnx);
  const [inp] = model.info.inputs, out = session.outputNames[0];
  const count = inp.dims.reduce((a, b) => a * b, 1);
  let worst = 0;
  for (let k = 0; k < Number(n); k++) {
    const x = new Float32Array(count);
    for (let i = 0; i < count; i++) x[i] = Math.sin(k * 3.3 + i * 0.071) * 2.5;
    const ours = (await model.runTensors({ [inp.name]: { data: x, dims: inp.dims } }))[out].data;
    const theirs = (await session.run({ [inp.name]: new ort.Tensor('float32', x, inp.dims) }))[out].data;
    for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
  }
  console.log(JSON.stringify({ worst, pickedSize }));
  process.exit(0);
}

test('without relaxed SIMD, load(NAME.wasm) should take the plain module', async () => {
  const { createRequire } = await import('node:module');
  const edgerun = createRequire(import.meta.url)(path.join(root, 'web/edgerun.js'));
  const plain = path.join(root, 'web/models/resnet20-cifar10.wasm');
  const m = await edgerun.load(plain);
  assert.equal(m.info.size, fs.statSync(plain).size);
  m.dispose();
});

for (const depth of [20, 56]) {
  test(`resnet${depth}.relaxed.wasm should use relaxed SIMD and match onnxruntime within 1e-4 on 20 inputs`, (t) => {
    const relaxed = path.join(root, `web/models/resnet${depth}-cifar10.relaxed.wasm`);
    assert.ok(fs.existsSync(relaxed), `${path.relative(root, relaxed)} is missing: run make`);
    assert.equal(WebAssembly.validate(fs.readFileSync(relaxed)), false, 'without the flag, node cannot validate it');
    assert.equal(WebAssembly.validate(fs.readFileSync(relaxed.replace('.relaxed', ''))), true, 'its SIMD128 twin validates');
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', here, '--child', relaxed,
      path.join(shared, `models/resnet${depth}-cifar10.onnx`), '20'], { encoding: 'utf8' });
    const { worst, pickedSize } = JSON.parse(out.trim().split('\n').pop());
    t.diagnostic(`max |diff| ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-4, `max |diff| ${worst}`);
    assert.equal(pickedSize, fs.statSync(relaxed).size, 'with relaxed SIMD, load(NAME.wasm) took the twin');
  });
}
