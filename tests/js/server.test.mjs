// `edgerun serve` (js/server.mjs through bin/edgerun.mjs), started as a user
// starts it, on a free loopback port: its routes and their answers (checked
// against the shim in this process), the status code of every error, the
// pool (default size, the bounded queue's 503, the timeout's 504 and the
// worker that replaces a stuck one), /metrics, the log, CORS, bad clients
// (slow-loris, a 1 GB Content-Length, invalid UTF-8, '..', NUL) and the
// graceful SIGTERM.
// Needs `make resnets shim` and ../shared. Run: node --test tests/js/server.test.mjs
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');
const CLI = join(ROOT, 'bin/edgerun.mjs');
function need(path, make) {
    if (!existsSync(path)) throw Error(`${path} is missing: run \`make ${make}\` from ${ROOT} first`);
    return path;
}
const RESNET20 = need(join(ROOT, 'web/models/resnet20-cifar10.wasm'), 'resnets');
const { default: edgerun } = await import(pathToFileURL(need(join(ROOT, 'web/edgerun.mjs'), 'shim')));
const IMAGES = need(join(SHARED, 'data/cifar10-test'), '(nothing: ../shared is missing)');
const CAT = readFileSync(join(IMAGES, 'cat/0000.jpg'));
const catRequest = JSON.stringify({ input: CAT.toString('base64') });

// A 3000x3000 RGB PNG (650 KB): 150-300 ms to decode and shrink, long enough
// to keep a worker busy while a test fills the queue or sends SIGTERM.
function bigPng(w = 3000, h = 3000) {
    const table = Array.from({ length: 256 }, (_, n) => {
        for (let k = 0; k < 8; k++) n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1;
        return n >>> 0;
    });
    const crc = (b) => { let c = ~0; for (const x of b) c = table[(c ^ x) & 255] ^ (c >>> 8); return ~c >>> 0; };
    const chunk = (type, data) => {
        const b = Buffer.alloc(12 + data.length);
        b.writeUInt32BE(data.length, 0);
        b.write(type, 4, 'latin1');
        data.copy(b, 8);
        b.writeUInt32BE(crc(b.subarray(4, 8 + data.length)), 8 + data.length);
        return b;
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
    const raw = Buffer.alloc((w * 3 + 1) * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w * 3; x++) raw[y * (w * 3 + 1) + 1 + x] = (x * 7 + y * 3) & 255;
    return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}
let slowRequestText = null;
const slowRequest = () => (slowRequestText ??= JSON.stringify({ input: bigPng().toString('base64') }));

// Start `edgerun serve --port 0 ARGS`; resolves once it listens.
async function serve(args) {
    const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const s = { proc, stdout: '', stderr: '', exit: new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal }))) };
    proc.stdout.on('data', (d) => (s.stdout += d));
    proc.stderr.on('data', (d) => (s.stderr += d));
    s.url = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(Error(`the server did not start: ${s.stdout}${s.stderr}`)), 30000);
        proc.stdout.on('data', () => {
            const m = /listening on (http:\/\/\S+)/.exec(s.stdout);
            if (m) clearTimeout(timer), resolve(m[1]);
        });
        s.exit.then(({ code }) => (clearTimeout(timer), reject(Error(`the server exited (${code}): ${s.stderr}`))));
    });
    s.stop = async () => {
        if (proc.exitCode === null) proc.kill('SIGTERM');
        return s.exit;
    };
    return s;
}

