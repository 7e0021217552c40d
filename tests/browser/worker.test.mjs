// Worker mode in Debian's chromium, under the demo's CSP (script-src 'self'
// 'wasm-unsafe-eval'; a blob: or data: worker would be refused):
// - the main thread stays responsive: requestAnimationFrame keeps >= 50 fps
//   during 100 back-to-back resnet56 runs in worker mode; the same runs on the
//   main thread, measured alongside, show what the worker saves the page;
// - the worker gives the thread's answers and error codes, and the worker URL
//   can be overridden (a missing one is E_LOAD);
// - the demo page runs its models in edgerun-worker.js.
//
// Needs `make demo-site package-files` and chromium (`make deps-test`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from '../../demo/serve.mjs';
import { startDemoServer } from './demo-server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');
const CHROMIUM = '/usr/bin/chromium';
function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
const FILES = {
    'edgerun.min.js': need(join(ROOT, 'web/edgerun.min.js'), 'shim'),
    'edgerun-worker.js': need(join(ROOT, 'web/edgerun-worker.js'), 'shim'),
    'models/resnet56-cifar10.wasm': need(join(ROOT, 'web/models/resnet56-cifar10.wasm'), 'resnets'),
    // Chromium runs relaxed SIMD, so the shim asks for the twin first.
    'models/resnet56-cifar10.relaxed.wasm': need(join(ROOT, 'web/models/resnet56-cifar10.relaxed.wasm'), 'resnets'),
    'images/cat.jpg': need(join(SHARED, 'data/cifar10-test/cat/0000.jpg'), '(nothing: ../shared is missing)'),
};
need(CHROMIUM, 'deps-test');
const RUNS = 100;

// The page: a rAF loop counts frames while `runs` resnet56 runs go back to back.
const PAGE_JS = `
async function measure(worker, runs) {
    const m = await edgerun.load('models/resnet56-cifar10.wasm', { worker });
    const x = new Float32Array(3072).map((_, i) => Math.sin(i));
    await m.runTensors({ input: { data: x } }); // warm-up: compiled, memory grown
    let frames = 0, last = 0, longest = 0, running = true;
    const tick = (t) => {
        if (last) longest = Math.max(longest, t - last);
        last = t;
        frames++;
        if (running) requestAnimationFrame(tick);
    };
    await new Promise((ok) => requestAnimationFrame((t) => { last = t; ok(); }));
    requestAnimationFrame(tick);
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await m.runTensors({ input: { data: x } });
    const seconds = (performance.now() - t0) / 1000;
    running = false;
    m.dispose();
    return { fps: frames / seconds, longestFrameMs: longest, msPerRun: (seconds * 1000) / runs };
}
async function same() {
    const jpeg = await (await fetch('images/cat.jpg')).arrayBuffer();
    const requests = [{ input: jpeg }, { input: jpeg, crop: true, top: 10 }, { type: 'tensor', input: new Float32Array(3072).fill(0.5) },
        '{', { input: new Uint8Array([1, 2, 3, 4]) }, { input: 'not*base64' }, { type: 'tensor', input: [1, 2] }];
    const out = {};
    for (const worker of [false, true]) {
        const m = await edgerun.load('models/resnet56-cifar10.wasm', { worker });
        out[worker ? 'worker' : 'thread'] = [];
        for (const q of requests)
            out[worker ? 'worker' : 'thread'].push(await m.run(q).then((r) => ({ top: r.top, logits: r.logits }), (e) => e.code));
        m.dispose();
    }
    out.missingWorker = await edgerun.load('models/resnet56-cifar10.wasm', { worker: 'no-such-worker.js' }).then(() => 'loaded', (e) => e.code);
    const copy = await edgerun.load('models/resnet56-cifar10.wasm', { worker: 'copy/edgerun-worker.js' });
    out.overridden = (await copy.run({ input: jpeg })).top[0].label;
    copy.dispose();
    return out;
}
window.go = async (what) => (what == 'same' ? same() : measure(what == 'worker', ${RUNS}));
`;

let server, context, profile, root, base;

