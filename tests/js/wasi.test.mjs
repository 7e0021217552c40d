// The WASI command modules (web/models/NAME.wasi.wasm, `make wasi`) under
// node:wasi: they import only wasi_snapshot_preview1, and for the same
// requests they write exactly what the browser module's er_run returns
// (byte for byte but the "ms" timings), exit status 0 for a response and 1
// for an error JSON. NAME.nosimd.wasi.wasm, built without SIMD for runtimes
// that lack it (wasm3), must give the very same bytes and contain no SIMD
// instruction (binaryen's wasm-dis, which emscripten depends on, reads it).
//
// The browser module is called here through its raw exports, not through
// the shim, so that both sides' JSON text is compared, not parsed objects.
// Needs `make wasi resnets` and ../shared. Run: node --test tests/js/wasi.test.mjs
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { WASI } from 'node:wasi';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');
const MODELS = join(ROOT, 'web/models');
function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
const WASI_MODULES = ['resnet20-cifar10', 'resnet20-cifar10-int8', 'resnet56-cifar10'].flatMap((n) => ['wasi', 'nosimd.wasi']
    .map((kind) => [`${n}.${kind}`, need(join(MODELS, `${n}.${kind}.wasm`), 'wasi'), need(join(MODELS, `${n}.wasm`), 'resnets')]));
const IMAGES = need(join(SHARED, 'data/cifar10-test'), '(nothing: ../shared is missing)');
const jpeg = (p) => readFileSync(join(IMAGES, p));

let tmp;
before(() => { tmp = mkdtempSync(join(tmpdir(), 'edgerun-wasi-')); });
after(() => rmSync(tmp, { recursive: true, force: true }));

// The browser module, called as the shim calls it, but returning er_run's text.
async function browserModule(path) {
    let ex;
    const imports = {
        wasi_snapshot_preview1: {
            clock_time_get: (id, precision, ptr) => {
                new DataView(ex.memory.buffer).setBigUint64(ptr >>> 0, BigInt(Math.round(performance.now() * 1e6)), true);
                return 0;
            },
        },
        env: { emscripten_notify_memory_growth: () => {} },
    };
    ex = (await WebAssembly.instantiate(readFileSync(path), imports)).instance.exports;
    ex._initialize();
    return (request) => {
        const req = Buffer.from(request);
        const p = ex.er_alloc(req.length || 1) >>> 0;
        new Uint8Array(ex.memory.buffer, p, req.length).set(req);
        const r = ex.er_run(p, req.length) >>> 0;
        ex.er_free(p);
        const heap = new Uint8Array(ex.memory.buffer);
        return Buffer.from(heap.subarray(r, heap.indexOf(0, r))).toString('utf8');
    };
}

// One run of a WASI command: request bytes on stdin; its stdout and exit status.
let runs = 0;
async function wasiRun(module, request) {
    const inPath = join(tmp, `in-${++runs}`), outPath = join(tmp, `out-${runs}`);
    writeFileSync(inPath, request);
    const stdin = openSync(inPath, 'r'), stdout = openSync(outPath, 'w');
    try {
        const wasi = new WASI({ version: 'preview1', stdin, stdout, returnOnExit: true });
        const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
        const status = wasi.start(instance);
        return { status, stdout: readFileSync(outPath, 'utf8') };
    } finally {
        closeSync(stdin);
        closeSync(stdout);
    }
}

// The timings are the one thing two runs may not share.
const untimed = (s) => s.replace(/"ms":\{"decode":[^,]+,"prepare":[^,]+,"infer":[^}]+\}/, '"ms":{"decode":0,"prepare":0,"infer":0}');

