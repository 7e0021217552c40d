// The JS shim (js/edgerun.js) end to end: its three builds, every way to load
// a module, the JSON and tensor paths, every error code, and its memory.
//
// Needs `make shim fixtures` (web/edgerun*.js, build/fixtures/*.wasm). Uses
// web/models/resnet20-cifar10.wasm (`make resnets`) and ../shared when present.
// Run: node --test tests/js/
//
// Besides the fixtures, the tests assemble a tiny wasm module of their own
// ("probe") that speaks the edgerun.h ABI and reports what the shim gave it:
// the clock, the results of unknown imports, the number of _initialize calls,
// and memory growth on every tensor run. It can also trap or answer garbage.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import vm from 'node:vm';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');
const WEB = join(ROOT, 'web');
const FIXTURES = join(ROOT, 'build/fixtures');

function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
const ESM = need(join(WEB, 'edgerun.mjs'), 'shim');
const UMD = need(join(WEB, 'edgerun.js'), 'shim');
const MIN = need(join(WEB, 'edgerun.min.js'), 'shim');
const WORKER_JS = need(join(WEB, 'edgerun-worker.js'), 'shim');
const CLASSIFIER = need(join(FIXTURES, 'fixture-classifier.wasm'), 'fixtures');
const MULTI = need(join(FIXTURES, 'fixture-multi.wasm'), 'fixtures');
const RESNET20 = join(WEB, 'models/resnet20-cifar10.wasm');
const { default: edgerun } = await import(pathToFileURL(ESM));

const CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

// ---- helpers ----------------------------------------------------------------

async function rejects(promise, code, pattern) {
    await assert.rejects(promise, (e) => {
        assert.ok(e instanceof Error, `expected an Error, got ${e}`);
        assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
        if (pattern) assert.match(e.message, pattern);
        return true;
    });
}

