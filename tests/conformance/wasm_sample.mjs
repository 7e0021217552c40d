// The wasm half of the conformance suite: a sample of the tests that passed
// natively is linked into model modules exactly as real models are
// (emcc -O3 -msimd128, the runtime, the kernels) and run in node through the
// shim's runTensors, against the same expected outputs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { graphInputNames, readTensor } from '../lib/onnx_pb.mjs';

// One test per operator (the first, in name order, among those testing the
// fewest operators), so the sample covers every operator the suite passed;
// `count` caps it.
function pick(tests, count) {
  const ops = [...new Set(tests.flatMap((t) => t.ops))].sort();
  const chosen = [];
  for (const op of ops) {
    if (chosen.length >= count) break;
    if (chosen.some((t) => t.ops.includes(op))) continue;
    const candidates = tests.filter((t) => t.ops.includes(op)).sort((a, b) => a.ops.length - b.ops.length);
    if (candidates.length) chosen.push(candidates[0]);
  }
  return chosen;
}

function make(root, targets) {
  return new Promise((resolve) => {
    const p = spawn('make', ['-s', `-j${Math.max(1, (process.env.JOBS | 0) || 2)}`, ...targets],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    p.stdout.on('data', (d) => { log += d; });
    p.stderr.on('data', (d) => { log += d; });
    p.on('close', (code) => resolve({ code, log }));
  });
}

// null when `got` ({dims, data}) matches `want` (a readTensor result): the same
// dims, not only the same number of elements, then every element within
// atol + rtol * |want| (integers exactly); otherwise what differs.
export function compareTensor(got, want, rtol = 1e-3, atol = 1e-5) {
  const gotDims = [...got.dims].map(Number);
  if (gotDims.length !== want.dims.length || gotDims.some((d, i) => d !== want.dims[i]))
    return `dims [${gotDims}], expected [${want.dims}]`;
  return compare(got.data, want.data, rtol, atol);
}

function compare(got, want, rtol = 1e-3, atol = 1e-5) {
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (typeof w === 'bigint' || typeof g === 'bigint') {
      if (BigInt(g) !== BigInt(w)) return `[${i}] got ${g}, expected ${w}`;
      continue;
    }
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (!Number.isFinite(w) && g === w) continue;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) return `[${i}] got ${g}, expected ${w}`;
  }
  return null;
}

export async function runWasmTests({ root, tests, count }) {
  const require = createRequire(import.meta.url);
  const shimPath = path.join(root, 'web/edgerun.js');
  const lines = [];
  if (!fs.existsSync(shimPath)) return { passed: 0, failed: 1, lines: [`FAIL wasm sample: ${shimPath} missing (make shim)`] };
  const edgerun = require(shimPath);
  const chosen = pick(tests, count);
  const targets = chosen.map((t) => path.relative(root, t.c.replace(/\.c$/, '.wasm')));
  const built = await make(root, targets);
  if (built.code !== 0) {
    return { passed: 0, failed: chosen.length, lines: [`FAIL wasm sample: build failed\n${built.log.slice(-4000)}`] };
  }
  let passed = 0, failed = 0;
  for (const t of chosen) {
    const wasm = t.c.replace(/\.c$/, '.wasm');
    let error = null;
    try {
      const model = await edgerun.load(wasm);
      const names = graphInputNames(fs.readFileSync(path.join(t.dir, 'model.onnx')));
      const sets = fs.readdirSync(t.dir).filter((d) => d.startsWith('test_data_set_')).sort();
      for (const set of sets) {
        const feeds = {};
        for (const input of model.info.inputs) {
          const file = path.join(t.dir, set, `input_${names.indexOf(input.name)}.pb`);
          const tensor = readTensor(fs.readFileSync(file));
          feeds[input.name] = { data: tensor.data, dims: tensor.dims };
        }
        const out = await model.runTensors(feeds);
        model.info.outputs.forEach((o, i) => {
          if (error) return;
          const want = readTensor(fs.readFileSync(path.join(t.dir, set, `output_${i}.pb`)));
          const diff = compareTensor(out[o.name], want);
          if (diff) error = `${set} output '${o.name}' ${diff}`;
        });
        if (error) break;
      }
      model.dispose();
    } catch (e) {
      error = `${e.code || 'error'}: ${e.message}`;
    }
    if (error) {
      failed++;
      lines.push(`FAIL wasm ${t.suite}/${t.name}: ${error}`);
    } else {
      passed++;
      lines.push(`pass wasm ${t.suite}/${t.name} (${t.ops.join(', ')})`);
    }
  }
  return { passed, failed, lines };
}
