// The load test of `edgerun serve` in short (bench/serve-load.mjs; the 30 s
// version's table is in BENCHMARKS.md): 5 s of 8 concurrent keep-alive clients
// sending a CIFAR-10 JPEG to resnet20 on loopback. Every request must be
// answered 200 with the right class: zero connection errors, timeouts or
// non-2xx answers. Throughput is reported, not asserted: the machine is shared.
// Needs `make resnets shim`, ../shared and autocannon (npm devDependency).
// Run: node --test tests/js/server-load.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTest } from '../../bench/serve-load.mjs';

test('5 s of 8 clients against edgerun serve: zero errors, every answer 200', async () => {
    const r = await loadTest({ duration: 5, warmup: 1, clients: [8], model: 'resnet20-cifar10', image: 'cat/0000.jpg',
        expect: /"top":\[\{"index":3,"label":"cat"/ });
    const [run] = r.runs;
    console.log(`edgerun serve, 8 clients for 5 s: ${run.rps.toFixed(0)} requests/s, p50 ${run.p50_ms} ms, p99 ${run.p99_ms} ms, ` +
        `${run.requests} requests, ${run.errors} errors; RSS ${(run.rss_before / 2 ** 20).toFixed(1)} -> ${(run.rss_after / 2 ** 20).toFixed(1)} MB`);
    assert.ok(run.requests > 0, 'the server answered');
    assert.equal(run.wrong_answers, 0, 'answers that are not "cat"');
    assert.equal(run.errors, 0, 'connection errors, timeouts and non-2xx answers');
    assert.equal(run.ok, run.requests, 'every answer is 2xx');
});
