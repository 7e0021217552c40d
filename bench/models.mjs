// models.mjs - the models the bench runs and where each engine's files are.
// Node only; shared by bench.mjs (node) and browser.mjs (Chromium).
//
// Each model is one ONNX file in ../shared, compiled by edgerun into one .wasm
// (`make` builds the ResNets, `make model` the others; `make bench` builds
// what is missing), translated for TF.js by onnx2tf.mjs into a plan (JSON +
// weights blob, cached in build/bench/tfjs/, as tfjs-converter's model.json
// + .bin would be), and run by onnxruntime-web from the .onnx itself.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { translate } from './onnx2tf.mjs';
import { maxAbsDiff } from './common/input.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const shared = path.resolve(root, process.env.SHARED || '../shared');
const require = createRequire(import.meta.url);

export const RESNETS = ['resnet20', 'resnet32', 'resnet44', 'resnet56'];
export const ARCH = ['mobilenet_v2', 'mobilenet_v3_small', 'shufflenet_v2_x0_5', 'squeezenet1_1', 'resnet18', 'efficientnet_b0'];
export const ALL = [...RESNETS, ...ARCH];

// --models: a comma-separated list of model names and of the groups
// "resnets", "arch" and "all". Returns the names, or throws naming the bad one.
export function parseModels(list) {
  const groups = { resnets: RESNETS, arch: ARCH, all: ALL };
  const names = list.split(',').flatMap((m) => {
    if (groups[m]) return groups[m];
    if (!ALL.includes(m)) throw new Error(`--models: unknown model "${m}"; the bench knows ${ALL.join(', ')} and the groups resnets, arch, all`);
    return [m];
  });
  return [...new Set(names)];
}

