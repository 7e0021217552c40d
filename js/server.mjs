/* server.mjs - `edgerun serve`: a REST server that runs edgerun model modules.

   USAGE
     edgerun serve [--port 8081] [--host 127.0.0.1] [--workers N] [--queue 64]
                   [--timeout 30000] [--body-timeout 10000] [--max-body 16777216]
                   [--cors ORIGIN] [--quiet] web/models/*.wasm
   or from code:
     import { startServer } from 'edgerun/server';   (js/server.mjs)
     const s = await startServer([{ name: 'resnet20-cifar10', path }], { port: 0 });
     s.url; ... await s.shutdown();

   ROUTES (JSON in and out; node's http module, no framework)
     POST /v1/models/{name}:run   the request JSON of edgerun.h -> the response JSON
     GET  /v1/models              {"models":[{name, ...info}]}  (info as model.info)
     GET  /v1/models/{name}       {name, ...info}
     GET  /healthz                {"status":"ok"}; 503 {"status":"draining"} while shutting down
     GET  /metrics                Prometheus text: requests by status, latency histogram,
                                  queue depth and busy workers per model

   ERRORS: {"error":{"code":"E_...","message":"..."}} with an HTTP status
     400  the module's input codes (E_JSON E_FIELD E_BASE64 E_DECODE E_LIMIT E_SHAPE),
          E_JSON for a body that is not UTF-8, E_PATH for a path with a '..' or '.'
          segment, a control character (NUL) or bad %-encoding, or a bad model name
     404  E_NOT_FOUND  no such route or model
     405  E_METHOD     the route exists, not for this method (Allow says which)
     408  E_TIMEOUT    the body did not arrive within --body-timeout (slow clients)
     413  E_TOO_LARGE  the body is over --max-body (judged from Content-Length
                       first, so a 1 GB upload is refused before any byte of it)
     500  E_MODULE     the module failed (trapped or its worker died; the worker is
                       replaced); E_MEMORY: the module ran out of memory
     503  E_BUSY       the model's queue is full; Retry-After says when to retry
     504  E_TIMEOUT    the run took over --timeout; its worker is replaced, since
                       wasm cannot be interrupted

   POOL
     Each model gets --workers worker_threads (default: the CPU count), each
     with one instance of the module (js/server-worker.mjs, through the shim),
     and a queue of at most --queue waiting requests; a request runs on the
     first idle worker, in arrival order. A request whose client disconnects
     while it waits leaves the queue (logged as status 499).

   SHUTDOWN
     shutdown() (SIGTERM or SIGINT from the command line) stops accepting
     connections, closes idle keep-alive ones, answers requests already
     received (in flight or queued) with Connection: close, then stops the
     workers.

   LOGS
     One line per request: time, method, path (escaped, at most 200
     characters), status, milliseconds, bytes in and out, error code. Request
     bodies never reach the log. CORS headers only with --cors ORIGIN. */
import { createServer } from 'node:http';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./server-worker.mjs', import.meta.url);

export const DEFAULTS = Object.freeze({
    port: 8081,
    host: '127.0.0.1',
    workers: typeof os.availableParallelism == 'function' ? os.availableParallelism() : os.cpus().length || 1,
    queue: 64,
    timeout: 30000,
    bodyTimeout: 10000,
    maxBody: 16 << 20,
    cors: null,
});

