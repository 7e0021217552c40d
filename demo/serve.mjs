#!/usr/bin/env node
// serve.mjs - the static server behind `make demo` and the browser tests.
//
//   node demo/serve.mjs [--root web] [--port 8080] [--host 127.0.0.1]
//
// Serves the files under --root and nothing else: GET and HEAD only, no
// directory listings (a directory serves its index.html), no path outside the
// root (".." segments, encoded or not, NUL bytes and symlinks leading out are
// refused). Every response, errors included, carries the Content-Security-
// Policy the demo is written for, so the page is tested under the policy a
// careful site owner would deploy. --port 0 picks a free port. The first line
// on stdout is always "edgerun demo: <url>", which the tests wait for.
//
// Deliberately small and dependency-free: node's http module only, and it
// never fetches anything itself, so the demo works offline.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
  "img-src 'self' data: blob:; media-src 'self' blob:";

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.txt': 'text/plain; charset=utf-8',
  '.d.ts': 'text/plain; charset=utf-8',
};

function parseArgs(argv) {
  const opts = { root: 'web', port: 8080, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in opts) || i + 1 >= argv.length) {
      throw new Error(`usage: serve.mjs [--root DIR] [--port N] [--host ADDR] (bad argument "${argv[i]}")`);
    }
    opts[key] = argv[++i];
  }
  opts.port = Number(opts.port);
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error(`serve.mjs: --port must be 0..65535, got "${opts.port}"`);
  }
  return opts;
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

// The file a URL path names, or null when it names something outside root.
// Decoding happens once, before the check, so "%2e%2e" cannot slip past it.
function resolveInside(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded.split('/').some((seg) => seg === '..')) return null;
  const file = path.join(root, decoded);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

export function createServer(rootDir) {
  const root = fs.realpathSync(rootDir);
  return http.createServer((req, res) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    const urlPath = (req.url || '/').split('?')[0].split('#')[0];
    if (!urlPath.startsWith('/')) {
      send(res, 400, 'bad request\n');
      return;
    }
    let file = resolveInside(root, urlPath);
    if (file === null) {
      send(res, 403, 'forbidden\n');
      return;
    }
    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        if (!urlPath.endsWith('/')) {
          send(res, 301, 'moved\n', { Location: urlPath + '/' });
          return;
        }
        file = path.join(file, 'index.html');
      }
      // realpath catches a symlink inside root that points outside it.
      fs.realpath(file, (err2, real) => {
        if (err2) {
          send(res, 404, 'not found\n');
          return;
        }
        if (!real.startsWith(root + path.sep)) {
          send(res, 403, 'forbidden\n');
          return;
        }
        fs.stat(real, (err3, st3) => {
          if (err3 || !st3.isFile()) {
            send(res, 404, 'not found\n');
            return;
          }
          const ext = real.endsWith('.d.ts') ? '.d.ts' : path.extname(real).toLowerCase();
          res.writeHead(200, {
            'Content-Type': TYPES[ext] || 'application/octet-stream',
            'Content-Length': st3.size,
          });
          if (req.method === 'HEAD') {
            res.end();
            return;
          }
          const stream = fs.createReadStream(real);
          stream.on('error', () => res.destroy());
          stream.pipe(res);
        });
      });
    });
  });
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
    if (!fs.statSync(opts.root, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Error(`serve.mjs: ${opts.root} is not a directory; build the site first with "make demo"`);
    }
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  const server = createServer(opts.root);
  server.on('error', (e) => {
    console.error(`serve.mjs: cannot listen on ${opts.host}:${opts.port}: ${e.message}`);
    process.exit(1);
  });
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address();
    console.log(`edgerun demo: http://${opts.host}:${port}/`);
    console.log(`serving ${path.resolve(opts.root)} (Ctrl-C to stop)`);
  });
  // Browsers hold keep-alive connections open, so close() alone would hang.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
}