before(async () => {
    root = mkdtempSync(join(tmpdir(), 'edgerun-worker-browser-'));
    for (const [to, from] of Object.entries({ ...FILES, 'copy/edgerun-worker.js': FILES['edgerun-worker.js'] })) {
        mkdirSync(dirname(join(root, to)), { recursive: true });
        copyFileSync(from, join(root, to));
    }
    writeFileSync(join(root, 'page.js'), PAGE_JS);
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>worker</title><script src="edgerun.min.js"></script><script src="page.js"></script>\n');
    server = createServer(root);
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${server.address().port}/`;
    profile = mkdtempSync(join(tmpdir(), 'edgerun-worker-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM, headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'],
    });
});

after(async () => {
    await context?.close();
    server?.close();
    for (const d of [root, profile]) if (d) rmSync(d, { recursive: true, force: true });
});

async function onPage(what) {
    const page = await context.newPage();
    const errors = [], workers = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() == 'error' && !/favicon\.ico|no-such-worker/.test(m.location().url) && errors.push(m.text()));
    page.on('worker', (w) => workers.push(w.url()));
    try {
        await page.goto(base);
        const r = await page.evaluate((w) => window.go(w), what);
        assert.deepEqual(errors, []);
        return { r, workers };
    } finally {
        await page.close();
    }
}

test(`requestAnimationFrame keeps >= 50 fps during ${RUNS} back-to-back resnet56 runs in worker mode`, async () => {
    const { r: worker, workers } = await onPage('worker');
    const { r: thread } = await onPage('thread');
    const line = (m) => `${m.fps.toFixed(1)} fps, longest frame ${m.longestFrameMs.toFixed(0)} ms, ${m.msPerRun.toFixed(1)} ms per run`;
    console.log(`resnet56 x${RUNS}: worker mode ${line(worker)}; on the main thread ${line(thread)}`);
    assert.deepEqual(workers, [`${base}edgerun-worker.js`]);
    assert.ok(worker.fps >= 50, `worker mode: ${line(worker)}`);
    // The control: the same runs on the main thread starve the frames. (Each run
    // takes tens of ms here, so the page can draw at most one frame per run.)
    assert.ok(thread.fps < 50, `main thread: ${line(thread)}`);
});

test('the worker gives the thread\'s answers and error codes; its URL can be overridden', async () => {
    const { r, workers } = await onPage('same');
    assert.deepEqual(r.worker, r.thread);
    assert.equal(r.thread[0].top[0].label, 'cat');
    assert.deepEqual(r.thread.slice(3), ['E_JSON', 'E_DECODE', 'E_BASE64', 'E_SHAPE']);
    assert.equal(r.missingWorker, 'E_LOAD');
    assert.equal(r.overridden, 'cat');
    assert.ok(workers.includes(`${base}copy/edgerun-worker.js`), workers.join(' '));
});

test('the demo runs its models in edgerun-worker.js', async () => {
    const web = need(join(ROOT, 'web/index.html'), 'demo-site');
    const demo = await startDemoServer(dirname(web));
    const page = await context.newPage();
    const workers = [], log = [];
    page.on('worker', (w) => workers.push(w.url()));
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    try {
        await page.goto(demo.url);
        await page.waitForSelector('body[data-ready]', { timeout: 60000 });
        assert.deepEqual(workers, [new URL('edgerun-worker.js', demo.url).href]);
        // A gallery image is classified (by the worker: the page has no model of its own).
        await page.click('#gallery button, #gallery [data-name]');
        await page.waitForFunction(() => Number(document.querySelector('#result')?.dataset.runs) >= 1, null, { timeout: 60000 })
            .catch(async (e) => {
                const state = await page.evaluate(() => JSON.stringify({ result: { ...document.querySelector('#result')?.dataset },
                    status: document.querySelector('#status')?.textContent, body: { ...document.body.dataset } }));
                throw new Error(`${e.message}\npage log:\n${log.join('\n')}\nstate: ${state}`);
            });
        assert.ok(await page.getAttribute('#result', 'data-label'));
    } finally {
        await page.close();
        demo.stop();
    }
});
