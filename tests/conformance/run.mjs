// The ONNX conformance suite: every backend test in ../shared/onnx-tests/{node,
// pytorch-converted,pytorch-operator} whose operators edgerun is required to
// support (or supports anyway) is compiled with edgerun-compile, built natively
// with the kernels, run on its inputs and compared with its outputs
// (rtol 1e-3, atol 1e-5). A sample is also built as WebAssembly modules and run
// in node through the shim, to show the wasm build computes the same.
//
// usage: node tests/conformance/run.mjs --shared DIR --build DIR [--jobs N]
//          [--wasm-sample N] [--filter SUBSTRING] [--tests DIR] [--generated DIR]
// Prints a per-operator table and the closing line "N passed, M failed, K skipped";
// exits 1 when anything failed, when no test ran, or (without --filter) when an
// operator of src/compiler/ops.def has no passing test.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const shared = path.resolve(opt('--shared', path.join(root, '../shared')));
// The suites' parent directory: the shared ONNX tests unless told otherwise
// (the runner's own tests point it at crafted suites).
const testsRoot = path.resolve(opt('--tests', path.join(shared, 'onnx-tests')));
// Tests edgerun writes itself for operators the shared set lacks
// (tests/conformance/make_tests.py), in the same layout, under DIR/node.
const generatedRoot = opt('--generated', '');
const buildDir = path.resolve(opt('--build', path.join(root, 'build/conformance')));
const jobs = Number(opt('--jobs', String(Math.max(1, os.cpus().length))));
const wasmSample = Number(opt('--wasm-sample', '24'));
const filter = opt('--filter', '');
const compiler = path.join(root, 'build/edgerun-compile');
const cc = (process.env.CONFORMANCE_CC || 'gcc -std=c99 -O1 -Wall -Wextra -Werror').split(' ');
const linkInputs = (process.env.CONFORMANCE_LINK ||
  'build/tests/harness.o build/native/compiler/onnx_reader.o build/native/compiler/util.o ' +
  'build/native/compiler/ir.o build/native/libedgerun-kernels.a').split(' ').map((p) => path.join(root, p));

// Every operator the compiler registers (src/compiler/ops.def, the one list)
// is required: tests made only of these must all pass, and each of them must
// be covered by at least one passing test.
function registeredOps(opsDef = path.join(root, 'src/compiler/ops.def')) {
  const ops = [...fs.readFileSync(opsDef, 'utf8').matchAll(/^ER_OP\((\w+),/gm)].map((m) => m[1]);
  if (!ops.length) throw new Error(`no ER_OP(...) entries in ${opsDef}`);
  return new Set(ops);
}
// Tests of required operators that fall outside what edgerun compiles, by design.
const SKIP = [
  [/^test_cast_FLOAT_to_(BFLOAT16|FLOAT16|FLOAT4E2M1|FLOAT8\w*|INT2|INT4|UINT2|UINT4)$/,
    'element type outside edgerun\'s float/integer types'],
  [/_training_mode$/, 'training mode (batch statistics) is not inference'],
  [/^test_dropout_random_old$/, 'training-mode Dropout draws random numbers'],
  [/^test_identity_(sequence|opt)$/, 'sequence and optional types are not tensors'],
  [/^test_maxpool_with_argmax_/, 'the MaxPool Indices output is not supported'],
  [/_string(_broadcast)?$/, 'string tensors: edgerun compiles numeric models'],
];

function run(cmd, argv, { cwd = root, timeout = 120000 } = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeout);
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? `signal ${signal}` : code, out, err });
    });
  });
}

async function pool(items, n, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return results;
}

const firstLine = (s) => (s.trim().split('\n').find((l) => l.trim()) || '').trim();

async function listTests() {
  const tests = [];
  for (const suite of ['node', 'pytorch-converted', 'pytorch-operator']) {
    const dir = path.join(testsRoot, suite);
    if (!fs.existsSync(dir)) {
      if (testsRoot !== path.join(shared, 'onnx-tests')) continue; /* a crafted root may hold one suite */
      throw new Error(`missing ${dir}: is SHARED (${shared}) right?`);
    }
    for (const name of fs.readdirSync(dir).sort()) {
      if (!name.startsWith('test_') || (filter && !name.includes(filter))) continue;
      tests.push({ suite, name, dir: path.join(dir, name) });
    }
  }
  if (generatedRoot) {
    const dir = path.join(path.resolve(generatedRoot), 'node');
    if (!fs.existsSync(dir)) throw new Error(`missing ${dir}: run tests/conformance/make_tests.py`);
    for (const name of fs.readdirSync(dir).sort()) {
      if (!name.startsWith('test_') || (filter && !name.includes(filter))) continue;
      tests.push({ suite: 'generated', name, dir: path.join(dir, name) });
    }
  }
  return tests;
}

