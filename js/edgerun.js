/* edgerun.js - run an edgerun model module (.wasm) in a browser, a bundled app or node.

   USAGE
     <script src="edgerun.min.js"></script>       defines the global `edgerun`
     const edgerun = require('edgerun')            CommonJS
     import edgerun from 'edgerun'                 ESM (node >= 18, bundlers)

     const model = await edgerun.load('models/resnet20-cifar10.wasm');
     const r = await model.run({input: base64Jpeg});   or the JSON string of edgerun.h
     r.top[0].label, r.output (softmax), r.logits, r.ms
     In an object request, "input" may also be the image file's bytes (a
     typed array or ArrayBuffer: the shim base64-encodes them) or, with
     type "tensor", a typed array. A JPEG is classified upright, as the
     browser displays it (its EXIF orientation); {exif: false} keeps the
     pixels as stored.

     Any compiled model, tensors in and out, names and dims as in the ONNX graph:
     const out = await model.runTensors({input: {data: new Float32Array(3072), dims: [1, 3, 32, 32]}});
     out.logits.data, out.logits.dims

     The one-liner: the model is loaded on first use, once.
     edgerun.options({model: 'models/resnet20-cifar10.wasm'});
     const r = await edgerun.run(json);

   WORKER MODE
     const model = await edgerun.load(url, {worker: true});
     The module runs in a dedicated Worker (worker_threads in node) started
     from edgerun-worker.js, a file shipped next to this one (no blob: URL:
     it runs under script-src 'self' and in extensions). The same API, the
     same info, results and error codes; run() and runTensors() are checked
     here, their inputs copied once and the copies transferred (the caller's
     arrays stay usable), outputs transferred back. {worker: 'url'} names
     another copy of edgerun-worker.js (relative to the page; in node a path).
     A worker that dies rejects its calls with E_MODULE and disposes the model.
     In node the worker keeps the process alive only while a call waits.

   FALLBACK: RUNNING REMOTELY
     const model = await edgerun.load(url, {fallback: 'https://host/v1/models/resnet20-cifar10'});
     When the model cannot be loaded here (no WebAssembly, or the module
     cannot be fetched, compiled or instantiated: any E_LOAD), it runs on an
     `edgerun serve` server (js/server.mjs) instead: GET {fallback} gives the
     model's info, POST {fallback}:run runs each request. The code for this is
     edgerun-remote.js, a file shipped next to this one and imported (import())
     only then; {remote: 'url'} names another copy (resolved as import()
     resolves it: against this file's URL; in node a path or file: URL).
     A cross-origin server needs `edgerun serve --cors ORIGIN` and the page's
     CSP a connect-src that allows it; nothing else changes (no eval, no blob:).
     The Model is the same: run() resolves to the server's Result; its errors
     have the server's codes (the module's, or E_NOT_FOUND, E_BUSY, E_TIMEOUT,
     E_TOO_LARGE...); E_REMOTE when the server cannot be reached or answers no
     edgerun JSON. info is the server's, plus info.remote: the fallback URL.
     runTensors() rejects with E_UNSUPPORTED (the REST API has no tensor
     route; run({type: 'tensor', input}) works); memoryBytes is 0; calls are
     not queued here. If the fallback fails too, load() rejects with E_LOAD
     naming both failures. Every Result says where it ran: result.where is
     'local' or 'remote'. edgerun.options({model, fallback}) falls back too.

   SOURCES load() accepts
     a URL (fetched; in node only http(s):, data: and blob: URLs are fetched,
     anything else is a file path or file: URL), an ArrayBuffer, any typed
     array or DataView, a File (anything with arrayBuffer()), a
     WebAssembly.Module, or a fetch Response
     (compiled while it downloads when served as application/wasm).

   FAILURES
     Every promise rejects with an Error whose .code says what went wrong:
     - the module's codes (E_JSON E_FIELD E_BASE64 E_DECODE E_LIMIT E_SHAPE
       E_MEMORY) with the module's message; runTensors checks its arguments
       itself and uses E_FIELD and E_SHAPE the same way;
     - E_LOAD: the source cannot be read, is not wasm, or is not an edgerun
       module (with {fallback}: neither could the fallback be used);
     - with {fallback}, a remote model's: the server's codes, E_REMOTE, E_UNSUPPORTED;
     - E_DISPOSED: the model was disposed;
     - E_MODULE: the module trapped or broke its protocol, or its worker
       died. Its memory can no longer be trusted, so the model is disposed.
     After any other error the model stays usable.

   LIMITS
     One run at a time per model (one arena per module): calls are queued and
     run in order. Without {worker: true}, runs are synchronous wasm on the
     calling thread. No threads, no SharedArrayBuffer, no eval, no workers
     made from strings: it runs under a CSP of script-src 'self'
     'wasm-unsafe-eval' (plus worker-src 'self' for worker mode) and in
     extension service workers.

   This file is the source of web/edgerun.js (UMD), web/edgerun.mjs (ESM) and
   web/edgerun.min.js, and with js/edgerun-worker.js of web/edgerun-worker.js;
   js/build.mjs makes them. Keep it free of static imports
   and of syntax newer than ES2020 so that every bundler parses it.
*/