// One HTTP request; resolves with {status, headers, text, json}.
async function call(url, init = {}) {
    const r = await fetch(url, init);
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch {}
    return { status: r.status, headers: r.headers, text, json };
}
const post = (url, body) => call(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

// Bytes written on a raw socket (for what fetch would refuse or fix); resolves
// with the status line and body the server answered, or the error.
function raw(url, write, timeout = 15000) {
    const { hostname, port } = new URL(url);
    return new Promise((resolve) => {
        const sock = net.connect(+port, hostname);
        let data = '';
        const t0 = Date.now();
        const timer = setTimeout(() => { sock.destroy(); resolve({ status: 0, text: data, ms: Date.now() - t0, timedOut: true }); }, timeout);
        sock.on('connect', () => write(sock));
        sock.on('data', (d) => (data += d));
        const done = () => {
            clearTimeout(timer);
            const m = /^HTTP\/1\.1 (\d+)/.exec(data);
            const body = data.slice(data.indexOf('\r\n\r\n') + 4);
            let json = null;
            try { json = JSON.parse(body); } catch {}
            resolve({ status: m ? +m[1] : 0, text: data, json, ms: Date.now() - t0 });
        };
        sock.on('end', done);
        sock.on('close', done);
        sock.on('error', () => {});
    });
}

// A local run also says where: 'local'; the REST answer does not carry it.
const withoutMs = (r) => ({ ...r, ms: undefined, where: undefined });
function assertError(r, status, code) {
    assert.equal(r.status, status, r.text.slice(0, 300));
    assert.equal(r.json && r.json.error && r.json.error.code, code, r.text.slice(0, 300));
    assert.equal(typeof r.json.error.message, 'string');
}
// The value of a sample in /metrics text.
function metric(text, name) {
    const line = text.split('\n').find((l) => l.startsWith(name + ' '));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('edgerun serve: routes, errors, metrics, logs, bad clients', () => {
    let s, local;
    const MARKER = 'do-not-log-this-' + Math.random().toString(36).slice(2);
    before(async () => {
        s = await serve(['--workers', '2', '--body-timeout', '1000', '--max-body', '4000000', RESNET20, 'resnet56-cifar10']);
        local = await edgerun.load(RESNET20);
    });
    after(async () => {
        local.dispose();
        const { code } = await s.stop();
        assert.equal(code, 0, s.stderr);
    });

    test('POST /v1/models/{name}:run answers what the shim answers', async () => {
        const r = await post(`${s.url}/v1/models/resnet20-cifar10:run`, catRequest);
        assert.equal(r.status, 200, r.text);
        assert.match(r.headers.get('content-type'), /^application\/json/);
        assert.deepEqual(withoutMs(r.json), withoutMs(await local.run(catRequest)));
        assert.equal(r.json.top[0].label, 'cat');
        assert.deepEqual(Object.keys(r.json.ms), ['decode', 'prepare', 'infer']);
        const tensor = JSON.stringify({ type: 'tensor', input: Array.from({ length: 3072 }, (_, i) => Math.cos(i)) });
        const t = await post(`${s.url}/v1/models/resnet20-cifar10:run`, tensor);
        assert.deepEqual(withoutMs(t.json), withoutMs(await local.run(tensor)));
        const deep = await post(`${s.url}/v1/models/resnet56-cifar10:run`, catRequest);
        assert.equal(deep.status, 200);
        assert.equal(deep.json.top[0].label, 'cat');
    });

    test('GET /v1/models, /v1/models/{name} and /healthz', async () => {
        const list = await call(`${s.url}/v1/models`);
        assert.equal(list.status, 200);
        assert.deepEqual(list.json.models.map((m) => m.name), ['resnet20-cifar10', 'resnet56-cifar10']);
        const one = await call(`${s.url}/v1/models/resnet20-cifar10`);
        assert.equal(one.status, 200);
        // The module's info as the shim reads it (the relaxed twin where node validates it, as here).
        assert.deepEqual(one.json, { name: 'resnet20-cifar10', ...JSON.parse(JSON.stringify(local.info)) });
        assert.deepEqual(list.json.models[0], one.json);
        const h = await call(`${s.url}/healthz`);
        assert.equal(h.status, 200);
        assert.deepEqual(h.json, { status: 'ok' });
    });

    test('the module\'s input errors are 400 with their E_ code; the model stays usable', async () => {
        const url = `${s.url}/v1/models/resnet20-cifar10:run`;
        assertError(await post(url, '{"input":'), 400, 'E_JSON');
        assertError(await post(url, ''), 400, 'E_JSON');
        assertError(await post(url, JSON.stringify({ input: 'AAAA', nrom: [] })), 400, 'E_FIELD');
        assertError(await post(url, JSON.stringify({ input: 'ab#c' })), 400, 'E_BASE64');
        assertError(await post(url, JSON.stringify({ input: Buffer.from('no image').toString('base64') })), 400, 'E_DECODE');
        assertError(await post(url, JSON.stringify({ type: 'tensor', input: [1, 2] })), 400, 'E_SHAPE');
        assert.equal((await post(url, catRequest)).status, 200);
    });

    test('404 for an unknown model or route, 405 for a wrong method, no CORS headers by default', async () => {
        assertError(await post(`${s.url}/v1/models/resnet99:run`, catRequest), 404, 'E_NOT_FOUND');
        assertError(await call(`${s.url}/v1/models/resnet99`), 404, 'E_NOT_FOUND');
        assertError(await call(`${s.url}/v2/anything`), 404, 'E_NOT_FOUND');
        const r = await call(`${s.url}/v1/models/resnet20-cifar10:run`);
        assertError(r, 405, 'E_METHOD');
        assert.equal(r.headers.get('allow'), 'POST');
        assertError(await post(`${s.url}/healthz`, '{}'), 405, 'E_METHOD');
        const o = await call(`${s.url}/v1/models/resnet20-cifar10:run`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
        assert.equal(o.status, 405);
        assert.equal(o.headers.get('access-control-allow-origin'), null);
        assert.equal((await call(`${s.url}/healthz`, { headers: { origin: 'https://evil.example' } })).headers.get('access-control-allow-origin'), null);
    });

    test('bad client: a slow-loris body gets 408 after --body-timeout; others are served meanwhile', async () => {
        const loris = raw(s.url, (sock) => {
            sock.write(`POST /v1/models/resnet20-cifar10:run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
            const drip = setInterval(() => (sock.writable ? sock.write(' ') : clearInterval(drip)), 150);
            sock.on('close', () => clearInterval(drip));
        });
        assert.equal((await post(`${s.url}/v1/models/resnet20-cifar10:run`, catRequest)).status, 200);
        const r = await loris;
        assert.equal(r.status, 408, r.text);
        assert.equal(r.json.error.code, 'E_TIMEOUT');
        assert.ok(r.ms >= 900 && r.ms < 5000, `answered after ${r.ms} ms`);
    });

    test('bad client: slow headers get 408 too', async () => {
        const r = await raw(s.url, (sock) => {
            sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
            const drip = setInterval(() => (sock.writable ? sock.write('X-Slow: 1\r\n') : clearInterval(drip)), 200);
            sock.on('close', () => clearInterval(drip));
        });
        assert.equal(r.status, 408, r.text);
        assert.ok(r.ms < 5000, `answered after ${r.ms} ms`);
    });

    test('bad client: a 1 GB Content-Length is refused with 413 before the body is read', async () => {
        const r = await raw(s.url, (sock) => {
            sock.write(`POST /v1/models/resnet20-cifar10:run HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 ** 30}\r\n\r\n{"input":"`);
        });
        assert.equal(r.status, 413, r.text);
        assert.equal(r.json.error.code, 'E_TOO_LARGE');
        assert.ok(r.ms < 2000, `answered after ${r.ms} ms`);
        // A chunked body without a length is cut off when it passes the limit.
        const big = Buffer.alloc(5000000, 'A');
        const c = await raw(s.url, (sock) => {
            sock.write(`POST /v1/models/resnet20-cifar10:run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
            sock.write(`${big.length.toString(16)}\r\n`);
            sock.write(big);
        });
        assert.equal(c.status, 413, c.text.slice(0, 200));
    });

    test('bad client: invalid UTF-8 is 400 E_JSON', async () => {
        const r = await post(`${s.url}/v1/models/resnet20-cifar10:run`, Buffer.from([0x7b, 0x22, 0x69, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
        assertError(r, 400, 'E_JSON');
        assert.match(r.json.error.message, /UTF-8/);
    });

    test('bad client: a path with .. is 400, raw or %-encoded', async () => {
        for (const path of ['/v1/models/../healthz', '/v1/models/%2e%2e/models', '/v1/models/resnet20-cifar10/..%2f..%2fetc:run', '/v1/models/..:run']) {
            const r = await raw(s.url, (sock) => sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
            assert.equal(r.status, 400, `${path}: ${r.text}`);
            assert.equal(r.json.error.code, 'E_PATH', path);
        }
    });

    test('bad client: a model name with a NUL is 400, %-encoded or raw', async () => {
        assertError(await post(`${s.url}/v1/models/resnet20%00-cifar10:run`, catRequest), 400, 'E_PATH');
        assertError(await call(`${s.url}/v1/models/resnet20-cifar10%00`), 400, 'E_PATH');
        const r = await raw(s.url, (sock) => sock.write(`POST /v1/models/res\0net:run HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`));
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.error.code, 'E_REQUEST');
        assertError(await call(`${s.url}/v1/models/res%zznet:run`), 400, 'E_PATH');
    });

    test('after every bad client the server is up and still answers', async () => {
        assert.equal(s.proc.exitCode, null);
        assert.equal((await call(`${s.url}/healthz`)).status, 200);
        assert.equal((await post(`${s.url}/v1/models/resnet20-cifar10:run`, catRequest)).json.top[0].label, 'cat');
    });

    test('/metrics: requests by status, a latency histogram, queue depth per model (Prometheus text)', async () => {
        await post(`${s.url}/v1/models/resnet20-cifar10:run`, JSON.stringify({ input: 'AAAA', secret: MARKER }));
        const r = await call(`${s.url}/metrics`);
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
        const t = r.text;
        for (const line of t.trim().split('\n'))
            assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{\w+="[^"]*"(,\w+="[^"]*")*\})? -?[\d.e+-]+)$/, line);
        const byStatus = Object.fromEntries([...t.matchAll(/^edgerun_http_requests_total\{status="(\d+)"\} (\d+)$/gm)].map((m) => [m[1], +m[2]]));
        for (const status of ['200', '400', '404', '405', '408', '413']) assert.ok(byStatus[status] >= 1, `${status}: ${JSON.stringify(byStatus)}`);
        const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
        assert.equal(metric(t, 'edgerun_http_request_duration_seconds_count'), total);
        assert.equal(metric(t, 'edgerun_http_request_duration_seconds_bucket{le="+Inf"}'), total);
        const buckets = [...t.matchAll(/_bucket\{le="[^"]+"\} (\d+)/g)].map((m) => +m[1]);
        assert.deepEqual(buckets, buckets.slice().sort((a, b) => a - b), 'cumulative buckets');
        assert.equal(metric(t, 'edgerun_queue_depth{model="resnet20-cifar10"}'), 0);
        assert.equal(metric(t, 'edgerun_queue_depth{model="resnet56-cifar10"}'), 0);
        assert.equal(metric(t, 'edgerun_workers{model="resnet56-cifar10"}'), 2);
    });

    test('one log line per request, never the body', async () => {
        // /metrics counts the requests answered before it; its own line follows once it is answered.
        const counted = metric((await call(`${s.url}/metrics`)).text, 'edgerun_http_request_duration_seconds_count');
        await new Promise((r) => setTimeout(r, 200));
        assert.ok(!s.stdout.includes(MARKER), 'a request body reached the log');
        const lines = s.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
        assert.equal(lines.length, counted + 1);
        assert.match(lines.at(-1), /^\S+ GET \/metrics 200 /);
        assert.ok(lines.some((l) => /^\S+ POST \/v1\/models\/resnet20-cifar10:run 400 [\d.]+ms in=\d+ out=\d+ E_FIELD$/.test(l)), lines.join('\n'));
        assert.ok(lines.some((l) => / POST \/v1\/models\/resnet20-cifar10:run 200 /.test(l)));
        assert.ok(lines.some((l) => / 408 .* E_TIMEOUT/.test(l)));
        assert.ok(lines.every((l) => !/[\0\r]/.test(l)));
    });
});

describe('edgerun serve: the pool', () => {
    test('the default pool is one worker per CPU', async () => {
        const s = await serve([RESNET20]);
        try {
            const m = await call(`${s.url}/metrics`);
            const cpus = typeof os.availableParallelism == 'function' ? os.availableParallelism() : os.cpus().length;
            assert.equal(metric(m.text, 'edgerun_workers{model="resnet20-cifar10"}'), cpus);
            assert.match(s.stdout, new RegExp(`${cpus} workers? each`));
        } finally {
            assert.equal((await s.stop()).code, 0);
        }
    });

    test('a full queue is 503 E_BUSY with Retry-After; what was accepted is answered', async () => {
        const s = await serve(['--workers', '1', '--queue', '1', RESNET20]);
        try {
            const body = slowRequest();
            const rs = await Promise.all(Array.from({ length: 6 }, () => post(`${s.url}/v1/models/resnet20-cifar10:run`, body)));
            const ok = rs.filter((r) => r.status == 200), busy = rs.filter((r) => r.status == 503);
            assert.equal(ok.length + busy.length, 6, rs.map((r) => r.status).join(' '));
            assert.ok(ok.length >= 2, `one running and one queued are answered: ${rs.map((r) => r.status).join(' ')}`);
            assert.ok(busy.length >= 1, `the queue of 1 overflowed: ${rs.map((r) => r.status).join(' ')}`);
            for (const r of busy) {
                assertError(r, 503, 'E_BUSY');
                assert.match(r.headers.get('retry-after'), /^\d+$/);
            }
            for (const r of ok) assert.equal(r.json.top.length, 3);
        } finally {
            assert.equal((await s.stop()).code, 0);
        }
    });

    test('a client that disconnects while its request waits takes it out of the queue', async () => {
        const s = await serve(['--workers', '1', '--queue', '8', RESNET20]);
        try {
            const body = slowRequest();
            const first = post(`${s.url}/v1/models/resnet20-cifar10:run`, body); // keeps the one worker busy
            await new Promise((r) => setTimeout(r, 50));
            // Four whole requests that queue behind it, whose clients then hang up.
            await Promise.all(Array.from({ length: 4 }, () => raw(s.url, (sock) => {
                sock.write(`POST /v1/models/resnet20-cifar10:run HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
                sock.write(body, () => setTimeout(() => sock.destroy(), 100));
            }, 5000)));
            await new Promise((r) => setTimeout(r, 50));
            const m = await call(`${s.url}/metrics`);
            // Without the cancellation three or four of them would still wait here (150-300 ms a run).
            assert.equal(metric(m.text, 'edgerun_queue_depth{model="resnet20-cifar10"}'), 0, m.text);
            assert.equal((await first).status, 200);
            await new Promise((r) => setTimeout(r, 100));
            assert.equal(s.stdout.split('\n').filter((l) => / POST \/v1\/models\/resnet20-cifar10:run 499 .* in=\d{6,} /.test(l)).length, 4, s.stdout);
        } finally {
            assert.equal((await s.stop()).code, 0);
        }
    });

    test('a run over --timeout is 504 E_TIMEOUT; its worker is replaced', async () => {
        const s = await serve(['--workers', '1', '--timeout', '1', RESNET20]);
        try {
            const r = await post(`${s.url}/v1/models/resnet20-cifar10:run`, slowRequest());
            assertError(r, 504, 'E_TIMEOUT');
            // The stuck worker was stopped and a new one loads the module.
            let workers;
            for (let i = 0; i < 100; i++) {
                workers = metric((await call(`${s.url}/metrics`)).text, 'edgerun_workers{model="resnet20-cifar10"}');
                if (workers == 1) break;
                await new Promise((res) => setTimeout(res, 100));
            }
            assert.equal(workers, 1, 'a replacement worker');
            assert.equal((await call(`${s.url}/healthz`)).status, 200);
            assertError(await post(`${s.url}/v1/models/resnet20-cifar10:run`, slowRequest()), 504, 'E_TIMEOUT');
        } finally {
            assert.equal((await s.stop()).code, 0);
        }
    });
});

test('--cors ORIGIN: the origin on every answer, and preflight requests', async () => {
    const s = await serve(['--workers', '1', '--cors', 'https://app.example', RESNET20]);
    try {
        const r = await post(`${s.url}/v1/models/resnet20-cifar10:run`, catRequest);
        assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example');
        const e = await call(`${s.url}/v1/models/nope`);
        assert.equal(e.headers.get('access-control-allow-origin'), 'https://app.example');
        const p = await call(`${s.url}/v1/models/resnet20-cifar10:run`, { method: 'OPTIONS',
            headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
        assert.equal(p.status, 204);
        assert.equal(p.headers.get('access-control-allow-origin'), 'https://app.example');
        assert.match(p.headers.get('access-control-allow-methods'), /POST/);
        assert.match(p.headers.get('access-control-allow-headers'), /content-type/i);
    } finally {
        await s.stop();
    }
});

test('SIGTERM: requests in flight and queued are answered, new connections refused, exit status 0', async () => {
    const s = await serve(['--workers', '1', RESNET20]);
    const body = slowRequest();
    const inFlight = Array.from({ length: 3 }, () => post(`${s.url}/v1/models/resnet20-cifar10:run`, body));
    await new Promise((r) => setTimeout(r, 150)); // the bodies are in; one runs, two wait
    s.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    const late = await raw(s.url, (sock) => sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'), 5000);
    assert.equal(late.status, 0, `a new connection after SIGTERM: ${late.text}`);
    const rs = await Promise.all(inFlight);
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
    for (const r of rs) assert.equal(r.headers.get('connection'), 'close');
    const { code } = await s.exit;
    assert.equal(code, 0, s.stderr);
    assert.match(s.stdout, /SIGTERM: finishing the requests in flight\n(.*\n)*edgerun serve: stopped\n$/);
});

test('serve: a wrong command line or a bad model is one line on stderr and a non-zero exit', async () => {
    const run = (args) => new Promise((resolve) => {
        const p = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.on('exit', (code) => resolve({ code, err }));
    });
    let r = await run(['--port', '70000', RESNET20]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^edgerun: serve: --port needs a port number.*\n$/);
    r = await run(['--port', '0', 'no-such-model']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^edgerun: serve: no model named "no-such-model".*\n$/);
    r = await run(['--port', '0', '--cors', 'not an origin', RESNET20]);
    assert.equal(r.code, 2);
    r = await run(['--port', '0', join(ROOT, 'package.json')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^edgerun: serve: .*package\.json.*\n$/);
});
