// Worker mode in node: edgerun.load(src, {worker: true}) runs the module in a
// worker_threads Worker started from web/edgerun-worker.js. It must be the
// same API as the in-thread model: the same info, the same results, the same
// error codes, the same queueing and dispose; and what only a worker has: the
// caller's arrays stay usable, a dead worker fails the model, and a loaded
// model does not keep node from exiting. (tests/browser/worker.test.mjs runs
// the same worker in Chromium.)
//
// Needs `make shim fixtures resnets`. Run: node --test tests/js/worker.test.mjs
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');
function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
const ESM = need(join(ROOT, 'web/edgerun.mjs'), 'shim');
const UMD = need(join(ROOT, 'web/edgerun.js'), 'shim');
need(join(ROOT, 'web/edgerun-worker.js'), 'shim');
const CLASSIFIER = need(join(ROOT, 'build/fixtures/fixture-classifier.wasm'), 'fixtures');
const MULTI = need(join(ROOT, 'build/fixtures/fixture-multi.wasm'), 'fixtures');
const RESNET20 = need(join(ROOT, 'web/models/resnet20-cifar10.wasm'), 'resnets');
const { default: esm } = await import(pathToFileURL(ESM));
const cjs = createRequire(import.meta.url)(UMD);

const CAT = join(SHARED, 'data/cifar10-test/cat/0000.jpg');
const jpeg = readFileSync(need(CAT, `(nothing: ${SHARED} must hold the CIFAR-10 test images)`));

async function rejects(promise, code, pattern) {
    await assert.rejects(promise, (e) => {
        assert.ok(e instanceof Error, `expected an Error, got ${e}`);
        assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
        if (pattern) assert.match(e.message, pattern);
        return true;
    });
}
const codeOf = (p) => p.then(() => 'resolved', (e) => `${e.code}: ${e.message}`);

// A 24-bit BMP header claiming width x height (no pixels): over the pixel limit when large.
function bmpHeader(width, height) {
    const b = Buffer.alloc(54);
    b.write('BM', 0, 'latin1');
    b.writeUInt32LE(54 + width * height * 3, 2);
    b.writeUInt32LE(54, 10);
    b.writeUInt32LE(40, 14);
    b.writeInt32LE(width, 18);
    b.writeInt32LE(height, 22);
    b.writeUInt16LE(1, 26);
    b.writeUInt16LE(24, 28);
    return b;
}

const tensor = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
// Requests that succeed and requests that fail with each code of edgerun.h.
const REQUESTS = [
    { input: jpeg },
    { input: jpeg.toString('base64'), crop: true, top: 5 },
    `{"input":"data:image/jpeg;base64,${jpeg.toString('base64')}"}`,
    { type: 'tensor', input: tensor(3072, 1) },
    { type: 'tensor', input: Array.from(tensor(3072, 2)) },
    '{"type":"image",',
    { type: 'image' },
    42,
    { input: 'iVBORw0KGgo*AAAA' },
    { input: Buffer.from('this is not an image at all') },
    { input: bmpHeader(10000, 10000) },
    { input: jpeg, width: 64 },
    { type: 'tensor', input: [1, 2, 3] },
];

