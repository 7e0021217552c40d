// Compiled models against onnxruntime-node, the oracle:
//  - the four CIFAR-10 ResNets as shipped (web/models/*.wasm, built by `make`),
//    through the shim's tensor mode, 50 random inputs each: max |logit diff| <= 1e-4;
//  - the architectures of ../shared/models/arch (224x224, random weights) as wasm
//    modules, one of them built here with `make model` exactly as a user would;
//  - the nine light ONNX zoo models, natively (build/test-models/*.run).
// Build first: make all test-models (make test does).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';

ort.env.logLevel = 'error';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(process.env.SHARED || path.join(root, '../shared'));
const testModels = path.join(root, 'build/test-models');
const require = createRequire(import.meta.url);

function need(file, how) {
  assert.ok(fs.existsSync(file), `${path.relative(root, file)} is missing: run ${how}`);
  return file;
}
const edgerun = require(need(path.join(root, 'web/edgerun.js'), 'make shim'));

// Deterministic inputs (mulberry32), roughly normalised-image-like values.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function randomInput(count, seed) {
  const r = rng(seed);
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) x[i] = (r() * 2 - 1) * 2.5;
  return x;
}

// Largest |got - want|, and the first element outside atol + rtol*|want|.
function compare(got, want, rtol, atol) {
  assert.equal(got.length, want.length, 'output lengths differ');
  let maxAbs = 0, bad = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= maxAbs)) maxAbs = d;
    if (bad < 0 && !(d <= atol + rtol * Math.abs(want[i]))) bad = i;
  }
  return { maxAbs, bad };
}

async function checkModule(wasmPath, onnxPath, inputs, rtol, atol, t) {
  const model = await edgerun.load(wasmPath);
  const session = await ort.InferenceSession.create(onnxPath);
  try {
    const [input] = model.info.inputs;
    assert.deepEqual(model.info.inputs.map((i) => i.name), session.inputNames, 'input names match the graph');
    assert.deepEqual(model.info.outputs.map((o) => o.name), session.outputNames, 'output names match the graph');
    const count = input.dims.reduce((a, b) => a * b, 1);
    let worst = 0;
    for (let k = 0; k < inputs; k++) {
      const x = randomInput(count, 1000 + k);
      const ours = await model.runTensors({ [input.name]: { data: x, dims: input.dims } });
      const theirs = await session.run({ [input.name]: new ort.Tensor('float32', x, input.dims) });
      for (const name of session.outputNames) {
        assert.deepEqual(ours[name].dims, [...theirs[name].dims], `${name} dims`);
        const { maxAbs, bad } = compare(ours[name].data, theirs[name].data, rtol, atol);
        worst = Math.max(worst, maxAbs);
        assert.equal(bad, -1, `input ${k}, ${name}[${bad}]: edgerun ${ours[name].data[bad]}, onnxruntime ${theirs[name].data[bad]}`);
      }
    }
    t.diagnostic(`${path.basename(wasmPath)}: ${inputs} inputs, max |diff| ${worst.toExponential(2)}`);
    return worst;
  } finally {
    model.dispose();
    await session.release();
  }
}

for (const depth of [20, 32, 44, 56]) {
  test(`resnet${depth} logits should match onnxruntime within 1e-4 on 50 random inputs`, async (t) => {
    const wasm = need(path.join(root, `web/models/resnet${depth}-cifar10.wasm`), 'make');
    const worst = await checkModule(wasm, path.join(shared, `models/resnet${depth}-cifar10.onnx`), 50, 0, 1e-4, t);
    assert.ok(worst <= 1e-4);
  });
}

