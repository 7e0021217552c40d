// edgerun.load(src, {fallback}) in node: a model that cannot be loaded here
// runs on `edgerun serve` (startServer, on loopback) through
// web/edgerun-remote.js, with the local Result's shape and where: 'remote';
// remote errors keep the server's codes; without a fallback nothing changes.
// (tests/browser/fallback.test.mjs does the same in Chromium without WebAssembly.)
//
// Needs `make` (the shim and the ResNets) and ../shared.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');
function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
const RESNET20 = need(join(ROOT, 'web/models/resnet20-cifar10.wasm'), 'resnets');
const REMOTE_JS = need(join(ROOT, 'web/edgerun-remote.js'), 'shim');
const { default: edgerun } = await import(pathToFileURL(need(join(ROOT, 'web/edgerun.mjs'), 'shim')));
const { startServer } = await import(pathToFileURL(join(ROOT, 'js/server.mjs')));
const CAT = readFileSync(need(join(SHARED, 'data/cifar10-test/cat/0000.jpg'), '(nothing: ../shared is missing)'));
const MISSING = join(ROOT, 'build/no-such-model.wasm');

let server, fallback, local;
before(async () => {
    server = await startServer([{ name: 'resnet20-cifar10', path: RESNET20 }], { port: 0, workers: 1, timeout: 3000, log: () => {} });
    fallback = `${server.url}/v1/models/resnet20-cifar10`;
    local = await edgerun.load(RESNET20);
});
after(async () => {
    local?.dispose();
    await server?.shutdown();
});

const strip = (r) => ({ ...r, ms: undefined, where: undefined });
const code = (p) => p.then(() => 'resolved', (e) => e.code);

test('a local model says where: local, in every mode, and the REST answer does not carry it', async () => {
    const r = await local.run({ input: CAT });
    assert.equal(r.where, 'local');
    const w = await edgerun.load(RESNET20, { worker: true, fallback });
    try {
        assert.equal(w.info.remote, undefined);
        const rw = await w.run({ input: CAT });
        assert.equal(rw.where, 'local');
        assert.deepEqual(strip(rw), strip(r));
    } finally {
        w.dispose();
    }
    const rest = await (await fetch(`${fallback}:run`, { method: 'POST', body: JSON.stringify({ input: CAT.toString('base64') }) })).json();
    assert.ok(!('where' in rest), JSON.stringify(Object.keys(rest)));
});

test('a module that cannot be loaded runs remotely with the same result, where: remote', async () => {
    for (const src of [MISSING, `${server.url}/models/no-such-model.wasm`, new Uint8Array([1, 2, 3])]) {
        const m = await edgerun.load(src, { fallback });
        const r = await m.run({ input: CAT, crop: true });
        assert.equal(r.where, 'remote', String(src));
        assert.deepEqual(strip(r), strip(await local.run({ input: CAT, crop: true })));
        assert.deepEqual(Object.keys(r.ms), ['decode', 'prepare', 'infer']);
        // A tensor request as the JSON of edgerun.h, and a typed array written as numbers.
        const x = new Float32Array(3072).map((_, i) => Math.sin(i));
        assert.deepEqual(strip(await m.run({ type: 'tensor', input: x })), strip(await local.run({ type: 'tensor', input: x })));
        m.dispose();
        assert.equal(await code(m.run({ input: CAT })), 'E_DISPOSED');
    }
});

test('the remote model info is the server\'s, frozen, with remote: the fallback URL', async () => {
    const m = await edgerun.load(MISSING, { fallback: fallback + '/' });
    assert.equal(m.info.remote, fallback);
    assert.ok(Object.isFrozen(m.info) && Object.isFrozen(m.info.inputs[0]));
    const { remote, ...rest } = m.info;
    assert.deepEqual(rest, { name: 'resnet20-cifar10', ...JSON.parse(JSON.stringify(local.info)) });
    assert.equal(m.memoryBytes, 0);
});

test('remote errors reject with the server\'s code and message, like local ones', async () => {
    const m = await edgerun.load(MISSING, { fallback });
    for (const q of ['{', { input: 'not*base64' }, { input: new Uint8Array([1, 2, 3, 4]) }, { type: 'tensor', input: [1, 2] }, { input: CAT, top: 'x' }]) {
        const [a, b] = await Promise.all([m.run(q).then(() => null, (e) => e), local.run(q).then(() => null, (e) => e)]);
        assert.ok(a && b, JSON.stringify(q).slice(0, 60));
        assert.match(a.code, /^E_[A-Z0-9]+$/);
        assert.equal(a.code, b.code, JSON.stringify(q).slice(0, 60));
        assert.equal(a.message, b.message);
    }
    // Checked here before anything is sent, as locally.
    assert.equal(await code(m.run(42)), 'E_FIELD');
    // The server's own codes come through too: with its workers gone, a run times out (--timeout 3000).
    const gone = await edgerun.load(MISSING, { fallback });
    await server.pools.get('resnet20-cifar10').close();
    try {
        const e = await gone.run({ input: CAT }).then(() => null, (x) => x);
        assert.equal(e && e.code, 'E_TIMEOUT', String(e));
        assert.match(e.message, /the run took over 3000 ms/);
    } finally {
        await server.shutdown();
        server = await startServer([{ name: 'resnet20-cifar10', path: RESNET20 }], { port: 0, workers: 1, timeout: 3000, log: () => {} });
        fallback = `${server.url}/v1/models/resnet20-cifar10`;
    }
});

