// mutate-models.mjs - mutated ONNX models through the sanitized compiler.
//
//   node tests/fuzz/mutate-models.mjs --count 10000 [--shared DIR]   (make fuzz)
//   import { mutateModels } from '../fuzz/mutate-models.mjs'         (tests/js/compiler.test.mjs: 400)
//
// Each mutant is a source model with bits flipped, a byte set to 0x00, 0xff,
// 0x7f or 0x80, cut short, or with a huge varint length spliced in (near the
// front for a third of them: headers and lengths). The contract for any
// model: build/native-san/edgerun-compile exits 0 or 2, within 10 s, with no
// sanitizer report, and a rejection is exactly one line on stderr. A mutant
// that breaks it is kept in build/fuzz/findings/mutants/ and named in the
// failure, to become a regression input under tests/.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sanitized = path.join(root, 'build/native-san/edgerun-compile');

export function mutateModels({ count, sources, seed = 99, timeoutMs = 10000, log = () => {} }) {
  assert.ok(fs.existsSync(sanitized), `${path.relative(root, sanitized)} is missing: run make ${path.relative(root, sanitized)}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-mutants-'));
  const findings = path.join(root, 'build/fuzz/findings/mutants');
  const texts = sources.map((s) => fs.readFileSync(s));
  let accepted = 0, rejected = 0, slowest = 0;
  const rand = (n) => ((seed = (seed * 1664525 + 1013904223) >>> 0) % n);
  try {
    for (let k = 0; k < count; k++) {
      const src = texts[k % texts.length];
      // Mutations near the front hit headers and lengths; ResNet weights are mostly payload.
      const span = Math.min(src.length, k % 3 === 0 ? 8192 : src.length);
      const bytes = Buffer.from(src);
      const kind = k % 4;
      let mutated = bytes;
      if (kind === 0) for (let i = 0; i < 4; i++) bytes[rand(span)] ^= 1 << rand(8);
      else if (kind === 1) bytes[rand(span)] = [0x00, 0xff, 0x7f, 0x80][rand(4)];
      else if (kind === 2) mutated = bytes.subarray(0, rand(span) + 1);
      else mutated = Buffer.concat([bytes.subarray(0, rand(span)), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), bytes.subarray(rand(span))]);
      const file = path.join(work, 'mutant.onnx');
      fs.writeFileSync(file, mutated);
      const out = path.join(work, `m-${crypto.randomUUID()}.c`);
      const t0 = process.hrtime.bigint();
      const r = spawnSync(sanitized, [file, '-o', out, '--quiet'], { encoding: 'utf8', timeout: timeoutMs });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      slowest = Math.max(slowest, ms);
      const lines = (r.stderr || '').split('\n').filter(Boolean).length;
      const problem = r.error?.code === 'ETIMEDOUT' || r.signal ? `ran over ${timeoutMs / 1000} s or was killed (${r.signal})`
        : /Sanitizer|runtime error/.test(r.stderr) ? 'sanitizer report'
        : r.status !== 0 && r.status !== 2 ? `exit status ${r.status}`
        : r.status === 2 && lines !== 1 ? `${lines} lines on stderr` : null;
      if (problem) {
        fs.mkdirSync(findings, { recursive: true });
        const keep = path.join(findings, `mutant-${k}-${path.basename(sources[k % sources.length])}`);
        fs.copyFileSync(file, keep);
        assert.fail(`mutant ${k} of ${sources[k % sources.length]}: ${problem} (kept as ${path.relative(root, keep)}):\n${(r.stderr || '').slice(0, 2000)}`);
      }
      if (r.status === 0) accepted++;
      else rejected++;
      for (const ext of ['.c', '.h', '.weights']) fs.rmSync(out.replace(/\.c$/, ext), { force: true });
      if ((k + 1) % 1000 === 0) log(`mutated models: ${k + 1} of ${count}`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { accepted, rejected, slowest };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const count = Number(arg('--count', 10000));
  const shared = path.resolve(arg('--shared', process.env.SHARED || path.join(root, '../shared')));
  const node = path.join(shared, 'onnx-tests/node');
  // resnet20, and every 25th ONNX node test model: convolutions, pools,
  // reshapes, constants of every kind.
  const sources = [path.join(shared, 'models/resnet20-cifar10.onnx'),
    ...fs.readdirSync(node).sort().filter((_, i) => i % 25 === 0).map((d) => path.join(node, d, 'model.onnx'))];
  try {
    const t0 = Date.now();
    const r = mutateModels({ count, sources, log: console.log });
    const line = `mutated models: ${count} through the sanitized compiler from ${sources.length} sources: ${r.rejected} rejected, ` +
      `${r.accepted} compiled, none crashed; slowest ${(r.slowest / 1000).toFixed(2)} s; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`;
    console.log(line);
    fs.mkdirSync(path.join(root, 'build/fuzz'), { recursive: true });
    fs.appendFileSync(path.join(root, 'build/fuzz/summary.txt'), line + '\n');
    assert.ok(r.rejected > count / 4, `only ${r.rejected} of ${count} mutants rejected: are the mutations reaching the reader?`);
  } catch (e) {
    console.error(`mutated models: FAILED: ${e.message}`);
    process.exit(1);
  }
}
