// simd-peak.mjs - the machine's WebAssembly SIMD128 multiply-add peak, measured
// in the same process (node) or page (browser) as the models, so that a
// model's GMAC/s can be read as a fraction of what this engine on this core
// can do at best.
//
// The kernel is a tiny wasm module, emitted here byte by byte: `run(n)` does
// n iterations of, for each of `chains` independent v128 accumulators,
// acc = f32x4.add(f32x4.mul(acc, m), c), unrolled 4 times. The chains are
// independent, so with enough of them the loop is bound by the throughput of
// the multiply and add units, not by their latency; the best of a few chain
// counts (too many spill registers) is the peak. One f32x4.mul + f32x4.add
// pair is 4 multiply-adds (MACs), so GMAC/s = pairs/s * 4 / 1e9 and GFLOP/s
// is twice that. m < 1 and c > 0 keep the values finite and normal (no
// denormal slow paths). The result is returned so nothing is dead code.
//
// measurePeak() also reports the relaxed-SIMD f32x4.relaxed_madd (FMA) peak
// when the engine validates it, for reference only.

const CHAIN_COUNTS = [8, 10, 12, 14, 16];
const UNROLL = 4;

const leb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const f32 = (x) => [...new Uint8Array(new Float32Array([x]).buffer)];
const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];
const SIMD = (op) => [0xfd, ...leb(op)];
const F32X4_SPLAT = 0x13, F32X4_EXTRACT_LANE = 0x1f, F32X4_ADD = 0xe4, F32X4_MUL = 0xe6, F32X4_RELAXED_MADD = 0x105;

// The module's bytes; relaxed: one f32x4.relaxed_madd instead of mul + add.
export function peakModule(chains, relaxed = false) {
  const acc = (i) => 1 + i, M = 1 + chains, C = 2 + chains; // local 0 is the i32 parameter n
  const body = [0x01, chains + 2, 0x7b]; // locals: chains + 2 v128
  for (let i = 0; i < chains; i++) body.push(0x43, ...f32(0.5 + i / 16), ...SIMD(F32X4_SPLAT), 0x21, acc(i));
  body.push(0x43, ...f32(0.999), ...SIMD(F32X4_SPLAT), 0x21, M);
  body.push(0x43, ...f32(0.001), ...SIMD(F32X4_SPLAT), 0x21, C);
  body.push(0x02, 0x40, 0x03, 0x40); // block, loop
  for (let u = 0; u < UNROLL; u++) {
    for (let i = 0; i < chains; i++) {
      if (relaxed) body.push(0x20, acc(i), 0x20, M, 0x20, C, ...SIMD(F32X4_RELAXED_MADD), 0x21, acc(i));
      else body.push(0x20, acc(i), 0x20, M, ...SIMD(F32X4_MUL), 0x20, C, ...SIMD(F32X4_ADD), 0x21, acc(i));
    }
  }
  // n -= 1; continue while n != 0
  body.push(0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b, 0x0b);
  body.push(0x20, acc(0), ...SIMD(F32X4_EXTRACT_LANE), 0);
  for (let i = 1; i < chains; i++) body.push(0x20, acc(i), ...SIMD(F32X4_EXTRACT_LANE), 0, 0x92);
  body.push(0x0b);
  const code = [1, ...leb(body.length), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]),          // type (i32) -> f32
    ...section(3, [1, 0]),                               // one function of type 0
    ...section(7, [1, 3, ...[...'run'].map((c) => c.charCodeAt(0)), 0x00, 0]),
    ...section(10, code),
  ]);
}

// Best multiply-add rate of one kernel, timed over ~targetMs per sample.
function rate(bytes, chains, now, targetMs, samples) {
  const { run } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  let n = 1000;
  let sink = 0;
  for (;;) { // calibrate (also lets the engine tier the function up)
    const t = now();
    sink += run(n);
    const ms = now() - t;
    if (ms > targetMs / 4) { n = Math.max(1000, Math.round(n * targetMs / ms)); break; }
    n *= 4;
  }
  let best = 0;
  for (let s = 0; s < samples; s++) {
    const t = now();
    sink += run(n);
    const sec = (now() - t) / 1000;
    best = Math.max(best, (n * UNROLL * chains * 4) / sec); // MACs per second
  }
  if (!Number.isFinite(sink)) throw new Error('simd-peak: the kernel produced a non-finite value');
  return best;
}

// { gmacs (f32x4.mul + f32x4.add), chains, relaxedGmacs (or null) }.
// The default ~40 ms per sample suits node's and the browser's timers alike.
export function measurePeak({ now = () => performance.now(), targetMs = 40, samples = 5 } = {}) {
  let best = { gmacs: 0, chains: 0 };
  for (const chains of CHAIN_COUNTS) {
    const g = rate(peakModule(chains), chains, now, targetMs, samples) / 1e9;
    if (g > best.gmacs) best = { gmacs: g, chains };
  }
  let relaxedGmacs = null;
  const relaxed = peakModule(best.chains, true);
  if (WebAssembly.validate(relaxed)) relaxedGmacs = rate(relaxed, best.chains, now, targetMs, samples) / 1e9;
  return { ...best, relaxedGmacs };
}
