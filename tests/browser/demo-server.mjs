// demo-server.mjs - start demo/serve.mjs as `make demo` does, for the browser tests.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SERVE = path.join(REPO, 'demo/serve.mjs');

// Spawns the server on a free port (--port 0) and resolves with the URL it
// prints; rejects with the server's own stderr if it does not come up.
export function startDemoServer(root) {
  const child = spawn(process.execPath, [SERVE, '--root', root, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`demo server printed no URL within 10 s; stderr: ${err}`));
    }, 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^edgerun demo: (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => child.kill() });
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo server exited with status ${code}: ${err.trim()}`));
    });
  });
}
