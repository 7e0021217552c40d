// input.mjs - the bench's input tensor, the same in node and in the page.
//
// A random image, normalized as ImageNet/CIFAR models are trained: uniform
// pixels in [0,1], then (x - mean) / std per channel. Seeded (mulberry32) so
// that every engine, every process and the browser see the same tensor.
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

// NCHW [1, C, H, W] as a Float32Array.
export function randomImage(seed, dims) {
  const [n, c, h, w] = dims;
  if (dims.length !== 4 || n !== 1) throw new Error(`randomImage: expected dims [1,C,H,W], got [${dims}]`);
  const x = new Float32Array(c * h * w);
  let a = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    const ch = Math.floor(i / (h * w)) % 3;
    x[i] = (u - MEAN[ch]) / STD[ch];
  }
  return x;
}

// The same image in NHWC, as TF.js takes it.
export function nchwToNhwc(x, dims) {
  const [, c, h, w] = dims;
  const y = new Float32Array(x.length);
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < h * w; p++) y[p * c + ch] = x[ch * h * w + p];
  }
  return y;
}

// Largest |a[i] - b[i]| and where; NaN anywhere counts as infinitely far.
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return { diff: Infinity, at: -1 };
  let diff = 0, at = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) { diff = Number.isNaN(d) ? Infinity : d; at = i; }
  }
  return { diff, at };
}

export const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const quantile = (xs, q) => [...xs].sort((p, r) => p - r)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