for (const [name, edgerun] of [['ESM', esm], ['CommonJS', cjs]]) {
    describe(`worker mode (${name} build)`, () => {
        let inThread, inWorker;
        before(async () => {
            inThread = await edgerun.load(RESNET20);
            inWorker = await edgerun.load(RESNET20, { worker: true });
        });
        after(() => {
            inThread.dispose();
            inWorker.dispose();
        });

        test('info is the same, and frozen', () => {
            assert.deepEqual(inWorker.info, inThread.info);
            assert.ok(Object.isFrozen(inWorker.info) && Object.isFrozen(inWorker.info.inputs[0].dims));
        });

        test('every request gives the same result or the same error code and message', async () => {
            for (const [i, q] of REQUESTS.entries()) {
                const a = await inThread.run(q).then((r) => ({ ...r, ms: null }), (e) => `${e.code}: ${e.message}`);
                const b = await inWorker.run(q).then((r) => ({ ...r, ms: null }), (e) => `${e.code}: ${e.message}`);
                assert.deepEqual(b, a, `request ${i}`);
            }
            const codes = await Promise.all(REQUESTS.slice(5).map((q) => inWorker.run(q).catch((e) => e.code)));
            assert.deepEqual(codes, ['E_JSON', 'E_FIELD', 'E_FIELD', 'E_BASE64', 'E_DECODE', 'E_LIMIT', 'E_SHAPE', 'E_SHAPE']);
        });

        test('the cat of the CIFAR-10 test set is a cat, as the reference says', async () => {
            const line = readFileSync(join(SHARED, 'data/cifar10-test-reference.csv'), 'utf8').split('\n').find((l) => l.startsWith('cat/0000.jpg,'));
            const r = await inWorker.run({ input: jpeg });
            assert.equal(r.top[0].index, Number(line.split(',')[2]));
            assert.equal(r.top[0].label, 'cat');
            assert.ok(r.ms.infer > 0);
        });

        test('runTensors gives the same outputs, as typed arrays the caller owns', async () => {
            const x = tensor(3072, 3);
            const a = await inThread.runTensors({ input: { data: x } });
            const b = await inWorker.runTensors({ input: { data: x, dims: [1, 3, 32, 32] } });
            assert.ok(b.logits.data instanceof Float32Array);
            assert.deepEqual(b, a);
            // The caller's array was copied, not transferred away from it.
            assert.equal(x.length, 3072);
            assert.equal(x[5], tensor(3072, 3)[5]);
        });

        test('runTensors arguments are checked as in the thread, with the same codes', async () => {
            const x = new Float32Array(3072);
            const bad = [{}, { input: { data: x }, extra: { data: x } }, { input: { data: x, dims: [3, 32, 32] } },
                { input: { data: x.subarray(1) } }, { input: { data: new Float64Array(3072) } }, null];
            for (const q of bad) assert.equal(await codeOf(inWorker.runTensors(q)), await codeOf(inThread.runTensors(q)));
        });

        test('image bytes are copied before they are sent: the caller keeps its buffer', async () => {
            const bytes = new Uint8Array(jpeg);
            const r = await inWorker.run({ input: bytes.buffer });
            assert.equal(r.top[0].label, 'cat');
            assert.equal(bytes.byteLength, jpeg.length);
            assert.equal(bytes.buffer.byteLength, jpeg.length);
        });

        test('concurrent calls resolve in order, each to its own answer', async () => {
            const qs = Array.from({ length: 16 }, (_, i) => (i % 5 == 4 ? '{' : { type: 'tensor', input: tensor(3072, i) }));
            const expected = [];
            for (const q of qs) expected.push(await inThread.run(q).then((r) => r.logits, (e) => e.code));
            const order = [];
            const got = await Promise.all(qs.map((q, i) => inWorker.run(q).then((r) => (order.push(i), r.logits), (e) => (order.push(i), e.code))));
            assert.deepEqual(got, expected);
            assert.deepEqual(order, qs.map((_, i) => i));
        });

        test('memoryBytes reports the worker module\'s memory', () => {
            assert.equal(inWorker.memoryBytes, inThread.memoryBytes);
        });
    });
}

