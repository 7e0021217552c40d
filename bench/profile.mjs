// Per-node profile of a module built with `make model ... PROFILE=1`
// (edgerun-compile --profile): which node costs what, with which algorithm.
//
//   node bench/profile.mjs web/models/NAME.profile.wasm [--runs 50]
//
// The module times each node with the monotonic clock and exports
// er_profile_run(runs), which runs the model on its (zeroed) input buffers
// and returns one tab-separated line per node. This script instantiates it
// with the two imports it needs and prints the table, heaviest first.
import fs from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const runs = Number(args.includes('--runs') ? args[args.indexOf('--runs') + 1] : 50);
if (!file || !(runs > 0)) {
  console.error('usage: node bench/profile.mjs MODULE.profile.wasm [--runs N]');
  process.exit(2);
}
const module = await WebAssembly.compile(fs.readFileSync(file));
let memory;
const imports = {};
for (const d of WebAssembly.Module.imports(module)) {
  (imports[d.module] ||= {})[d.name] =
    d.name === 'clock_time_get'
      ? (id, precision, ptr) => {
          new DataView(memory.buffer).setBigUint64(ptr >>> 0, BigInt(Math.round(performance.now() * 1e6)), true);
          return 0;
        }
      : () => 52; // ENOSYS: nothing else is needed to run a model
}
const { exports: ex } = await WebAssembly.instantiate(module, imports);
memory = ex.memory;
if (!ex.er_profile_run) {
  console.error(`${file}: no er_profile_run export; build it with make model ... PROFILE=1`);
  process.exit(2);
}
if (ex._initialize) ex._initialize();
const ptr = ex.er_profile_run(runs) >>> 0;
const heap = new Uint8Array(memory.buffer);
const text = new TextDecoder().decode(heap.subarray(ptr, heap.indexOf(0, ptr)));
const rows = text.trim().split('\n').map((line) => {
  const [node, op, algo, shape, macs, ms] = line.split('\t');
  return { node, op, algo, shape, macs: Number(macs), ms: Number(ms) / runs };
});
const total = rows.reduce((s, r) => s + r.ms, 0);
const totalMacs = rows.reduce((s, r) => s + r.macs, 0);
console.log(`${file}: ${runs} runs, ${total.toFixed(3)} ms per run, ${(totalMacs / 1e6).toFixed(1)} M MACs, ` +
  `${(totalMacs / total / 1e6).toFixed(2)} GMAC/s overall`);
console.log('   ms      %   GMAC/s  algorithm     op                    shape               node');
for (const r of [...rows].sort((a, b) => b.ms - a.ms)) {
  const gmacs = r.macs ? (r.macs / r.ms / 1e6).toFixed(2) : '';
  console.log(`${r.ms.toFixed(3).padStart(7)} ${(100 * r.ms / total).toFixed(1).padStart(5)}  ${gmacs.padStart(6)}  ` +
    `${r.algo.padEnd(12)}  ${r.op.padEnd(20)}  ${r.shape.padEnd(18)}  ${r.node}`);
}