const ABI = 1;
const ENOSYS = 52; // WASI errno for an import this shim does not implement
const EFAULT = 21;
const TYPES = {
    float32: Float32Array, float64: Float64Array, float16: Uint16Array, bool: Uint8Array,
    int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
    int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
};
const EXPORTS = 'memory er_alloc er_free er_info er_run er_io_data er_run_tensors er_set_max_pixels'.split(' ');
const utf8 = new TextEncoder();
const text = new TextDecoder();
const isNode = globalThis.process?.versions?.node; // truthy in node
// Object.prototype.toString sees through realms (vm contexts, iframes), instanceof does not.
const tag = (x) => ({}).toString.call(x).slice(8, -1);
const list = (a) => `[${a}]`;
const u8 = (v) => (ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v));
const binary = (v) => tag(v) == 'ArrayBuffer' || ArrayBuffer.isView(v);
const isUrl = (v) => typeof v == 'string' || tag(v) == 'URL'; // a URL or a path

const fail = (code, message, cause) => Object.assign(Error(message, cause && { cause }), { code });

const loadError = (what, why, cause) => fail('E_LOAD', `edgerun.load: ${what}: ${why}`, cause);

function freeze(o) {
    for (const v of Object.values(o)) if (v && typeof v == 'object') freeze(v);
    return Object.freeze(o);
}

// node's fs, without a static import that a bundler would try to resolve for a
// browser build: the specifier is computed (so that neither bundlers nor terser
// turn it into a literal) and the comments tell webpack and vite to leave this
// import() alone. Only ever reached under node.
// The same import() loads edgerun-remote.js for load(src, {fallback}).
const NODE = ['node', ''].join(':');
const imp = (u) => import(/* webpackIgnore: true */ /* @vite-ignore */ u);
async function nodeModule(name) {
    const get = process.getBuiltinModule;
    return get ? get(NODE + name) : imp(NODE + name);
}

// Every NAME.wasm has a twin NAME.relaxed.wasm built with relaxed SIMD
// (fused multiply-add). Where the engine validates this 37-byte module of one
// f32x4.relaxed_madd, a URL or path ending in .wasm loads the twin, and the
// plain module only if the twin cannot be had; elsewhere only the plain one
// is fetched. options.relaxed = false always loads the plain one.
const relaxedSimd = () => WebAssembly.validate(Uint8Array.from(atob('AGFzbQEAAAABCAFgA3t7ewF7AwIBAAoNAQsAIAAgASAC/YUCCw'), (c) => c.charCodeAt(0)));

// Compile the source. Returns [WebAssembly.Module, byte length or null].
async function compile(src, relaxed) {
    if (isUrl(src)) {
        src = String(src);
        const twin = src.replace(/(?<!\.relaxed)\.wasm$/i, '.relaxed.wasm');
        if (relaxed !== false && twin != src && relaxedSimd())
            try {
                return await compile(twin, false);
            } catch {} // no twin there: the plain module
        if (isNode && !/^(https?|data|blob):/i.test(src)) {
            // fs.readFile, not fs.promises: a first use of fs/promises loads node
            // internals that cost more than the read (3.3 vs 1.7 ms for 1.3 MB).
            const read = (await nodeModule('util')).promisify((await nodeModule('fs')).readFile);
            src = await read(/^file:/i.test(src) ? new URL(src) : src);
        } else src = await fetch(src);
    }
    const t = tag(src);
    if (t == 'WebAssembly.Module') return [src, null];
    if (src && typeof src.arrayBuffer == 'function' && typeof src.headers == 'object') {
        if (!src.ok) throw fail('E_LOAD', `HTTP ${src.status} ${src.statusText || ''}`.trim());
        const h = src.headers, len = h.get('content-length');
        // Streaming compilation needs the right MIME type; anything else is read whole.
        if (WebAssembly.compileStreaming && /^application\/wasm\b/i.test(h.get('content-type') || ''))
            return [await WebAssembly.compileStreaming(src), len && !h.get('content-encoding') ? +len : null];
    }
    if (src && typeof src.arrayBuffer == 'function') src = await src.arrayBuffer();
    if (binary(src)) src = u8(src);
    else throw fail('E_LOAD', `cannot load a ${t}: pass a URL, path, bytes, File, WebAssembly.Module or Response`);
    return [await WebAssembly.compile(src), src.byteLength];
}

