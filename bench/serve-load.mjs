#!/usr/bin/env node
/* serve-load.mjs - load test of `edgerun serve` on loopback with autocannon.

     node bench/serve-load.mjs [--duration 30] [--clients 1,8,32] [--warmup 5] [--model resnet20-cifar10]
                               [--image cat/0000.jpg] [--workers N] [--json]

   Starts `edgerun serve` (bin/edgerun.mjs) as its own process, so that its
   RSS is the server's alone (the pool's workers are threads of it), warms it
   up, then sends the same request, a CIFAR-10 JPEG of ../shared as base64,
   to POST /v1/models/{model}:run from 1, 8 and 32 concurrent clients (keep-
   alive connections, one request in flight each) for the given seconds each.
   Per run: requests/s, p50 and p99 latency, the CPUs the server and the
   load generator kept busy, errors (connection errors,
   timeouts, non-2xx answers and, for the default image, 200 answers whose
   top class is not "cat"), the server's RSS before and after.
   Prints a Markdown table (BENCHMARKS.md) or, with --json, the figures.
   tests/js/server-load.test.mjs runs it for 5 s and asserts zero errors.
   The load generator shares the machine with the server: on a 2-core
   machine it takes CPU the pool would otherwise use. */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = resolve(ROOT, process.env.SHARED || '../shared');

// The server's resident set, in bytes (Linux /proc; null elsewhere).
function rss(pid) {
    try {
        const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? +m[1] * 1024 : null;
    } catch {
        return null;
    }
}

// CPU seconds the process has used (user + system; Linux /proc; null elsewhere).
function cpu(pid) {
    try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
        return (+f[11] + +f[12]) / 100; // utime, stime in clock ticks (USER_HZ, 100 on Linux)
    } catch {
        return null;
    }
}

// Start `edgerun serve` on a free port; resolves with {url, pid, stop()}.
export async function startServe(args) {
    const proc = spawn(process.execPath, [join(ROOT, 'bin/edgerun.mjs'), 'serve', '--port', '0', '--quiet', ...args],
        { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    proc.stderr.on('data', (d) => (err += d));
    const exit = new Promise((r) => proc.on('exit', (code) => r(code)));
    const url = await new Promise((resolve, reject) => {
        proc.stdout.on('data', (d) => {
            out += d;
            const m = /listening on (http:\/\/\S+)/.exec(out);
            if (m) resolve(m[1]);
        });
        exit.then((code) => reject(Error(`edgerun serve exited (${code}): ${err}`)));
    });
    return { url, pid: proc.pid, stop: () => (proc.exitCode === null && proc.kill('SIGTERM'), exit), stderr: () => err };
}

// One autocannon run: figures in a plain object. With expect (a RegExp),
// every 200 answer's body must match it; those that do not count as errors.
export async function load(url, body, connections, seconds, expect) {
    let wrong = 0;
    const r = await autocannon({
        url, connections, pipelining: 1, duration: seconds, timeout: 10,
        requests: [{ method: 'POST', body, headers: { 'content-type': 'application/json' },
            onResponse: expect && ((status, text) => status == 200 && !expect.test(text) && wrong++) }],
    });
    return {
        clients: connections,
        seconds,
        requests: r.requests.total,
        ok: r['2xx'],
        rps: r.requests.total / seconds,
        p50_ms: r.latency.p50,
        p99_ms: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx + wrong,
        wrong_answers: wrong,
    };
}

// The whole test: warm-up, then each client count in turn, with RSS around each run.
export async function loadTest({ duration = 30, clients = [1, 8, 32], warmup = 5, model = 'resnet20-cifar10',
    image = 'cat/0000.jpg', workers, expect } = {}) {
    const body = JSON.stringify({ input: readFileSync(join(SHARED, 'data/cifar10-test', image)).toString('base64') });
    const s = await startServe([...(workers ? ['--workers', String(workers)] : []), model]);
    try {
        const rssStart = rss(s.pid);
        if (warmup) await load(`${s.url}/v1/models/${model}:run`, body, Math.max(...clients), warmup);
        const rssWarm = rss(s.pid);
        const runs = [];
        for (const c of clients) {
            const before = rss(s.pid), serverCpu = cpu(s.pid), ownCpu = process.cpuUsage();
            const r = await load(`${s.url}/v1/models/${model}:run`, body, c, duration, expect);
            const own = process.cpuUsage(ownCpu);
            runs.push({ ...r, rss_before: before, rss_after: rss(s.pid),
                // CPUs kept busy on average: the server (main thread and workers), and this load generator.
                server_cpus: serverCpu == null ? null : (cpu(s.pid) - serverCpu) / duration,
                client_cpus: (own.user + own.system) / 1e6 / duration });
        }
        return { model, image, body_bytes: body.length, workers: workers || os.availableParallelism(), cpus: os.availableParallelism(),
            node: process.version, rss_start: rssStart, rss_warm: rssWarm, runs };
    } finally {
        const code = await s.stop();
        if (code !== 0) throw Error(`edgerun serve exited with status ${code} on SIGTERM: ${s.stderr()}`);
    }
}

const mb = (b) => (b == null ? '?' : (b / 2 ** 20).toFixed(1) + ' MB');

if (process.argv[1] && resolve(process.argv[1]) == fileURLToPath(import.meta.url)) {
    const args = process.argv.slice(2), opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
    const r = await loadTest({
        duration: +opt('--duration', 30), warmup: +opt('--warmup', 5), clients: opt('--clients', '1,8,32').split(',').map(Number),
        model: opt('--model', 'resnet20-cifar10'), image: opt('--image', 'cat/0000.jpg'),
        workers: args.includes('--workers') ? +opt('--workers') : undefined,
        expect: args.includes('--image') ? undefined : /"top":\[\{"index":3,"label":"cat"/,
    });
    if (args.includes('--json')) console.log(JSON.stringify(r, null, 2));
    else {
        console.log(`${r.model}, ${r.image} (${r.body_bytes}-byte request), ${r.workers} workers on ${r.cpus} CPUs, node ${r.node}; ` +
            `RSS ${mb(r.rss_start)} at start, ${mb(r.rss_warm)} after warm-up\n`);
        console.log('| clients | requests/s | p50 | p99 | requests | errors | server RSS before → after | CPUs: server, autocannon |');
        console.log('|---:|---:|---:|---:|---:|---:|---|---|');
        for (const x of r.runs)
            console.log(`| ${x.clients} | ${x.rps.toFixed(0)} | ${x.p50_ms} ms | ${x.p99_ms} ms | ${x.requests} | ${x.errors} | ` +
                `${mb(x.rss_before)} → ${mb(x.rss_after)} | ${x.server_cpus == null ? '?' : x.server_cpus.toFixed(2)}, ${x.client_cpus.toFixed(2)} |`);
        const one = r.runs.find((x) => x.clients == 1), eight = r.runs.find((x) => x.clients == 8);
        if (one && eight) console.log(`\n8 clients / 1 client: ${(eight.rps / one.rps).toFixed(2)}x`);
    }
}
