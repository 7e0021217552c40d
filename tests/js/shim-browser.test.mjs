// The shim in Debian's chromium, under the strictest CSP it is meant for
// (script-src 'self' 'wasm-unsafe-eval'; nothing inline, no eval, no blob:):
// as a classic script defining the global, as an ES module, and in a classic
// Worker through importScripts. Each loads the classifier fixture by URL (so
// through fetch and streaming compilation) and must give the logits node gives.
//
// Needs `make shim fixtures` and chromium (`make deps-test`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
const CLASSIFIER = need(join(ROOT, 'build/fixtures/fixture-classifier.wasm'), 'fixtures');
need(CHROMIUM, 'deps-test');
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'";

// What every page runs (as source text) and node runs too: one tensor request
// through run(), the same tensor through runTensors(), an error, and whether
// compileStreaming was used.
async function probe(edgerun, source) {
    const real = WebAssembly.compileStreaming;
    let streamed = 0;
    WebAssembly.compileStreaming = (r) => (streamed++, real.call(WebAssembly, r));
    try {
        const m = await edgerun.load(source);
        const x = new Float32Array(3072).map((_, i) => (i % 17) / 8 - 1);
        const r = await m.run({ type: 'tensor', input: x });
        const t = await m.runTensors({ input: { data: x } });
        const error = await m.run('{').then(() => 'resolved', (e) => e.code);
        return { streamed, size: m.info.size, logits: r.logits, tensorLogits: Array.from(t.logits.data), error };
    } finally {
        WebAssembly.compileStreaming = real;
    }
}
const PROBE = `${probe}\nconst WASM = 'fixture-classifier.wasm';`;
const FILES = {
    '/edgerun.min.js': () => readFileSync(need(join(ROOT, 'web/edgerun.min.js'), 'shim')),
    '/edgerun.mjs': () => readFileSync(need(join(ROOT, 'web/edgerun.mjs'), 'shim')),
    '/fixture-classifier.wasm': () => readFileSync(CLASSIFIER),
    '/csp.js': () => `window.violations = [];
        document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));`,
    '/global.html': () => '<script src="csp.js"></script><script src="edgerun.min.js"></script><script src="global.js"></script>',
    '/global.js': () => `${PROBE}\nwindow.result = probe(edgerun, WASM).then((r) => ({ ...r, global: typeof edgerun.load }));`,
    '/module.html': () => '<script src="csp.js"></script><script type="module" src="module.js"></script>',
    '/module.js': () => `import edgerun, { load } from './edgerun.mjs';\n${PROBE}\n` +
        `window.result = probe(edgerun, WASM).then((r) => ({ ...r, named: load === edgerun.load, global: typeof globalThis.edgerun }));`,
    '/worker.html': () => '<script src="csp.js"></script><script src="worker-page.js"></script>',
    '/worker-page.js': () => `window.result = new Promise((ok, fail) => {
        const w = new Worker('worker.js');
        w.onmessage = (e) => ok(e.data);
        w.onerror = (e) => fail(new Error('worker: ' + e.message));
    });`,
    '/worker.js': () => `importScripts('edgerun.min.js');\n${PROBE}\n` +
        `probe(self.edgerun, WASM).then((r) => postMessage(r), (e) => postMessage({ failed: e.code + ': ' + e.message }));`,
};
const TYPES = { html: 'text/html', js: 'text/javascript', mjs: 'text/javascript', wasm: 'application/wasm' };

let server, base, context, expected, profile;

before(async () => {
    server = createServer((req, res) => {
        const file = FILES[new URL(req.url, 'http://x').pathname];
        if (!file) return res.writeHead(404, { 'content-security-policy': CSP }).end();
        const body = Buffer.from(file());
        res.writeHead(200, { 'content-type': TYPES[req.url.split('.').pop()], 'content-length': body.length,
            'content-security-policy': CSP }).end(body);
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${server.address().port}`;
    // What node computes for the same request, with the same module.
    const { default: edgerun } = await import(pathToFileURL(need(join(ROOT, 'web/edgerun.mjs'), 'shim')));
    expected = await probe(edgerun, CLASSIFIER);
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'edgerun-shim-browser-'));
    context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'],
    });
});

after(async () => {
    await context?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
});

async function resultOf(path) {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Chromium validates relaxed SIMD, so the shim first asks for the module's
    // relaxed twin; the fixture has none, and that 404 (logged by the browser)
    // is the documented fallback to the plain module, not an error.
    const twins = [];
    page.on('request', (r) => /\.relaxed\.wasm$/.test(r.url()) && twins.push(r.url()));
    page.on('console', (m) => m.type() == 'error' && !/404/.test(m.text()) && errors.push(m.text()));
    try {
        await page.goto(base + path);
        const result = await page.evaluate(() => window.result);
        const violations = await page.evaluate(() => window.violations);
        assert.deepEqual(violations, [], 'CSP violations');
        assert.deepEqual(errors, [], 'page errors');
        assert.ok(twins.length >= 1, 'the relaxed-SIMD twin was asked for first');
        return result;
    } finally {
        await page.close();
    }
}

function sameAsNode(r) {
    assert.equal(r.failed, undefined, r.failed);
    assert.equal(r.streamed, 1, 'compiled while downloading (application/wasm)');
    assert.equal(r.size, readFileSync(CLASSIFIER).length, 'size from Content-Length');
    assert.equal(r.error, 'E_JSON');
    assert.equal(r.logits.length, 10);
    for (let i = 0; i < 10; i++) {
        assert.ok(Math.abs(r.logits[i] - expected.logits[i]) <= 1e-5 * (1 + Math.abs(expected.logits[i])), `logits[${i}]`);
        assert.ok(Math.abs(r.tensorLogits[i] - r.logits[i]) <= 1e-5 * (1 + Math.abs(r.logits[i])), `runTensors logits[${i}]`);
    }
}

test('a script tag defines the global edgerun, under CSP', async () => {
    const r = await resultOf('/global.html');
    sameAsNode(r);
    assert.equal(r.global, 'function');
});

test('an ES module import works in the browser and defines no global', async () => {
    const r = await resultOf('/module.html');
    sameAsNode(r);
    assert.equal(r.named, true);
    assert.equal(r.global, 'undefined');
});

test('a classic Worker runs the shim through importScripts', async () => {
    sameAsNode(await resultOf('/worker.html'));
});
