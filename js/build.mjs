// Build the shim from its one source:
//   node js/build.mjs [OUTDIR]   (default web)
// writes OUTDIR/edgerun.mjs (ESM), OUTDIR/edgerun.js (UMD: script tag, CommonJS,
// AMD), OUTDIR/edgerun.min.js (the UMD minified) and OUTDIR/edgerun-worker.js
// (the shim's core plus js/edgerun-worker.js, minified: the script worker mode
// starts) and OUTDIR/edgerun-remote.js (js/edgerun-remote.js minified: the ES
// module load(src, {fallback}) imports), prints the sizes and fails when edgerun.min.js is over the budget.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { minify } from 'terser';

const BUDGET = 10240;
const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || 'web';
const src = readFileSync(join(here, 'edgerun.js'), 'utf8');
const { version } = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8'));
const banner = `/*! edgerun ${version} | BSD-2-Clause */\n`;

// The source is an ES module whose only exports follow the marker.
const MARK = '/* @exports';
const cut = src.indexOf(MARK);
if (cut < 0 || src.indexOf(MARK, cut + 1) >= 0) throw Error(`js/edgerun.js: need exactly one "${MARK}" line`);
const core = src.slice(0, cut);
if (/^(import|export)\b/m.test(core)) throw Error('js/edgerun.js: imports/exports must all follow the @exports marker');

const umd = `${banner}(function (root, factory) {
    if (typeof module == 'object' && module.exports) module.exports = factory();
    else if (typeof define == 'function' && define.amd) define([], factory);
    else root.edgerun = factory();
})(globalThis, function () {
'use strict';
${core}
// The default worker is the one next to this file: node's __filename, or the
// script tag's src (read now: document.currentScript is set only while the
// script first runs); in a worker that imported this script, next to that worker.
here = isNode && typeof __filename == 'string' ? __filename : globalThis.document?.currentScript?.src || '';
defaultWorker = () => new Worker(beside(WORKER));
edgerun.default = edgerun;
return edgerun;
});
`;

const TERSER = {
    ecma: 2020,
    compress: { passes: 2 },
    mangle: true,
    // Keep the banner and the comments that tell bundlers to leave node's modules alone.
    format: { comments: /^!|webpackIgnore|@vite-ignore/ },
};
const min = await minify(umd, TERSER);
// The worker: a classic script in its own scope (nothing leaks into the worker's globals).
const workerSrc = readFileSync(join(here, 'edgerun-worker.js'), 'utf8');
const worker = await minify(`${banner}(function () {\n'use strict';\n${core}\n${workerSrc}\n})();\n`, TERSER);

// The remote model: an ES module of its own, imported only to fall back.
const remote = await minify(banner + readFileSync(join(here, 'edgerun-remote.js'), 'utf8'), { ...TERSER, module: true });

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'edgerun.mjs'), banner + src);
writeFileSync(join(out, 'edgerun.js'), umd);
writeFileSync(join(out, 'edgerun.min.js'), min.code + '\n');
writeFileSync(join(out, 'edgerun-worker.js'), worker.code + '\n');
writeFileSync(join(out, 'edgerun-remote.js'), remote.code + '\n');

const size = Buffer.byteLength(min.code + '\n');
const gz = gzipSync(min.code + '\n', { level: 9 }).length;
console.log(`edgerun: ${out}/edgerun.min.js ${size} bytes (gzip ${gz}), budget ${BUDGET}; ` +
    `${out}/edgerun-worker.js ${Buffer.byteLength(worker.code) + 1} bytes; ${out}/edgerun-remote.js ${Buffer.byteLength(remote.code) + 1} bytes`);
if (size > BUDGET) {
    console.error(`edgerun: ${out}/edgerun.min.js is ${size - BUDGET} bytes over the ${BUDGET}-byte budget`);
    process.exit(1);
}
