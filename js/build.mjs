// Build the shim from its one source:
//   node js/build.mjs [OUTDIR]   (default web)
// writes OUTDIR/edgerun.mjs (ESM), OUTDIR/edgerun.js (UMD: script tag, CommonJS,
// AMD) and OUTDIR/edgerun.min.js (the UMD minified), prints the sizes and
// fails when the minified file is over the budget.
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
})(typeof globalThis != 'undefined' ? globalThis : this, function () {
'use strict';
${core}edgerun.default = edgerun;
return edgerun;
});
`;

const min = await minify(umd, {
    ecma: 2020,
    compress: { passes: 2 },
    mangle: true,
    // Keep the banner and the comments that tell bundlers to leave node's fs alone.
    format: { comments: /^!|webpackIgnore|@vite-ignore/ },
});

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'edgerun.mjs'), banner + src);
writeFileSync(join(out, 'edgerun.js'), umd);
writeFileSync(join(out, 'edgerun.min.js'), min.code + '\n');

const size = Buffer.byteLength(min.code + '\n');
const gz = gzipSync(min.code + '\n', { level: 9 }).length;
console.log(`edgerun: ${out}/edgerun.min.js ${size} bytes (gzip ${gz}), budget ${BUDGET}`);
if (size > BUDGET) {
    console.error(`edgerun: ${out}/edgerun.min.js is ${size - BUDGET} bytes over the ${BUDGET}-byte budget`);
    process.exit(1);
}
