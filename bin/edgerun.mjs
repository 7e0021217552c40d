#!/usr/bin/env node
/* edgerun - the command line of the edgerun package.

     edgerun classify IMAGE... [--model NAME|PATH.wasm] [--json] [--top N] [--no-crop] [--progress|--no-progress]
     edgerun info [NAME|PATH.wasm] [--json]
     edgerun compile MODEL.onnx [-o DIR] [--name NAME] [--labels FILE] [--norm mR,sR,mG,sG,mB,sB] [--weights fp16|int8]
     edgerun bench [NAME|PATH.wasm] [--runs N] [--worker] [--json]
     edgerun serve [NAME|PATH.wasm...] [--port 8081] [--host 127.0.0.1] [--workers N] [--queue N]
                   [--timeout MS] [--body-timeout MS] [--max-body BYTES] [--cors ORIGIN] [--quiet]

   NAME is a model shipped in the package (web/models/NAME.wasm, e.g.
   resnet56-cifar10); the default is resnet20-cifar10.

   It is the shim (web/edgerun.mjs) used from node, plus `compile`, which
   runs the two tools that make a module: the native compiler (ONNX -> C),
   built from the package's sources (src/compiler, src/kernels) with the
   system's C compiler on first use and cached, and Emscripten's emcc, which
   links the C with the runtime prebuilt for wasm (lib/wasm32-emscripten,
   made by the Makefile, which also records the flags the link needs).

   Every failure is one line on stderr, "edgerun: COMMAND: what: why", and
   a non-zero exit: 2 for a wrong command line, 1 for anything else.
   Environment: CC and EMCC name the compilers; EDGERUN_CACHE the cache
   directory (default $XDG_CACHE_HOME/edgerun or ~/.cache/edgerun);
   EDGERUN_COMPILER an edgerun-compile to use instead of building one.
*/
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import edgerun from '../web/edgerun.mjs';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).version;
const MODELS = join(PKG, 'web/models');
const WASM_LIB = join(PKG, 'lib/wasm32-emscripten');
const DEFAULT_MODEL = 'resnet20-cifar10';
const PROGRESS_FROM = 4; // files; fewer finish before a bar would be any use

const HELP = `edgerun ${VERSION} - run and make edgerun image models (one small .wasm each)

usage:
  edgerun classify IMAGE... [--model NAME|PATH.wasm] [--json] [--top N] [--no-crop]
                            [--progress | --no-progress]
  edgerun info [NAME|PATH.wasm] [--json]
  edgerun compile MODEL.onnx [-o DIR] [--name NAME] [--labels FILE]
                            [--norm mR,sR,mG,sG,mB,sB] [--weights fp16|int8]
  edgerun bench [NAME|PATH.wasm] [--runs N] [--worker] [--json]
  edgerun serve [NAME|PATH.wasm...] [--port 8081] [--host 127.0.0.1] [--workers N]
                [--queue 64] [--timeout 30000] [--body-timeout 10000]
                [--max-body 16777216] [--cors ORIGIN] [--quiet]
  edgerun --version | --help

models shipped: ${listModels().join(', ') || '(none built)'}; default ${DEFAULT_MODEL}
`;

// ---- errors -------------------------------------------------------------------

class CliError extends Error {
    constructor(message, status = 1) {
        super(message);
        this.status = status;
    }
}
const usage = (message) => new CliError(message, 2);
// One line, whatever the message: the first line of a multi-line tool output.
const oneLine = (s) => String(s).split('\n').map((l) => l.trim()).filter(Boolean)[0] || 'failed';

// ---- command-line parsing -----------------------------------------------------

// spec: {flag: 'bool' | 'string' | 'int'}; aliases map short to long.
function parse(args, spec, aliases = {}) {
    const opts = {}, rest = [];
    for (let i = 0; i < args.length; i++) {
        let a = args[i];
        if (a == '--') {
            rest.push(...args.slice(i + 1));
            break;
        }
        if (!a.startsWith('-') || a == '-') {
            rest.push(a);
            continue;
        }
        let value = null;
        const eq = a.indexOf('=');
        if (a.startsWith('--') && eq > 0) [a, value] = [a.slice(0, eq), a.slice(eq + 1)];
        a = aliases[a] || a;
        let name = a.replace(/^--?/, '');
        if (spec[name] === undefined && name.startsWith('no-') && spec[name.slice(3)] == 'bool') {
            opts[name.slice(3)] = false;
            continue;
        }
        const kind = spec[name];
        if (!kind) throw usage(`unknown option ${a}`);
        if (kind == 'bool') {
            opts[name] = true;
            continue;
        }
        if (value === null) {
            if (i + 1 >= args.length) throw usage(`${a} needs a value`);
            value = args[++i];
        }
        if (kind == 'int') {
            if (!/^\d+$/.test(value) || +value < 1) throw usage(`${a} needs a positive integer, got "${value}"`);
            value = +value;
        }
        opts[name] = value;
    }
    return { opts, rest };
}