test('resnet20 module should describe itself: CIFAR-10 labels, norm and shapes', async () => {
  const model = await edgerun.load(path.join(root, 'web/models/resnet20-cifar10.wasm'));
  const { info } = model;
  assert.deepEqual(info.labels, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  assert.deepEqual(info.norm.map((v) => Math.round(v * 1000) / 1000), [0.485, 0.229, 0.456, 0.224, 0.406, 0.225]);
  assert.deepEqual(info.inputs[0].dims, [1, 3, 32, 32]);
  assert.deepEqual(info.outputs[0].dims, [1, 10]);
  assert.ok(info.weight_bytes > 1_000_000 && info.weight_bytes < 1_100_000, `weights ${info.weight_bytes} bytes`);
  model.dispose();
});

for (const arch of ['mobilenet_v2', 'mobilenet_v3_small', 'shufflenet_v2_x0_5']) {
  test(`${arch} (224x224) should match onnxruntime (rtol 1e-3, atol 1e-4)`, async (t) => {
    const wasm = need(path.join(testModels, `${arch}.wasm`), 'make test-models');
    await checkModule(wasm, path.join(shared, `models/arch/${arch}-random.onnx`), 2, 1e-3, 1e-4, t);
  });
}

test('make model should build any supported model into web/models, here squeezenet1_1, matching onnxruntime', async (t) => {
  const name = 'squeezenet1_1-make-model-check';
  const wasm = path.join(root, `web/models/${name}.wasm`);
  fs.rmSync(wasm, { force: true });
  const r = spawnSync('make', ['-s', 'model', `MODEL=${path.join(shared, 'models/arch/squeezenet1_1-random.onnx')}`, `NAME=${name}`,
    `SHARED=${shared}`], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const relaxed = wasm.replace(/\.wasm$/, '.relaxed.wasm');
  try {
    assert.ok(fs.existsSync(wasm), 'make model wrote the module');
    assert.ok(fs.existsSync(relaxed), 'and its relaxed-SIMD twin');
    await checkModule(wasm, path.join(shared, 'models/arch/squeezenet1_1-random.onnx'), 2, 1e-3, 1e-4, t);
  } finally {
    fs.rmSync(wasm, { force: true });
    fs.rmSync(relaxed, { force: true });
    for (const ext of ['c', 'h', 'weights']) fs.rmSync(path.join(root, `build/models/${name}.${ext}`), { force: true });
  }
});

const lightDir = path.join(shared, 'onnx-tests/light');
const lightModels = fs.existsSync(lightDir)
  ? fs.readdirSync(lightDir).filter((f) => /^light_.*\.onnx$/.test(f)).map((f) => f.replace(/\.onnx$/, '')).sort()
  : [];
test('all nine light ONNX models should be present', () => assert.equal(lightModels.length, 9));

for (const light of lightModels) {
  test(`${light} compiled natively should match onnxruntime (rtol 1e-3, atol 1e-4)`, async (t) => {
    const exe = need(path.join(testModels, `${light}.run`), 'make test-models');
    const desc = JSON.parse(execFileSync(exe, ['--describe'], { encoding: 'utf8' }));
    const session = await ort.InferenceSession.create(path.join(lightDir, `${light}.onnx`));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `edgerun-${light}-`));
    try {
      const feeds = {};
      desc.inputs.forEach((input, i) => {
        assert.equal(input.dtype, 'float32');
        const x = randomInput(input.bytes / 4, 7 + i);
        fs.writeFileSync(path.join(dir, `input_${i}.bin`), Buffer.from(x.buffer));
        feeds[input.name] = new ort.Tensor('float32', x, input.dims);
      });
      execFileSync(exe, ['--io', dir], { encoding: 'utf8' });
      const theirs = await session.run(feeds);
      desc.outputs.forEach((output, i) => {
        const bytes = fs.readFileSync(path.join(dir, `output_${i}.bin`));
        const ours = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        const { maxAbs, bad } = compare(ours, theirs[output.name].data, 1e-3, 1e-4);
        t.diagnostic(`${light}: ${output.name} max |diff| ${maxAbs.toExponential(2)}`);
        assert.equal(bad, -1, `${output.name}[${bad}]: edgerun ${ours[bad]}, onnxruntime ${theirs[output.name].data[bad]}`);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await session.release();
    }
  });
}
