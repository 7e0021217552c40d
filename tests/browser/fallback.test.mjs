// edgerun.load(url, {fallback}) in Debian's chromium, against `edgerun serve`
// (bin/edgerun.mjs serve, started here on loopback, on another port than the
// page: a cross-origin server, so it runs with --cors PAGE_ORIGIN):
// - with WebAssembly disabled (--js-flags=--jitless: V8 without its
//   compilers has no WebAssembly, as in browsers' hardened "no JIT" modes;
//   --noexpose_wasm no longer hides it in Chromium 156, whose Blink installs
//   WebAssembly itself), the global
//   edgerun.min.js and the ESM edgerun.mjs both import edgerun-remote.js from
//   next to themselves and run remotely: the local Result's shape, where:
//   'remote', the server's error codes, the server's info, runTensors
//   E_UNSUPPORTED; without a fallback, E_LOAD as before;
// - with WebAssembly, a module that fails to load (a 404 .wasm) falls back;
//   one that loads runs locally (where: 'local') and edgerun-remote.js is
//   never fetched.
// The page runs under script-src 'self' 'wasm-unsafe-eval' and a connect-src
// that names the server: no eval, no blob: URL, no inline script.
//
// Needs `make` (the shim and the ResNets), ../shared and chromium (`make deps-test`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');
const CHROMIUM = '/usr/bin/chromium';
function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
const RESNET20 = need(join(ROOT, 'web/models/resnet20-cifar10.wasm'), 'resnets');
const JS = 'text/javascript; charset=utf-8';
const FILES = {
    '/edgerun.min.js': [need(join(ROOT, 'web/edgerun.min.js'), 'shim'), JS],
    '/edgerun.mjs': [need(join(ROOT, 'web/edgerun.mjs'), 'shim'), JS],
    '/edgerun-remote.js': [need(join(ROOT, 'web/edgerun-remote.js'), 'shim'), JS],
    '/models/resnet20-cifar10.wasm': [RESNET20, 'application/wasm'],
    '/models/resnet20-cifar10.relaxed.wasm': [need(join(ROOT, 'web/models/resnet20-cifar10.relaxed.wasm'), 'resnets'), 'application/wasm'],
    '/images/cat.jpg': [need(join(SHARED, 'data/cifar10-test/cat/0000.jpg'), '(nothing: ../shared is missing)'), 'image/jpeg'],
};
need(CHROMIUM, 'deps-test');

// The page's checks, the same for the global and the ESM shim (go(edgerun, fallback)).
const CHECKS = `
window.go = async (edgerun, fallback) => {
    const out = { wasm: typeof WebAssembly };
    const code = (p) => p.then(() => 'resolved', (e) => e.code || 'no code: ' + e);
    const jpeg = await (await fetch('images/cat.jpg')).arrayBuffer();
    const brief = (r) => ({ where: r.where, label: r.top[0].label, keys: Object.keys(r).sort(), ms: Object.keys(r.ms), top: r.top, logits: r.logits });
    const m = await edgerun.load('models/resnet20-cifar10.wasm', { fallback });
    out.model = brief(await m.run({ input: jpeg, crop: true }));
    out.info = { name: m.info.name, remote: m.info.remote, inputs: m.info.inputs, labels: m.info.labels, frozen: Object.isFrozen(m.info), memory: m.memoryBytes };
    out.errors = [await code(m.run('{')), await code(m.run({ input: 'not*base64' })), await code(m.run({ type: 'tensor', input: [1, 2] })), await code(m.run(42))];
    out.tensors = await m.runTensors({ input: { data: new Float32Array(3072) } }).then(() => 'resolved', (e) => [e.code, e.message]);
    m.dispose();
    out.disposed = await code(m.run({ input: jpeg }));
    out.missing = brief(await (await edgerun.load('models/no-such-model.wasm', { fallback })).run({ input: jpeg, crop: true }));
    out.noFallback = await edgerun.load('models/resnet20-cifar10.wasm').then(() => ['resolved'], (e) => [e.code, e.message]);
    out.noFallback404 = await edgerun.load('models/no-such-model.wasm').then(() => ['resolved'], (e) => [e.code, e.message]);
    out.badServer = await edgerun.load('models/no-such-model.wasm', { fallback: fallback.replace(/[^/]*$/, 'nope') }).then(() => ['resolved'], (e) => [e.code, e.message]);
    return out;
};
`;
const ESM = `import edgerun from './edgerun.mjs';\nwindow.shim = edgerun;\n`;

let web, serve, serveUrl, fallback, profiles = [], requests = [];

