// The demo's static server: content types, the CSP on every response, and
// refusal of everything outside the site root. No browser needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startDemoServer } from './demo-server.mjs';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; media-src 'self' blob:";

let dir, root, server;

// Raw requests: fetch() would normalise "..", which is exactly what must be tested.
function get(pathname, method = 'GET') {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: pathname, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-serve-'));
  root = path.join(dir, 'site');
  fs.mkdirSync(path.join(root, 'models'), { recursive: true });
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(root, 'sub/index.html'), 'sub');
  fs.writeFileSync(path.join(root, 'app.js'), 'void 0;');
  fs.writeFileSync(path.join(root, 'style.css'), 'body{}');
  fs.writeFileSync(path.join(root, 'models.json'), '{}');
  fs.writeFileSync(path.join(root, 'models/m.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(root, 'a.jpg'), 'x');
  fs.writeFileSync(path.join(root, 'i.svg'), '<svg/>');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'link.txt'));
  server = await startDemoServer(root);
});

after(() => {
  server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('serve_should_send_each_file_with_its_content_type', async () => {
  const want = {
    '/': 'text/html; charset=utf-8',
    '/index.html': 'text/html; charset=utf-8',
    '/app.js': 'text/javascript; charset=utf-8',
    '/style.css': 'text/css; charset=utf-8',
    '/models.json': 'application/json; charset=utf-8',
    '/models/m.wasm': 'application/wasm',
    '/a.jpg': 'image/jpeg',
    '/i.svg': 'image/svg+xml',
  };
  for (const [p, type] of Object.entries(want)) {
    const r = await get(p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers['content-type'], type, p);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', p);
  }
  assert.deepEqual([...(await get('/models/m.wasm')).body], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  assert.equal((await get('/sub/')).body.toString(), 'sub');
  const redirect = await get('/sub');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, '/sub/');
  const head = await get('/app.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '7');
  assert.equal(head.body.length, 0);
});

test('serve_should_send_the_csp_on_every_response_including_errors', async () => {
  for (const [p, method, status] of [['/', 'GET', 200], ['/models/m.wasm', 'GET', 200], ['/missing.js', 'GET', 404],
    ['/../secret.txt', 'GET', 403], ['/', 'POST', 405], ['/sub', 'GET', 301]]) {
    const r = await get(p, method);
    assert.equal(r.status, status, `${method} ${p}`);
    assert.equal(r.headers['content-security-policy'], CSP, `${method} ${p}`);
  }
});

test('serve_should_refuse_paths_outside_the_root', async () => {
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt', '/sub/../../secret.txt',
    '/..%2fsecret.txt', '/..%5csecret.txt', '/%00index.html', '/index.html%00.jpg', '/%E0%A4%A']) {
    const r = await get(p);
    assert.ok(r.status === 403 || r.status === 404, `${p} answered ${r.status}`);
    assert.ok(!r.body.toString().includes('secret'), `${p} leaked the file outside the root`);
  }
  // A symlink inside the root that leads out of it is refused too.
  const link = await get('/link.txt');
  assert.equal(link.status, 403);
  assert.ok(!link.body.toString().includes('secret'));
});

test('serve_should_accept_only_get_and_head', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const r = await get('/index.html', method);
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD');
  }
});

test('serve_should_fail_clearly_when_the_root_is_not_built', async () => {
  await assert.rejects(startDemoServer(path.join(dir, 'no-such-dir')), /is not a directory; build the site first/);
});
