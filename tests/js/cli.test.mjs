// The command line (bin/edgerun.mjs): every command, its output checked
// against independent answers (the CIFAR-10 reference CSV, the Makefile's own
// build of the same model, the model's info through the shim), and its errors:
// one line on stderr, a non-zero exit.
//
// `compile` builds the native compiler from the sources on first use, into a
// fresh cache here, and must then give the very module `make` gives.
// Needs `make package-files` (the models and their summaries, the prebuilt
// runtime) and emcc. Run: node --test tests/js/cli.test.mjs
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');
const CLI = join(ROOT, 'bin/edgerun.mjs');
function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
need(join(ROOT, 'lib/wasm32-emscripten/build.json'), 'package-files');
need(join(ROOT, 'web/models/resnet20-cifar10.json'), 'package-files');
const IMAGES = join(SHARED, 'data/cifar10-test');
const REFERENCE = readFileSync(need(join(SHARED, 'data/cifar10-test-reference.csv'), '(nothing: ../shared is missing)'), 'utf8')
    .trim().split('\n').slice(1).map((l) => l.split(','));
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
// What the reference says resnet20 (column 2) and resnet56 (column 5) answer for an image.
const reference = (path, col = 2) => CLASSES[+REFERENCE.find((f) => f[0] == path)[col]];