function startEdgerunServe(origin) {
    const p = spawn(process.execPath, [join(ROOT, 'bin/edgerun.mjs'), 'serve', RESNET20, '--port', '0', '--workers', '1', '--cors', origin],
        { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((ok, no) => {
        let text = '';
        const timer = setTimeout(() => no(Error(`edgerun serve did not start: ${text}`)), 60000);
        const on = (d) => {
            text += d;
            const m = /listening on (http:\/\/\S+?) /.exec(text);
            if (m) {
                clearTimeout(timer);
                ok([p, m[1]]);
            }
        };
        p.stdout.on('data', on);
        p.stderr.on('data', on);
        p.on('exit', (c) => no(Error(`edgerun serve exited with ${c}: ${text}`)));
    });
}

before(async () => {
    // The page's server: the files above, index.html (global shim) and esm.html.
    web = http.createServer((req, res) => {
        const path = new URL(req.url, 'http://x').pathname;
        requests.push(path);
        const csp = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${serveUrl}`;
        const pages = {
            '/': ['<!doctype html><script src="edgerun.min.js"></script><script src="checks.js"></script>', 'text/html'],
            '/esm.html': ['<!doctype html><script src="checks.js"></script><script type="module" src="esm.js"></script>', 'text/html'],
            '/checks.js': [CHECKS, JS],
            '/esm.js': [ESM, JS],
        };
        const f = FILES[path], p = pages[path];
        if (!f && !p) {
            res.writeHead(404, { 'Content-Security-Policy': csp }).end('not found');
            return;
        }
        res.writeHead(200, { 'Content-Type': f ? f[1] : p[1], 'Content-Security-Policy': csp });
        res.end(f ? readFileSync(f[0]) : p[0]);
    });
    await new Promise((ok) => web.listen(0, '127.0.0.1', ok));
    const origin = `http://127.0.0.1:${web.address().port}`;
    [serve, serveUrl] = await startEdgerunServe(origin);
    fallback = `${serveUrl}/v1/models/resnet20-cifar10`;
});

after(async () => {
    serve?.kill();
    web?.close();
    for (const d of profiles) rmSync(d, { recursive: true, force: true });
});

async function inChromium(args, pagePath) {
    const profile = mkdtempSync(join(tmpdir(), 'edgerun-fallback-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM, headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', ...args],
    });
    try {
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => m.type() == 'error' && !/404|Failed to load resource/.test(m.text()) && errors.push(m.text()));
        requests = [];
        await page.goto(`http://127.0.0.1:${web.address().port}${pagePath}`);
        await page.waitForFunction(() => window.go && (window.edgerun || window.shim));
        const r = await page.evaluate((f) => window.go(window.shim || window.edgerun, f), fallback);
        assert.deepEqual(errors, []);
        return r;
    } finally {
        await context.close();
    }
}

// What every page must see when the model runs remotely.
function assertRemote(r) {
    assert.equal(r.model.where, 'remote');
    assert.equal(r.model.label, 'cat');
    assert.deepEqual(r.model.keys, ['labels', 'logits', 'ms', 'output', 'top', 'where']);
    assert.deepEqual(r.model.ms, ['decode', 'prepare', 'infer']);
    assert.deepEqual(r.info, {
        name: 'resnet20-cifar10', remote: fallback, frozen: true, memory: 0,
        inputs: [{ name: 'input', dtype: 'float32', dims: [1, 3, 32, 32], bytes: 12288 }],
        labels: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    });
    assert.deepEqual(r.errors, ['E_JSON', 'E_BASE64', 'E_SHAPE', 'E_FIELD']);
    assert.equal(r.tensors[0], 'E_UNSUPPORTED');
    assert.match(r.tensors[1], /runs remotely/);
    assert.equal(r.disposed, 'E_DISPOSED');
    assert.equal(r.missing.where, 'remote');
    assert.deepEqual(r.missing.top, r.model.top);
    assert.equal(r.noFallback404[0], 'E_LOAD');
    assert.doesNotMatch(r.noFallback404[1], /fallback/);
    assert.equal(r.badServer[0], 'E_LOAD');
    assert.match(r.badServer[1], /the fallback failed too: E_NOT_FOUND: no model named "nope"/);
}

for (const [name, path] of [['the global edgerun.min.js', '/'], ['the ESM edgerun.mjs', '/esm.html']]) {
    test(`without WebAssembly, ${name} runs remotely on edgerun serve`, async () => {
        const r = await inChromium(['--js-flags=--jitless'], path);
        assert.equal(r.wasm, 'undefined');
        assertRemote(r);
        assert.equal(r.noFallback[0], 'E_LOAD');
        assert.match(r.noFallback[1], /^edgerun\.load: models\/resnet20-cifar10\.wasm: WebAssembly is not defined$/);
        assert.ok(requests.includes('/edgerun-remote.js'), requests.join(' '));
        // No .wasm was fetched: the shim needs no WebAssembly to go remote.
        assert.ok(!requests.some((p) => p.endsWith('.wasm')), requests.join(' '));
    });
}

test('with WebAssembly, a module that fails to load runs remotely, one that loads runs locally', async () => {
    const r = await inChromium([], '/');
    assert.equal(r.wasm, 'object');
    // models/resnet20-cifar10.wasm loads here: a local model, whatever the fallback.
    assert.equal(r.model.where, 'local');
    assert.equal(r.model.label, 'cat');
    assert.deepEqual(r.model.keys, ['labels', 'logits', 'ms', 'output', 'top', 'where']);
    assert.equal(r.info.remote, undefined);
    assert.deepEqual(r.errors, ['E_JSON', 'E_BASE64', 'E_SHAPE', 'E_FIELD']);
    assert.equal(r.tensors, 'resolved');
    assert.equal(r.noFallback[0], 'resolved');
    // The 404 module went remote, with the local model's answer.
    assert.equal(r.missing.where, 'remote');
    assert.deepEqual(r.missing.top.map((t) => t.label), r.model.top.map((t) => t.label));
    for (const [a, b] of r.missing.logits.map((v, i) => [v, r.model.logits[i]])) assert.ok(Math.abs(a - b) < 1e-3, `${a} vs ${b}`);
    assert.equal(r.noFallback404[0], 'E_LOAD');
    assert.match(r.noFallback404[1], /^edgerun\.load: models\/no-such-model\.wasm: HTTP 404/);
    assert.match(r.badServer[1], /^edgerun\.load: models\/no-such-model\.wasm: HTTP 404.*; the fallback failed too: E_NOT_FOUND/);
});