test('worker mode falls back too when its module cannot be loaded', async () => {
    const m = await edgerun.load(MISSING, { worker: true, fallback });
    assert.equal((await m.run({ input: CAT })).where, 'remote');
    const e = await edgerun.load(MISSING, { worker: true }).then(() => null, (x) => x);
    assert.equal(e.code, 'E_LOAD');
    assert.doesNotMatch(e.message, /the fallback/);
});

test('runTensors on a remote model rejects with E_UNSUPPORTED', async () => {
    const m = await edgerun.load(MISSING, { fallback });
    const e = await m.runTensors({ input: { data: new Float32Array(3072) } }).then(() => null, (x) => x);
    assert.equal(e.code, 'E_UNSUPPORTED');
    assert.match(e.message, /runs remotely .* run\(\{type: 'tensor', input\}\)/);
});

test('without a fallback, or when local loading works, nothing changes', async () => {
    const e = await edgerun.load(MISSING).then(() => null, (x) => x);
    assert.equal(e.code, 'E_LOAD');
    assert.match(e.message, /^edgerun\.load: .*no-such-model\.wasm: ENOENT/);
    assert.doesNotMatch(e.message, /the fallback/);
    // Bad options are not load failures: no fallback for them.
    assert.equal(await code(edgerun.load(MISSING, { fallback, maxPixels: -1 })), 'E_FIELD');
    assert.equal(await code(edgerun.load(MISSING, { fallback, worker: 7 })), 'E_FIELD');
    // A fallback that is never needed is never contacted.
    const m = await edgerun.load(RESNET20, { fallback: 'http://127.0.0.1:1/v1/models/x' });
    assert.equal((await m.run({ input: CAT })).where, 'local');
});

test('a fallback that fails too rejects with E_LOAD naming both failures', async () => {
    const cases = [
        [`${server.url}/v1/models/nope`, /ENOENT.*the fallback failed too: E_NOT_FOUND: no model named "nope"/],
        ['http://127.0.0.1:1/v1/models/x', /ENOENT.*the fallback failed too: E_REMOTE: http:\/\/127\.0\.0\.1:1\/v1\/models\/x cannot be reached/],
        [`${server.url}/healthz`, /the fallback failed too: E_REMOTE: .* without the model's inputs and outputs/],
        [`${server.url}/metrics`, /the fallback failed too: E_REMOTE: .* not JSON/],
    ];
    for (const [url, re] of cases) {
        const e = await edgerun.load(MISSING, { fallback: url }).then(() => null, (x) => x);
        assert.equal(e && e.code, 'E_LOAD', url);
        assert.match(e.message, re);
    }
    assert.equal(await code(edgerun.load(MISSING, { fallback: 42 })), 'E_FIELD');
    // The remote code itself cannot be had: E_LOAD, saying what was needed.
    const e = await edgerun.load(MISSING, { fallback, remote: join(ROOT, 'build/no-such-remote.js') }).then(() => null, (x) => x);
    assert.equal(e.code, 'E_LOAD');
    assert.match(e.message, /ENOENT.*; the fallback failed: .*no-such-remote\.js/);
    // {remote} names another copy.
    const m = await edgerun.load(MISSING, { fallback, remote: pathToFileURL(REMOTE_JS).href });
    assert.equal((await m.run({ input: CAT })).where, 'remote');
});

test('CommonJS edgerun.js and edgerun.min.js find edgerun-remote.js next to themselves', async () => {
    const require = createRequire(import.meta.url);
    for (const f of ['web/edgerun.js', 'web/edgerun.min.js']) {
        const lib = require(join(ROOT, f));
        const m = await lib.load(MISSING, { fallback });
        const r = await m.run({ input: CAT });
        assert.equal(r.where, 'remote', f);
        assert.equal(r.top[0].label, (await local.run({ input: CAT })).top[0].label);
    }
});

test('the one-liner falls back too: options({model, fallback}) then run()', async () => {
    edgerun.options({ model: MISSING, fallback });
    try {
        const r = await edgerun.run({ input: CAT });
        assert.equal(r.where, 'remote');
        assert.equal(r.top[0].label, 'cat');
        edgerun.options({ model: RESNET20 });
        assert.equal((await edgerun.run({ input: CAT })).where, 'local');
    } finally {
        edgerun.options({ model: undefined, fallback: undefined });
    }
});
