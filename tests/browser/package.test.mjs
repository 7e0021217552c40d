// The npm package as a user gets it: `npm pack`, then `npm install` of the
// tarball into a fresh app (offline: the package has no dependencies), then
//   (a) node: `import { load } from 'edgerun'`, `require('edgerun')`, worker
//       mode, and the `edgerun` command from node_modules/.bin;
//   (b) a Vite app (vite build + vite preview) and a webpack 5 app, each
//       importing the shim and a model by URL, in Debian's chromium;
//   (c) a page with <script src=".../edgerun.min.js"> served from the
//       installed package's files;
//   and tsc --strict on an example that uses every call, typed through the
//   package's own "types" export.
// Every page classifies CIFAR-10 test images in the thread and in worker mode,
// under the demo server's CSP (script-src 'self' 'wasm-unsafe-eval': a blob:
// worker would be refused), and must give the reference CSV's predictions.
//
// Needs `make package-files` and chromium (`make deps-test`); vite and webpack
// are devDependencies. Run: node --test tests/browser/package.test.mjs
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from '../../demo/serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');
const CHROMIUM = '/usr/bin/chromium';
function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
need(join(ROOT, 'lib/wasm32-emscripten/build.json'), 'package-files');
need(CHROMIUM, 'deps-test');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const IMAGES = ['airplane/0000.jpg', 'cat/0000.jpg', 'frog/0001.jpg', 'ship/0000.jpg', 'truck/0001.jpg'];
const CSV = readFileSync(join(SHARED, 'data/cifar10-test-reference.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
const col = CSV[0].indexOf('pred_resnet20');
// resnet20's predictions for IMAGES, by the reference (Pillow + PyTorch).
const EXPECTED = IMAGES.map((f) => CLASSES[+CSV.find((r) => r[0] == f)[col]]);

let tmp, app, tarball, packed, context, profile;
const run = (cmd, args, opts = {}) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300000, ...opts });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
};

before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'edgerun-package-'));
    // --ignore-scripts: the prepack script (make package-files) has run before the tests.
    const out = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT });
    packed = JSON.parse(out)[0];
    tarball = join(tmp, packed.filename);
    app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'edgerun-test-app', version: '1.0.0', private: true }));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: app });
    for (const f of IMAGES) {
        mkdirSync(dirname(join(app, 'images', f)), { recursive: true });
        copyFileSync(join(SHARED, 'data/cifar10-test', f), join(app, 'images', f));
    }
    profile = mkdtempSync(join(tmpdir(), 'edgerun-package-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM, headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'],
    });
});