// load() itself: locally, or with {fallback} remotely when that fails
// (no WebAssembly, the module cannot be fetched, compiled or instantiated):
// edgerun-remote.js, next to this file or at {remote: url}, is imported then.
async function load(source, o) {
    o = o || {};
    try {
        return await local(source, o);
    } catch (e) {
        if (!o.fallback || e.code != 'E_LOAD') throw e;
        // {remote} is resolved as import() resolves it: against this file's URL.
        const m = await imp(o.remote || beside(REMOTE)).catch((x) => {
            throw fail('E_LOAD', `${e.message}; the fallback failed: ${x.message}`, x);
        });
        return m.remote(o.fallback, e, requestText, fail, freeze);
    }
}

async function local(source, o) {
    const max = o.maxPixels, w = o.worker;
    if (max !== undefined && !(Number.isInteger(max) && max > 0 && max < 2 ** 32))
        throw fail('E_FIELD', `edgerun.load: options.maxPixels must be an integer in [1, 2^32), got ${max}`);
    if (!(w === undefined || typeof w == 'boolean' || isUrl(w)))
        throw fail('E_FIELD', `edgerun.load: options.worker must be a boolean or the worker's URL, got ${tag(w)}`);
    const what = isUrl(source) ? String(source) : tag(source);
    if (w) return inWorker(source, { maxPixels: max, relaxed: o.relaxed }, w === true ? null : String(w), what);
    let ex = null, heap = new Uint8Array(), info;
    // The wasm memory's buffer is replaced whenever it grows: every read and
    // write goes through view(), which notices and makes a new view.
    const view = () => (!ex || heap.buffer === ex.memory.buffer ? heap : (heap = new Uint8Array(ex.memory.buffer)));
    const clock = (id, precision, ptr) => {
        ptr >>>= 0;
        const h = view();
        if (ptr + 8 > h.length) return EFAULT;
        // clock 0 is CLOCK_REALTIME; the others are monotonic.
        const ns = BigInt(Math.round((id == 0 || typeof performance != 'object' ? Date : performance).now() * 1e6));
        new DataView(h.buffer).setBigUint64(ptr, ns, true);
        return 0;
    };
    try {
        const [module, size] = await compile(source, o.relaxed), imports = {};
        for (const d of WebAssembly.Module.imports(module)) {
            if (d.kind != 'function') throw Error(`it imports ${d.module}.${d.name}, a ${d.kind}; edgerun provides only functions`);
            // Any import a future runtime might add gets a stub that fails the way WASI does.
            // (The keys hold a '.', so no Object.prototype property is ever one.)
            (imports[d.module] = imports[d.module] || {})[d.name] =
                { 'wasi_snapshot_preview1.clock_time_get': clock, 'env.emscripten_notify_memory_growth': view }[d.module + '.' + d.name]
                || (() => ENOSYS);
        }
        ex = (await WebAssembly.instantiate(module, imports)).exports;
        const missing = EXPORTS.filter((n) => !ex[n]);
        if (missing.length) throw Error(`not an edgerun module: no export ${missing.join(', ')}`);
        if (ex._initialize) ex._initialize();
        if (max) ex.er_set_max_pixels(max);
        info = JSON.parse(cstring(view, ex.er_info()));
        if (info.abi !== ABI) throw Error(`the module speaks ABI ${info.abi}; this shim speaks ${ABI}`);
        for (const io of info.inputs.concat(info.outputs)) {
            const T = TYPES[io.dtype];
            if (T && io.bytes != io.dims.reduce((a, b) => a * b, T.BYTES_PER_ELEMENT))
                throw Error(`tensor "${io.name}" is ${io.bytes} bytes, not dims ${list(io.dims)} of ${io.dtype}`);
        }
        info.max_pixels = ex.er_set_max_pixels(0) >>> 0;
        info.size = size;
    } catch (e) {
        throw loadError(what, e.message, e);
    }
    return model(ex, view, freeze(info));
}

