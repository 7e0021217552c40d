#!/usr/bin/env node
// site.mjs - writes the generated parts of the demo site (called by demo/demo.mk).
//
//   node demo/site.mjs models  WEB NAME...        -> WEB/models.json
//   node demo/site.mjs gallery DATA_DIR OUT_DIR N -> OUT_DIR/*.jpg + OUT_DIR/manifest.json
//
// models: lists WEB/models/NAME-cifar10.wasm (NAME-fp16 and NAME-int8: the same
//   network with compact weights, NAME-cifar10-fp16.wasm...) with its byte size,
//   so the page can show each model's download size before fetching it.
// gallery: copies the first N test images of each class from DATA_DIR/<class>/
//   (the shared CIFAR-10 test JPEGs, never committed) and records their true
//   class. Files are copied, not linked, so the server never follows a link
//   out of the site.

import fs from 'node:fs';
import path from 'node:path';

function die(msg) {
  console.error(`site.mjs: ${msg}`);
  process.exit(1);
}

function writeJson(file, value) {
  // Write then rename, so a server running meanwhile never serves half a file.
  fs.writeFileSync(file + '.tmp', JSON.stringify(value, null, 1) + '\n');
  fs.renameSync(file + '.tmp', file);
}

// "resnet20" -> models/resnet20-cifar10.wasm; "resnet20-int8" -> models/resnet20-cifar10-int8.wasm
// (the same network with compact weights).
function models(web, names) {
  const list = names.map((name) => {
    const [, base, weights] = /^(.*?)(-fp16|-int8)?$/.exec(name);
    const file = `models/${base}-cifar10${weights || ''}.wasm`;
    const st = fs.statSync(path.join(web, file), { throwIfNoEntry: false });
    if (!st?.isFile()) die(`${path.join(web, file)} is missing; build it with "make resnets"`);
    return { name, file, bytes: st.size };
  });
  writeJson(path.join(web, 'models.json'), { models: list });
}

function gallery(dataDir, outDir, perClass) {
  if (!Number.isInteger(perClass) || perClass < 1 || perClass > 1000) die(`bad images per class "${perClass}"`);
  const testDir = path.join(dataDir, 'cifar10-test');
  if (!fs.statSync(testDir, { throwIfNoEntry: false })?.isDirectory()) {
    die(`${testDir} not found; set SHARED to the shared data directory`);
  }
  const classes = fs.readdirSync(testDir, { withFileTypes: true })
    .filter((d) => d.isDirectory()).map((d) => d.name).sort();
  if (classes.length === 0) die(`${testDir} holds no class directories`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const images = [];
  for (const label of classes) {
    const files = fs.readdirSync(path.join(testDir, label)).filter((f) => /^\d+\.jpg$/.test(f)).sort();
    if (files.length < perClass) die(`${path.join(testDir, label)} has ${files.length} images, need ${perClass}`);
    for (const f of files.slice(0, perClass)) {
      const file = `${label}-${f}`;
      fs.copyFileSync(path.join(testDir, label, f), path.join(outDir, file));
      images.push({ file, label, source: `cifar10-test/${label}/${f}` });
    }
  }
  writeJson(path.join(outDir, 'manifest.json'), { classes, images });
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'models' && args.length >= 2) models(args[0], args.slice(1));
else if (cmd === 'gallery' && args.length === 3) gallery(args[0], args[1], Number(args[2]));
else die('usage: site.mjs models WEB NAME... | site.mjs gallery DATA_DIR OUT_DIR N');