after(async () => {
    await context?.close();
    for (const d of [tmp, profile]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('npm pack', () => {
    test('ships the shim, worker, types, CLI, models and sources, and nothing of ../shared or the build', () => {
        const files = packed.files.map((f) => f.path).sort();
        console.log(`edgerun-${PKG.version}.tgz: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${files.length} files`);
        for (const f of ['package.json', 'README.md', 'LICENSE', 'THIRD-PARTY-NOTICES', 'js/edgerun.d.ts', 'bin/edgerun.mjs',
            'web/edgerun.js', 'web/edgerun.mjs', 'web/edgerun.min.js', 'web/edgerun-worker.js', 'web/edgerun-remote.js',
            'web/models/resnet20-cifar10.wasm', 'web/models/resnet56-cifar10.wasm', 'web/models/resnet20-cifar10.json',
            'web/models/resnet20-cifar10.relaxed.wasm', 'web/models/resnet56-cifar10.relaxed.wasm',
            'lib/wasm32-emscripten/build.json', 'lib/wasm32-emscripten/libedgerun-runtime.a', 'src/compiler/main.c',
            'js/server.mjs', 'js/server-worker.mjs'])
            assert.ok(files.includes(f), `${f} is in the package`);
        const allowed = /^(package\.json|README\.md|LICENSE|THIRD-PARTY-NOTICES|js\/edgerun\.d\.ts|js\/server(-worker)?\.mjs|bin\/edgerun\.mjs|web\/edgerun(\.min|-worker|-remote)?\.m?js|web\/models\/resnet(20|32|44|56)-cifar10\.(wasm|relaxed\.wasm|json)|lib\/wasm32-emscripten\/(libedgerun-(runtime|kernels)\.a|build\.json)|src\/(compiler|kernels)\/[\w.]+\.(c|h|def)|src\/runtime\/(er_model|edgerun)\.h)$/;
        for (const f of files) assert.match(f, allowed, `${f} should not be in the package`);
        // Nothing taken from ../shared: no .onnx, no images, no test data.
        assert.ok(!files.some((f) => /\.(onnx|jpe?g|png|pb|csv)$/i.test(f)));
    });

    test('package.json is publishable', () => {
        assert.notEqual(PKG.private, true);
        for (const k of ['name', 'version', 'description', 'license', 'repository', 'keywords', 'engines', 'files', 'exports', 'bin', 'types'])
            assert.ok(PKG[k], `package.json has ${k}`);
        assert.deepEqual(Object.keys(PKG.exports['.']).sort(), ['import', 'require', 'types']);
        assert.equal(PKG.exports['./models/*.wasm'], './web/models/*.wasm');
        assert.equal(PKG.exports['./server'], './js/server.mjs');
        assert.equal(PKG.exports['./edgerun-remote.js'], './web/edgerun-remote.js');
        assert.equal(PKG.bin.edgerun, 'bin/edgerun.mjs');
        assert.deepEqual(PKG.dependencies, undefined, 'no runtime dependencies');
    });
});

describe('(a) node, from the installed package', () => {
    test('import { load } from "edgerun" classifies the images as the reference does, in the thread and in a worker', () => {
        writeFileSync(join(app, 'esm.mjs'), `import { load } from 'edgerun';
import { readFileSync } from 'node:fs';
const model = import.meta.resolve('edgerun/models/resnet20-cifar10.wasm');
const images = ${JSON.stringify(IMAGES)};
const out = {};
for (const worker of [false, true]) {
    const m = await load(new URL(model), { worker });
    out[worker ? 'worker' : 'thread'] = [];
    for (const f of images) out[worker ? 'worker' : 'thread'].push((await m.run({ input: readFileSync('images/' + f) })).top[0].label);
    m.dispose();
}
console.log(JSON.stringify(out));
`);
        const out = JSON.parse(run(process.execPath, ['esm.mjs'], { cwd: app }));
        assert.deepEqual(out, { thread: EXPECTED, worker: EXPECTED });
    });

    test('require("edgerun") does the same', () => {
        writeFileSync(join(app, 'cjs.cjs'), `const edgerun = require('edgerun');
const { readFileSync } = require('node:fs');
(async () => {
    const m = await edgerun.load(require.resolve('edgerun/models/resnet20-cifar10.wasm'));
    const w = await edgerun.load(require.resolve('edgerun/models/resnet20-cifar10.wasm'), { worker: true });
    const out = { thread: [], worker: [] };
    for (const f of ${JSON.stringify(IMAGES)}) {
        out.thread.push((await m.run({ input: readFileSync('images/' + f) })).top[0].label);
        out.worker.push((await w.run({ input: readFileSync('images/' + f) })).top[0].label);
    }
    console.log(JSON.stringify(out));
})();
`);
        const out = JSON.parse(run(process.execPath, ['cjs.cjs'], { cwd: app }));
        assert.deepEqual(out, { thread: EXPECTED, worker: EXPECTED });
    });

    test('the edgerun command is installed and classifies', () => {
        const out = run(join(app, 'node_modules/.bin/edgerun'), ['classify', ...IMAGES.map((f) => 'images/' + f)], { cwd: app });
        assert.deepEqual(out.trim().split('\n').map((l) => l.match(/: (\w+) /)[1]), EXPECTED);
        assert.match(run(join(app, 'node_modules/.bin/edgerun'), ['info', 'resnet56-cifar10'], { cwd: app }), /MACs +125\.49 M/);
    });

    test('edgerun serve runs from the installed package, and edgerun/server exports startServer', async () => {
        const p = spawn(join(app, 'node_modules/.bin/edgerun'), ['serve', '--port', '0', '--workers', '1', 'resnet20-cifar10'],
            { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '', err = '';
        p.stderr.on('data', (d) => (err += d));
        const exit = new Promise((r) => p.on('exit', (code) => r(code)));
        try {
            const url = await new Promise((resolve, reject) => {
                p.stdout.on('data', (d) => {
                    out += d;
                    const m = /listening on (http:\/\/\S+)/.exec(out);
                    if (m) resolve(m[1]);
                });
                exit.then((code) => reject(Error(`edgerun serve exited (${code}): ${err}`)));
            });
            const labels = [];
            for (const f of IMAGES) {
                const r = await fetch(`${url}/v1/models/resnet20-cifar10:run`, { method: 'POST',
                    body: JSON.stringify({ input: readFileSync(join(app, 'images', f)).toString('base64') }) });
                assert.equal(r.status, 200);
                labels.push((await r.json()).top[0].label);
            }
            assert.deepEqual(labels, EXPECTED);
        } finally {
            p.kill('SIGTERM');
        }
        assert.equal(await exit, 0, err);
        writeFileSync(join(app, 'server.mjs'), "import { startServer } from 'edgerun/server';\nconsole.log(typeof startServer);\n");
        assert.equal(run(process.execPath, ['server.mjs'], { cwd: app }).trim(), 'function');
    });

    test('tsc --strict checks an example that uses every call, typed by the package', (t) => {
        if (spawnSync('tsc', ['--version']).error) return t.skip('tsc not found (Debian: node-typescript, `make deps-test`)');
        copyFileSync(join(ROOT, 'tests/js/types-example.ts'), join(app, 'example.ts'));
        for (const mod of [['--module', 'node16', '--moduleResolution', 'node16'], ['--module', 'es2020', '--moduleResolution', 'node']]) {
            const r = spawnSync('tsc', ['--noEmit', '--strict', '--target', 'es2020', '--lib', 'es2020,dom', ...mod, 'example.ts'],
                { cwd: app, encoding: 'utf8' });
            assert.equal(r.status, 0, `tsc ${mod.join(' ')}: ${r.stdout}${r.stderr}`);
        }
        // And it does check: a wrong use is an error.
        writeFileSync(join(app, 'wrong.ts'), `import { load } from 'edgerun';\nload('m.wasm', { worker: 42 });\n`);
        const r = spawnSync('tsc', ['--noEmit', '--strict', '--target', 'es2020', '--lib', 'es2020,dom', '--module', 'node16', '--moduleResolution', 'node16', 'wrong.ts'],
            { cwd: app, encoding: 'utf8' });
        assert.notEqual(r.status, 0);
        assert.match(r.stdout, /wrong\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string \| boolean \| URL \| undefined'/);
    });
});

// ---- pages in chromium ------------------------------------------------------------

// What every page runs: the images, classified in the thread and in a worker.
const PAGE_CODE = (imports, loadArgs) => `${imports}
const IMAGES = ${JSON.stringify(IMAGES)};
async function classify(options) {
    const m = await load(${loadArgs}, options);
    const labels = [];
    for (const f of IMAGES) {
        const bytes = await (await fetch('images/' + f)).arrayBuffer();
        labels.push((await m.run({ input: bytes })).top[0].label);
    }
    m.dispose();
    return labels;
}
window.result = (async () => ({ thread: await classify(), worker: await classify({ worker: true }) }))()
    .catch((e) => ({ error: (e.code || '') + ': ' + e.message }));
`;

async function serve(root) {
    const server = createServer(root);
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
const freePort = () => new Promise((ok) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => ok(port));
    });
});

// Opens url, waits for window.result; no page error, no CSP violation, and
// every worker came from a real URL on the page's origin.
async function resultOf(url) {
    const page = await context.newPage();
    const errors = [], workers = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // (The browser's own request for /favicon.ico is not the page's.)
    // A bundler renames the model (hash.wasm) and leaves its relaxed-SIMD twin behind: the shim
    // asks for hash.relaxed.wasm, gets a 404 and falls back to the plain module, as documented.
    page.on('console', (m) => m.type() == 'error' && !/favicon\.ico|\.relaxed\.wasm$/.test(m.location().url) &&
        errors.push(`${m.text()} ${m.location().url}`));
    page.on('worker', (w) => workers.push(w.url()));
    try {
        await page.goto(url);
        const result = await page.evaluate(() => window.result);
        assert.deepEqual(errors, [], 'page errors');
        assert.ok(workers.length >= 1, 'a worker ran');
        for (const w of workers) assert.ok(w.startsWith(new URL(url).origin + '/'), `worker from ${w}`);
        return { result, workers };
    } finally {
        await page.close();
    }
}

describe('(b) bundlers', () => {
    test('a Vite app: vite build, vite preview, classified in chromium', async () => {
        const { build, preview, version } = await import('vite');
        const root = join(app, 'vite-app');
        mkdirSync(join(root, 'public'), { recursive: true });
        cpSync(join(app, 'images'), join(root, 'public/images'), { recursive: true });
        writeFileSync(join(root, 'index.html'), '<!doctype html><title>edgerun + vite</title><script type="module" src="/main.js"></script>\n');
        writeFileSync(join(root, 'main.js'), PAGE_CODE(`import { load } from 'edgerun';
import modelUrl from 'edgerun/models/resnet20-cifar10.wasm?url';`, 'modelUrl'));
        const dist = join(root, 'dist');
        await build({ root, configFile: false, logLevel: 'error', build: { outDir: dist, emptyOutDir: true } });
        const assets = readdirSync(join(dist, 'assets'));
        assert.ok(assets.some((f) => /^resnet20-cifar10-.*\.wasm$/.test(f)), `the model is an asset: ${assets}`);
        assert.ok(assets.some((f) => /^edgerun-worker-.*\.js$/.test(f)), `the worker is its own file: ${assets}`);
        assert.ok(!assets.some((f) => /resnet(32|44|56)/.test(f)), 'only the imported model is in the build');
        const port = await freePort();
        const server = await preview({ root, configFile: false, logLevel: 'error', build: { outDir: dist },
            preview: { port, strictPort: true, host: '127.0.0.1', headers: { 'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'" } } });
        try {
            const { result, workers } = await resultOf(`http://127.0.0.1:${port}/`);
            console.log(`vite ${version}: worker ${workers.join(', ')}`);
            assert.deepEqual(result, { thread: EXPECTED, worker: EXPECTED });
        } finally {
            await server.close();
        }
    });

    test('the same Vite app in `vite dev`, with edgerun excluded from dependency pre-bundling as the README says', async () => {
        // Pre-bundling would move the shim into Vite's cache, away from its worker file.
        const { createServer: viteServer } = await import('vite');
        const root = join(app, 'vite-app');
        const port = await freePort();
        const server = await viteServer({ root, configFile: false, logLevel: 'error', optimizeDeps: { exclude: ['edgerun'] },
            server: { port, strictPort: true, host: '127.0.0.1' } });
        await server.listen();
        try {
            const { result, workers } = await resultOf(`http://127.0.0.1:${port}/`);
            assert.deepEqual(result, { thread: EXPECTED, worker: EXPECTED });
            assert.ok(workers.every((w) => /\/node_modules\/edgerun\/web\/edgerun-worker\.js/.test(w)), workers.join(' '));
        } finally {
            await server.close();
        }
    });

    test('a webpack 5 app: built, served, classified in chromium', async () => {
        const { default: webpack } = await import('webpack');
        const root = join(app, 'webpack-app');
        mkdirSync(join(root, 'src'), { recursive: true });
        writeFileSync(join(root, 'src/index.js'), PAGE_CODE(`import { load } from 'edgerun';
import modelUrl from 'edgerun/models/resnet20-cifar10.wasm';`, 'modelUrl'));
        const dist = join(root, 'dist');
        const stats = await new Promise((ok, no) => webpack({
            mode: 'production', context: root, entry: './src/index.js',
            output: { path: dist, filename: 'main.js', clean: true },
            module: { rules: [{ test: /\.wasm$/, type: 'asset/resource' }] },
            performance: { hints: false },
        }, (err, s) => (err ? no(err) : ok(s))));
        assert.ok(!stats.hasErrors(), stats.toString('errors-only'));
        assert.ok(!stats.hasWarnings(), stats.toString('errors-warnings'));
        writeFileSync(join(dist, 'index.html'), '<!doctype html><title>edgerun + webpack</title><script src="main.js"></script>\n');
        cpSync(join(app, 'images'), join(dist, 'images'), { recursive: true });
        const files = readdirSync(dist);
        assert.ok(files.some((f) => f.endsWith('.wasm')), `the model is an asset: ${files}`);
        const server = await serve(dist);
        try {
            const { result, workers } = await resultOf(`${server.url}/`);
            console.log(`webpack ${webpack.version}: worker ${workers.join(', ')}`);
            assert.deepEqual(result, { thread: EXPECTED, worker: EXPECTED });
        } finally {
            server.close();
        }
    });
});

describe('(c) a script tag', () => {
    test('<script src="node_modules/edgerun/web/edgerun.min.js"> served from the installed package', async () => {
        writeFileSync(join(app, 'index.html'), '<!doctype html><title>edgerun, script tag</title>\n' +
            '<script src="node_modules/edgerun/web/edgerun.min.js"></script>\n<script src="page.js"></script>\n');
        writeFileSync(join(app, 'page.js'), PAGE_CODE('const { load } = edgerun;', "'node_modules/edgerun/web/models/resnet20-cifar10.wasm'"));
        const server = await serve(app);
        try {
            const { result, workers } = await resultOf(`${server.url}/`);
            assert.deepEqual(result, { thread: EXPECTED, worker: EXPECTED });
            assert.deepEqual(workers, [`${server.url}/node_modules/edgerun/web/edgerun-worker.js`], 'the worker next to the script');
        } finally {
            server.close();
        }
    });
});