// ---- models -------------------------------------------------------------------

function listModels() {
    try {
        // NAME.relaxed.wasm is loaded in place of NAME.wasm where it validates; NAME.wasi.wasm is a
        // WASI command (`make wasi`): neither is a model of its own.
        return readdirSync(MODELS).filter((f) => f.endsWith('.wasm') && !/\.(relaxed|wasi)\.wasm$/.test(f))
            .map((f) => f.slice(0, -5)).sort();
    } catch {
        return [];
    }
}

// A shipped model's name, or a path to a .wasm.
function modelPath(arg) {
    const m = arg || DEFAULT_MODEL;
    if (/[/\\]/.test(m) || m.endsWith('.wasm')) {
        if (!existsSync(m)) throw new CliError(`${m}: no such file`);
        if (!statSync(m).isFile()) throw new CliError(`${m}: not a file`);
        return resolve(m);
    }
    const p = join(MODELS, `${m}.wasm`);
    if (!existsSync(p)) throw new CliError(`no model named "${m}": the package has ${listModels().join(', ') || 'none'}; or give a path to a .wasm`);
    return p;
}

async function loadModel(path, options) {
    try {
        return await edgerun.load(path, options);
    } catch (e) {
        throw new CliError(e.message.replace(/^edgerun\.load: /, ''));
    }
}

// The summary `edgerun compile` writes next to a module (NAME.json): operators,
// parameters, MACs. Null when there is none.
function summaryOf(wasmPath) {
    const p = wasmPath.replace(/\.wasm$/, '.json');
    try {
        return JSON.parse(readFileSync(p, 'utf8'));
    } catch {
        return null;
    }
}

// ---- output helpers -------------------------------------------------------------

const out = (s) => process.stdout.write(s + '\n');
const pct = (p) => `${(p * 100).toFixed(p >= 0.9995 || p < 0.0005 ? 1 : 2)}%`;
function bytes(n) {
    if (n == null) return 'unknown';
    if (n < 1e3) return `${n} B`;
    if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
    return `${(n / 1e6).toFixed(2)} MB`;
}
function count(n) {
    if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
    if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
    if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
    return String(n);
}
const ms = (x) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toString()) + ' ms';

