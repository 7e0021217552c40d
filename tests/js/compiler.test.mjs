// edgerun-compile as a user meets it: hostile files, the messages it gives,
// ONNX local functions, the shape of the C it writes. Hostile inputs run
// through the compiler built with ASan+UBSan (build/native-san/edgerun-compile).
// Build first: make compiler build/native-san/edgerun-compile (make test does).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';

import { mutateModels } from '../fuzz/mutate-models.mjs';

ort.env.logLevel = 'error';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(process.env.SHARED || path.join(root, '../shared'));
const compiler = path.join(root, 'build/edgerun-compile');
const sanitized = path.join(root, 'build/native-san/edgerun-compile');
const resnet20 = path.join(shared, 'models/resnet20-cifar10.onnx');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-compiler-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const models = path.join(work, 'models');

before(() => {
  for (const exe of [compiler, sanitized])
    assert.ok(fs.existsSync(exe), `${path.relative(root, exe)} is missing: run make ${path.relative(root, exe)}`);
  execFileSync('/usr/bin/python3', [path.join(root, 'tests/compiler/make_models.py'), models]);
});

function compile(model, extra = [], exe = sanitized) {
  const out = path.join(work, `${path.basename(model, '.onnx')}-${crypto.randomUUID()}.c`);
  const r = spawnSync(exe, [model, '-o', out, '--quiet', ...extra], { encoding: 'utf8', timeout: 60000 });
  return { ...r, out };
}