const softmax = (x) => {
    const m = Math.max(...x);
    const e = x.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
};
const argmax = (x) => x.reduce((best, v, i) => (v > x[best] ? i : best), 0);
function close(actual, expected, tol, what) {
    assert.equal(actual.length, expected.length, `${what}: length`);
    for (let i = 0; i < expected.length; i++)
        assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])),
            `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

// A deterministic pseudo-random generator, so failures reproduce.
function rng(seed) {
    let s = seed >>> 0;
    return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

// ---- image files made here ----------------------------------------------------

function crc32(bytes) {
    let crc = ~0;
    for (const b of bytes) {
        crc ^= b;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    }
    return ~crc >>> 0;
}
function pngChunk(type, data) {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
}
// An 8-bit RGB PNG of width x height; rows is the RGB bytes, or null for a
// file whose header claims that size but carries one row of data.
function png(width, height, rows) {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const raw = [];
    for (let y = 0; y < (rows ? height : 1); y++)
        raw.push(Buffer.from([0]), rows ? rows.subarray(y * width * 3, (y + 1) * width * 3) : Buffer.alloc(width * 3));
    return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', ihdr),
        pngChunk('IDAT', deflateSync(Buffer.concat(raw))), pngChunk('IEND', Buffer.alloc(0))]);
}
// The NCHW tensor edgerun.h's pre-processing makes of an RGB image already at
// the model's size: (p/255 - mean_c)/std_c.
function expectedTensor(rgb, width, height, norm) {
    const t = new Float32Array(3 * width * height);
    for (let c = 0; c < 3; c++)
        for (let i = 0; i < width * height; i++) t[c * width * height + i] = (rgb[i * 3 + c] / 255 - norm[2 * c]) / norm[2 * c + 1];
    return t;
}

// The maximum of the memory a module defines, in bytes, from its memory section.
function memoryMax(bytes) {
    let p = 8;
    const leb = () => {
        let v = 0, shift = 0, b;
        do { b = bytes[p++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
        return v;
    };
    while (p < bytes.length) {
        const id = bytes[p++], size = leb(), end = p + size;
        if (id == 5) {
            leb(); // one memory
            const flags = leb();
            leb(); // min
            return flags & 1 ? leb() * 65536 : 2 ** 32;
        }
        p = end;
    }
    return null;
}

// ---- the probe module ----------------------------------------------------------

const leb = (v) => {
    const out = [];
    do { out.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0)); v >>>= 7; } while (v);
    return out;
};
const sleb = (v) => {
    const out = [];
    for (;;) {
        const b = v & 0x7f;
        v >>= 7;
        if ((v == 0 && !(b & 0x40)) || (v == -1 && b & 0x40)) return [...out, b];
        out.push(b | 0x80);
    }
};
const name = (s) => { const b = [...Buffer.from(s)]; return [...leb(b.length), ...b]; };
const vec = (items) => [...leb(items.length), ...items.flat()];
const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];
const I32 = 0x7f, I64 = 0x7e;
const i32c = (v) => [0x41, ...sleb(v)];
const get = (i) => [0x20, i];
const load32 = (offset) => [0x28, 2, ...leb(offset)];
const store32 = [0x36, 2, 0];
const call = (f) => [0x10, f];
const u32le = (...v) => [...new Uint8Array(new Uint32Array(v).buffer)];

// Memory map: 8 _initialize count, 16 clock (u64), 24 fd_write result,
// 28 result of an import no runtime has, 32 max pixels, 64 er_io_data table,
// 256 er_info, 1024 the request buffer (er_alloc refuses more than 8192 bytes),
// 2048 input "x", 12288 the er_run_tensors response.
function probe({ abi = 1, omit = [], importMemory = false } = {}) {
    const info = JSON.stringify({
        abi, name: 'probe', generator: 'shim.test.mjs', sha256: '', opset: 13,
        inputs: [{ name: 'x', dtype: 'float32', dims: [2], bytes: 8 }],
        outputs: [{ name: 'clock', dtype: 'int64', dims: [1], bytes: 8 },
            { name: 'stubs', dtype: 'int32', dims: [2], bytes: 8 },
            { name: 'inits', dtype: 'int32', dims: [1], bytes: 4 },
            { name: 'x_copy', dtype: 'float32', dims: [2], bytes: 8 }],
        labels: null, norm: null, image: null, arena_bytes: 16, weight_bytes: 0, max_pixels: 50000000,
    });
    const types = [[[I32, I64, I32], [I32]], [[I32, I32, I32, I32], [I32]], [[], [I32]], [[I32], []],
        [[], []], [[I32], [I32]], [[I32, I32], [I32]]].map(([p, r]) => [0x60, ...vec(p), ...vec(r)]);
    const imports = [['wasi_snapshot_preview1', 'clock_time_get', 0], ['wasi_snapshot_preview1', 'fd_write', 1],
        ['env', 'edgerun_feature_of_the_future', 2], ['env', 'emscripten_notify_memory_growth', 3]]
        .map(([m, n, t]) => [...name(m), ...name(n), 0, t]);
    if (importMemory) imports.push([...name('env'), ...name('memory'), 2, 0, 1]);
    const funcs = [ // [export name, type, locals, code]; function index = 4 + position
        ['_initialize', 4, 0, [...i32c(8), ...i32c(8), ...load32(0), ...i32c(1), 0x6a, ...store32]],
        ['er_alloc', 5, 0, [...get(0), ...i32c(8192), 0x4b, 0x04, I32, ...i32c(0), 0x05, ...i32c(1024), 0x0b]],
        ['er_free', 3, 0, []],
        ['er_info', 2, 0, i32c(256)],
        // Traps on a request starting with "t"; otherwise answers the request itself.
        ['er_run', 6, 0, [...get(0), 0x2d, 0, 0, ...i32c(116), 0x46, 0x04, 0x40, 0x00, 0x0b,
            ...get(0), ...get(1), 0x6a, ...i32c(0), 0x3a, 0, 0, ...get(0)]],
        ['er_io_data', 6, 0, [...get(1), ...i32c(4), 0x49, 0x04, I32, ...get(0), ...i32c(16), 0x6c,
            ...get(1), ...i32c(4), 0x6c, 0x6a, ...load32(64), 0x05, ...i32c(0), 0x0b]],
        ['er_run_tensors', 2, 0, [...i32c(1), 0x42, 0, ...i32c(16), ...call(0), 0x1a,
            ...i32c(24), ...i32c(0), ...i32c(0), ...i32c(0), ...i32c(0), ...call(1), ...store32,
            ...i32c(28), ...call(2), ...store32,
            ...i32c(1), 0x40, 0, 0x1a, ...i32c(0), ...call(3), ...i32c(12288)]],
        ['er_set_max_pixels', 5, 1, [...i32c(32), ...load32(0), 0x21, 1, ...get(0), 0x04, 0x40,
            ...i32c(32), ...get(0), ...store32, 0x0b, ...get(1)]],
    ];
    const exported = funcs.map(([n], i) => [n, 0, 4 + i]).filter(([n]) => !omit.includes(n));
    if (!omit.includes('memory')) exported.push(['memory', 2, 0]);
    const bodies = funcs.map(([, , locals, code]) => {
        const body = [...(locals ? [1, locals, I32] : [0]), ...code, 0x0b];
        return [...leb(body.length), ...body];
    });
    const data = [[32, u32le(50000000)], [64, u32le(2048, 0, 0, 0, 16, 24, 8, 2048)],
        [256, [...Buffer.from(info + '\0')]], [12288, [...Buffer.from('{"ms":{"infer":0}}\0')]]]
        .map(([at, bytes]) => [0, ...i32c(at), 0x0b, ...vec(bytes.map((b) => [b]))]);
    return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
        ...section(1, vec(types)), ...section(2, vec(imports)), ...section(3, vec(funcs.map(([, t]) => [t]))),
        ...(importMemory ? [] : section(5, vec([[0, 1]]))),
        ...section(7, vec(exported.map(([n, kind, i]) => [...name(n), kind, i]))),
        ...section(10, vec(bodies)), ...section(11, vec(data))]);
}

// ---- the builds ------------------------------------------------------------------

describe('the builds', () => {
    const files = { 'edgerun.js': UMD, 'edgerun.mjs': ESM, 'edgerun.min.js': MIN };

    test('web/ is built from the current js/edgerun.js', () => {
        const src = readFileSync(join(ROOT, 'js/edgerun.js'), 'utf8');
        assert.ok(readFileSync(ESM, 'utf8').endsWith(src), 'web/edgerun.mjs is stale: run `make shim`');
        for (const f of [UMD, MIN, WORKER_JS])
            for (const s of ['js/edgerun.js', 'js/edgerun-worker.js'])
                assert.ok(statSync(f).mtimeMs >= statSync(join(ROOT, s)).mtimeMs, `${f} is stale: run \`make shim\``);
    });

    test('the minified shim fits in 10,240 bytes', () => {
        const min = readFileSync(MIN);
        console.log(`edgerun.min.js: ${min.length} bytes, gzip ${gzipSync(min, { level: 9 }).length}`);
        assert.ok(min.length <= 10240, `edgerun.min.js is ${min.length} bytes`);
    });

    test('no build can need eval, Function, Blob URLs or a static node import', () => {
        for (const [n, f] of Object.entries({ ...files, 'edgerun-worker.js': WORKER_JS })) {
            const raw = readFileSync(f, 'utf8');
            const code = raw.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // the code, not its comments
            for (const bad of [/\beval\s*\(/, /new\s+Function\b/, /\bFunction\s*\(/, /\bBlob\b/, /createObjectURL/,
                /SharedArrayBuffer/, /\brequire\s*\(/, /^\s*import\s/m])
                assert.doesNotMatch(code, bad, `${n} contains ${bad}`);
            // A worker is only ever started from a URL: the caller's, or edgerun-worker.js next to this file.
            for (const w of code.match(/new\s+Worker\s*\([^)]*\)?/g) || [])
                assert.match(w, /^new\s+Worker\s*\(\s*([\w$]+|new\s+URL\s*\(\s*([\w$]+|(['"])\.\/edgerun-worker\.js\3)\s*,)/, `${n}: ${w}`);
            // The only dynamic import (node's built-in modules, and edgerun-remote.js for {fallback}): not a
            // literal, and marked for bundlers to leave alone.
            const imports = code.match(/\bimport\s*\([^)]*\)/g) || [];
            assert.equal(imports.length, 1, `${n}: ${imports.join(' ')}`);
            assert.match(imports[0], /^import\s*\(\s*[\w$]+(\s*\+\s*[\w$]+)?\s*\)$/, `${n}: the node import must not be a literal`);
            assert.match(raw, /import\(\/\* webpackIgnore: true \*\/ \/\* @vite-ignore \*\/ ?[\w$]+( ?\+ ?[\w$]+)?\)/, n);
        }
    });

    test('CommonJS require() of edgerun.js and edgerun.min.js gives a working shim', async () => {
        const require = createRequire(import.meta.url);
        for (const f of [UMD, MIN]) {
            const lib = require(f);
            assert.deepEqual(Object.keys(lib).sort(), ['default', 'load', 'options', 'run']);
            assert.equal(lib.default, lib);
            const m = await lib.load(probe());
            assert.deepEqual(await m.run({ via: f }), { via: f, where: 'local' });
            m.dispose();
        }
    });

    test('ESM import of edgerun.mjs gives named and default exports', async () => {
        const ns = await import(pathToFileURL(ESM));
        assert.equal(ns.default.load, ns.load);
        assert.equal(ns.default.run, ns.run);
        assert.equal(ns.default.options, ns.options);
    });

    test('js/edgerun.d.ts types a typical use (when tsc is installed)', async (t) => {
        const tsc = spawnSync('tsc', ['--version'], { encoding: 'utf8' });
        if (tsc.error) return t.skip('tsc not found (Debian: node-typescript)');
        const dir = mkdtempSync(join(tmpdir(), 'edgerun-dts-'));
        try {
            copyFileSync(join(ROOT, 'js/edgerun.d.ts'), join(dir, 'edgerun.d.ts'));
            writeFileSync(join(dir, 'use.ts'), `import edgerun, { load, Model, EdgerunError } from './edgerun';
async function main(): Promise<string> {
    const m: Model = await load(new Uint8Array(8), { maxPixels: 1000 });
    const r = await m.run({ input: new Uint8Array(3), crop: true, top: 5 });
    const out = await m.runTensors({ input: { data: new Float32Array(3072), dims: [1, 3, 32, 32] } });
    const n: number = out.logits.data.length + m.memoryBytes + (m.info.size ?? 0) + m.info.inputs[0].dims[0];
    edgerun.options({ model: 'm.wasm', maxPixels: 10 });
    await edgerun.run('{}');
    try { await m.run('{'); } catch (e) { return (e as EdgerunError).code + n; }
    m.dispose();
    return 'top' in r ? String(r.top[0].label) : Object.keys(r.outputs)[0];
}
main();
`);
            writeFileSync(join(dir, 'global.ts'), `/// <reference path="./edgerun.d.ts" />
edgerun.load('m.wasm').then((m) => m.run('{}'));
`);
            for (const f of ['use.ts', 'global.ts']) {
                const r = spawnSync('tsc', ['--strict', '--noEmit', '--target', 'es2020', '--lib', 'es2020,dom',
                    '--moduleResolution', 'node', f], { cwd: dir, encoding: 'utf8' });
                assert.equal(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    test('edgerun.min.js as a classic script defines the global edgerun', async () => {
        // A bare context: no process, no module, no require, no fetch.
        const ctx = vm.createContext({ TextEncoder, TextDecoder });
        vm.runInContext(readFileSync(MIN, 'utf8'), ctx, { filename: 'edgerun.min.js' });
        assert.equal(typeof ctx.edgerun, 'object');
        assert.equal(typeof ctx.edgerun.load, 'function');
        const m = await ctx.edgerun.load(readFileSync(CLASSIFIER));
        const out = await m.runTensors({ [m.info.inputs[0].name]: { data: new Float32Array(3 * 32 * 32) } });
        assert.equal(Object.values(out)[0].data.length, 10);
        assert.ok(Array.from(Object.values(out)[0].data).every(Number.isFinite));
    });
});

// ---- the imports the shim provides (probe) -----------------------------------------------

describe('what the shim gives a module (probe)', () => {
    test('_initialize runs once, the clock is monotonic ns, unknown imports get ENOSYS', async () => {
        const m = await edgerun.load(probe());
        const t0 = performance.now();
        const a = await m.runTensors({ x: { data: [1.5, -2] } });
        const t1 = performance.now();
        const b = await m.runTensors({ x: { data: new Float32Array([3, 4]), dims: [2] } });
        assert.deepEqual(Array.from(a.inits.data), [1]);
        assert.deepEqual(Array.from(b.inits.data), [1]);
        assert.ok(a.clock.data instanceof BigInt64Array);
        const ns = Number(a.clock.data[0]) / 1e6;
        assert.ok(ns >= t0 - 1 && ns <= t1 + 1, `clock ${ns} ms not within [${t0}, ${t1}]`);
        assert.ok(b.clock.data[0] >= a.clock.data[0]);
        assert.deepEqual(Array.from(a.stubs.data), [52, 52]); // WASI ENOSYS
        assert.deepEqual(a.x_copy, { data: new Float32Array([1.5, -2]), dims: [2] });
        assert.deepEqual(Array.from(b.x_copy.data), [3, 4]);
    });

    test('outputs are read from the grown memory after every run', async () => {
        const m = await edgerun.load(probe());
        let bytes = m.memoryBytes;
        for (let i = 0; i < 5; i++) {
            const out = await m.runTensors({ x: { data: [i, -i] } }); // each run grows the memory by a page
            assert.equal(m.memoryBytes, bytes + 65536);
            bytes = m.memoryBytes;
            assert.deepEqual(Array.from(out.x_copy.data), [i, -i]);
        }
        // run() writes and reads through a fresh view too.
        assert.deepEqual(await m.run({ after: 'growth' }), { after: 'growth', where: 'local' });
    });

    test('inputs are taken when runTensors is called, not when its turn comes', async () => {
        const m = await edgerun.load(probe());
        const data = new Float32Array([1, 2]);
        const first = m.runTensors({ x: { data } });
        data.set([3, 4]);
        const second = m.runTensors({ x: { data } });
        data.set([5, 6]);
        assert.deepEqual(Array.from((await first).x_copy.data), [1, 2]);
        assert.deepEqual(Array.from((await second).x_copy.data), [3, 4]);
    });

    test('run() sends UTF-8 and reads UTF-8 back', async () => {
        const m = await edgerun.load(probe());
        const obj = { s: 'héllo wörld ✓ 😀 中文', n: [1, 2.5, -3e-7], nested: { t: true, z: null } };
        assert.deepEqual(await m.run(obj), { ...obj, where: 'local' });
        assert.deepEqual(await m.run(JSON.stringify(obj)), { ...obj, where: 'local' });
    });

    test('a request the module cannot allocate is E_MEMORY, and the model stays usable', async () => {
        const m = await edgerun.load(probe());
        await rejects(m.run({ pad: 'x'.repeat(9000) }), 'E_MEMORY', /9\d{3} bytes/);
        assert.deepEqual(await m.run({ ok: 1 }), { ok: 1, where: 'local' });
    });

    test('a trap is E_MODULE and disposes the model', async () => {
        const m = await edgerun.load(probe());
        const queued = m.run({ queued: 1 });
        await rejects(m.run('trap'), 'E_MODULE', /unreachable/);
        assert.deepEqual(await queued, { queued: 1, where: 'local' });
        await rejects(m.run({ ok: 1 }), 'E_DISPOSED', /failed/);
        assert.equal(m.memoryBytes, 0);
    });

    test('a response that is not JSON is E_MODULE', async () => {
        const m = await edgerun.load(probe());
        await rejects(m.run('x-not-json'), 'E_MODULE', /invalid JSON/);
        await rejects(m.run({}), 'E_DISPOSED');
    });

    test('maxPixels reaches er_set_max_pixels; bad values are E_FIELD', async () => {
        assert.equal((await edgerun.load(probe())).info.max_pixels, 50000000);
        assert.equal((await edgerun.load(probe(), { maxPixels: 1234 })).info.max_pixels, 1234);
        assert.equal((await edgerun.load(probe(), { maxPixels: 2 ** 32 - 1 })).info.max_pixels, 2 ** 32 - 1);
        for (const bad of [0, -1, 1.5, 2 ** 32, '100', NaN])
            await rejects(edgerun.load(probe(), { maxPixels: bad }), 'E_FIELD', /maxPixels/);
    });

    test('modules that are not edgerun modules are E_LOAD, naming why', async () => {
        await rejects(edgerun.load(probe({ omit: ['er_run_tensors'] })), 'E_LOAD', /no export er_run_tensors/);
        await rejects(edgerun.load(probe({ omit: ['memory'] })), 'E_LOAD', /no export memory/);
        await rejects(edgerun.load(probe({ abi: 2 })), 'E_LOAD', /ABI 2/);
        await rejects(edgerun.load(probe({ importMemory: true })), 'E_LOAD', /env\.memory, a memory/);
        await rejects(edgerun.load(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5])), 'E_LOAD', /Uint8Array/);
        await rejects(edgerun.load(Buffer.from('<html>not found</html>')), 'E_LOAD');
        await rejects(edgerun.load(42), 'E_LOAD', /cannot load a Number/);
        await rejects(edgerun.load(null), 'E_LOAD', /cannot load a Null/);
        await rejects(edgerun.load(join(FIXTURES, 'no-such-model.wasm')), 'E_LOAD', /no-such-model\.wasm.*ENOENT/);
    });

    test('info is frozen', async () => {
        const m = await edgerun.load(probe());
        assert.throws(() => { m.info.inputs[0].dims[0] = 3; }, TypeError);
        assert.throws(() => { m.info.name = 'x'; }, TypeError);
    });

    test('dispose lets queued calls finish, then rejects new ones and drops the instance', async () => {
        const m = await edgerun.load(probe());
        const pending = [m.run({ a: 1 }), m.runTensors({ x: { data: [1, 2] } })];
        m.dispose();
        m.dispose(); // twice is harmless
        await rejects(m.run({ b: 2 }), 'E_DISPOSED', /disposed/);
        await rejects(m.runTensors({ x: { data: [1, 2] } }), 'E_DISPOSED');
        assert.deepEqual(await pending[0], { a: 1, where: 'local' });
        assert.deepEqual(Array.from((await pending[1]).x_copy.data), [1, 2]);
        assert.equal(m.memoryBytes, 0);
    });
});

// ---- loading the classifier fixture every way ------------------------------------------

describe('loading', () => {
    const bytes = readFileSync(CLASSIFIER);
    let reference;
    before(async () => {
        reference = await (await edgerun.load(CLASSIFIER)).runTensors({ input: { data: new Float32Array(3072).fill(0.25) } });
    });
    // Every source must give the same, working model.
    async function works(m, size = bytes.length) {
        assert.equal(m.info.size, size);
        assert.deepEqual(m.info.labels, CIFAR10);
        const out = await m.runTensors({ input: { data: new Float32Array(3072).fill(0.25) } });
        assert.deepEqual(out, reference);
        m.dispose();
    }

    test('from a file path, a file: URL and a URL object', async () => {
        await works(await edgerun.load(CLASSIFIER));
        await works(await edgerun.load(pathToFileURL(CLASSIFIER).href));
        await works(await edgerun.load(pathToFileURL(CLASSIFIER)));
    });
    test('from a Buffer, an ArrayBuffer, a Uint8Array and other views', async () => {
        await works(await edgerun.load(bytes));
        await works(await edgerun.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
        await works(await edgerun.load(new Uint8Array(bytes)));
        const padded = new Uint8Array(bytes.length + 16);
        padded.set(bytes, 8);
        await works(await edgerun.load(new DataView(padded.buffer, 8, bytes.length)));
        await works(await edgerun.load(new Uint8Array(padded.buffer, 8, bytes.length)));
    });
    test('from a WebAssembly.Module (size unknown) and a Blob', async () => {
        await works(await edgerun.load(new WebAssembly.Module(bytes)), null);
        await works(await edgerun.load(new Blob([bytes])));
    });
    test('from a Response: streamed when application/wasm, read whole otherwise', async () => {
        const real = WebAssembly.compileStreaming;
        let streamed = 0;
        WebAssembly.compileStreaming = (r) => (streamed++, real(r));
        try {
            await works(await edgerun.load(new Response(bytes, { headers: { 'content-type': 'application/wasm', 'content-length': String(bytes.length) } })));
            assert.equal(streamed, 1);
            await works(await edgerun.load(new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })));
            assert.equal(streamed, 1);
        } finally {
            WebAssembly.compileStreaming = real;
        }
        await rejects(edgerun.load(new Response('gone', { status: 404, statusText: 'Not Found' })), 'E_LOAD', /HTTP 404 Not Found/);
    });
    test('from an http URL (fetch)', async () => {
        const server = createServer((req, res) => {
            if (req.url != '/m.wasm') return res.writeHead(404).end();
            res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': bytes.length }).end(bytes);
        });
        await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
        const base = `http://127.0.0.1:${server.address().port}`;
        try {
            await works(await edgerun.load(`${base}/m.wasm`));
            await rejects(edgerun.load(`${base}/missing.wasm`), 'E_LOAD', /missing\.wasm: HTTP 404/);
        } finally {
            server.close();
        }
    });
});

// ---- the JSON protocol through the classifier fixture --------------------------------------

describe('run() on the classifier fixture', () => {
    let m;
    const jpegs = ['cat/0000.jpg', 'ship/0001.jpg', 'frog/0002.jpg'].map((p) => join(SHARED, 'data/cifar10-test', p));
    const random = rng(20);
    const rgb = Buffer.from(Array.from({ length: 32 * 32 * 3 }, () => Math.floor(random() * 256)));
    const png32 = png(32, 32, rgb);
    before(async () => { m = await edgerun.load(CLASSIFIER); });
    after(() => m.dispose());

    function checkClassifier(r) {
        assert.equal(r.logits.length, 10);
        assert.deepEqual(r.labels, CIFAR10);
        close(r.output, softmax(r.logits), 1e-5, 'output = softmax(logits)');
        assert.equal(r.top.length, 3);
        assert.equal(r.top[0].index, argmax(r.logits));
        for (const t of r.top) {
            assert.equal(t.label, CIFAR10[t.index]);
            assert.ok(Math.abs(t.prob - r.output[t.index]) < 1e-6);
        }
        assert.ok(r.top[0].prob >= r.top[1].prob && r.top[1].prob >= r.top[2].prob);
        for (const k of ['decode', 'prepare', 'infer']) assert.ok(!(k in r.ms) || r.ms[k] >= 0, `ms.${k}`);
    }

    test('info describes the model', () => {
        assert.deepEqual(m.info.inputs.map((i) => [i.dtype, i.dims]), [['float32', [1, 3, 32, 32]]]);
        assert.deepEqual(m.info.outputs.map((o) => o.dims), [[1, 10]]);
        assert.deepEqual(m.info.image, { channels: 3, height: 32, width: 32 });
        assert.equal(m.info.norm.length, 6);
        assert.equal(m.info.size, statSync(CLASSIFIER).size);
        assert.ok(m.memoryBytes >= 65536 && m.memoryBytes % 65536 == 0);
    });

    test('an image in a string, an object, with a data: prefix and as bytes gives one answer', async (t) => {
        if (!existsSync(jpegs[0])) return t.skip(`${jpegs[0]} missing (set SHARED)`);
        const jpeg = readFileSync(jpegs[0]);
        const b64 = jpeg.toString('base64');
        const a = await m.run(JSON.stringify({ type: 'image', input: b64 }));
        checkClassifier(a);
        const strip = ({ ms, ...r }) => r;
        assert.deepEqual(strip(await m.run({ input: b64 })), strip(a));
        assert.deepEqual(strip(await m.run({ input: 'data:image/jpeg;base64,' + b64 })), strip(a));
        assert.deepEqual(strip(await m.run({ input: new Uint8Array(jpeg) })), strip(a));
        assert.deepEqual(strip(await m.run({ input: jpeg.buffer.slice(jpeg.byteOffset, jpeg.byteOffset + jpeg.length) })), strip(a));
        assert.equal((await m.run({ input: b64, top: 10 })).top.length, 10);
    });

    test('an image is pre-processed as edgerun.h says: the same logits as its tensor', async () => {
        const x = expectedTensor(rgb, 32, 32, m.info.norm);
        const viaImage = await m.run({ input: png32.toString('base64') });
        checkClassifier(viaImage);
        const viaTensor = await m.runTensors({ input: { data: x, dims: [1, 3, 32, 32] } });
        close(Array.from(viaTensor.logits.data), classifierOracle(x), 1e-6, "runTensors vs the fixture's definition");
        close(viaImage.logits, classifierOracle(x), 1e-5, "image vs the fixture's definition");
        // The tensor request of edgerun.h, with a plain array and with a typed array.
        const viaJson = await m.run({ type: 'tensor', input: Array.from(x) });
        close(viaJson.logits, Array.from(viaTensor.logits.data), 1e-5, 'tensor request vs runTensors');
        close((await m.run({ type: 'tensor', input: x })).logits, viaJson.logits, 0, 'typed array tensor request');
    });

    test('every error code of edgerun.h, and a valid run right after each', async () => {
        const valid = async () => checkClassifier(await m.run({ input: png32.toString('base64') }));
        const cases = [
            ['E_JSON', '{"type":"image",'],
            ['E_JSON', 'not json at all'],
            ['E_FIELD', { type: 'image' }],
            ['E_FIELD', { type: 'video', input: 'AAAA' }],
            ['E_FIELD', { input: 42 }],
            ['E_FIELD', 42],
            ['E_FIELD', null],
            ['E_BASE64', { input: 'iVBORw0KGgo*AAAA' }],
            ['E_DECODE', { input: Buffer.from('this is not an image at all').toString('base64') }],
            ['E_DECODE', { input: png32.subarray(0, 60).toString('base64') }],
            ['E_LIMIT', { input: png(10000, 10000, null).toString('base64') }],
            ['E_SHAPE', { input: png32.toString('base64'), width: 64 }],
            ['E_SHAPE', { input: png32.toString('base64'), channels: 1 }],
            ['E_SHAPE', { type: 'tensor', input: [1, 2, 3] }],
        ];
        for (const [code, request] of cases) {
            await rejects(m.run(request), code);
            await valid();
        }
        // The module's message names what was wrong.
        await rejects(m.run('{"input": tru}'), 'E_JSON', /offset/);
        await rejects(m.run({ input: png(10000, 10000, null) }), 'E_LIMIT', /10000/);
    });

    test('E_MEMORY: an image the module cannot allocate, after raising maxPixels', async (t) => {
        // Images are at most 16384 pixels a side (the image_side limit), so
        // the largest 24-bit BMP is 0.8 GB; a progressive JPEG of 16384 x 16384
        // x 3 makes stb_image allocate 2.4 GB of coefficient and sample planes
        // up front, more than a memory of at most 2 GiB can give.
        const max = memoryMax(readFileSync(CLASSIFIER));
        if (max > 2 ** 31) return t.skip(`the module's memory may grow to ${max} bytes, enough for any image stb_image accepts`);
        const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xc2, 0x00, 0x11, 0x08, 0x40, 0x00, 0x40, 0x00, 0x03,
            0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00, 0xff, 0xd9]);
        const big = await edgerun.load(CLASSIFIER, { maxPixels: 2 ** 32 - 1 });
        try {
            await rejects(big.run({ input: jpeg }), 'E_MEMORY');
            checkClassifier(await big.run({ input: png32 }));
        } finally {
            big.dispose();
        }
    });

    test('concurrent run() calls all resolve to their own answers', async () => {
        const requests = [];
        for (let i = 0; i < 12; i++) {
            const r = rng(i + 1);
            const x = Array.from({ length: 3072 }, () => r() * 4 - 2);
            requests.push(i % 3 == 2 ? { input: png32 } : { type: 'tensor', input: x });
        }
        const sequential = [];
        for (const q of requests) sequential.push((await m.run(q)).logits);
        const concurrent = await Promise.all(requests.map((q, i) => (i % 4 == 3 ? m.run('{') : m.run(q)).then((r) => r.logits, (e) => e.code)));
        requests.forEach((q, i) => assert.deepEqual(concurrent[i], i % 4 == 3 ? 'E_JSON' : sequential[i], `request ${i}`));
    });

    test('memory does not grow over 200 runs after warm-up', async () => {
        // A 1 MB request among them, so that a leaked request or image buffer
        // outgrows any spare room in the module's memory within the 200 runs.
        const r = rng(5);
        const big = png(512, 512, Buffer.from(Array.from({ length: 512 * 512 * 3 }, () => Math.floor(r() * 256))));
        const jpeg = existsSync(jpegs[1]) ? readFileSync(jpegs[1]) : png32;
        const requests = [[{ input: big.toString('base64'), crop: true }], [{ input: jpeg }],
            [{ type: 'tensor', input: new Array(3072).fill(0.5) }], ['{"broken', 'E_JSON'], [{ input: png(10000, 10000, null) }, 'E_LIMIT']];
        const cycle = async () => {
            for (const [q, code] of requests) {
                if (code) await rejects(m.run(q), code);
                else checkClassifier(await m.run(q));
            }
            await m.runTensors({ input: { data: new Float32Array(3072) } });
        };
        for (let i = 0; i < 5; i++) await cycle();
        const bytes = m.memoryBytes;
        for (let i = 0; i < 40; i++) await cycle(); // 200 run() and 40 runTensors() calls
        assert.equal(m.memoryBytes, bytes);
    });

    test('runTensors checks names, dims, types and lengths', async () => {
        const x = new Float32Array(3072);
        await rejects(m.runTensors({}), 'E_FIELD', /input "input" is missing/);
        await rejects(m.runTensors({ input: { data: x }, extra: { data: x } }), 'E_FIELD', /unknown input "extra"/);
        await rejects(m.runTensors({ input: { data: x, dims: [3, 32, 32] } }), 'E_SHAPE', /\[3,32,32\].*\[1,3,32,32\]/);
        await rejects(m.runTensors({ input: { data: x.subarray(1) } }), 'E_SHAPE', /3071 values/);
        await rejects(m.runTensors({ input: { data: new Float64Array(3072) } }), 'E_FIELD', /Float32Array.*Float64Array/);
        await rejects(m.runTensors({ input: { data: [...new Array(3071).fill(0), 'x'] } }), 'E_FIELD', /data\[3071\]/);
        await rejects(m.runTensors({ input: x }), 'E_FIELD', /got Undefined/);
        await rejects(m.runTensors(null), 'E_FIELD');
        assert.equal((await m.runTensors({ input: { data: x } })).logits.data.length, 10);
    });
});

// ---- runTensors on a model with two inputs and two outputs ---------------------------------

describe('runTensors on the two-input fixture', () => {
    let m;
    before(async () => { m = await edgerun.load(MULTI); });
    after(() => m.dispose());

    test('info lists its inputs and outputs', () => {
        const desc = (list) => list.map((io) => `${io.name}:${io.dtype}[${io.dims}]`);
        assert.deepEqual(desc(m.info.inputs), ['a:float32[2,3]', 'b:float32[3]']);
        assert.deepEqual(desc(m.info.outputs), ['sum:float32[2,3]', 'max:float32[2]', 'argmax:int64[2]']);
        assert.equal(m.info.labels, null);
        assert.equal(m.info.image, null);
    });

    test('outputs match the values computed here', async () => {
        for (let seed = 1; seed <= 5; seed++) {
            const r = rng(seed);
            const a = Float32Array.from({ length: 6 }, () => r() * 20 - 10);
            const b = Array.from({ length: 3 }, () => Math.fround(r() * 2 - 1));
            const out = await m.runTensors({ a: { data: a, dims: [2, 3] }, b: { data: b } });
            const want = multiOracle(a, b);
            assert.deepEqual(Object.keys(out), ['sum', 'max', 'argmax']);
            assert.ok(out.sum.data instanceof Float32Array && out.argmax.data instanceof BigInt64Array);
            assert.deepEqual(out.sum, { data: Float32Array.from(want.sum), dims: [2, 3] });
            assert.deepEqual(out.max, { data: Float32Array.from(want.max), dims: [2] });
            assert.deepEqual(out.argmax, { data: BigInt64Array.from(want.argmax, BigInt), dims: [2] });
        }
    });

    test('the outputs are copies: a later run does not change them', async () => {
        const first = await m.runTensors({ a: { data: [1, 2, 3, 4, 5, 6] }, b: { data: [0, 0, 0] } });
        await m.runTensors({ a: { data: [9, 9, 9, 9, 9, 9] }, b: { data: [1, 1, 1] } });
        assert.deepEqual(Array.from(first.sum.data), [1, 2, 3, 4, 5, 6]);
    });

    test('both inputs are checked', async () => {
        await rejects(m.runTensors({ a: { data: new Float32Array(6) } }), 'E_FIELD', /input "b" is missing/);
        await rejects(m.runTensors({ a: { data: new Float32Array(6), dims: [3, 2] }, b: { data: [0, 0, 0] } }), 'E_SHAPE', /\[3,2\]/);
        await rejects(m.runTensors({ a: { data: new Float32Array(6) }, b: { data: [0, 0, 0, 0] } }), 'E_SHAPE', /"b": 4 values/);
    });

    test('the JSON path gives the same numbers under "outputs"', async () => {
        const a = [0.5, -1, 2, 7, 7, -3], b = [1, 2, 3];
        const want = multiOracle(Float32Array.from(a), b);
        const r = await m.run({ type: 'tensor', input: { a, b } });
        assert.deepEqual(r.outputs.sum, { dims: [2, 3], data: want.sum });
        assert.deepEqual(r.outputs.max, { dims: [2], data: want.max });
        assert.deepEqual(r.outputs.argmax, { dims: [2], data: want.argmax });
        // One array cannot feed two inputs: the module's E_FIELD, with its message.
        await rejects(m.run({ type: 'tensor', input: [1, 2, 3, 4, 5, 6] }), 'E_FIELD', /2 inputs/);
    });
});

// What fixture-multi computes (tests/runtime/fixture_multi.c): sum[i][j] =
// a[i][j] + b[j] in float32, max and first argmax of each row of a.
function multiOracle(a, b) {
    const sum = [], max = [], argmax = [];
    for (let i = 0; i < 2; i++) {
        const row = Array.from(a.subarray(3 * i, 3 * i + 3));
        for (let j = 0; j < 3; j++) sum.push(Math.fround(row[j] + b[j]));
        const k = row.indexOf(Math.max(...row));
        max.push(row[k]);
        argmax.push(k);
    }
    return { sum, max, argmax };
}

// What fixture-classifier computes (tests/runtime/fixture_classifier.c):
// logit k = (k + 1) * mean of channel k % 3.
function classifierOracle(x) {
    const mean = [0, 1, 2].map((c) => x.subarray(c * 1024, (c + 1) * 1024).reduce((s, v) => s + v, 0) / 1024);
    return Array.from({ length: 10 }, (_, k) => Math.fround((k + 1) * mean[k % 3]));
}

// ---- edgerun.options / edgerun.run -------------------------------------------------------

describe('the one-liner', () => {
    test('run() before options({model}) is E_FIELD', async () => {
        const { load, run, options } = await import(pathToFileURL(ESM) + '?fresh');
        assert.equal(typeof load, 'function');
        assert.deepEqual(options(), {});
        await rejects(run('{}'), 'E_FIELD', /options\(\{model/);
    });

    test('loads once, switches when the model changes, retries a failed load', async () => {
        edgerun.options({ model: CLASSIFIER });
        const x = new Array(3072).fill(0.1);
        const [a, b] = await Promise.all([edgerun.run({ type: 'tensor', input: x }), edgerun.run({ type: 'tensor', input: x })]);
        assert.deepEqual(a.logits, b.logits);
        assert.deepEqual(edgerun.options(), { model: CLASSIFIER });

        edgerun.options({ model: join(FIXTURES, 'missing.wasm') });
        await rejects(edgerun.run('{}'), 'E_LOAD', /missing\.wasm/);
        edgerun.options({ model: probe() });
        assert.deepEqual(await edgerun.run({ now: 'probe' }), { now: 'probe', where: 'local' });
        edgerun.options({ model: CLASSIFIER, maxPixels: 10 });
        await rejects(edgerun.run({ input: png(4, 4, Buffer.alloc(48)) }), 'E_LIMIT');
    });
});

// ---- the real ResNet-20, when built -------------------------------------------------------

describe('resnet20-cifar10.wasm through the shim', { skip: !existsSync(RESNET20) && 'web/models/resnet20-cifar10.wasm not built (`make resnets`)' }, () => {
    test('runTensors agrees with onnxruntime-node; images agree with the reference CSV', async () => {
        const ort = await import('onnxruntime-node');
        const m = await edgerun.load(RESNET20);
        const session = await ort.InferenceSession.create(join(SHARED, 'models/resnet20-cifar10.onnx'));
        const r = rng(3);
        for (let k = 0; k < 3; k++) {
            const x = Float32Array.from({ length: 3072 }, () => r() * 4 - 2);
            const ours = await m.runTensors({ input: { data: x, dims: [1, 3, 32, 32] } });
            const theirs = await session.run({ input: new ort.Tensor('float32', x, [1, 3, 32, 32]) });
            close(Array.from(ours.logits.data), Array.from(theirs.logits.data), 1e-3, 'logits');
        }
        const rows = readFileSync(join(SHARED, 'data/cifar10-test-reference.csv'), 'utf8').trim().split('\n').slice(1);
        let agree = 0, n = 0;
        for (let i = 0; i < rows.length; i += 500) {
            const [path, , pred] = rows[i].split(',');
            const res = await m.run({ input: readFileSync(join(SHARED, 'data/cifar10-test', path)) });
            n++;
            if (res.top[0].index == +pred) agree++;
        }
        // stb_image and Pillow decode JPEG slightly differently; a rare flip is expected.
        assert.ok(agree >= n - 1, `${agree}/${n} top-1 agree with the reference`);
        m.dispose();
    });
});