describe('worker mode: loading and lifetime', () => {
    let tmp;
    before(() => { tmp = mkdtempSync(join(tmpdir(), 'edgerun-worker-')); });
    after(() => rmSync(tmp, { recursive: true, force: true }));

    test('loads from a path, a file: URL, bytes, a WebAssembly.Module and a Response', async () => {
        const bytes = readFileSync(CLASSIFIER);
        const sources = [CLASSIFIER, pathToFileURL(CLASSIFIER), pathToFileURL(CLASSIFIER).href, bytes, new Uint8Array(bytes).buffer,
            await WebAssembly.compile(bytes), new Response(bytes)];
        const x = { input: { data: new Float32Array(3072).fill(0.25) } };
        const expected = await (await esm.load(CLASSIFIER)).runTensors(x);
        for (const src of sources) {
            const m = await esm.load(src, { worker: true });
            assert.deepEqual(await m.runTensors(x), expected, Object.prototype.toString.call(src));
            m.dispose();
        }
        assert.equal(bytes.length, readFileSync(CLASSIFIER).length, 'the caller\'s bytes are not detached');
    });

    test('inputs are transferred to the worker, not copied again: the posted buffers are detached', async () => {
        const { Worker } = await import('node:worker_threads');
        const post = Worker.prototype.postMessage, sent = [];
        Worker.prototype.postMessage = function (message, transfer) {
            const r = post.call(this, message, transfer);
            sent.push({ op: message.op, transfer: (transfer || []).map((b) => b.byteLength) });
            return r;
        };
        try {
            const m = await esm.load(RESNET20, { worker: true });
            const x = new Float32Array(3072).fill(0.5);
            await m.runTensors({ input: { data: x } });
            await m.run({ input: jpeg });
            await m.run({ type: 'tensor', input: x });
            m.dispose();
            assert.equal(x.byteLength, 3072 * 4, 'the caller\'s array is not the one transferred');
        } finally {
            Worker.prototype.postMessage = post;
        }
        // After postMessage the transferred buffers are detached (byteLength 0) on this side.
        assert.deepEqual(sent, [{ op: 'load', transfer: [] }, { op: 'tensors', transfer: [0] }, { op: 'run', transfer: [0] }, { op: 'run', transfer: [] }]);
    });

    test('a model with two inputs and two outputs', async () => {
        const a = await esm.load(MULTI);
        const b = await esm.load(MULTI, { worker: true });
        const inputs = Object.fromEntries(a.info.inputs.map((io, i) => [io.name, { data: tensor(io.dims.reduce((p, q) => p * q, 1), i) }]));
        assert.deepEqual(await b.runTensors(inputs), await a.runTensors(inputs));
        a.dispose();
        b.dispose();
    });

    test('load failures are E_LOAD with the in-thread message; bad options are E_FIELD', async () => {
        for (const src of [join(tmp, 'missing.wasm'), Buffer.from('not wasm at all'), 42])
            assert.equal(await codeOf(esm.load(src, { worker: true })), await codeOf(esm.load(src)));
        await rejects(esm.load(CLASSIFIER, { worker: join(tmp, 'no-such-worker.js') }), 'E_LOAD', /worker failed.*no-such-worker/);
        await rejects(esm.load(CLASSIFIER, { worker: 1 }), 'E_FIELD', /options\.worker/);
        await rejects(esm.load(CLASSIFIER, { worker: true, maxPixels: -1 }), 'E_FIELD', /maxPixels/);
    });

    test('maxPixels reaches the worker\'s module', async () => {
        const m = await esm.load(CLASSIFIER, { worker: true, maxPixels: 100 });
        assert.equal(m.info.max_pixels, 100);
        await rejects(m.run({ input: bmpHeader(11, 10) }), 'E_LIMIT');
        m.dispose();
    });

    test('dispose lets queued calls finish, then rejects new ones with E_DISPOSED', async () => {
        const m = await esm.load(CLASSIFIER, { worker: true });
        const queued = [m.runTensors({ input: { data: new Float32Array(3072) } }), m.run({ type: 'tensor', input: new Float32Array(3072) })];
        m.dispose();
        const [t, r] = await Promise.all(queued);
        assert.equal(t.logits.data.length, 10);
        assert.equal(r.logits.length, 10);
        await rejects(m.run('{}'), 'E_DISPOSED');
        await rejects(m.runTensors({}), 'E_DISPOSED');
        assert.equal(m.memoryBytes, 0);
    });

    test('a worker that dies fails its calls with E_MODULE, and the model is disposed', async () => {
        // A stand-in worker: answers load, then exits on the first run.
        const script = join(tmp, 'dying-worker.cjs');
        writeFileSync(script, `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (d) => d.op == 'load'
    ? parentPort.postMessage({ id: d.id, ok: { inputs: [], outputs: [] }, memory: 65536 })
    : process.exit(3));
`);
        const m = await esm.load(CLASSIFIER, { worker: script });
        assert.equal(m.memoryBytes, 65536);
        await rejects(m.run('{}'), 'E_MODULE', /worker failed: exit status 3/);
        await rejects(m.run('{}'), 'E_DISPOSED', /worker failed/);
    });

    test('the one-liner takes worker: true', async () => {
        esm.options({ model: RESNET20, worker: true });
        const r = await esm.run({ input: jpeg });
        assert.equal(r.top[0].label, 'cat');
        esm.options({ model: CLASSIFIER, worker: false });
        assert.equal((await esm.run({ type: 'tensor', input: new Float32Array(3072) })).logits.length, 10);
    });

    test('a loaded worker-mode model does not keep node running', () => {
        for (const [kind, lib] of [['import', `const { load } = await import(${JSON.stringify(pathToFileURL(ESM).href)});`],
            ['require', `const { load } = require(${JSON.stringify(UMD)});`]]) {
            const script = `(async () => { ${lib}
                const m = await load(${JSON.stringify(RESNET20)}, { worker: true });
                const r = await m.run({ type: 'tensor', input: new Float32Array(3072) });
                console.log(m.info.name, r.top.length);
            })();`;
            const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
            assert.equal(r.signal, null, `${kind}: node did not exit by itself`);
            assert.equal(r.status, 0, `${kind}: ${r.stderr}`);
            assert.equal(r.stdout.trim(), 'resnet20-cifar10 3');
        }
    });
});