// The command line bench.mjs and browser.mjs share:
//   [--models a,b|resnets|arch|all] [--runs 100] [--cold 5] [--json out.json]
// Returns {models, runs, cold, json}; a bad argument prints the usage of
// `script` and exits 2.
export function parseBenchArgs(script, argv) {
  const usage = (why) => {
    console.error(`${script}: ${why}\n` +
      `usage: node bench/${script} [--models a,b|resnets|arch|all] [--runs 100] [--cold 5] [--json out.json]`);
    process.exit(2);
  };
  const o = { models: ALL.join(','), runs: '100', cold: '5', json: null };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(key in o)) usage(`unknown argument "${argv[i]}"`);
    if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`);
    o[key] = argv[i + 1];
  }
  const int = (k, lo, hi) => {
    const n = Number(o[k]);
    if (!Number.isInteger(n) || n < lo || n > hi) usage(`--${k} must be an integer ${lo}..${hi}, got "${o[k]}"`);
    return n;
  };
  let models;
  try {
    models = parseModels(o.models);
  } catch (e) {
    usage(e.message);
  }
  return { models, runs: int('runs', 1, 100000), cold: int('cold', 0, 100), json: o.json };
}

// Largest accepted |logit - onnxruntime-node's| (issue #7: "logits stay within
// 1e-3 absolute of onnxruntime-node"). The random-weight models' logits can be
// as small as 1e-2 in magnitude, where 1e-3 absolute would let a wrong
// translation through; so the difference must also stay under 1% of the
// largest reference logit.
export const TOLERANCE = 1e-3;
export const RELATIVE_TOLERANCE = 1e-2;

// Where each model's files are. Paths are absolute; url* are the paths the
// browser bench serves them under.
export function modelFiles(name) {
  const resnet = RESNETS.includes(name);
  if (!resnet && !ARCH.includes(name)) throw new Error(`unknown model "${name}"; the bench knows ${ALL.join(', ')}`);
  const wasmName = resnet ? `${name}-cifar10.wasm` : `${name}.wasm`;
  const onnxRel = resnet ? `${name}-cifar10.onnx` : `arch/${name}-random.onnx`;
  return {
    name,
    onnx: path.join(shared, 'models', onnxRel),
    wasm: path.join(root, 'web/models', wasmName),
    // The relaxed-SIMD twin the shim loads instead where relaxed SIMD validates.
    relaxed: path.join(root, 'web/models', wasmName.replace(/\.wasm$/, '.relaxed.wasm')),
    plan: path.join(root, 'build/bench/tfjs', `${name}.json`),
    bin: path.join(root, 'build/bench/tfjs', `${name}.bin`),
    urls: { onnx: `/onnx/${onnxRel}`, wasm: `/web/models/${wasmName}`, plan: `/tfjs-models/${name}.json`, bin: `/tfjs-models/${name}.bin` },
    build: resnet ? 'make' : `make model MODEL=${path.relative(root, path.join(shared, 'models', onnxRel))} NAME=${name}`,
  };
}

// Which of a model's two modules the shim loaded, told by the loaded size
// (model.info.size): 'relaxed' (NAME.relaxed.wasm) or 'simd128' (NAME.wasm).
export function edgerunVariant(name, size) {
  const f = modelFiles(name);
  const sizeOf = (p) => (fs.existsSync(p) ? fs.statSync(p).size : -1);
  if (size === sizeOf(f.relaxed) && size !== sizeOf(f.wasm)) return 'relaxed';
  if (size === sizeOf(f.wasm)) return 'simd128';
  throw new Error(`${name}: edgerun loaded a module of ${size} bytes, neither ${f.wasm} nor ${f.relaxed}`);
}

// One line for a report: which edgerun modules the rows ran.
export function variantLine(rows) {
  const relaxed = rows.filter((r) => r.edgerunModule === 'relaxed').map((r) => r.name);
  if (!relaxed.length) return 'edgerun ran its SIMD128 modules (NAME.wasm)';
  if (relaxed.length === rows.length) return 'edgerun ran its relaxed-SIMD twins (NAME.relaxed.wasm, f32x4.relaxed_madd), as the shim picks where relaxed SIMD validates';
  return `edgerun ran its relaxed-SIMD twins for ${relaxed.join(', ')} and SIMD128 modules for the others`;
}

// The npm packages of the two peers and the files a page downloads for each.
export function peerFiles() {
  // The package's directory (its exports may hide package.json from require.resolve).
  const dir = (pkg) => {
    const d = path.join(root, 'node_modules', pkg);
    if (!fs.existsSync(path.join(d, 'package.json'))) throw new Error(`${pkg} is not installed; run "npm ci" in ${root}`);
    return d;
  };
  const ort = dir('onnxruntime-web'), tfCore = dir('@tensorflow/tfjs-core'), tfWasm = dir('@tensorflow/tfjs-backend-wasm');
  const version = (d) => JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).version;
  return {
    ort: { dir: path.join(ort, 'dist'), version: version(ort), files: ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] },
    tfjs: {
      coreDir: path.join(tfCore, 'dist'), wasmDir: path.join(tfWasm, 'dist'),
      version: version(tfCore), wasmVersion: version(tfWasm),
      // The UMD builds a page loads by script tag, and the SIMD, single-thread binary.
      files: [path.join(tfCore, 'dist/tf-core.min.js'), path.join(tfWasm, 'dist/tf-backend-wasm.min.js'),
        path.join(tfWasm, 'dist/tfjs-backend-wasm-simd.wasm')],
    },
  };
}

// Throws, naming the fix, unless every file the bench needs for `names` exists.
export function checkModelFiles(names) {
  for (const name of names) {
    const f = modelFiles(name);
    if (!fs.existsSync(f.onnx)) throw new Error(`${f.onnx} is missing; set SHARED to the shared data directory (the one with models/)`);
    if (!fs.existsSync(f.wasm)) throw new Error(`${f.wasm} is missing; build it with "${f.build}" (or run "make bench", which builds every bench model)`);
  }
}

// The TF.js plan of a model, translated again when the .onnx or the translator
// is newer than the cached one. Returns { plan, planPath, binPath }.
export function preparePlan(name) {
  const f = modelFiles(name);
  const sources = [f.onnx, path.join(root, 'bench/onnx2tf.mjs'), path.join(root, 'tests/lib/onnx_pb.mjs'), path.join(root, 'bench/common/tfjs-plan.mjs')];
  const newest = Math.max(...sources.map((s) => fs.statSync(s).mtimeMs));
  const cached = [f.plan, f.bin].every((p) => fs.existsSync(p) && fs.statSync(p).mtimeMs >= newest);
  if (!cached) {
    const { plan, bin } = translate(fs.readFileSync(f.onnx), name);
    fs.mkdirSync(path.dirname(f.plan), { recursive: true });
    fs.writeFileSync(f.bin, bin);
    fs.writeFileSync(f.plan, JSON.stringify(plan));
  }
  return { plan: JSON.parse(fs.readFileSync(f.plan, 'utf8')), planPath: f.plan, binPath: f.bin };
}

export function readBin(p) {
  const b = fs.readFileSync(p);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

// onnxruntime-node's logits for one NCHW input: the oracle every engine is checked against.
let ortNode = null;
export async function referenceLogits(name, inputName, data, dims) {
  ortNode = ortNode || require('onnxruntime-node');
  const s = await ortNode.InferenceSession.create(modelFiles(name).onnx);
  try {
    const out = await s.run({ [inputName]: new ortNode.Tensor('float32', data, dims) });
    return Float32Array.from(out[s.outputNames[0]].data);
  } finally {
    await s.release();
  }
}

// Throws unless `got` matches the reference within both tolerances; returns
// the largest absolute difference.
export function checkLogits(got, ref, what) {
  const { diff, at } = maxAbsDiff(got, ref);
  const scale = Math.max(...Array.from(ref, Math.abs));
  if (!(diff <= TOLERANCE) || !(diff <= RELATIVE_TOLERANCE * scale)) {
    throw new Error(`${what}: logits differ from onnxruntime-node's by ${diff} at index ${at} (got ${got[at]}, ` +
      `expected ${ref[at]}; largest |logit| ${scale.toPrecision(3)}), more than ${TOLERANCE} or ${RELATIVE_TOLERANCE * 100}% of the largest; ` +
      'the engines do not compute the same thing, so no timing is reported');
  }
  return diff;
}

const gzCache = new Map();
export function gzipSize(file) {
  if (!gzCache.has(file)) gzCache.set(file, zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length);
  return gzCache.get(file);
}
