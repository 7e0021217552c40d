// Every algorithm a Conv, Gemm or MatMul can run, forced onto every node it
// applies to (edgerun-compile --algo '*=ALGO'), against onnxruntime-node on
// the architectures of ../shared/models/arch: the algorithm table's choices
// are only estimates, so each entry must be right wherever it applies, not
// only where it is picked. Built natively by `make test-models`.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';

ort.env.logLevel = 'error';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(process.env.SHARED || path.join(root, '../shared'));
const algoDir = path.join(root, 'build/test-models/algo');
const compiler = path.join(root, 'build/edgerun-compile');

// The MODEL--ALGO pairs tests/tests.mk builds (ALGO_RUNS).
const runs = [];
for (const m of ['shufflenet_v2_x0_5', 'squeezenet1_1', 'mobilenet_v3_small', 'mobilenet_v2'])
  runs.push([m, 'reference'], [m, 'im2col-gemm']);
runs.push(['squeezenet1_1', 'winograd2x2'], ['squeezenet1_1', 'winograd4x4']);
// Channels-last: convolutions forced to NHWC among NCHW neighbours, so the
// transposes at every boundary run too (Concat, channel shuffle, SE blocks).
for (const m of ['shufflenet_v2_x0_5', 'squeezenet1_1', 'mobilenet_v3_small']) runs.push([m, 'igemm-nhwc']);
for (const m of ['mobilenet_v3_small', 'mobilenet_v2']) runs.push([m, 'dwconv-nhwc']);

function input(count, seed) {
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) x[i] = Math.sin(seed * 7.1 + i * 0.013) * 2;
  return x;
}

for (const [model, algo] of runs) {
  test(`${model} with every node it fits forced to ${algo} should match onnxruntime`, async (t) => {
    const base = path.join(algoDir, `${model}--${algo}`);
    assert.ok(fs.existsSync(`${base}.run`), `${path.relative(root, base)}.run is missing: run make test-models`);
    const forced = (fs.readFileSync(`${base}.c`, 'utf8').match(new RegExp(`, algorithm ${algo} \\*/`, 'g')) || []).length;
    assert.ok(forced > 0, `no node of the generated C names algorithm ${algo}`);
    const onnx = path.join(shared, `models/arch/${model}-random.onnx`);
    const desc = JSON.parse(execFileSync(`${base}.run`, ['--describe'], { encoding: 'utf8' }));
    const session = await ort.InferenceSession.create(onnx);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `edgerun-algo-`));
    try {
      const [inp] = desc.inputs;
      const x = input(inp.bytes / 4, 3);
      fs.writeFileSync(path.join(dir, 'input_0.bin'), Buffer.from(x.buffer));
      execFileSync(`${base}.run`, ['--io', dir]);
      const theirs = (await session.run({ [inp.name]: new ort.Tensor('float32', x, inp.dims) }))[desc.outputs[0].name].data;
      const bytes = fs.readFileSync(path.join(dir, 'output_0.bin'));
      const ours = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      assert.equal(ours.length, theirs.length);
      let worst = 0, scale = 0;
      for (let i = 0; i < ours.length; i++) {
        worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
        scale = Math.max(scale, Math.abs(theirs[i]));
      }
      t.diagnostic(`${forced} nodes ran ${algo}; max |diff| ${worst.toExponential(2)} (logits up to ${scale.toExponential(2)})`);
      assert.ok(worst <= 1e-4 + 1e-3 * scale, `max |diff| ${worst}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await session.release();
    }
  });
}

test('--algo should refuse an unknown algorithm, one that does not apply, and a node that does not exist', () => {
  const onnx = path.join(shared, 'models/resnet20-cifar10.onnx');
  // In a directory of its own: the compiler writes model.h and model.weights beside model.c.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-algo-'));
  const out = path.join(dir, 'model.c');
  const cases = [
    ['/conv1/Conv=fastest', /Conv node '\/conv1\/Conv': --algo: Conv has no algorithm 'fastest' \(it has: reference, /],
    ['/conv1/Conv=gemm1x1', /Conv node '\/conv1\/Conv': --algo gemm1x1 does not apply: it needs 2-D 1x1 window/],
    ['/no/such/Conv=winograd2x2', /--algo \/no\/such\/Conv=winograd2x2: no Conv, Gemm or MatMul node has that name/],
    ['conv1', /--algo needs NODE=ALGO/],
  ];
  for (const [arg, want] of cases) {
    const r = spawnSync(compiler, [onnx, '-o', out, '--algo', arg], { encoding: 'utf8' });
    assert.equal(r.status, 2, `--algo ${arg}: exit ${r.status}`);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  const ok = spawnSync(compiler, [onnx, '-o', out, '--algo', '/conv1/Conv=im2col-gemm,/linear/Gemm=reference', '--quiet']);
  assert.equal(ok.status, 0, String(ok.stderr));
  const c = fs.readFileSync(out, 'utf8');
  assert.match(c, /Conv "\/conv1\/Conv":.*, algorithm im2col-gemm \*\//);
  assert.match(c, /Gemm "\/linear\/Gemm":.*, algorithm reference \*\//);
  assert.match(c, /Conv "\/layer1\/layer1.0\/conv1\/Conv":.*, algorithm winograd4x4 \*\//, 'the cheapest estimate elsewhere');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('channels-last convolutions in a chain should pass NHWC activations along, transposing only at its ends', () => {
  // resnet18 with every convolution channels-last: one transposing copy into
  // the chain (the image), one out to the max-pool and back in after it, one
  // out to the average pool; none between two convolutions or for a residual.
  const onnx = path.join(shared, 'models/arch/resnet18-random.onnx');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-layout-'));
  const out = path.join(dir, 'model.c');
  try {
    const r = spawnSync(compiler, [onnx, '-o', out, '--algo', '*=igemm-nhwc', '--quiet'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const c = fs.readFileSync(out, 'utf8');
    assert.equal((c.match(/, algorithm igemm-nhwc \*\//g) || []).length, 20, 'every Conv runs igemm-nhwc');
    const owners = c.split(/\n    \/\* /).filter((node) => node.includes('er_x32_strided_copy(')).map((node) => node.match(/^\S+ "([^"]+)"/)[1]);
    assert.deepEqual(owners, ['/conv1/Conv', '/layer1/layer1.0/conv1/Conv', '/layer4/layer4.1/conv2/Conv']);
    assert.equal((c.match(/er_x32_strided_copy\(/g) || []).length, 4);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