async function classify(t) {
  const r = await run(compiler, ['--list-ops', path.join(t.dir, 'model.onnx')]);
  if (r.code !== 0) return { ...t, ops: [], status: 'fail', detail: firstLine(r.err) };
  t.ops = r.out.split('\n').filter(Boolean);
  const unsupported = t.ops.filter((o) => !REQUIRED.has(o));
  if (unsupported.length) return { ...t, status: 'skip', detail: `not required: ${unsupported.join(', ')}` };
  const skip = SKIP.find(([re]) => re.test(t.name));
  if (skip) return { ...t, status: 'skip', detail: skip[1] };
  return { ...t, status: 'run' };
}

async function runNative(t) {
  const out = path.join(buildDir, t.suite, t.name);
  fs.mkdirSync(out, { recursive: true });
  const c = path.join(out, 'model.c');
  let r = await run(compiler, [path.join(t.dir, 'model.onnx'), '-o', c, '--quiet',
    '--values-from', path.join(t.dir, 'test_data_set_0')]);
  if (r.code !== 0) return { ...t, status: 'fail', detail: `compile: ${firstLine(r.err)}` };
  const exe = path.join(out, 'run');
  r = await run(cc[0], [...cc.slice(1), '-I', path.join(root, 'src/kernels'), '-I', path.join(root, 'src/runtime'),
    '-I', out, c, ...linkInputs, '-lm', '-o', exe]);
  if (r.code !== 0) return { ...t, status: 'fail', detail: `cc: ${firstLine(r.err)}` };
  r = await run(exe, [t.dir]);
  if (r.code !== 0) return { ...t, status: 'fail', detail: firstLine(r.out) || firstLine(r.err) || `exit ${r.code}` };
  return { ...t, status: 'pass', c };
}

// The wasm sample: float-only tests spread over the operators, built with the
// same link rule as real models and run through the shim's runTensors.
async function runWasmSample(passed) {
  const { runWasmTests } = await import('./wasm_sample.mjs');
  return runWasmTests({ root, shared, buildDir, tests: passed, count: wasmSample });
}

function table(results) {
  const rows = new Map();
  for (const r of results) {
    const ops = r.ops && r.ops.length ? r.ops.filter((o) => o !== 'Constant' || r.ops.length === 1) : ['(unreadable)'];
    for (const op of ops) {
      if (!rows.has(op)) rows.set(op, { pass: 0, fail: 0, skip: 0 });
      rows.get(op)[r.status]++;
    }
  }
  const names = [...rows.keys()].sort();
  const lines = [`${'operator'.padEnd(24)} ${'pass'.padStart(5)} ${'fail'.padStart(5)} ${'skip'.padStart(5)}`];
  for (const n of names) {
    const v = rows.get(n);
    lines.push(`${n.padEnd(24)} ${String(v.pass).padStart(5)} ${String(v.fail).padStart(5)} ${String(v.skip).padStart(5)}`);
  }
  return lines.join('\n');
}

const REQUIRED = registeredOps();
const t0 = Date.now();
const tests = await listTests();
const classified = await pool(tests, jobs, classify);
const toRun = classified.filter((t) => t.status === 'run');
const ran = await pool(toRun, jobs, runNative);
const byName = new Map(ran.map((r) => [`${r.suite}/${r.name}`, r]));
const results = classified.map((t) => byName.get(`${t.suite}/${t.name}`) || t);

console.log(table(results));
console.log('');
for (const r of results.filter((x) => x.status === 'skip')) console.log(`skip ${r.suite}/${r.name}: ${r.detail}`);
for (const r of results.filter((x) => x.status === 'fail')) console.log(`FAIL ${r.suite}/${r.name}: ${r.detail}`);

let wasm = { passed: 0, failed: 0, lines: [] };
if (wasmSample > 0) {
  wasm = await runWasmSample(results.filter((r) => r.status === 'pass'));
  for (const l of wasm.lines) console.log(l);
  console.log(`wasm sample: ${wasm.passed} passed, ${wasm.failed} failed (built with emcc, run in node)`);
}
const count = (s) => results.filter((r) => r.status === s).length;
// A suite that ran nothing, or that leaves an operator untested, has not shown
// that the compiler conforms: it fails, whatever else passed. (--filter runs a
// chosen subset on purpose: then it needs only to run something.)
const refusals = [];
if (!count('pass') && !count('fail')) refusals.push('no test ran');
if (!filter) {
  const covered = new Set(results.filter((r) => r.status === 'pass').flatMap((r) => r.ops));
  const untested = [...REQUIRED].filter((op) => !covered.has(op)).sort();
  if (untested.length)
    refusals.push(`${count('pass')} tests passed, but ${untested.length} of the ${REQUIRED.size} operators in ` +
      `src/compiler/ops.def have no passing test: ${untested.join(', ')}`);
}
for (const r of refusals) console.log(`REFUSED: ${r}`);
const failed = count('fail') + wasm.failed;
console.log(`conformance took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${count('pass')} passed, ${failed} failed, ${count('skip')} skipped`);
process.exit(failed || refusals.length ? 1 : 0);