// A progress bar on stderr, redrawn in place; log() prints a line above it.
function progressBar(total, label, enabled) {
    const t0 = performance.now();
    let done = 0, drawn = false;
    const width = 30;
    const draw = () => {
        if (!enabled) return;
        const filled = Math.round((width * done) / total);
        const elapsed = (performance.now() - t0) / 1000;
        const eta = done ? (elapsed / done) * (total - done) : 0;
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}` +
            (done && done < total ? `, ${eta.toFixed(0)} s left ` : '    '));
        drawn = true;
    };
    const clear = () => drawn && process.stderr.write('\r' + ' '.repeat(width + 40 + label.length) + '\r');
    draw();
    return {
        tick() {
            done++;
            draw();
        },
        log(write) {
            clear();
            write();
            draw();
        },
        end() {
            clear();
            drawn = false;
        },
    };
}

// ---- classify -------------------------------------------------------------------

async function classify(args) {
    const { opts, rest: files } = parse(args, { model: 'string', json: 'bool', top: 'int', crop: 'bool', progress: 'bool' }, { '-m': '--model' });
    if (!files.length) throw usage('give one or more image files');
    const top = opts.top || 3;
    const model = await loadModel(modelPath(opts.model));
    const bar = progressBar(files.length, 'images', opts.progress ?? (files.length >= PROGRESS_FROM && !!process.stderr.isTTY && !opts.json));
    const results = [];
    let failed = 0;
    for (const file of files) {
        let r;
        try {
            const data = readFileSync(file);
            const res = await model.run({ input: data, crop: opts.crop ?? true, top });
            if (!res.top) throw Object.assign(Error(`the model is not a classifier (outputs ${Object.keys(res.outputs).join(', ')})`), { code: 'E_SHAPE' });
            r = { file, top: res.top, ms: res.ms };
        } catch (e) {
            const why = e.code == 'ENOENT' ? 'no such file' : e.code == 'EISDIR' ? 'is a directory' : e.message;
            r = { file, error: { code: e.code || 'E_IO', message: why } };
            failed++;
        }
        results.push(r);
        if (!opts.json)
            bar.log(() => r.error ? process.stderr.write(`edgerun: classify: ${file}: ${r.error.message}\n`)
                : out(`${file}: ${r.top.map((t) => `${t.label ?? t.index} ${pct(t.prob)}`).join(', ')}`));
        bar.tick();
    }
    bar.end();
    model.dispose();
    if (opts.json) out(JSON.stringify(results, null, 2));
    // Each failure has had its line (or its JSON entry); then one line for the batch.
    if (failed) throw new CliError(files.length == 1 && !opts.json ? '' : `${failed} of ${files.length} files could not be classified`);
}

// ---- info -----------------------------------------------------------------------

async function info(args) {
    const { opts, rest } = parse(args, { json: 'bool' });
    if (rest.length > 1) throw usage('give one model');
    const path = modelPath(rest[0]);
    const model = await loadModel(path);
    const i = model.info, summary = summaryOf(path);
    model.dispose();
    if (opts.json) return out(JSON.stringify({ file: path, ...i, summary }, null, 2));
    const io = (t) => `${t.name} ${t.dtype}[${t.dims.join(',')}]`;
    const rows = [
        ['model', `${i.name} (${i.generator}, opset ${i.opset})`],
        ['file', `${path} (${bytes(i.size)})`],
        ['inputs', i.inputs.map(io).join(', ')],
        ['outputs', i.outputs.map(io).join(', ')],
        ['image', i.image ? `${i.image.width}x${i.image.height}, ${i.image.channels} channels; up to ${count(i.max_pixels)}pixels decoded` : 'none (tensors only)'],
        ['labels', i.labels ? `${i.labels.length}: ${i.labels.join(', ')}` : 'none'],
        ['norm', i.norm ? `mean ${[0, 2, 4].map((k) => i.norm[k]).join(', ')}; std ${[1, 3, 5].map((k) => i.norm[k]).join(', ')}` : 'none'],
        ['weights', bytes(i.weight_bytes)],
        ['arena', bytes(i.arena_bytes)],
    ];
    if (summary) rows.push(['operators', opsLine(summary.operators)], ['parameters', count(summary.parameters)], ['MACs', count(summary.macs)]);
    rows.push(['sha256', i.sha256]);
    for (const [k, v] of rows) out(`${k.padEnd(11)}${v}`);
}

const opsLine = (ops) => Object.entries(ops).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} x${n}`).join(', ');

// ---- compile --------------------------------------------------------------------