// The NUL-terminated string the module returned at ptr. view() is called only
// now, after the call that returned ptr, which may have grown the memory.
function cstring(view, ptr) {
    ptr >>>= 0;
    const heap = view();
    const end = heap.indexOf(0, ptr);
    if (!ptr || end < 0) throw fail('E_MODULE', `the module returned a bad string pointer ${ptr}`);
    return text.decode(heap.subarray(ptr, end));
}

// Parse a response; a module error becomes a rejection with its code.
function response(view, ptr) {
    const s = cstring(view, ptr);
    let r;
    try {
        r = JSON.parse(s);
    } catch (e) {
        throw fail('E_MODULE', `the module returned invalid JSON: ${s.slice(0, 80)}`, e);
    }
    if (r && r.error) throw fail(String(r.error.code), String(r.error.message));
    r.where = 'local';
    return r;
}

function base64(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
}

// The request text for run(): a string as is; an object as JSON, its "input"
// first turned into base64 (image bytes) or a number array (a tensor).
function requestText(input) {
    if (typeof input == 'string') return input;
    if (!input || typeof input != 'object')
        throw fail('E_FIELD', `model.run: the request must be a JSON string or an object, got ${input === null ? 'null' : typeof input}`);
    const v = input.input;
    if (binary(v)) input = { ...input, input: input.type == 'tensor' ? Array.from(v, Number) : base64(u8(v)) };
    try {
        return JSON.stringify(input);
    } catch (e) {
        throw fail('E_FIELD', `model.run: the request cannot be written as JSON: ${e.message}`, e);
    }
}

// One input of runTensors, checked against the model's description and
// converted to the typed array of its dtype.
function tensor(io, t) {
    const name = `model.runTensors: input "${io.name}"`;
    const T = TYPES[io.dtype];
    if (!T) throw fail('E_FIELD', `${name} has dtype ${io.dtype}, which runTensors does not support`);
    if (!t || typeof t != 'object') throw fail('E_FIELD', `${name} is missing`);
    if (t.dims !== undefined && (!Array.isArray(t.dims) || list(t.dims) != list(io.dims)))
        throw fail('E_SHAPE', `${name}: dims ${Array.isArray(t.dims) ? list(t.dims) : typeof t.dims} do not match the model's ${list(io.dims)}`);
    const big = T.BYTES_PER_ELEMENT == 8 && T != Float64Array;
    let d = t.data;
    if (Array.isArray(d)) {
        const i = d.findIndex(big ? (v) => typeof v != 'bigint' && !Number.isInteger(v) : (v) => typeof v != 'number' && typeof v != 'boolean');
        if (i >= 0) throw fail('E_FIELD', `${name}: data[${i}] is not ${big ? 'an integer' : 'a number'}`);
        d = T.from(d, big ? BigInt : Number);
    } else if (tag(d) != T.name) {
        throw fail('E_FIELD', `${name}: data must be a ${T.name} or an array of ${big ? 'integers' : 'numbers'}, got ${tag(d)}`);
    }
    const count = io.dims.reduce((a, b) => a * b, 1);
    if (d.length != count)
        throw fail('E_SHAPE', `${name}: ${d.length} values, but dims ${list(io.dims)} hold ${count}`);
    // A copy: the caller may reuse its array while this call waits in the queue.
    return u8(d).slice();
}

// The inputs of runTensors in the model's order, each checked and copied.
function tensorInputs(info, inputs) {
    if (!inputs || typeof inputs != 'object') throw fail('E_FIELD', 'model.runTensors: pass an object {name: {data, dims}}');
    const names = info.inputs.map((io) => io.name);
    const extra = Object.keys(inputs).filter((k) => !names.includes(k));
    if (extra.length)
        throw fail('E_FIELD', `model.runTensors: unknown input "${extra[0]}"; the model's inputs are ${names.join(', ')}`);
    return info.inputs.map((io) => tensor(io, inputs[io.name]));
}

