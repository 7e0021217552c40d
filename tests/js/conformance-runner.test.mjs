// The conformance runner must not pass vacuously: these run it
// (tests/conformance/run.mjs) on crafted suites and check each refusal -
// nothing ran, operators of src/compiler/ops.def left untested, outputs of
// the right size in the wrong shape (native harness and wasm comparison).
// Build first: make compiler build/tests/harness.o (make test does).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { readTensor } from '../lib/onnx_pb.mjs';
import { compareTensor } from '../conformance/wasm_sample.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(process.env.SHARED || path.join(root, '../shared'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-conformance-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const relu = path.join(shared, 'onnx-tests/node/test_relu');

function runner(...args) {
  const r = spawnSync('node', [path.join(root, 'tests/conformance/run.mjs'), '--shared', shared,
    '--build', path.join(work, 'build'), '--wasm-sample', '0', '--jobs', '1', ...args],
  { cwd: root, encoding: 'utf8', timeout: 300000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

// A suite root holding copies of shared tests, under node/.
function craftedSuite(name, tests) {
  const dir = path.join(work, name);
  for (const [testName, from] of Object.entries(tests)) fs.cpSync(from, path.join(dir, 'node', testName), { recursive: true });
  return dir;
}

test('the runner should refuse to pass when no test ran', () => {
  const r = runner('--filter', 'no_test_has_this_name');
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /REFUSED: no test ran/);
});

test('the runner should refuse to pass when operators of ops.def have no passing test', () => {
  const suite = craftedSuite('only-relu', { test_relu: relu });
  const r = runner('--tests', suite);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /^1 passed, 0 failed, 0 skipped$/m, 'the one test itself passes');
  const line = r.out.split('\n').find((l) => l.startsWith('REFUSED:')) || '';
  assert.match(line, /operators in src\/compiler\/ops\.def have no passing test: .*\bConv\b/);
  assert.ok(!/\bRelu\b/.test(line), `Relu is covered: ${line}`);
});

test('the runner should fail an output of the right size in the wrong shape, natively', () => {
  const suite = craftedSuite('wrong-dims', { test_relu_wrong_dims: relu });
  // [3,4,5] expected as [4,3,5]: the same 60 values in another shape.
  const pb = path.join(suite, 'node/test_relu_wrong_dims/test_data_set_0/output_0.pb');
  const py = spawnSync('/usr/bin/python3', ['-c', `
import onnx, sys
t = onnx.load_tensor(sys.argv[1])
del t.dims[:]
t.dims.extend([4, 3, 5])
onnx.save_tensor(t, sys.argv[1])`, pb], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  assert.deepEqual(readTensor(fs.readFileSync(pb)).dims, [4, 3, 5]);
  const r = runner('--tests', suite, '--filter', 'wrong_dims');
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /FAIL node\/test_relu_wrong_dims: .*dims \[4,3,5\], model has \[3,4,5\]/);
});

test('the wasm comparison should fail an output of the right size in the wrong shape', () => {
  const want = readTensor(fs.readFileSync(path.join(relu, 'test_data_set_0/output_0.pb')));
  assert.equal(compareTensor({ dims: [3, 4, 5], data: want.data }, want), null, 'the same tensor matches');
  assert.match(compareTensor({ dims: [4, 3, 5], data: want.data }, want), /dims \[4,3,5\], expected \[3,4,5\]/);
  assert.match(compareTensor({ dims: [60], data: want.data }, want), /dims/);
});