// The module's codes that mean the request was wrong (edgerun.h).
const INPUT_CODES = new Set(['E_JSON', 'E_FIELD', 'E_BASE64', 'E_DECODE', 'E_LIMIT', 'E_SHAPE']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const errorBody = (code, message) => JSON.stringify({ error: { code, message } });

// ---- the pool of one model ----------------------------------------------------------

class Pool {
    constructor(name, path, o, log) {
        Object.assign(this, { name, path, o, log });
        this.slots = [];
        this.queue = [];
        this.seq = 0;
        this.closing = false;
        this.info = null;
        this.idleWaiters = [];
    }

    async start() {
        const infos = await Promise.all(Array.from({ length: this.o.workers }, () => this.spawn()));
        this.info = infos[0];
    }

    // A new worker; resolves with the model's info once it has loaded.
    spawn() {
        return new Promise((resolve, reject) => {
            const w = new Worker(WORKER, { workerData: { path: this.path, maxPixels: this.o.maxPixels } });
            const slot = { w, job: null, ready: false, dead: false };
            this.slots.push(slot);
            w.on('message', (m) => {
                if (m.ready) {
                    slot.ready = true;
                    resolve(m.ready);
                    this.pump();
                } else this.done(slot, m);
            });
            w.on('error', (e) => {
                if (!slot.ready) {
                    this.drop(slot);
                    reject(e);
                } else this.lost(slot, e.message);
            });
            w.on('exit', (status) => {
                if (!slot.ready) {
                    this.drop(slot);
                    reject(new Error(`its worker exited with status ${status} while loading`));
                } else if (!slot.dead) this.lost(slot, `its worker exited with status ${status}`);
            });
        });
    }

    drop(slot) {
        slot.dead = true;
        this.slots = this.slots.filter((s) => s !== slot);
    }

    // Stop a worker whose module cannot be trusted or is stuck, and start another.
    replace(slot) {
        this.drop(slot);
        slot.w.terminate();
        if (!this.closing)
            this.spawn().catch((e) => this.log(`edgerun serve: ${this.name}: a replacement worker failed to load: ${e.message}`));
    }

    // A worker died under a job: the job fails, the worker is replaced.
    lost(slot, why) {
        const job = slot.job;
        slot.job = null;
        if (job) this.finish(job, 500, errorBody('E_MODULE', `${this.name}: ${why}`), 'E_MODULE');
        this.replace(slot);
        this.pump();
    }

    // Run one request body (a string); resolves with {status, body, code, headers}; never rejects.
    // onGone(cancel): cancel() takes the job out of the queue if it still waits there (its
    // client went away); a job already running finishes, since wasm cannot be interrupted.
    run(body, onGone) {
        return new Promise((resolve) => {
            const job = { body, resolve, slot: null, settled: false };
            if (this.queue.length >= this.o.queue && !this.slots.some((s) => s.ready && !s.job)) {
                return this.finish(job, 503, errorBody('E_BUSY', `${this.name}: the queue is full (${this.o.queue} requests waiting); retry later`),
                    'E_BUSY', { 'Retry-After': '1' });
            }
            job.timer = setTimeout(() => {
                const msg = `${this.name}: the run took over ${this.o.timeout} ms`;
                if (job.slot) {
                    const slot = job.slot;
                    slot.job = null;
                    this.replace(slot);
                } else this.queue = this.queue.filter((j) => j !== job);
                this.finish(job, 504, errorBody('E_TIMEOUT', msg), 'E_TIMEOUT');
                this.pump();
            }, this.o.timeout);
            this.queue.push(job);
            this.pump();
            onGone(() => {
                if (job.slot || job.settled) return;
                this.queue = this.queue.filter((j) => j !== job);
                this.finish(job, 499, '', null);
                this.checkIdle();
            });
        });
    }

    pump() {
        for (const slot of this.slots) {
            if (!this.queue.length) break;
            if (!slot.ready || slot.job || slot.dead) continue;
            const job = this.queue.shift();
            slot.job = job;
            job.slot = slot;
            job.id = ++this.seq;
            slot.w.postMessage({ id: job.id, body: job.body });
        }
        this.checkIdle();
    }

    done(slot, m) {
        const job = slot.job;
        if (!job || job.id !== m.id) return; // a late answer to a job that timed out
        slot.job = null;
        if (m.error) {
            const code = m.error.code;
            const status = INPUT_CODES.has(code) ? 400 : 500;
            this.finish(job, status, errorBody(code, m.error.message), code);
            if (code == 'E_MODULE' || code == 'E_DISPOSED') return this.lost(slot, m.error.message);
        } else this.finish(job, 200, m.ok, null);
        this.pump();
    }

    finish(job, status, body, code, headers) {
        if (job.settled) return;
        job.settled = true;
        clearTimeout(job.timer);
        job.resolve({ status, body, code, headers });
    }

    get busy() {
        return this.slots.filter((s) => s.job).length;
    }

    checkIdle() {
        if (!this.queue.length && !this.busy) for (const f of this.idleWaiters.splice(0)) f();
    }

    idle() {
        return new Promise((resolve) => {
            this.idleWaiters.push(resolve);
            this.checkIdle();
        });
    }

    async close() {
        this.closing = true;
        await Promise.all(this.slots.map((s) => ((s.dead = true), s.w.terminate())));
        this.slots = [];
    }
}

// ---- metrics -------------------------------------------------------------------------

class Metrics {
    constructor() {
        this.byStatus = new Map();
        this.buckets = BUCKETS.map(() => 0);
        this.sum = 0;
        this.count = 0;
    }

    observe(status, seconds) {
        this.byStatus.set(status, (this.byStatus.get(status) || 0) + 1);
        BUCKETS.forEach((b, i) => seconds <= b && this.buckets[i]++);
        this.sum += seconds;
        this.count++;
    }

    text(pools) {
        const l = [];
        l.push('# HELP edgerun_http_requests_total HTTP requests answered, by status code.');
        l.push('# TYPE edgerun_http_requests_total counter');
        for (const [s, n] of [...this.byStatus].sort((a, b) => a[0] - b[0])) l.push(`edgerun_http_requests_total{status="${s}"} ${n}`);
        l.push('# HELP edgerun_http_request_duration_seconds Time from a request\'s headers to its response.');
        l.push('# TYPE edgerun_http_request_duration_seconds histogram');
        BUCKETS.forEach((b, i) => l.push(`edgerun_http_request_duration_seconds_bucket{le="${b}"} ${this.buckets[i]}`));
        l.push(`edgerun_http_request_duration_seconds_bucket{le="+Inf"} ${this.count}`);
        l.push(`edgerun_http_request_duration_seconds_sum ${this.sum}`);
        l.push(`edgerun_http_request_duration_seconds_count ${this.count}`);
        l.push('# HELP edgerun_queue_depth Requests waiting for a worker, by model.');
        l.push('# TYPE edgerun_queue_depth gauge');
        for (const p of pools.values()) l.push(`edgerun_queue_depth{model="${p.name}"} ${p.queue.length}`);
        l.push('# HELP edgerun_workers_busy Workers running a request, by model.');
        l.push('# TYPE edgerun_workers_busy gauge');
        for (const p of pools.values()) l.push(`edgerun_workers_busy{model="${p.name}"} ${p.busy}`);
        l.push('# HELP edgerun_workers Workers with a loaded module, by model.');
        l.push('# TYPE edgerun_workers gauge');
        for (const p of pools.values()) l.push(`edgerun_workers{model="${p.name}"} ${p.slots.filter((s) => s.ready).length}`);
        return l.join('\n') + '\n';
    }
}

// ---- the server ------------------------------------------------------------------------

// A request's path for a log line: escaped (no control characters or quotes
// reach the log) and cut at 200 characters.
const logPath = (url) => {
    const s = JSON.stringify(String(url)).slice(1, -1);
    return s.length > 200 ? s.slice(0, 200) + '...' : s;
};

/* Start the server: models is [{name, path}]; options as DEFAULTS (plus
   maxPixels, and log: a function taking one line, default console.log).
   Resolves once every worker has loaded its module and the port listens. */
export async function startServer(models, options = {}) {
    const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    const log = o.log || ((line) => console.log(line));
    for (const k of ['workers', 'queue', 'timeout', 'bodyTimeout', 'maxBody'])
        if (!Number.isInteger(o[k]) || o[k] < (k == 'queue' ? 0 : 1)) throw new Error(`${k} must be a positive integer, got ${o[k]}`);
    if (!models.length) throw new Error('no models to serve');
    const pools = new Map();
    for (const { name, path } of models) {
        if (!NAME.test(name)) throw new Error(`"${name}" is not a model name (letters, digits, '.', '_', '-')`);
        if (pools.has(name)) throw new Error(`two models are named "${name}"`);
        pools.set(name, new Pool(name, path, o, log));
    }
    try {
        await Promise.all([...pools.values()].map((p) =>
            p.start().catch((e) => { throw new Error(`${p.name}: ${String(e.message).replace(/^edgerun\.load: /, '')}`); })));
    } catch (e) {
        await Promise.all([...pools.values()].map((p) => p.close()));
        throw e;
    }

    const metrics = new Metrics();
    let draining = false, inFlight = 0, drained = null;
    const utf8 = new TextDecoder('utf-8', { fatal: true });

    const server = createServer({
        // Slow headers: node answers 408 itself, checked every second.
        headersTimeout: o.bodyTimeout, requestTimeout: 0, connectionsCheckingInterval: 1000,
    }, (req, res) => {
        const t0 = process.hrtime.bigint();
        let bytesIn = 0, bytesOut = 0, code = null, logged = false;
        inFlight++;
        const end = () => {
            if (logged) return;
            logged = true;
            inFlight--;
            const s = Number(process.hrtime.bigint() - t0) / 1e9;
            const status = res.headersSent ? res.statusCode : 499; // 499: the client went away first
            metrics.observe(status, s);
            log(`${new Date().toISOString()} ${req.method} ${logPath(req.url)} ${status} ${(s * 1e3).toFixed(1)}ms ` +
                `in=${bytesIn} out=${bytesOut}${code ? ' ' + code : ''}`);
            if (drained && inFlight == 0) drained();
        };
        res.on('finish', end);
        res.on('close', end);

        const send = (status, body, headers = {}, type = 'application/json; charset=utf-8') => {
            if (res.headersSent || res.destroyed) return;
            const h = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store',
                'X-Content-Type-Options': 'nosniff', ...headers };
            if (o.cors) Object.assign(h, { 'Access-Control-Allow-Origin': o.cors, Vary: 'Origin' });
            if (draining) h.Connection = 'close';
            bytesOut = h['Content-Length'];
            res.writeHead(status, h);
            res.end(req.method == 'HEAD' ? undefined : body);
        };
        const fail = (status, c, message, headers) => {
            code = c;
            send(status, errorBody(c, message), headers);
        };
        // After an error that leaves body bytes unread: answer, then drop the connection.
        const failAndClose = (status, c, message) => {
            res.shouldKeepAlive = false;
            fail(status, c, message, { Connection: 'close' });
            res.on('finish', () => req.destroy());
        };

        const url = req.url || '';
        const q = url.indexOf('?');
        const raw = q < 0 ? url : url.slice(0, q);
        let path;
        try {
            path = decodeURIComponent(raw);
        } catch {
            return fail(400, 'E_PATH', 'the path has a bad %-encoding');
        }
        if (!path.startsWith('/')) return fail(400, 'E_PATH', 'the path must start with /');
        if (/[\x00-\x1f\x7f]/.test(path)) return fail(400, 'E_PATH', 'the path has a control character (such as NUL)');
        if (/\/\.\.?(\/|$)/.test(path)) return fail(400, 'E_PATH', "the path has a '.' or '..' segment");

        const allow = (methods) => {
            if (req.method == 'OPTIONS' && o.cors) {
                send(204, '', { 'Access-Control-Allow-Methods': methods, 'Access-Control-Allow-Headers': 'Content-Type',
                    'Access-Control-Max-Age': '600' });
                return false;
            }
            if (methods.split(', ').includes(req.method) || (req.method == 'HEAD' && methods.includes('GET'))) return true;
            fail(405, 'E_METHOD', `${req.method} is not allowed here; use ${methods}`, { Allow: methods });
            return false;
        };

        if (path == '/healthz') {
            if (allow('GET')) send(draining ? 503 : 200, JSON.stringify({ status: draining ? 'draining' : 'ok' }));
            return;
        }
        if (path == '/metrics') {
            if (allow('GET')) send(200, metrics.text(pools), {}, 'text/plain; version=0.0.4; charset=utf-8');
            return;
        }
        if (path == '/v1/models') {
            if (allow('GET')) send(200, JSON.stringify({ models: [...pools.values()].map((p) => ({ name: p.name, ...p.info })) }));
            return;
        }
        const m = /^\/v1\/models\/([^/]*?)(:run)?$/.exec(path);
        if (!m) return fail(404, 'E_NOT_FOUND', 'no such route: the routes are /v1/models, /v1/models/{name}, /v1/models/{name}:run, /healthz and /metrics');
        const [, name, isRun] = m;
        if (!NAME.test(name)) return fail(400, 'E_PATH', 'a model name is letters, digits, ".", "_" and "-"');
        const pool = pools.get(name);
        if (!pool) return fail(404, 'E_NOT_FOUND', `no model named "${name}"; the models are ${[...pools.keys()].join(', ')}`);
        if (!isRun) {
            if (allow('GET')) send(200, JSON.stringify({ name, ...pool.info }));
            return;
        }
        if (!allow('POST')) return;

        // The body: bounded in size and in time.
        const declared = req.headers['content-length'];
        if (declared !== undefined && Number(declared) > o.maxBody)
            return failAndClose(413, 'E_TOO_LARGE', `the body is ${declared} bytes; the limit is ${o.maxBody}`);
        const chunks = [];
        let done = false;
        const timer = setTimeout(() => {
            done = true;
            failAndClose(408, 'E_TIMEOUT', `the body did not arrive within ${o.bodyTimeout} ms`);
        }, o.bodyTimeout);
        req.on('data', (c) => {
            if (done) return;
            bytesIn += c.length;
            if (bytesIn > o.maxBody) {
                done = true;
                clearTimeout(timer);
                return failAndClose(413, 'E_TOO_LARGE', `the body is over the limit of ${o.maxBody} bytes`);
            }
            chunks.push(c);
        });
        req.on('error', () => clearTimeout(timer));
        req.on('close', () => clearTimeout(timer));
        req.on('end', async () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            const bytes = Buffer.concat(chunks);
            let body;
            try {
                body = utf8.decode(bytes);
            } catch {
                return fail(400, 'E_JSON', 'the body is not valid UTF-8');
            }
            const r = await pool.run(body, (cancel) => res.on('close', () => res.writableFinished || cancel()));
            code = r.code;
            send(r.status, r.body, r.headers);
        });
    });

    // Requests node's parser refuses (a raw NUL in the request line, a header
    // over 16 KB, slow headers): a JSON answer where the socket still takes
    // one, counted and logged like any other.
    server.on('clientError', (err, socket) => {
        const status = err.code == 'HPE_HEADER_OVERFLOW' ? 431 : err.code == 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
        const c = status == 408 ? 'E_TIMEOUT' : status == 431 ? 'E_TOO_LARGE' : 'E_REQUEST';
        if (err.code == 'ECONNRESET' || !socket.writable) return socket.destroy();
        const body = errorBody(c, status == 408 ? 'the request headers did not arrive in time' : `the request cannot be parsed (${err.code})`);
        socket.end(`HTTP/1.1 ${status} ${status == 408 ? 'Request Timeout' : status == 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
            `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        metrics.observe(status, 0);
        log(`${new Date().toISOString()} - - ${status} 0.0ms in=0 out=${Buffer.byteLength(body)} ${c} (${err.code})`);
    });

    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => {
            server.off('error', reject);
            resolve();
        });
    });
    const address = server.address();
    const host = address.family == 'IPv6' ? `[${address.address}]` : address.address;

    let shut = null;
    return {
        server,
        pools,
        url: `http://${host}:${address.port}`,
        port: address.port,
        // Graceful: no new connections, every request received is answered.
        shutdown() {
            if (shut) return shut;
            draining = true;
            shut = (async () => {
                const closed = new Promise((resolve) => server.close(resolve));
                server.closeIdleConnections();
                if (inFlight) await new Promise((resolve) => (drained = resolve));
                await Promise.all([...pools.values()].map((p) => p.idle()));
                server.closeAllConnections();
                await closed;
                await Promise.all([...pools.values()].map((p) => p.close()));
            })();
            return shut;
        },
    };
}
