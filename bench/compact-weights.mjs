// What --weights fp16 and int8 cost in fidelity and save in size, per model:
// each model is compiled three times and built natively with the conformance
// harness, run on the same random inputs, and the fp16 and int8 outputs are
// compared with the fp32 build's (largest |logit difference|, and how often
// the top-1 class changes). Sizes are the weight blob's, raw and gzipped.
//
//   node bench/compact-weights.mjs [--inputs 4] MODEL.onnx...     (after make test-build)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--inputs');
const inputs = at >= 0 ? Number(args.splice(at, 2)[1]) : 4;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-compact-'));
const link = ['build/tests/harness.o', 'build/native/compiler/onnx_reader.o', 'build/native/compiler/util.o',
  'build/native/compiler/ir.o', 'build/native/libedgerun-kernels.a'].map((p) => path.join(root, p));

function build(model, weights) {
  const dir = path.join(work, `${path.basename(model, '.onnx')}-${weights}`);
  fs.mkdirSync(dir, { recursive: true });
  const c = path.join(dir, 'model.c');
  execFileSync(path.join(root, 'build/edgerun-compile'), [model, '-o', c, '--weights', weights, '-q']);
  execFileSync('gcc', ['-std=c99', '-O2', '-Isrc/kernels', '-Isrc/runtime', '-I', dir, c, ...link, '-lm', '-o',
    path.join(dir, 'run')], { cwd: root });
  return dir;
}

function run(dir, x) {
  const io = fs.mkdtempSync(path.join(dir, 'io-'));
  fs.writeFileSync(path.join(io, 'input_0.bin'), Buffer.from(x.buffer));
  execFileSync(path.join(dir, 'run'), ['--io', io]);
  const b = fs.readFileSync(path.join(io, 'output_0.bin'));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

const argmax = (y) => y.reduce((best, v, i) => (v > y[best] ? i : best), 0);
const mb = (n) => (n / 1e6).toFixed(2);

console.log('| model | fp32 MB (gzip) | fp16 MB (gzip) | int8 MB (gzip) | fp16 max abs diff | int8 max abs diff | largest logit | top-1 changes fp16 / int8 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const model of args) {
  const dirs = Object.fromEntries(['fp32', 'fp16', 'int8'].map((w) => [w, build(model, w)]));
  const desc = JSON.parse(execFileSync(path.join(dirs.fp32, 'run'), ['--describe'], { encoding: 'utf8' }));
  const count = desc.inputs[0].bytes / 4;
  const diff = { fp16: 0, int8: 0 }, flips = { fp16: 0, int8: 0 };
  let largest = 0;
  for (let k = 0; k < inputs; k++) {
    const x = new Float32Array(count);
    let s = 77 + k;
    for (let i = 0; i < count; i++) { s = (s * 1103515245 + 12345) >>> 0; x[i] = (s / 4294967296) * 4 - 2; }
    const ref = run(dirs.fp32, x);
    largest = Math.max(largest, ...ref.map(Math.abs));
    for (const w of ['fp16', 'int8']) {
      const y = run(dirs[w], x);
      for (let i = 0; i < ref.length; i++) diff[w] = Math.max(diff[w], Math.abs(y[i] - ref[i]));
      if (argmax(y) !== argmax(ref)) flips[w]++;
    }
  }
  const size = (w) => {
    const blob = fs.readFileSync(path.join(dirs[w], 'model.weights'));
    return `${mb(blob.length)} (${mb(zlib.gzipSync(blob, { level: 9 }).length)})`;
  };
  console.log(`| ${path.basename(model, '.onnx')} | ${size('fp32')} | ${size('fp16')} | ${size('int8')} | ` +
    `${diff.fp16.toExponential(1)} | ${diff.int8.toExponential(1)} | ${largest.toFixed(1)} | ${flips.fp16}/${inputs} / ${flips.int8}/${inputs} |`);
}
fs.rmSync(work, { recursive: true, force: true });