// The contract for bad input: exit status 2, exactly one line on stderr that
// names the file, no sanitizer report, no output file left behind.
function assertRejected(r, file, ...mentions) {
  assert.equal(r.status, 2, `exit status for ${file}: ${r.status}\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.ok(lines[0].includes(file), `the message names ${file}: ${lines[0]}`);
  for (const m of mentions) assert.ok(lines[0].includes(m), `the message mentions ${m}: ${lines[0]}`);
  assert.ok(!fs.existsSync(r.out), 'no output file is written');
  assert.ok(!fs.existsSync(r.out.replace(/\.c$/, '.weights')), 'no weight blob is written');
  return lines[0];
}

test('every model the compiler fuzz target crashed on should now be rejected cleanly', () => {
  // tests/fuzz/regressions/compiler/: one file per finding of fuzz-compiler.
  const dir = path.join(root, 'tests/fuzz/regressions/compiler');
  const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
  assert.ok(files.length > 0, `no regression inputs in ${dir}`);
  for (const file of files) {
    const r = compile(file);
    assert.ok(!/Sanitizer|runtime error/.test(r.stderr), `sanitizer report on ${file}:\n${r.stderr}`);
    if (r.status !== 0) assertRejected(r, file);
  }
});

test('a truncated model should be rejected with exit 2 and one line naming the file', () => {
  const bytes = fs.readFileSync(resnet20);
  for (const cut of [1, 7, 4096, Math.floor(bytes.length / 2), bytes.length - 1]) {
    const file = path.join(work, `truncated-${cut}.onnx`);
    fs.writeFileSync(file, bytes.subarray(0, cut));
    assertRejected(compile(file), file);
  }
});

test('random bytes and an empty file should be rejected with exit 2', () => {
  let seed = 12345;
  for (let k = 0; k < 5; k++) {
    const bytes = Buffer.alloc(2048);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const file = path.join(work, `random-${k}.onnx`);
    fs.writeFileSync(file, bytes);
    assertRejected(compile(file), file);
  }
  const empty = path.join(work, 'empty.onnx');
  fs.writeFileSync(empty, '');
  assertRejected(compile(empty), empty, 'empty');
  const missing = path.join(work, 'does-not-exist.onnx');
  assertRejected(compile(missing), missing, 'cannot open');
});

test('a missing initializer should be rejected naming the node and the missing input', () => {
  const file = path.join(models, 'missing_initializer.onnx');
  assertRejected(compile(file), file, "'conv1'", 'Conv', "'W_missing'");
});

test('an unsupported operator should be rejected naming the node and its op type', () => {
  const file = path.join(models, 'unsupported_op.onnx');
  assertRejected(compile(file), file, "'odd_one'", "'Hardmax'");
  const custom = path.join(models, 'custom_domain.onnx');
  assertRejected(compile(custom), custom, "'fancy'", "'FancyAct'", 'com.example');
});

test('a symbolic non-batch dimension, external data and mismatched labels should be explained', () => {
  const sym = path.join(models, 'symbolic_height.onnx');
  assertRejected(compile(sym), sym, "'height'", 'axis 2');
  const ext = path.join(models, 'external_data.onnx');
  assertRejected(compile(ext), ext, 'external');
  const labels = path.join(work, 'nine-labels.txt');
  fs.writeFileSync(labels, 'a\nb\nc\nd\ne\nf\ng\nh\ni\n');
  assertRejected(compile(resnet20, ['--labels', labels]), labels, '9 labels', '10 values');
  assertRejected(compile(resnet20, ['--norm', '0.5,0,0.5,1,0.5,1']), '--norm', 'positive');
});

test('a weight of an element type edgerun cannot store should be refused, never written as zeros', () => {
  const file = path.join(models, 'float16_weight.onnx');
  assertRejected(compile(file), file, "'W16'", 'float16');
});

test('an Einsum whose equation does not fit its inputs should be refused, naming the node and the fault', () => {
  for (const [file, fault] of [['einsum_not_a_letter.onnx', "'1' is not a letter"],
    ['einsum_term_count.onnx', '1 terms for 2 inputs'], ['einsum_size_mismatch.onnx', "index 'j' is 4 in one place and 5 in another"],
    ['einsum_rank_mismatch.onnx', 'input 0 is 2-D'], ['einsum_unknown_output.onnx', 'output index 1 is in no input']]) {
    const f = path.join(models, file);
    assertRejected(compile(f), f, "'mix'", fault);
  }
});

test('--weights should accept fp32, fp16 and int8 only', () => {
  const r = compile(resnet20, ['--weights', 'bf16']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--weights bf16: use fp32, fp16 or int8/);
});

test('fp16 and int8 weights should shrink resnet20\'s blob to a half and under a quarter and stay close to onnxruntime', async (t) => {
  const x = randomImage(3072, 11);
  const session = await ort.InferenceSession.create(resnet20);
  const theirs = (await session.run({ input: new ort.Tensor('float32', x, [1, 3, 32, 32]) })).logits.data;
  const blob = (r) => fs.statSync(r.out.replace(/\.c$/, '.weights')).size;
  const fp32 = compile(resnet20, [], compiler);
  assert.equal(fp32.status, 0, fp32.stderr);
  // Tolerances relative to the largest logit: rounding weights to 11 or 8 significant bits.
  const scale = Math.max(...theirs.map(Math.abs));
  for (const [weights, tol] of [['fp16', 0.005 * scale], ['int8', 0.04 * scale]]) {
    const r = compile(resnet20, ['--weights', weights], compiler);
    assert.equal(r.status, 0, r.stderr);
    // fp16 halves whatever fp32 stores (packed weights included); int8 stores a byte per
    // weight of the network, fp32 four or more (packing may add transformed copies).
    const shrink = blob(r) / blob(fp32);
    assert.ok(weights === 'fp16' ? Math.abs(shrink - 0.5) < 0.02 : shrink < 0.27,
      `${weights}: blob ${blob(r)} bytes, ${shrink.toFixed(3)} of fp32's`);
    const c = fs.readFileSync(r.out, 'utf8');
    // The C says how each constant is stored, and restores it in er_model_init.
    const init = c.slice(c.indexOf('static void er_model_init(void)'), c.indexOf('void er_model_run(void)'));
    if (weights === 'fp16') {
      // (a weight packed at compile time, or one Winograd packs at start-up)
      assert.match(c, /uint16_t w\d+\[\d+\] ER_ALIGNED; \/\* \S+:fp16 float16\[\d+\] @\d+, as uint16 \*\//);
      assert.match(init, /er_f32_from_f16\(/);
    } else {
      assert.match(c, /int8_t w\d+\[2304\] ER_ALIGNED; \/\* \S+:int8 int8\[16,16,3,3\] @\d+ \*\//);
      assert.match(init, /er_f32_dequant_i8\(/);
      assert.match(init, /er_f32_conv2d_\w*pack\(/, 'packing follows the dequantized weight to initialisation');
    }
    const [ours] = runNative(r.out, [x]);
    let worst = 0;
    for (let i = 0; i < 10; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    assert.ok(worst <= tol, `${weights}: max |logit diff| ${worst}, largest logit ${scale}`);
    t.diagnostic(`${weights}: max |logit diff| ${worst.toExponential(2)}, largest logit ${scale.toFixed(2)}`);
  }
});

test('Dropout in training mode should compile when its ratio is 0 (an identity) and be refused otherwise', async () => {
  const zero = path.join(models, 'dropout_training_zero.onnx');
  const r = compile(zero);
  assert.equal(r.status, 0, r.stderr);
  const x = randomImage(48, 13);
  const session = await ort.InferenceSession.create(zero);
  const theirs = await session.run({ x: new ort.Tensor('float32', x, [1, 3, 4, 4]) });
  const exe = r.out.replace(/\.c$/, '');
  execFileSync('gcc', ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', '-I', path.join(root, 'src/kernels'),
    '-I', path.join(root, 'src/runtime'), '-I', path.dirname(r.out), r.out, ...['build/tests/harness.o',
      'build/native/compiler/onnx_reader.o', 'build/native/compiler/util.o', 'build/native/compiler/ir.o',
      'build/native/libedgerun-kernels.a'].map((p) => path.join(root, p)), '-lm', '-o', exe]);
  const dir = fs.mkdtempSync(path.join(work, 'io-'));
  fs.writeFileSync(path.join(dir, 'input_0.bin'), Buffer.from(x.buffer));
  execFileSync(exe, ['--io', dir]);
  const b = fs.readFileSync(path.join(dir, 'output_0.bin'));
  const y = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const mask = [...fs.readFileSync(path.join(dir, 'output_1.bin'))];
  assert.deepEqual([...y], [...theirs.y.data], 'y is relu(x), as onnxruntime computes it');
  assert.deepEqual(mask, [...theirs.mask.data].map(Number), 'the mask keeps everything');
  const half = path.join(models, 'dropout_training_half.onnx');
  assertRejected(compile(half), half, "'drop'", 'ratio 0.5');
});

test('LayerNormalization and Gelu written out as opset-13 chains should each become one kernel and match onnxruntime', async () => {
  for (const [file, fused] of [['decomposed_layernorm_gelu.onnx', true], ['decomposed_near_misses.onnx', false]]) {
    const model = path.join(models, file);
    const r = compile(model);
    assert.equal(r.status, 0, r.stderr);
    const c = fs.readFileSync(r.out, 'utf8');
    assert.equal(/fused LayerNormalization of 9 nodes/.test(c), fused, `${file}: LayerNormalization fused: ${!fused}`);
    assert.equal(/fused Gelu of 5 nodes/.test(c), fused, `${file}: Gelu fused: ${!fused}`);
    assert.equal(c.includes('er_f32_layernorm('), fused);
    const x = randomImage(80, 23);
    const [ours] = runNative(r.out, [x]);
    // onnxruntime's own graph optimisations fuse the near misses into
    // LayerNormalization/Gelu anyway (wrong answers): the oracle runs the graph as written.
    const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' });
    const theirs = (await session.run({ x: new ort.Tensor('float32', x, [1, 5, 16]) })).y.data;
    assert.equal(ours.length, theirs.length);
    for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-4 + 1e-4 * Math.abs(theirs[i]),
      `${file}: y[${i}] ${ours[i]} vs ${theirs[i]}`);
  }
});

test('an empty constant (a Slice past the end) should fold, and the model still match onnxruntime', async () => {
  const file = path.join(models, 'empty_slice.onnx');
  const r = compile(file);
  assert.equal(r.status, 0, r.stderr);
  const x = randomImage(6, 17);
  const [ours] = runNative(r.out, [x]);
  const session = await ort.InferenceSession.create(file);
  const theirs = (await session.run({ x: new ort.Tensor('float32', x, [6]) })).y.data;
  assert.deepEqual([...ours], [...theirs]);
});

test('a symbolic batch dimension should be pinned to 1', () => {
  const r = compile(path.join(models, 'symbolic_batch.onnx'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(r.out, 'utf8'), /inputs: x float32\[1,3,8,8\]/);
});

test('mutated models should never crash the sanitized compiler (400 variants)', () => {
  // make fuzz runs 10,000 (tests/fuzz/mutate-models.mjs).
  const sources = [resnet20, path.join(models, 'local_function.onnx'),
    path.join(shared, 'onnx-tests/node/test_conv_with_strides_padding/model.onnx')];
  const { accepted, rejected } = mutateModels({ count: 400, sources });
  assert.ok(rejected > 100, `${rejected} mutants rejected, ${accepted} compiled`);
});

test('a Conv past 32-bit sizes (X [1,336,518,518], W [1,336,7,7]) should compile and stay in its arena under ASan', () => {
  // Issue #10's case: im2col K = 16464 rows by 262144 output pixels. The
  // model runs natively with the sanitized kernels; ASan stops it at the
  // first byte outside the arena, and sampled outputs are checked against
  // the sums computed here. (22 s and 0.75 GB.)
  const r = compile(path.join(models, 'big_conv.onnx'));
  assert.equal(r.status, 0, r.stderr);
  const exe = r.out.replace(/\.c$/, '');
  execFileSync('gcc', ['-std=c99', '-O1', '-g', '-Wall', '-Wextra', '-Werror', '-fsanitize=address,undefined',
    '-fno-sanitize-recover=all', '-I', path.join(root, 'src/kernels'), '-I', path.join(root, 'src/runtime'),
    '-I', path.dirname(r.out), r.out, ...['build/tests/harness.o', 'build/native/compiler/onnx_reader.o',
      'build/native/compiler/util.o', 'build/native/compiler/ir.o', 'build/native-san/libedgerun-kernels.a']
      .map((p) => path.join(root, p)), '-lm', '-o', exe]);
  const C = 336, H = 518, K = 7, HO = 512;
  const x = new Float32Array(C * H * H);
  for (let i = 0; i < x.length; i++) x[i] = ((Math.imul(i, 2654435761) >>> 0) % 17) / 8 - 1;
  const dir = fs.mkdtempSync(path.join(work, 'big-'));
  try {
    fs.writeFileSync(path.join(dir, 'input_0.bin'), Buffer.from(x.buffer));
    const run = spawnSync(exe, ['--io', dir], { encoding: 'utf8', timeout: 300000 });
    assert.equal(run.status, 0, `${run.stderr}`.slice(0, 3000));
    const y = new Float32Array(new Uint8Array(fs.readFileSync(path.join(dir, 'output_0.bin'))).buffer);
    assert.equal(y.length, HO * HO);
    const w = Float32Array.from({ length: C * K * K }, (_, i) => ((i % 13) - 6) / 64); // as make_models.py writes W
    for (const [oy, ox] of [[0, 0], [511, 511], [0, 511], [511, 0], [255, 300], [17, 402]]) {
      let want = 0;
      for (let c = 0; c < C; c++)
        for (let ky = 0; ky < K; ky++)
          for (let kx = 0; kx < K; kx++) want += x[(c * H + oy + ky) * H + ox + kx] * w[(c * K + ky) * K + kx];
      const got = y[oy * HO + ox];
      assert.ok(Math.abs(got - want) <= 1e-3 * (1 + Math.abs(want)), `y[${oy}][${ox}] = ${got}, want ${want}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Build a compiled model natively with the test harness and run it on raw tensors.
function runNative(cFile, inputs) {
  const exe = cFile.replace(/\.c$/, '');
  execFileSync('gcc', ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', '-I', path.join(root, 'src/kernels'),
    '-I', path.join(root, 'src/runtime'), '-I', path.dirname(cFile), cFile, ...['build/tests/harness.o', 'build/native/compiler/onnx_reader.o',
      'build/native/compiler/util.o', 'build/native/compiler/ir.o', 'build/native/libedgerun-kernels.a']
      .map((p) => path.join(root, p)), '-lm', '-o', exe]);
  const dir = fs.mkdtempSync(path.join(work, 'io-'));
  inputs.forEach((x, i) => fs.writeFileSync(path.join(dir, `input_${i}.bin`), Buffer.from(x.buffer)));
  execFileSync(exe, ['--io', dir]);
  const desc = JSON.parse(execFileSync(exe, ['--describe'], { encoding: 'utf8' }));
  return desc.outputs.map((o, i) => {
    const b = fs.readFileSync(path.join(dir, `output_${i}.bin`));
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  });
}

function randomImage(count, seed) {
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) x[i] = Math.sin(seed * 7.1 + i * 0.37) * 2;
  return x;
}

test('ONNX local functions (nested, with attribute references) should be inlined and match onnxruntime', async () => {
  const file = path.join(models, 'local_function.onnx');
  const r = compile(file);
  assert.equal(r.status, 0, r.stderr);
  const c = fs.readFileSync(r.out, 'utf8');
  assert.match(c, /\/\* LeakyRelu "block1\/ScaledLeaky\/LeakyRelu": .*alpha 0\.1 \*\//, 'the nested body, its attribute bound');
  assert.match(c, /\/\* LeakyRelu "block2\/ScaledLeaky\/LeakyRelu": .*alpha 0\.3 \*\//, 'the second call binds its own');
  const x = randomImage(3 * 8 * 8, 3);
  const [ours] = runNative(r.out, [x]);
  const session = await ort.InferenceSession.create(file);
  const theirs = (await session.run({ x: new ort.Tensor('float32', x, [1, 3, 8, 8]) })).y.data;
  for (let i = 0; i < theirs.length; i++)
    assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-4 + 1e-3 * Math.abs(theirs[i]), `y[${i}]: ${ours[i]} vs ${theirs[i]}`);
});

test('BatchNorm, residual Adds and every activation should fuse into their Conv and still match onnxruntime', async () => {
  const file = path.join(models, 'fusion.onnx');
  const r = compile(file);
  assert.equal(r.status, 0, r.stderr);
  const c = fs.readFileSync(r.out, 'utf8');
  const blocks = [...c.matchAll(/^ {4}\/\* (\w+) "(\w+)": .*?(?:, fused ([\w+]+))?(?:, algorithm [\w-]+)? \*\/$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3] || ''}`);
  assert.deepEqual(blocks, ['Conv c1 BN+Relu', 'Conv c2 BN+Add+Relu', 'Conv c3 Clip', 'Conv c4 LeakyRelu',
    'Conv c5 Sigmoid', 'Conv c6 HardSwish', 'Conv c7 HardSwish', 'Conv c8 SiLU'], 'one block per conv, everything else fused');
  const x = randomImage(3 * 16 * 16, 9);
  const [ours] = runNative(r.out, [x]);
  const session = await ort.InferenceSession.create(file);
  const theirs = (await session.run({ x: new ort.Tensor('float32', x, [1, 3, 16, 16]) })).y.data;
  for (let i = 0; i < theirs.length; i++)
    assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-4 + 1e-3 * Math.abs(theirs[i]), `y[${i}]: ${ours[i]} vs ${theirs[i]}`);
});

test('the reference (__scalar) kernels should compute resnet20 like onnxruntime', async () => {
  const r = compile(resnet20, ['--reference'], compiler);
  assert.equal(r.status, 0, r.stderr);
  const c = fs.readFileSync(r.out, 'utf8');
  assert.ok(!/__vec128\(/.test(c), 'no fast kernel is called');
  assert.match(c, /er_f32_conv__scalar\(/);
  const x = randomImage(3072, 5);
  const [ours] = runNative(r.out, [x]);
  const session = await ort.InferenceSession.create(resnet20);
  const theirs = (await session.run({ input: new ort.Tensor('float32', x, [1, 3, 32, 32]) })).logits.data;
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-4, `logit ${i}: ${ours[i]} vs ${theirs[i]}`);
});

test('generated C should be deterministic, headed by generator, hash and opset, commented node by node', () => {
  const runs = ['a', 'b'].map((dir) => {
    const out = path.join(work, dir, 'resnet20.c');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const r = spawnSync(compiler, [resnet20, '-o', out, '--name', 'resnet20', '--quiet'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return fs.readFileSync(out, 'utf8');
  });
  const c = runs[0];
  assert.ok(c === runs[1], 'two compilations write the same bytes');
  const sha = crypto.createHash('sha256').update(fs.readFileSync(resnet20)).digest('hex');
  assert.match(c, /^\/\* resnet20 - generated by edgerun-compile \d+\.\d+\.\d+/);
  assert.ok(c.includes(`sha256: ${sha}`), 'the header names the model hash');
  assert.match(c, /opset 13/);
  assert.match(c, /\/\* Conv "\/conv1\/Conv": X\[1,3,32,32\] W\[16,3,3,3\] B\[16\] -> Y\[1,16,32,32\].*pads 1.*fused Relu, algorithm [\w-]+ \*\//);
  // Every call in the run function sits under a comment naming its node.
  const run = c.slice(c.indexOf('void er_model_run(void)'));
  const blocks = run.split('\n\n').slice(1);
  assert.ok(blocks.length > 10);
  for (const block of blocks) assert.match(block.trim(), /^\/\* (\w+ "[^"]+"|copy to)/, `uncommented block:\n${block}`);
});

test('the Shape->Gather->...->Cast chain feeding Pad should be folded away in resnet20', () => {
  const r = compile(resnet20, [], compiler);
  const c = fs.readFileSync(r.out, 'utf8');
  const ops = [...c.matchAll(/^ {4}\/\* (\w+) "/gm)].map((m) => m[1]);
  const remaining = new Set(ops);
  for (const op of ['Shape', 'Gather', 'Unsqueeze', 'Concat', 'ConstantOfShape', 'Reshape', 'Transpose', 'Cast', 'Constant'])
    assert.ok(!remaining.has(op), `${op} is left in the generated code`);
  // What is left is the network itself: convolutions (with their Adds and Relus
  // fused), the option-A shortcut (strided Slice, channel Pad), pooling, the classifier.
  assert.deepEqual([...remaining].sort(), ['AveragePool', 'Conv', 'Gemm', 'Pad', 'Slice']);
});

test('resnet20\'s shortcut Pads should each run as one row, and its all-zero Pad as no call at all', () => {
  const r = compile(resnet20, [], compiler);
  const c = fs.readFileSync(r.out, 'utf8');
  const run = c.slice(c.indexOf('void er_model_run(void)'));
  // Channel padding [1,16,16,16] -> [1,32,16,16] is one row: 4096 floats at 2048 of 8192.
  const pads = [...run.matchAll(/\/\* Pad "([^"]+)"[^\n]*\n\s*\{\n\s*static const er_pad_params p = \{([^}]*\}[^}]*\}[^}]*\}[^}]*)\}/g)];
  assert.deepEqual(pads.map((m) => m[1]), ['/layer2/layer2.0/shortcut/Pad', '/layer3/layer3.0/shortcut/Pad']);
  assert.match(pads[0][2], /\.rank = 1, \.x_dims = \{4096\}, \.y_dims = \{8192\}, \.begin = \{2048\}/);
  assert.match(pads[1][2], /\.rank = 1, \.x_dims = \{2048\}, \.y_dims = \{4096\}, \.begin = \{1024\}/);
  // The Pad before the average pool adds nothing: the pool reads its input.
  assert.ok(!run.includes('/* Pad "/Pad"'), 'the all-zero Pad is a call');
});

test('the arena should reuse memory by liveness, and say how much', () => {
  const r = compile(resnet20, [], compiler);
  const c = fs.readFileSync(r.out, 'utf8');
  const arena = Number(c.match(/static unsigned char er_arena\[(\d+)\]/)[1]);
  const [, reported, unshared] = c.match(/arena (\d+) bytes, shared by liveness \((\d+) without sharing\)/).map(Number);
  assert.equal(reported, arena, 'the header comment reports the arena it declares');
  assert.ok(arena * 4 < unshared, `arena ${arena} bytes, ${unshared} without sharing`);
});

test('generated C should compile warning-free as strict C99 (gcc -pedantic)', () => {
  const r = compile(resnet20, [], compiler);
  const res = spawnSync('gcc', ['-std=c99', '-pedantic', '-Wall', '-Wextra', '-Werror', '-fsyntax-only',
    '-I', path.join(root, 'src/kernels'), '-I', path.join(root, 'src/runtime'), r.out], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
});

test('compiling resnet20 should take under 1 s', (t) => {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    const r = compile(resnet20, [], compiler);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    assert.equal(r.status, 0, r.stderr);
  }
  t.diagnostic(`resnet20 compiles in ${best.toFixed(3)} s (best of 3)`);
  assert.ok(best < 1, `${best} s`);
});
