// The relaxed-SIMD twin in Chromium, which enables relaxed SIMD by default:
// edgerun.load('NAME.wasm') downloads NAME.relaxed.wasm and nothing else, its
// logits match the plain module's (run in node, which cannot run the twin
// without a flag), and {relaxed: false} downloads only the plain module.
// Needs `make` (resnet20 and its twin) and chromium (`make deps-test`).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const need = (p) => {
    assert.ok(existsSync(p), `${p} is missing: run make`);
    return p;
};
const PLAIN = need(join(ROOT, 'web/models/resnet20-cifar10.wasm'));
const TWIN = need(join(ROOT, 'web/models/resnet20-cifar10.relaxed.wasm'));
const FILES = {
    '/edgerun.min.js': [join(ROOT, 'web/edgerun.min.js'), 'text/javascript'],
    '/m/resnet20-cifar10.wasm': [PLAIN, 'application/wasm'],
    '/m/resnet20-cifar10.relaxed.wasm': [TWIN, 'application/wasm'],
    '/edgerun-worker.js': [join(ROOT, 'web/edgerun-worker.js'), 'text/javascript'],
    '/page.html': [null, 'text/html'],
};
const input = () => new Float32Array(3072).map((_, i) => Math.sin(i * 0.05) * 2);

let server, base, context, profile, expected;

before(async () => {
    server = createServer((req, res) => {
        const f = FILES[new URL(req.url, 'http://x').pathname];
        if (!f) return res.writeHead(404).end();
        const body = f[0] ? readFileSync(f[0]) : Buffer.from('<script src="edgerun.min.js"></script>');
        res.writeHead(200, { 'content-type': f[1], 'content-length': body.length }).end(body);
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${server.address().port}`;
    const { default: edgerun } = await import(pathToFileURL(join(ROOT, 'web/edgerun.mjs')));
    const m = await edgerun.load(PLAIN);
    expected = Array.from((await m.runTensors({ input: { data: input() } })).logits.data);
    m.dispose();
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'edgerun-relaxed-'));
    context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium',
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

async function loadIn(options) {
    const page = await context.newPage();
    const wasm = [];
    page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(new URL(r.url()).pathname));
    try {
        await page.goto(`${base}/page.html`);
        const r = await page.evaluate(async ([options, x]) => {
            const m = await edgerun.load('m/resnet20-cifar10.wasm', options);
            const out = await m.runTensors({ input: { data: new Float32Array(x) } });
            return { size: m.info.size, logits: Array.from(out.logits.data) };
        }, [options, Array.from(input())]);
        return { ...r, wasm };
    } finally {
        await page.close();
    }
}

function close(logits) {
    for (let i = 0; i < 10; i++) assert.ok(Math.abs(logits[i] - expected[i]) <= 1e-4, `logits[${i}] ${logits[i]} vs ${expected[i]}`);
}

test('Chromium should download only the relaxed twin and get the plain module\'s logits', async () => {
    const r = await loadIn(undefined);
    assert.deepEqual(r.wasm, ['/m/resnet20-cifar10.relaxed.wasm']);
    assert.equal(r.size, readFileSync(TWIN).length);
    close(r.logits);
});

test('{relaxed: false} should download only the plain module', async () => {
    const r = await loadIn({ relaxed: false });
    assert.deepEqual(r.wasm, ['/m/resnet20-cifar10.wasm']);
    assert.equal(r.size, readFileSync(PLAIN).length);
    close(r.logits);
});

test('worker mode should pick the twin too', async () => {
    const page = await context.newPage();
    const wasm = [];
    page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(new URL(r.url()).pathname));
    try {
        await page.goto(`${base}/page.html`);
        // The worker script is served next to the shim.
        const size = await page.evaluate(async () => {
            const m = await edgerun.load('m/resnet20-cifar10.wasm', { worker: true });
            const s = m.info.size;
            m.dispose();
            return s;
        });
        assert.equal(size, readFileSync(TWIN).length);
        assert.deepEqual(wasm, ['/m/resnet20-cifar10.relaxed.wasm']);
    } finally {
        await page.close();
    }
});