function model(ex, view, info) {
    let queue = Promise.resolve(), closed = null;

    // Queue work(prepare()) behind every earlier call; prepare checks the
    // arguments at call time. A trap or a broken response leaves the module's
    // memory in an unknown state, so it disposes the model at once.
    const call = (prepare, work) => {
        if (closed) return Promise.reject(fail('E_DISPOSED', closed));
        let arg;
        try {
            arg = prepare();
        } catch (e) {
            return Promise.reject(e);
        }
        const p = queue.then(() => {
            if (!ex) throw fail('E_DISPOSED', closed);
            try {
                return work(arg);
            } catch (e) {
                if (e.code && e.code != 'E_MODULE') throw e;
                ex = null;
                closed = `the model was disposed after the module failed: ${e.message}`;
                throw e.code ? e : fail('E_MODULE', `the module failed: ${e.message}`, e);
            }
        });
        queue = p.catch(() => {});
        return p;
    };

    // Check a pointer and length the module returned before reading there.
    const region = (ptr, bytes, what) => {
        ptr >>>= 0;
        if (!ptr || ptr + bytes > view().length) throw fail('E_MODULE', `the module has no valid buffer for ${what}`);
        return view().subarray(ptr, ptr + bytes);
    };

    return {
        info,
        get memoryBytes() {
            return ex ? ex.memory.buffer.byteLength : 0;
        },
        run(input) {
            return call(() => utf8.encode(requestText(input)), (req) => {
                const p = ex.er_alloc(req.length || 1) >>> 0;
                if (!p) throw fail('E_MEMORY', `model.run: the module cannot allocate ${req.length} bytes for the request`);
                let r;
                try {
                    region(p, req.length, 'the request').set(req);
                    r = ex.er_run(p, req.length);
                } finally {
                    ex.er_free(p);
                }
                return response(view, r);
            });
        },
        runTensors(inputs) {
            return call(() => tensorInputs(info, inputs), (data) => {
                data.forEach((d, i) => region(ex.er_io_data(0, i), d.length, `input ${i}`).set(d));
                response(view, ex.er_run_tensors());
                const out = {};
                info.outputs.forEach((io, i) => {
                    const T = TYPES[io.dtype] || Uint8Array;
                    const bytes = region(ex.er_io_data(1, i), io.bytes, `output ${i}`);
                    out[io.name] = { data: new T(bytes.slice().buffer), dims: io.dims.slice() };
                });
                return out;
            });
        },
        // Calls already queued finish; later ones reject.
        dispose() {
            if (!closed) {
                closed = 'the model was disposed';
                queue.then(() => (ex = null));
            }
        },
    };
}

// ---- worker mode ----------------------------------------------------------------
// load(src, {worker}) runs the module in a dedicated Worker (worker_threads in
// node) started from edgerun-worker.js, a real file next to this one: no blob:
// URL, so script-src 'self' allows it and extensions can ship it. The worker
// runs this same shim (js/edgerun-worker.js). This side checks the arguments,
// copies the inputs once (the caller keeps its arrays) and transfers the
// copies; outputs are transferred back. Messages: {id, op, arg} -> {id, ok |
// error: {code, message}, memory}.
const WORKER = 'edgerun-worker.js', REMOTE = 'edgerun-remote.js';
// Where this file was loaded from, and a function that starts the default
// worker; each build sets them below the @exports marker (the ESM in the
// `new Worker(new URL(..., import.meta.url))` form bundlers recognise).
let here = '', defaultWorker = null;
// A file next to this one: node's path or file: URL, elsewhere a URL.
const beside = (f) => (isNode && !/^file:/.test(here) ? here.replace(/[^/\\]*$/, f) : new URL(f, here || location));

