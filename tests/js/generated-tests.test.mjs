// The conformance tests edgerun generates for operators the shared ONNX test
// set lacks (tests/conformance/make_tests.py, expected outputs from numpy):
// onnxruntime-node, the oracle, must compute every expected output, so that
// `make conformance` holds edgerun to the right answers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';

import { graphInputNames, readTensor } from '../lib/onnx_pb.mjs';
import { compareTensor } from '../conformance/wasm_sample.mjs';

ort.env.logLevel = 'error';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-generated-'));
after(() => fs.rmSync(out, { recursive: true, force: true }));
execFileSync('/usr/bin/python3', [path.join(root, 'tests/conformance/make_tests.py'), out]);
const dir = path.join(out, 'node');
const tests = fs.readdirSync(dir).sort();

test('the generator should write a test for each operator it covers', () => {
  const ops = new Set(tests.map((t) => t.replace(/^test_edgerun_/, '').split('_')[0]));
  for (const op of ['range', 'not', 'and', 'or', 'xor', 'mod', 'reduce', 'cumsum', 'scatternd', 'einsum']) assert.ok(ops.has(op), op);
});

for (const name of tests) {
  test(`${name}: onnxruntime-node should compute the expected outputs`, async () => {
    const model = fs.readFileSync(path.join(dir, name, 'model.onnx'));
    const session = await ort.InferenceSession.create(model);
    const set = path.join(dir, name, 'test_data_set_0');
    const feeds = {};
    graphInputNames(model).forEach((input, i) => {
      const t = readTensor(fs.readFileSync(path.join(set, `input_${i}.pb`)));
      feeds[input] = new ort.Tensor(t.dtype === 'bool' ? 'bool' : t.dtype, t.data, t.dims);
    });
    const results = await session.run(feeds);
    session.outputNames.forEach((o, i) => {
      const want = readTensor(fs.readFileSync(path.join(set, `output_${i}.pb`)));
      const got = results[o];
      const data = got.type === 'bool' ? Uint8Array.from(got.data, Number) : got.data;
      const wantData = want.dtype === 'bool' ? Uint8Array.from(want.data, Number) : want.data;
      assert.equal(compareTensor({ dims: got.dims, data }, { dims: want.dims, data: wantData }, 1e-5, 1e-6), null, o);
    });
  });
}