let tmp;
before(() => { tmp = mkdtempSync(join(tmpdir(), 'edgerun-cli-')); });
after(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (args, env) => run(args, env);
function run(args, env = {}) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: tmp, env: { ...process.env, ...env }, timeout: 300000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
// A failure: the exit status, and exactly one line on stderr matching pattern.
function fails(r, status, pattern) {
    assert.equal(r.status, status, `exit status; stderr: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => !/^\[\d\/\d\]|^ {6}built /.test(l)); // compile's step lines
    assert.equal(lines.length, 1, `one line of error, got:\n${r.stderr}`);
    assert.match(lines[0], /^edgerun: /);
    assert.match(lines[0], pattern);
}

describe('edgerun classify', () => {
    const cli = (args, env) => run(['classify', ...args], env);
    // The first two test images of every class: 20 files, so the bar shows.
    const files = CLASSES.flatMap((c) => [`${c}/0000.jpg`, `${c}/0001.jpg`]);

    test('one line per image with its top classes, as the reference predicts', () => {
        const r = cli(files.slice(0, 3).map((f) => join(IMAGES, f)));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr, '', 'no progress bar for three files off a terminal');
        const lines = r.stdout.trim().split('\n');
        assert.equal(lines.length, 3);
        lines.forEach((line, i) => {
            const m = line.match(/^(.+): (\w+) ([\d.]+)%, (\w+) ([\d.]+)%, (\w+) ([\d.]+)%$/);
            assert.ok(m, line);
            assert.equal(m[1], join(IMAGES, files[i]));
            assert.equal(m[2], reference(files[i]), line);
            assert.ok(+m[3] >= +m[5] && +m[5] >= +m[7], line);
        });
    });

    test('--json gives every file\'s top classes and timings; --model picks a shipped model', () => {
        const r = cli(['--json', '--model', 'resnet56-cifar10', '--top', '10', ...files.map((f) => join(IMAGES, f))]);
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.equal(out.length, files.length);
        let agree = 0;
        out.forEach((o, i) => {
            assert.equal(o.file, join(IMAGES, files[i]));
            assert.equal(o.top.length, 10);
            if (o.top[0].label == reference(files[i], 5)) agree++;
            assert.ok(Math.abs(o.top.reduce((a, t) => a + t.prob, 0) - 1) < 1e-4);
            assert.ok(o.ms.infer > 0);
        });
        // resnet56 agrees with the reference (Pillow's decoding) on 99.5% of the
        // test set; of these 20 it differs on deer/0000.jpg (cat 73%, deer 26%).
        assert.ok(agree >= 19, `${agree} of 20 agree with the reference`);
    });

    test('a model given by path', () => {
        const r = cli(['--model', join(ROOT, 'web/models/resnet32-cifar10.wasm'), join(IMAGES, 'ship/0000.jpg')]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`: ${reference('ship/0000.jpg', 3)} `));
    });

    test('a progress bar for more than a few files (on a terminal, or with --progress)', () => {
        const r = cli(['--progress', ...files.map((f) => join(IMAGES, f))]);
        assert.equal(r.status, 0);
        assert.match(r.stderr, /\r\[#{30}\] 20\/20 images/);
        assert.match(r.stderr, /\r\[#*\.+\] 1\/20 images/);
        assert.equal(r.stdout.trim().split('\n').length, 20);
        assert.equal(cli(['--no-progress', ...files.map((f) => join(IMAGES, f))]).stderr, '');
    });

    test('on a terminal the bar appears by itself from four files on', (t) => {
        // script(1) gives the command a pseudo-terminal; its output is the terminal's.
        if (spawnSync('script', ['--version']).error) return t.skip('script (util-linux) not found');
        const onTty = (n) => spawnSync('script', ['-qec', [process.execPath, CLI, 'classify', ...files.slice(0, n).map((f) => join(IMAGES, f))]
            .map((a) => `'${a}'`).join(' '), '/dev/null'], { encoding: 'utf8', timeout: 120000 }).stdout;
        assert.match(onTty(4), /\[#{30}\] 4\/4 images/);
        assert.doesNotMatch(onTty(3), /images/);
    });

    test('a missing file, a non-image and a directory: one line each, the rest classified, exit 1', () => {
        writeFileSync(join(tmp, 'notes.txt'), 'this is not an image\n');
        const r = cli([join(tmp, 'missing.jpg'), join(tmp, 'notes.txt'), join(IMAGES, 'cat/0000.jpg'), tmp]);
        assert.equal(r.status, 1);
        assert.deepEqual(r.stderr.trim().split('\n'), [
            `edgerun: classify: ${join(tmp, 'missing.jpg')}: no such file`,
            `edgerun: classify: ${join(tmp, 'notes.txt')}: not a decodable JPEG, PNG, BMP, GIF or TGA image (stb_image: unknown image type)`,
            `edgerun: classify: ${tmp}: is a directory`,
            'edgerun: classify: 3 of 4 files could not be classified',
        ]);
        assert.match(r.stdout, /cat\/0000\.jpg: cat /);
        fails(cli([join(tmp, 'missing.jpg')]), 1, /^edgerun: classify: .*missing\.jpg: no such file$/);
        fails(cli([join(tmp, 'notes.txt')]), 1, /notes\.txt: not a decodable .* image/);
        const j = cli(['--json', join(tmp, 'notes.txt')]);
        assert.equal(j.status, 1);
        assert.equal(JSON.parse(j.stdout)[0].error.code, 'E_DECODE');
    });

    test('command-line mistakes exit 2 with one line; a bad model exits 1', () => {
        fails(cli([]), 2, /classify: give one or more image files/);
        fails(cli(['--bogus', 'x.jpg']), 2, /unknown option --bogus/);
        fails(cli(['--top', 'x', 'x.jpg']), 2, /--top needs a positive integer/);
        fails(cli(['--model']), 2, /--model needs a value/);
        fails(cli(['--model', 'resnet99', 'x.jpg']), 1, /no model named "resnet99".*resnet20-cifar10/);
        fails(cli(['--model', join(tmp, 'nope.wasm'), 'x.jpg']), 1, /nope\.wasm: no such file/);
        fails(cli(['--model', join(tmp, 'notes.txt'), 'x.jpg']), 1, /notes\.txt: .*magic word/);
    });
});

describe('edgerun info', () => {
    test('prints what the model says about itself, and its summary', async () => {
        const r = cli(['info', 'resnet56-cifar10']);
        assert.equal(r.status, 0, r.stderr);
        const { default: edgerun } = await import(join(ROOT, 'web/edgerun.mjs'));
        const m = await edgerun.load(join(ROOT, 'web/models/resnet56-cifar10.wasm'));
        const summary = JSON.parse(readFileSync(join(ROOT, 'web/models/resnet56-cifar10.json'), 'utf8'));
        const row = (k) => (r.stdout.match(new RegExp(`^${k} +(.*)$`, 'm')) || [])[1];
        assert.equal(row('inputs'), 'input float32[1,3,32,32]');
        assert.equal(row('outputs'), 'logits float32[1,10]');
        assert.equal(row('labels'), `10: ${m.info.labels.join(', ')}`);
        assert.equal(row('norm'), 'mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225');
        assert.equal(row('weights'), `${(m.info.weight_bytes / 1e6).toFixed(2)} MB`);
        assert.equal(row('arena'), `${(m.info.arena_bytes / 1e3).toFixed(1)} kB`);
        assert.match(row('file'), new RegExp(`resnet56-cifar10\\.wasm \\(${(m.info.size / 1e6).toFixed(2)} MB\\)`));
        assert.match(row('operators'), /^Conv x55, /);
        assert.equal(row('MACs'), `${(summary.macs / 1e6).toFixed(2)} M`);
        assert.equal(row('sha256'), m.info.sha256);
        const j = JSON.parse(cli(['info', '--json', join(ROOT, 'web/models/resnet20-cifar10.wasm')]).stdout);
        assert.equal(j.name, 'resnet20-cifar10');
        assert.equal(j.summary.macs, JSON.parse(readFileSync(join(ROOT, 'web/models/resnet20-cifar10.json'), 'utf8')).macs);
        m.dispose();
    });

    test('the summary counts what ResNet-20 is known to have: 0.27 M parameters, 40.6 M MACs', () => {
        // He et al. 2016, table 6: ResNet-20 has 0.27 M parameters; its convolutions
        // and classifier do 40.55 M multiply-adds on a 32x32 image.
        const s = JSON.parse(readFileSync(join(ROOT, 'web/models/resnet20-cifar10.json'), 'utf8'));
        assert.ok(Math.abs(s.parameters - 0.27e6) < 0.005e6, `${s.parameters}`);
        assert.equal(s.macs, 40551040);
        assert.equal(s.operators.Conv, 19);
        assert.equal(s.operators.Gemm, 1);
    });

    test('a missing file and a file that is not a model', () => {
        fails(cli(['info', join(tmp, 'missing.wasm')]), 1, /^edgerun: info: .*missing\.wasm: no such file$/);
        writeFileSync(join(tmp, 'photo.wasm'), readFileSync(join(IMAGES, 'cat/0000.jpg')));
        fails(cli(['info', join(tmp, 'photo.wasm')]), 1, /photo\.wasm: .*expected magic word/);
        fails(cli(['info', 'a', 'b']), 2, /give one model/);
    });
});

describe('edgerun bench', () => {
    test('prints latency and GMAC/s', () => {
        const r = cli(['bench', 'resnet20-cifar10', '--runs', '5']);
        assert.equal(r.status, 0, r.stderr);
        const m = r.stdout.match(/latency +median ([\d.]+) ms, p90 ([\d.]+) ms, min ([\d.]+) ms/);
        assert.ok(m, r.stdout);
        const gmacs = +r.stdout.match(/speed +([\d.]+) GMAC\/s \(40\.55 MMAC per run\)/)[1];
        // GMAC/s is the MACs over the median latency.
        assert.ok(Math.abs(gmacs - 40551040 / (m[1] * 1e6)) / gmacs < 0.02, r.stdout);
    });

    test('--worker --json runs in a worker and reports the same fields', () => {
        const r = JSON.parse(cli(['bench', '--worker', '--json', '--runs', '3']).stdout);
        assert.equal(r.worker, true);
        assert.equal(r.runs, 3);
        assert.equal(r.model, 'resnet20-cifar10');
        assert.ok(r.median_ms > 0 && r.gmacs > 0);
    });

    test('a model without a summary has no GMAC/s, and says why', () => {
        mkdirSync(join(tmp, 'bare'), { recursive: true });
        writeFileSync(join(tmp, 'bare/m.wasm'), readFileSync(join(ROOT, 'web/models/resnet20-cifar10.wasm')));
        const r = cli(['bench', join(tmp, 'bare/m.wasm'), '--runs', '2']);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /GMAC\/s unknown: no m\.json next to the model/);
    });

    test('a missing file and a non-model', () => {
        fails(cli(['bench', join(tmp, 'missing.wasm')]), 1, /^edgerun: bench: .*missing\.wasm: no such file$/);
        fails(cli(['bench', join(tmp, 'photo.wasm')]), 1, /photo\.wasm: .*magic word/);
        fails(cli(['bench', '--runs', '0']), 2, /--runs needs a positive integer/);
    });
});

describe('edgerun compile', () => {
    const cache = () => join(tmp, 'cache');
    const onnx = join(SHARED, 'models/resnet20-cifar10.onnx');

    test('builds the native compiler on first use, then makes the module make makes, with a summary', () => {
        const out = join(tmp, 'out');
        const r = cli(['compile', onnx, '-o', out, '--labels', join(ROOT, 'build/cifar10-labels.txt'),
            '--norm', '0.485,0.229,0.456,0.224,0.406,0.225'], { EDGERUN_CACHE: cache() });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /\[1\/3\] native compiler\n +built .*edgerun-compile from the package's sources/);
        assert.match(r.stderr, /\[2\/3\] resnet20-cifar10\.onnx -> resnet20-cifar10\.c\n\[3\/3\] emcc -> resnet20-cifar10\.wasm/);
        const wasm = readFileSync(join(out, 'resnet20-cifar10.wasm'));
        assert.ok(wasm.equals(readFileSync(join(ROOT, 'web/models/resnet20-cifar10.wasm'))), 'the same bytes as make\'s module');
        assert.match(r.stdout, new RegExp(`resnet20-cifar10\\.wasm \\(${(wasm.length / 1e6).toFixed(2)} MB\\)`));
        // 27 calls (the Pad of zeros before the pool is a view), plus the two transposes around each
        // stride-2 conv, which run channels-last (igemm-nhwc)
        assert.match(r.stdout, /operators +Conv x19, .*\(31 kernel calls per run\)/);
        assert.match(r.stdout, /parameters +269\.0 k/);
        assert.match(r.stdout, /MACs +40\.55 M per run/);
        const { arena_bytes: arena } = JSON.parse(readFileSync(join(ROOT, 'web/models/resnet20-cifar10.json'), 'utf8'));
        assert.ok(arena > 100_000 && arena < 1_000_000, `arena ${arena}`);
        assert.match(r.stdout, new RegExp(`arena +${(arena / 1e3).toFixed(1)} kB`));
        assert.deepEqual(JSON.parse(readFileSync(join(out, 'resnet20-cifar10.json'), 'utf8')),
            JSON.parse(readFileSync(join(ROOT, 'web/models/resnet20-cifar10.json'), 'utf8')));
        // The second compile reuses the cached compiler.
        const again = cli(['compile', onnx, '-o', join(tmp, 'out2'), '--name', 'r20'], { EDGERUN_CACHE: cache() });
        assert.equal(again.status, 0, again.stderr);
        assert.doesNotMatch(again.stderr, /built/);
        assert.ok(existsSync(join(tmp, 'out2/r20.wasm')));
        // And the module classifies.
        const c = cli(['classify', '--model', join(tmp, 'out2/r20.wasm'), join(IMAGES, 'dog/0000.jpg')]);
        assert.equal(c.status, 0, c.stderr);
    });

    test('the compiler\'s own one-line error, for a missing file, a non-model and an option it lacks', () => {
        const env = { EDGERUN_CACHE: cache() };
        fails(cli(['compile', join(tmp, 'missing.onnx')], env), 1, /^edgerun: compile: .*missing\.onnx: no such file$/);
        writeFileSync(join(tmp, 'photo.onnx'), readFileSync(join(IMAGES, 'cat/0000.jpg')));
        fails(cli(['compile', join(tmp, 'photo.onnx'), '-o', join(tmp, 'o3')], env), 1, /^edgerun: compile: edgerun-compile: .*photo\.onnx: /);
        // --weights goes to the native compiler, which decides (and names it if it does not know it).
        const w = cli(['compile', onnx, '-o', join(tmp, 'o4'), '--weights', 'fp16'], env);
        if (w.status != 0) fails(w, 1, /^edgerun: compile: edgerun-compile: .*weights/);
        fails(cli(['compile'], env), 2, /give one \.onnx model/);
        fails(cli(['compile', onnx, '--labels', join(tmp, 'nolabels.txt')], env), 1, /--labels .*nolabels\.txt: no such file/);
    });

    test('says exactly what to install when emcc or the C compiler is missing', () => {
        const noEmcc = cli(['compile', onnx, '-o', join(tmp, 'o5')], { EDGERUN_CACHE: cache(), EMCC: join(tmp, 'no-emcc') });
        fails(noEmcc, 1, /emcc not found: install Emscripten \(Debian\/Ubuntu: apt-get install emscripten; .*\) or set EMCC; the model's C is in .*o5\/resnet20-cifar10\.c$/);
        assert.ok(existsSync(join(tmp, 'o5/resnet20-cifar10.c')), 'the C was written before emcc was needed');
        const noCc = cli(['compile', onnx, '-o', join(tmp, 'o6')], { EDGERUN_CACHE: join(tmp, 'empty-cache'), CC: join(tmp, 'no-cc') });
        fails(noCc, 1, /no C compiler ".*no-cc" to build the native compiler: install one \(Debian\/Ubuntu: apt-get install gcc;.*\) or set CC$/);
    });

    test('an emcc that fails gives its error in one line, and names the version mismatch', () => {
        const emcc = join(tmp, 'other-emcc');
        writeFileSync(emcc, '#!/bin/sh\nif [ "$1" = --version ]; then echo "emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 9.9.9 ()"; exit 0; fi\n' +
            'echo "wasm-ld: warning: a note" >&2\necho "wasm-ld: error: cannot link this" >&2\nexit 1\n', { mode: 0o755 });
        const built = JSON.parse(readFileSync(join(ROOT, 'lib/wasm32-emscripten/build.json'), 'utf8')).emcc;
        fails(cli(['compile', onnx, '-o', join(tmp, 'o8')], { EDGERUN_CACHE: cache(), EMCC: emcc }), 1,
            new RegExp(`emcc failed: wasm-ld: error: cannot link this \\(the package's runtime was built with emcc ${built.replace(/\./g, '\\.')}, this is 9\\.9\\.9\\)$`));
    });

    test('a C compiler that fails gives one line and the log\'s path', () => {
        const cc = join(tmp, 'bad-cc');
        writeFileSync(cc, '#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "fake.c:1:1: error: this compiler always fails" >&2\nexit 1\n', { mode: 0o755 });
        fails(cli(['compile', onnx, '-o', join(tmp, 'o7')], { EDGERUN_CACHE: join(tmp, 'cache-bad'), CC: cc }), 1,
            /building the native compiler with .*bad-cc failed: .*error: this compiler always fails \(full log: .*compiler-build\.log\)$/);
    });
});

describe('edgerun itself', () => {
    test('--help, --version, and an unknown command', () => {
        const h = cli(['--help']);
        assert.equal(h.status, 0);
        for (const c of ['classify', 'info', 'compile', 'bench']) assert.match(h.stdout, new RegExp(`edgerun ${c} `));
        assert.equal(cli(['--version']).stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
        fails(cli(['frobnicate']), 2, /unknown command "frobnicate"/);
    });
});