async function inWorker(source, options, url, what) {
    const pending = new Map();
    let seq = 0, memory = 0, closed = null, info = null, send, stop, idle = () => {};
    const settle = (d) => {
        const p = pending.get(d.id);
        pending.delete(d.id);
        memory = d.memory;
        d.error ? p[1](fail(d.error.code, d.error.message)) : p[0](d.ok);
        if (!pending.size) closed ? stop() : idle();
    };
    // A worker that dies fails every call waiting for it, and the model with it.
    const die = (why) => {
        why = `the worker failed: ${why}`;
        closed = closed || why;
        for (const p of pending.values()) p[1](info ? fail('E_MODULE', why) : loadError(what, why));
        pending.clear();
        stop();
    };
    // As in model(): arguments are checked at call time; prepare gives [arg, transfer list].
    const call = (op, prepare) => {
        if (closed) return Promise.reject(fail('E_DISPOSED', closed));
        return new Promise((ok, no) => {
            const [arg, transfer] = prepare();
            send({ id: ++seq, op, arg }, transfer); // the answer comes in a later task
            pending.set(seq, [ok, no]);
        });
    };
    try {
        if (typeof Worker == 'function') {
            const w = url ? new Worker(url) : defaultWorker();
            w.onmessage = (e) => settle(e.data);
            w.onerror = (e) => (e.preventDefault(), die(e.message || `cannot start ${url || WORKER}`));
            send = (m, t) => w.postMessage(m, t);
            stop = () => w.terminate();
        } else if (isNode) {
            // A path as node takes it (absolute, or ./ from the working directory) or a file: URL.
            const at = url ? (/^file:/i.test(url) ? new URL(url) : url) : beside(WORKER);
            const w = new (await nodeModule('worker_threads')).Worker(at);
            w.on('message', settle).on('error', (e) => die(e.message)).on('exit', (c) => die(`exit status ${c}`));
            // The worker keeps node running only while a call waits for it.
            send = (m, t) => (w.ref(), w.postMessage(m, t));
            stop = () => w.terminate();
            idle = () => w.unref();
        } else throw Error('no Worker here');
        // A URL is resolved here, where the page's base URL is known; bytes
        // and a Response are read here and handed over.
        let src = source;
        if (isUrl(src))
            src = String(isNode ? src : new URL(src, globalThis.document?.baseURI || location.href));
        else if (binary(src)) src = u8(src).slice();
        else if (src && src.headers && src.arrayBuffer) src = await src.arrayBuffer();
        info = freeze(await call('load', () => [[src, options], binary(src) ? [src.buffer || src] : []]));
    } catch (e) {
        if (stop) stop();
        throw e.code ? e : loadError(what, e.message, e);
    }
    return {
        info,
        get memoryBytes() {
            return closed ? 0 : memory;
        },
        run(input) {
            return call('run', () => {
                // Image bytes travel as a transferred copy (encoded to base64 in
                // the worker), everything else as the request's JSON.
                const v = input && typeof input == 'object' && input.type != 'tensor' ? input.input : 0;
                if (!binary(v)) return [[requestText(input)]];
                const copy = u8(v).slice();
                return [[requestText({ ...input, input: 0 }), copy], [copy.buffer]];
            });
        },
        runTensors(inputs) {
            return call('tensors', () => {
                const data = tensorInputs(info, inputs);
                return [data, data.map((d) => d.buffer)];
            });
        },
        dispose() {
            if (!closed) {
                closed = 'the model was disposed';
                if (!pending.size) stop();
            }
        },
    };
}

// The one-liner of the first edgerun demo: options({model}) then run(json).
const settings = {};
let current = null; // {model, maxPixels, worker, loading: Promise<Model>}

function options(o) {
    if (o !== undefined) {
        if (!o || typeof o != 'object') throw fail('E_FIELD', 'edgerun.options: pass an object such as {model: url}');
        Object.assign(settings, o);
    }
    return { ...settings };
}

function run(input) {
    const { model, maxPixels, worker } = settings;
    if (!model) return Promise.reject(fail('E_FIELD', 'edgerun.run: no model: call edgerun.options({model: url}) first'));
    if (!current || current.model !== model || current.maxPixels !== maxPixels || current.worker !== worker) {
        // The previous model finishes what it was asked, then goes away.
        if (current) current.loading.then((m) => m.dispose(), () => {});
        // Every option reaches load() (relaxed, fallback, remote too); changing model,
        // maxPixels or worker loads the model again.
        const c = (current = { model, maxPixels, worker, loading: load(model, { ...settings }) });
        c.loading.catch(() => current === c && (current = null)); // a failed load is retried next time
    }
    return current.loading.then((m) => m.run(input));
}

const edgerun = { load, run, options };

/* @exports: js/build.mjs replaces everything below for the UMD build. */
here = import.meta.url;
defaultWorker = () => new Worker(new URL('./edgerun-worker.js', import.meta.url));
export { load, run, options };
export default edgerun;