// A PNG of w x h grey pixels (a gradient), written here so that a PNG case
// needs no file.
function png(w, h) {
    const crcTable = Array.from({ length: 256 }, (_, n) => {
        for (let k = 0; k < 8; k++) n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1;
        return n >>> 0;
    });
    const crc = (b) => { let c = ~0; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return ~c >>> 0; };
    const chunk = (type, data) => {
        const b = Buffer.alloc(12 + data.length);
        b.writeUInt32BE(data.length, 0);
        b.write(type, 4, 'latin1');
        data.copy(b, 8);
        b.writeUInt32BE(crc(b.subarray(4, 8 + data.length)), 8 + data.length);
        return b;
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 0;
    const raw = Buffer.alloc((w + 1) * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = (x * 7 + y * 3) & 255;
    return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// The request fixtures: what a client sends, good and bad, and the error code
// a bad one must get (null: a response).
const FIXTURES = [
    ['a CIFAR JPEG, base64', () => JSON.stringify({ input: jpeg('cat/0000.jpg').toString('base64') }), null],
    ['a CIFAR JPEG as a data: URL, cropped, top 5', () => JSON.stringify({ type: 'image', input: 'data:image/jpeg;base64,' + jpeg('ship/0001.jpg').toString('base64'), crop: true, top: 5 }), null],
    ['another norm, exif off', () => JSON.stringify({ input: jpeg('frog/0002.jpg').toString('base64'), norm: [0.5, 0.25, 0.5, 0.25, 0.5, 0.25], exif: false }), null],
    ['a PNG larger than the input', () => JSON.stringify({ input: png(97, 61).toString('base64'), crop: true }), null],
    ['a tensor', () => JSON.stringify({ type: 'tensor', input: Array.from({ length: 3072 }, (_, i) => Math.sin(i) * 2) }), null],
    ['invalid JSON', () => '{"input": ', 'E_JSON'],
    ['an empty request', () => '', 'E_JSON'],
    ['an unknown field', () => JSON.stringify({ input: 'AAAA', nrom: [0, 1, 0, 1, 0, 1] }), 'E_FIELD'],
    ['bad base64', () => JSON.stringify({ input: 'abc#' }), 'E_BASE64'],
    ['bytes that are no image', () => JSON.stringify({ input: Buffer.from('not an image at all').toString('base64') }), 'E_DECODE'],
    ['a shape the model does not have', () => JSON.stringify({ input: jpeg('cat/0000.jpg').toString('base64'), width: 64 }), 'E_SHAPE'],
    ['a tensor of the wrong length', () => JSON.stringify({ type: 'tensor', input: [1, 2, 3] }), 'E_SHAPE'],
];

for (const [name, wasiPath, browserPath] of WASI_MODULES) {
    describe(`${name}.wasm`, () => {
        let module, browser;
        before(async () => {
            module = await WebAssembly.compile(readFileSync(wasiPath));
            browser = await browserModule(browserPath);
        });

        test('is a WASI preview 1 command: imports only wasi_snapshot_preview1, exports _start and memory', () => {
            const imports = WebAssembly.Module.imports(module);
            assert.ok(imports.length > 0);
            for (const i of imports) assert.equal(i.module, 'wasi_snapshot_preview1', `${i.module}.${i.name}`);
            const exports = WebAssembly.Module.exports(module).map((e) => e.name);
            assert.ok(exports.includes('_start') && exports.includes('memory'), exports.join(', '));
            assert.ok(!exports.includes('er_run'), 'the browser ABI is not exported');
        });

        test(name.endsWith('.nosimd.wasi') ? 'has no SIMD instruction' : 'uses SIMD, as the browser module does', () => {
            const dis = spawnSync('wasm-dis', [wasiPath], { encoding: 'utf8', maxBuffer: 1 << 30 });
            assert.equal(dis.status, 0, `wasm-dis (binaryen, installed with emscripten): ${dis.error || dis.stderr}`);
            const simd = (dis.stdout.match(/\bv128\b|\b[if](8x16|16x8|32x4|64x2)\./g) || []).length;
            if (name.endsWith('.nosimd.wasi')) assert.equal(simd, 0);
            else assert.ok(simd > 100, `${simd} SIMD instructions`);
        });

        for (const [what, request, code] of FIXTURES) {
            test(`${what}: the same JSON as the browser module`, async () => {
                const req = request();
                const expected = browser(req);
                const got = await wasiRun(module, req);
                assert.equal(untimed(got.stdout), untimed(expected));
                const error = JSON.parse(expected).error;
                assert.equal(error ? error.code : null, code, expected.slice(0, 160));
                assert.equal(got.status, error ? 1 : 0, `exit status for ${got.stdout.slice(0, 120)}`);
                if (!error) assert.match(got.stdout, /"ms":\{"decode":[\d.e-]+,"prepare":[\d.e-]+,"infer":[\d.e-]+\}/);
            });
        }
    });
}

test('the CIFAR JPEG requests answer the reference classes (resnet20.wasi.wasm)', async () => {
    const module = await WebAssembly.compile(readFileSync(WASI_MODULES[0][1]));
    const rows = readFileSync(join(SHARED, 'data/cifar10-test-reference.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const classes = readdirSync(IMAGES).sort();
    for (const row of rows.slice(0, 10)) {
        const r = await wasiRun(module, JSON.stringify({ input: jpeg(row[0]).toString('base64') }));
        assert.equal(r.status, 0, r.stdout);
        assert.equal(JSON.parse(r.stdout).top[0].index, +row[2], `${row[0]} (${classes[+row[2]]})`);
    }
});