// What the generated C says about itself: its operators (one comment per
// node, /* Op "name": ... */) and its kernel calls per run. The MACs and
// parameters come from the compiler, in the header (summaryFile).
function summarize(c) {
    const operators = {};
    for (const m of c.matchAll(/^ {4}\/\* ([A-Za-z]+) "/gm)) operators[m[1]] = (operators[m[1]] || 0) + 1;
    const calls = (c.match(/(\d+) kernel calls per run/) || [])[1];
    return { operators, kernel_calls: calls ? +calls : null };
}

// `edgerun summary MODEL.c MODEL.wasm`: the JSON compile writes, for models
// built by the Makefile (not in the help: a build step).
function summaryCommand(args) {
    const [c, wasm] = args;
    if (!c || !wasm) throw usage('give MODEL.c and MODEL.wasm');
    out(JSON.stringify(summaryFile(c, wasm), null, 2));
}
function summaryFile(cPath, wasmPath) {
    const h = readFileSync(cPath.replace(/\.c$/, '.h'), 'utf8');
    const def = (k) => +(h.match(new RegExp(`_${k} (\\d+)$`, 'm')) || [])[1] || null;
    return {
        name: basename(wasmPath, '.wasm'), ...summarize(readFileSync(cPath, 'utf8')),
        parameters: def('PARAMETERS'), macs: def('MACS'),
        arena_bytes: def('ARENA_BYTES'), weight_bytes: def('WEIGHT_BYTES'), wasm_bytes: statSync(wasmPath).size,
    };
}

// Runs a tool; resolves {status, stdout, stderr}; ENOENT resolves status null.
function run(cmd, args, env) {
    return new Promise((ok) => {
        const p = spawn(cmd, args, { env: env || process.env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '', stderr = '';
        p.stdout.on('data', (d) => (stdout += d));
        p.stderr.on('data', (d) => (stderr += d));
        p.on('error', (e) => ok({ status: null, error: e, stdout, stderr }));
        p.on('close', (status) => ok({ status, stdout, stderr }));
    });
}

// A step of compile: a line that says what runs and, on a terminal, how long it has been running.
async function step(n, total, what, work) {
    const t0 = performance.now();
    const tty = !!process.stderr.isTTY;
    const head = `[${n}/${total}] ${what}`;
    let timer = null;
    if (tty) {
        const tick = () => process.stderr.write(`\r${head} ${((performance.now() - t0) / 1000).toFixed(0)} s `);
        tick();
        timer = setInterval(tick, 250);
    } else process.stderr.write(`${head}\n`);
    try {
        const r = await work();
        if (tty) process.stderr.write(`\r${head} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
        return r;
    } finally {
        clearInterval(timer);
    }
}

function cacheDir() {
    if (process.env.EDGERUN_CACHE) return resolve(process.env.EDGERUN_CACHE);
    const base = process.env.XDG_CACHE_HOME || (process.platform == 'win32' && process.env.LOCALAPPDATA) || join(os.homedir(), '.cache');
    return join(base, 'edgerun');
}

function buildFlags() {
    const f = join(WASM_LIB, 'build.json');
    if (!existsSync(f)) throw new CliError(`${f} is missing: this copy of edgerun has no prebuilt runtime (in a clone, run \`make package-files\`)`);
    return JSON.parse(readFileSync(f, 'utf8'));
}

// The native compiler: EDGERUN_COMPILER, or one built from the package's
// sources with cc and kept in the cache under a hash of the sources and flags
// (so an upgrade builds a new one). Built into a temporary directory and
// renamed, so that two compiles at once never see half a compiler.
async function nativeCompiler(flags) {
    if (process.env.EDGERUN_COMPILER) {
        if (!existsSync(process.env.EDGERUN_COMPILER)) throw new CliError(`EDGERUN_COMPILER=${process.env.EDGERUN_COMPILER}: no such file`);
        return { exe: process.env.EDGERUN_COMPILER, built: false };
    }
    const dirs = ['src/compiler', 'src/kernels'].map((d) => join(PKG, d));
    const files = dirs.flatMap((d) => readdirSync(d).filter((f) => /\.(c|h|def)$/.test(f)).sort().map((f) => join(d, f)));
    const cc = process.env.CC || 'cc';
    const hash = createHash('sha256');
    for (const f of files) hash.update(f.slice(PKG.length)).update(readFileSync(f));
    hash.update(JSON.stringify(flags.native)).update(cc);
    const dir = join(cacheDir(), `compiler-${VERSION}-${hash.digest('hex').slice(0, 16)}`);
    const exe = join(dir, process.platform == 'win32' ? 'edgerun-compile.exe' : 'edgerun-compile');
    if (existsSync(exe)) return { exe, built: false };

    const probe = await run(cc, ['--version']);
    if (probe.status === null)
        throw new CliError(`no C compiler "${cc}" to build the native compiler: install one (Debian/Ubuntu: apt-get install gcc; ` +
            `Fedora: dnf install gcc; macOS: xcode-select --install) or set CC`);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const log = join(cacheDir(), 'compiler-build.log');
    const sources = files.filter((f) => f.endsWith('.c'));
    const includes = dirs.concat(join(PKG, 'src/runtime')).map((d) => `-I${d}`);
    const bar = progressBar(sources.length, 'files of the native compiler', !!process.stderr.isTTY);
    const fails = [];
    let next = 0;
    const worker = async () => {
        while (next < sources.length && !fails.length) {
            const src = sources[next++];
            const obj = join(tmp, `${basename(dirname(src))}-${basename(src, '.c')}.o`);
            const r = await run(cc, [...flags.native, ...includes, '-c', src, '-o', obj]);
            if (r.status !== 0) fails.push(`${src}: ${r.stderr || r.error}`);
            bar.tick();
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(4, (os.availableParallelism ? os.availableParallelism() : os.cpus().length) - 1)) }, worker));
    bar.end();
    let link = null;
    if (!fails.length) {
        link = await run(cc, ['-o', join(tmp, basename(exe)), ...readdirSync(tmp).filter((f) => f.endsWith('.o')).map((f) => join(tmp, f)), '-lm']);
        if (link.status !== 0) fails.push(`linking: ${link.stderr}`);
    }
    if (fails.length) {
        mkdirSync(dirname(log), { recursive: true });
        writeFileSync(log, fails.join('\n'));
        rmSync(tmp, { recursive: true, force: true });
        const first = fails[0].split('\n').find((l) => /error/i.test(l)) || oneLine(fails[0]);
        throw new CliError(`building the native compiler with ${cc} failed: ${first.trim()} (full log: ${log})`);
    }
    for (const f of readdirSync(tmp)) if (f.endsWith('.o')) rmSync(join(tmp, f));
    try {
        renameSync(tmp, dir);
    } catch (e) {
        rmSync(tmp, { recursive: true, force: true }); // another compile got there first
        if (!existsSync(exe)) throw new CliError(`cannot store the native compiler in ${dir}: ${e.message}`);
    }
    return { exe, built: true };
}

// emcc, run with what Debian's packaging of it needs (NODE_PATH for its node tools).
function emccEnv() {
    const env = { ...process.env };
    if (!env.NODE_PATH && existsSync('/usr/share/nodejs')) env.NODE_PATH = '/usr/share/nodejs';
    return env;
}

// The initial memory of a module: the model's static data plus room for the
// stack and a first heap. The same rule as src/runtime/initial_memory.sh, which
// the Makefile uses (the compile test checks both make the same module).
function initialMemory(h) {
    const m = h.match(/^#define [A-Z0-9_]*_STATIC_BYTES (\d+)$/m);
    const bytes = Math.ceil(((m ? +m[1] : 0) + 12582912) / 65536) * 65536;
    return Math.max(bytes, 16777216);
}

async function compile(args) {
    const { opts, rest } = parse(args, { o: 'string', name: 'string', labels: 'string', norm: 'string', weights: 'string' }, { '--out': '-o' });
    if (rest.length != 1) throw usage('give one .onnx model');
    const onnx = rest[0];
    if (!existsSync(onnx)) throw new CliError(`${onnx}: no such file`);
    if (!statSync(onnx).isFile()) throw new CliError(`${onnx}: not a file`);
    if (opts.labels && !existsSync(opts.labels)) throw new CliError(`--labels ${opts.labels}: no such file`);
    const name = opts.name || basename(onnx, extname(onnx));
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw usage(`--name "${name}": use letters, digits, '.', '_' and '-'`);
    const outDir = resolve(opts.o || '.');
    mkdirSync(outDir, { recursive: true });
    const c = join(outDir, `${name}.c`), wasm = join(outDir, `${name}.wasm`), json = join(outDir, `${name}.json`);
    const flags = buildFlags();
    const emcc = process.env.EMCC || 'emcc';
    const t0 = performance.now();

    const { exe, built } = await step(1, 3, 'native compiler', () => nativeCompiler(flags));
    if (built) process.stderr.write(`      built ${exe} from the package's sources (once; cached)\n`);

    const cargs = [resolve(onnx), '-o', c, '--name', name, '--quiet'];
    if (opts.labels) cargs.push('--labels', resolve(opts.labels));
    if (opts.norm) cargs.push('--norm', opts.norm);
    if (opts.weights) cargs.push('--weights', opts.weights);
    const comp = await step(2, 3, `${basename(onnx)} -> ${name}.c`, () => run(exe, cargs));
    if (comp.status !== 0) throw new CliError(oneLine(comp.stderr || comp.error), 1); // says edgerun-compile: ...

    const probe = await run(emcc, ['--version'], emccEnv());
    if (probe.status === null)
        throw new CliError(`emcc not found: install Emscripten (Debian/Ubuntu: apt-get install emscripten; elsewhere see ` +
            `https://emscripten.org/docs/getting_started/downloads.html) or set EMCC; the model's C is in ${c}`);
    // The runtime's archives are wasm objects of one emcc version; another usually links them.
    const version = (probe.stdout.match(/\) (\d+\.\d+\.\d+)/) || [])[1];
    const versionNote = version && flags.emcc && version != flags.emcc
        ? ` (the package's runtime was built with emcc ${flags.emcc}, this is ${version})` : '';
    const h = readFileSync(c.replace(/\.c$/, '.h'), 'utf8');
    // -I the C's own directory: the C links its weights from NAME.weights beside it (.incbin).
    const link = await step(3, 3, `emcc -> ${name}.wasm`, () => run(emcc, [...flags.cflags_wasm,
        `-I${join(PKG, 'src/kernels')}`, `-I${join(PKG, 'src/runtime')}`, `-I${dirname(c)}`, ...flags.module_ldflags,
        `-sINITIAL_MEMORY=${initialMemory(h)}`, c, ...flags.libs.map((l) => join(WASM_LIB, l)), '-o', wasm], emccEnv()));
    if (link.status !== 0)
        throw new CliError(`emcc failed: ${oneLine(link.stderr.split('\n').find((l) => /error/i.test(l)) || link.stderr)}${versionNote}`);

    const s = summaryFile(c, wasm);
    writeFileSync(json, JSON.stringify(s, null, 2) + '\n');
    out(`${wasm} (${bytes(s.wasm_bytes)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s${versionNote}`);
    out(`  operators   ${opsLine(s.operators)}${s.kernel_calls ? ` (${s.kernel_calls} kernel calls per run)` : ''}`);
    out(`  parameters  ${count(s.parameters)} (${bytes(s.weight_bytes)} of weights)`);
    out(`  MACs        ${count(s.macs)} per run`);
    out(`  arena       ${bytes(s.arena_bytes)}`);
    out(`  also        ${c} (and .h), ${json}`);
}

// ---- bench ----------------------------------------------------------------------

async function bench(args) {
    const { opts, rest } = parse(args, { runs: 'int', worker: 'bool', json: 'bool' });
    if (rest.length > 1) throw usage('give one model');
    const path = modelPath(rest[0]);
    const t0 = performance.now();
    const model = await loadModel(path, { worker: !!opts.worker });
    const loadMs = performance.now() - t0;
    const inputs = Object.fromEntries(model.info.inputs.map((io) => {
        const T = { float32: Float32Array, float64: Float64Array }[io.dtype];
        if (!T) throw new CliError(`${path}: input "${io.name}" is ${io.dtype}; bench feeds float inputs only`);
        const n = io.dims.reduce((a, b) => a * b, 1);
        return [io.name, { data: T.from({ length: n }, (_, i) => Math.sin(i * 0.618)) }];
    }));
    for (let i = 0; i < 3; i++) await model.runTensors(inputs); // warm-up
    const runs = opts.runs || 0, times = [];
    const bar = progressBar(runs || 100, 'runs', !!process.stderr.isTTY && !opts.json);
    const started = performance.now();
    // Without --runs: 100 runs or 3 seconds, whichever comes first, at least 10.
    while (runs ? times.length < runs : times.length < 10 || (times.length < 100 && performance.now() - started < 3000)) {
        const t = performance.now();
        await model.runTensors(inputs);
        times.push(performance.now() - t);
        bar.tick();
    }
    bar.end();
    model.dispose();
    times.sort((a, b) => a - b);
    const q = (f) => times[Math.min(times.length - 1, Math.floor(f * times.length))];
    const summary = summaryOf(path);
    const macs = summary ? summary.macs : null;
    const r = {
        model: model.info.name, file: path, worker: !!opts.worker, runs: times.length, load_ms: loadMs,
        median_ms: q(0.5), p90_ms: q(0.9), min_ms: times[0], macs, gmacs: macs ? macs / (q(0.5) * 1e6) : null,
    };
    if (opts.json) return out(JSON.stringify(r, null, 2));
    out(`${r.model}${r.worker ? ' (in a worker)' : ''}: ${r.runs} runs of runTensors, after 3 warm-up runs`);
    out(`  load      ${ms(loadMs)}`);
    out(`  latency   median ${ms(r.median_ms)}, p90 ${ms(r.p90_ms)}, min ${ms(r.min_ms)}`);
    out(macs ? `  speed     ${r.gmacs.toFixed(2)} GMAC/s (${count(macs)}MAC per run)`
        : `  speed     GMAC/s unknown: no ${basename(path, '.wasm')}.json next to the model (\`edgerun compile\` writes it)`);
}

// ---- serve -----------------------------------------------------------------------
// The REST server of js/server.mjs over the given models (default: every shipped one).

async function serve(args) {
    const { opts, rest } = parse(args, { port: 'string', host: 'string', workers: 'int', queue: 'string', timeout: 'int',
        'body-timeout': 'int', 'max-body': 'int', cors: 'string', quiet: 'bool' });
    const port = opts.port === undefined ? undefined : Number(opts.port);
    if (opts.port !== undefined && !(/^\d+$/.test(opts.port) && port <= 65535)) throw usage(`--port needs a port number (0 for any free one), got "${opts.port}"`);
    const queue = opts.queue === undefined ? undefined : Number(opts.queue);
    if (opts.queue !== undefined && !/^\d+$/.test(opts.queue)) throw usage(`--queue needs a number of requests, got "${opts.queue}"`);
    if (opts.cors !== undefined && !/^(\*|https?:\/\/[^\s/]+)$/.test(opts.cors)) throw usage(`--cors needs an origin such as https://example.com or *, got "${opts.cors}"`);
    const models = [], skipped = [];
    for (const arg of rest.length ? rest : listModels()) {
        // What a glob such as web/models/*.wasm also matches: the relaxed-SIMD twins (loaded in
        // place of their model where node validates them) and the WASI commands (`make wasi`).
        if (/\.(relaxed|wasi)\.wasm$/.test(arg)) skipped.push(basename(arg));
        else {
            const path = modelPath(arg);
            models.push({ name: basename(path, '.wasm'), path });
        }
    }
    if (skipped.length && !opts.quiet)
        process.stderr.write(`edgerun: serve: not served as models of their own (a .relaxed.wasm loads in place of its model, a .wasi.wasm is a WASI command): ${skipped.join(', ')}\n`);
    if (!models.length) throw usage('no models to serve: name shipped models or give .wasm paths');
    const { startServer } = await import('../js/server.mjs');
    const log = opts.quiet ? () => {} : (line) => out(line);
    let s;
    try {
        s = await startServer(models, { port, host: opts.host, workers: opts.workers, queue, timeout: opts.timeout,
            bodyTimeout: opts['body-timeout'], maxBody: opts['max-body'], cors: opts.cors, log });
    } catch (e) {
        throw new CliError(e.message);
    }
    const workers = s.pools.values().next().value.slots.length;
    out(`edgerun serve: listening on ${s.url} (${models.map((m) => m.name).join(', ')}; ${workers} worker${workers == 1 ? '' : 's'} each)`);
    await new Promise((resolve) => {
        const stop = (signal) => {
            out(`edgerun serve: ${signal}: finishing the requests in flight`);
            s.shutdown().then(() => {
                out('edgerun serve: stopped');
                resolve();
            });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
    });
}

// ---- main -----------------------------------------------------------------------

const COMMANDS = { classify, info, compile, bench, serve, summary: summaryCommand };

async function main(argv) {
    const [cmd, ...args] = argv;
    if (!cmd || cmd == '--help' || cmd == '-h' || cmd == 'help') return process.stdout.write(HELP);
    if (cmd == '--version' || cmd == '-v') return out(VERSION);
    const f = COMMANDS[cmd];
    if (!f) throw usage(`unknown command "${cmd}": the commands are classify, info, compile, bench and serve`);
    if (args.includes('--help') || args.includes('-h')) return process.stdout.write(HELP);
    await f(args);
}

const cmd = process.argv[2] && COMMANDS[process.argv[2]] ? `${process.argv[2]}: ` : '';
main(process.argv.slice(2)).catch((e) => {
    if (!(e instanceof CliError)) e = new CliError(e && e.message ? e.message : String(e));
    if (e.message) process.stderr.write(`edgerun: ${cmd}${oneLine(e.message)}${e.status == 2 ? ' (edgerun --help)' : ''}\n`);
    process.exitCode = e.status;
});
