// The demo page end to end in Debian's chromium, on the site `make demo-site`
// builds in web/ and served by the same server `make demo` runs.
//
// Oracle: ../shared/data/cifar10-test-reference.csv (Pillow decoding +
// PyTorch): each ResNet's top-1 prediction and resnet20's logits.
// One browser, one page, tests in order (they share the session so that the
// request and CSP checks at the end cover everything the page did).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { REPO, startDemoServer } from './demo-server.mjs';

// DEMO_WEB: test another assembled site (e.g. a scratch copy); web/ by default.
const WEB = path.resolve(REPO, process.env.DEMO_WEB || 'web');
const BUILD = path.join(REPO, 'build');
const SHARED = path.resolve(REPO, process.env.SHARED || '../shared');
const DATA = path.join(SHARED, 'data/cifar10-test');
const CSV = path.join(SHARED, 'data/cifar10-test-reference.csv');
const MODELS = ['resnet20', 'resnet32', 'resnet44', 'resnet56'];
// resnet20 with compact weights, offered after the four (issue #9).
const COMPACT = { 'resnet20-fp16': 'models/resnet20-cifar10-fp16.wasm', 'resnet20-int8': 'models/resnet20-cifar10-int8.wasm' };
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

let server, context, page, profile, tmp, origin, firstResponse;
const requests = [];      // every request the page made: {method, url, post}
const consoleErrors = []; // console errors and uncaught exceptions

// ---- helpers -----------------------------------------------------------------

function readReference() {
  const [header, ...lines] = fs.readFileSync(CSV, 'utf8').trim().split('\n');
  const cols = header.split(',');
  return lines.map((line) => {
    const v = line.split(',');
    const row = Object.fromEntries(cols.map((c, i) => [c, v[i]]));
    return {
      path: row.path,
      label: CLASSES[Number(row.label)],
      pred: Object.fromEntries(MODELS.map((m) => [m, CLASSES[Number(row[`pred_${m}`])]])),
      logits: CLASSES.map((_, i) => Number(row[`logit20_${i}`])),
    };
  });
}

function softmax(x) {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

// Three images per class: the first two, and the first one resnet20 gets
// wrong, so that agreement with resnet20 (not with the true label) is tested.
function pickUploads(ref) {
  const picked = [];
  for (const cls of CLASSES) {
    const rows = ref.filter((r) => r.label === cls);
    const wrong = rows.slice(2).find((r) => r.pred.resnet20 !== cls);
    picked.push(rows[0], rows[1], wrong);
  }
  return picked;
}

const result = () => page.evaluate(() => {
  const r = document.querySelector('#result');
  const rows = [...document.querySelectorAll('#chart [data-class]')]
    .map((g) => ({ cls: g.dataset.class, prob: Number(g.dataset.prob) }));
  const err = document.querySelector('#error');
  return { ...r.dataset, runs: Number(r.dataset.runs), rows, error: err.hidden ? null : err.textContent,
    errors: Number(err.dataset.count || 0) };
});

// Waits until a run for `source` finished (data-runs moved past `runs` with
// that data-source) or a new error was shown, and returns the page's state.
async function waitForRun({ runs, errors }, source) {
  await page.waitForFunction(([n, e, src]) => {
    const d = document.querySelector('#result').dataset;
    return (Number(d.runs) > n && d.source === src) || Number(document.querySelector('#error').dataset.count || 0) > e;
  }, [runs, errors, source], { timeout: 20000 });
  return result();
}

async function upload(file) {
  const before = await result();
  await page.setInputFiles('#file', file);
  return waitForRun(before, `file:${path.basename(file)}`);
}

function assertDistribution(r, what) {
  assert.deepEqual(r.rows.map((x) => x.cls), CLASSES, `${what}: the chart rows`);
  const sum = r.rows.reduce((s, x) => s + x.prob, 0);
  assert.ok(Math.abs(sum - 1) <= 1e-3, `${what}: probabilities sum to ${sum}`);
  const top = r.rows.reduce((a, b) => (b.prob > a.prob ? b : a));
  assert.equal(top.cls, r.label, `${what}: data-label is the highest bar`);
}

// The page's own layout boxes, to check that results never move anything.
const boxes = () => page.evaluate(() => ['.model-card', '.input-card', '.result-card', '#chart', '.gallery-card']
  .map((s) => {
    const b = document.querySelector(s).getBoundingClientRect();
    return [s, b.x + scrollX, b.y + scrollY, b.width, b.height].join(' ');
  }));

// A valid PNG of w x h 1-bit grey pixels: a few kB on disk, w*h pixels decoded.
function hugePng(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((1 + Math.ceil(w / 8)) * h); // filter byte 0 + zero bits per row
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// One photo saved four times, as a phone might: the CIFAR-10 test image
// `source` enlarged 8x (each pixel a flat 8x8 block, so that every JPEG
// decoder gives the same pixels back, whichever way they are stored) between
// 32-pixel bands, 256 x 320 upright; then stored turned the other way for
// EXIF orientations 1, 3, 6 and 8 (JPEG quality 100, 4:4:4), so that all four
// display identically. Pillow (Debian's python3-pil) writes them and checks
// that ImageOps.exif_transpose gives the same upright pixels for each.
const EXIF_VARIANTS = String.raw`
import struct, sys
import numpy as np
from PIL import Image, ImageOps
source, out = sys.argv[1], sys.argv[2]
photo = np.array(Image.open(source).convert('RGB')).repeat(8, 0).repeat(8, 1)
band = lambda rgb: np.tile(np.array(rgb, np.uint8), (32, 256, 1))
upright = Image.fromarray(np.concatenate([band((200, 30, 30)), photo, band((30, 30, 200))]))
stored = {1: upright, 3: upright.transpose(Image.Transpose.ROTATE_180),
          6: upright.transpose(Image.Transpose.ROTATE_90), 8: upright.transpose(Image.Transpose.ROTATE_270)}
seen = set()
for o, im in stored.items():
    exif = b'Exif\0\0MM' + struct.pack('>HIHHHIHHI', 42, 8, 1, 0x0112, 3, 1, o, 0, 0)
    path = '%s/photo-exif%d.jpg' % (out, o)
    im.save(path, quality=100, subsampling=0, exif=exif)
    seen.add(ImageOps.exif_transpose(Image.open(path)).tobytes())
assert len(seen) == 1, 'the four files do not display identically'
`;

const seenPixels = () => page.evaluate(() =>
  Array.from(document.querySelector('#seen').getContext('2d').getImageData(0, 0, 32, 32).data).join(','));

// ---- set-up ------------------------------------------------------------------

before(async () => {
  const need = ['index.html', 'app.js', 'style.css', 'edgerun.min.js', 'models.json', 'gallery/manifest.json',
    ...MODELS.map((m) => `models/${m}-cifar10.wasm`), ...Object.values(COMPACT)];
  const missing = need.filter((f) => !fs.existsSync(path.join(WEB, f)));
  if (missing.length) {
    throw new Error(`web/ is not built (missing ${missing.join(', ')}); run "make demo-site" first`);
  }
  if (!fs.existsSync(CSV)) throw new Error(`${CSV} not found; set SHARED to the shared data directory`);
  server = await startDemoServer(WEB);
  origin = new URL(server.url).origin;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-demo-test-'));
  profile = path.join(tmp, 'profile');
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  // Recorded before the page's own scripts run, so nothing escapes.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  context.on('request', (req) => requests.push({ method: req.method(), url: req.url(), post: req.postDataBuffer() }));
  // Anything not for the demo's own origin is recorded above and refused here,
  // so the page is also tested as working offline.
  await context.route('**/*', (route) => (route.request().url().startsWith(origin + '/') ? route.continue() : route.abort()));
  page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('websocket', (ws) => requests.push({ method: 'WEBSOCKET', url: ws.url(), post: null }));
  // Loaded here, so that any one test can run alone (--test-name-pattern).
  firstResponse = await page.goto(server.url);
  await page.waitForSelector('body[data-ready]', { timeout: 30000 });
});

after(async () => {
  await context?.close();
  server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// ---- tests -------------------------------------------------------------------

test('demo_should_load_under_its_csp_and_show_a_first_result', async () => {
  assert.equal(firstResponse.status(), 200);
  assert.match(firstResponse.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(await page.evaluate(() => typeof edgerun), 'object', 'the script tag defines the global edgerun');
  const r = await result();
  assert.equal(r.error, null);
  assert.equal(r.model, 'resnet20');
  assertDistribution(r, 'first result');
  // The model picker lists the four models, then resnet20's compact forms, with their download sizes.
  const sizes = JSON.parse(fs.readFileSync(path.join(WEB, 'models.json'), 'utf8')).models;
  assert.deepEqual(sizes.map((m) => m.name), [...MODELS, ...Object.keys(COMPACT)]);
  for (const m of sizes) {
    assert.equal(m.bytes, fs.statSync(path.join(WEB, m.file)).size,
      `web/models.json gives an old size for ${m.name}: the model was rebuilt since; run "make demo-site"`);
    const text = await page.textContent(`label:has(input[value="${m.name}"])`);
    assert.match(text, /\d+(\.\d+)? (kB|MB)/, `${m.name} shows its size`);
  }
});

test('demo_should_agree_with_resnet20_on_30_uploaded_test_images', async () => {
  const ref = readReference();
  const picked = pickUploads(ref);
  assert.equal(picked.length, 30);
  const layout = new Set();
  let agree = 0;
  const disagreements = [];
  let maxProbDiff = 0;
  for (const row of picked) {
    const r = await upload(path.join(DATA, row.path));
    assert.equal(r.error, null, `${row.path}: ${r.error}`);
    assert.equal(r.model, 'resnet20');
    assertDistribution(r, row.path);
    if (r.label === row.pred.resnet20) agree++;
    else disagreements.push(`${row.path}: page says ${r.label}, reference ${row.pred.resnet20}`);
    const want = softmax(row.logits);
    r.rows.forEach((x, i) => (maxProbDiff = Math.max(maxProbDiff, Math.abs(x.prob - want[i]))));
    layout.add((await boxes()).join('\n'));
  }
  console.log(`# demo: ${agree}/30 uploads agree with the reference resnet20 top-1` +
    `${disagreements.length ? ` (${disagreements.join('; ')})` : ''}; ` +
    `largest probability difference from the reference softmax: ${maxProbDiff.toFixed(4)}`);
  assert.ok(agree >= 29, `only ${agree}/30 agree: ${disagreements.join('; ')}`);
  // stb_image and Pillow's libjpeg decode JPEGs a little differently (about
  // 0.05 at most on these 30); a pre-processing error costs far more.
  assert.ok(maxProbDiff < 0.15, `probabilities differ from the reference softmax by up to ${maxProbDiff}`);
  assert.equal(layout.size, 1, `results moved the layout:\n${[...layout].join('\n--\n')}`);
});

test('demo_should_classify_a_gallery_sample_and_show_its_true_class', async () => {
  const ref = new Map(readReference().map((r) => [r.path, r]));
  const manifest = JSON.parse(fs.readFileSync(path.join(WEB, 'gallery/manifest.json'), 'utf8'));
  assert.equal(manifest.images.length, 30);
  for (const cls of CLASSES) assert.equal(manifest.images.filter((i) => i.label === cls).length, 3, cls);
  for (const img of manifest.images) {
    assert.equal(img.label, ref.get(img.source.replace(/^cifar10-test\//, '')).label, `${img.file} true class`);
  }
  for (const img of [manifest.images[7], manifest.images[29]]) {
    const before = await result();
    await page.click(`.thumb[data-file="${img.file}"]`);
    const r = await waitForRun(before, `gallery:${img.file}`);
    assert.equal(r.error, null);
    assert.equal(r.label, ref.get(img.source.replace(/^cifar10-test\//, '')).pred.resnet20, img.file);
    assert.match(await page.textContent('#truth'), new RegExp(`True class: ${img.label}`));
    assert.equal(await page.getAttribute(`.thumb[data-file="${img.file}"]`, 'aria-current'), 'true');
  }
});

test('demo_should_classify_dropped_and_pasted_images', async () => {
  const ref = readReference();
  for (const [how, row] of [['drop', ref[3]], ['paste', ref[1004]]]) {
    const bytes = [...fs.readFileSync(path.join(DATA, row.path))];
    const name = `${how}-${path.basename(row.path)}`;
    const before = await result();
    await page.evaluate(([how, bytes, name]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' }));
      const target = document.querySelector('#drop');
      if (how === 'drop') {
        target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      } else {
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      }
    }, [how, bytes, name]);
    const r = await waitForRun(before, `file:${name}`);
    assert.equal(r.error, null, `${how}: ${r.error}`);
    assert.equal(r.label, row.pred.resnet20, `${how} of ${row.path}`);
    assert.equal(await page.evaluate(() => document.querySelector('#drop').classList.contains('dragging')), false);
  }
});

test('demo_should_classify_a_photo_as_the_browser_shows_it_whatever_its_exif_orientation', async () => {
  // Browsers display a JPEG upright by its EXIF orientation and so does the
  // module: the same photo stored four ways must get the same answer, to the
  // last digit, and the same preview (drawn from the browser's own upright
  // decoding, with no correction of its own).
  const row = readReference()[7];
  const gen = spawnSync('/usr/bin/python3', ['-c', EXIF_VARIANTS, path.join(DATA, row.path), tmp], { encoding: 'utf8' });
  assert.equal(gen.status, 0, `writing the EXIF variants failed:\n${gen.stderr}`);
  let first, firstSeen;
  for (const o of [1, 3, 6, 8]) {
    const r = await upload(path.join(tmp, `photo-exif${o}.jpg`));
    assert.equal(r.error, null, `orientation ${o}: ${r.error}`);
    const seen = await seenPixels();
    if (o === 1) {
      first = r;
      firstSeen = seen;
      assert.equal(r.label, row.pred.resnet20, `the photo upright is classified as the reference classifies ${row.path}`);
      assert.notEqual(seen, new Array(4096).fill(0).join(','), 'the preview was drawn');
      continue;
    }
    assert.equal(r.label, first.label, `orientation ${o}: the top class`);
    assert.deepEqual(r.rows, first.rows, `orientation ${o}: the probabilities`);
    assert.ok(seen === firstSeen, `orientation ${o}: the preview differs from the upright file's`);
  }
});

test('demo_should_show_an_error_for_bad_files_and_keep_working', async () => {
  const ref = readReference();
  const text = path.join(tmp, 'notes.txt');
  fs.writeFileSync(text, 'These are notes, not an image.\n'.repeat(20));
  const huge = path.join(tmp, 'huge.png');
  fs.writeFileSync(huge, hugePng(10000, 10000)); // 100 megapixels, over the module's 50 MP default
  const big = path.join(tmp, 'big.jpg');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, 60e6); // over the page's 50 MB guard; sparse, so cheap

  const empty = path.join(tmp, 'empty.jpg');
  fs.writeFileSync(empty, '');

  const cases = [[text, /notes\.txt.*as an image.*E_DECODE/], [huge, /huge\.png.*too large.*E_LIMIT/],
    [big, /big\.jpg.*60\.00 MB/], [empty, /empty\.jpg” is empty/]];
  for (const [file, message] of cases) {
    const before = await result();
    await page.setInputFiles('#file', file);
    await page.waitForFunction((e) => Number(document.querySelector('#error').dataset.count) > e, before.errors,
      { timeout: 20000 });
    const after = await result();
    assert.match(after.error, message, path.basename(file));
    assert.equal(after.runs, before.runs, 'a failed run does not count as a result');
    // The next valid upload works and clears the message.
    const row = ref[2 + cases.findIndex(([f]) => f === file)];
    const r = await upload(path.join(DATA, row.path));
    assert.equal(r.error, null, `after ${path.basename(file)}: ${r.error}`);
    assert.equal(r.label, row.pred.resnet20);
  }
});

test('demo_should_rerun_the_current_image_when_the_model_changes_from_the_keyboard', async () => {
  // An image every ResNet classifies the same way, with a clear margin in
  // resnet20, so the check is about the page and not about a close call.
  const ref = readReference();
  const row = ref.filter((r) => MODELS.every((m) => r.pred[m] === r.label))
    .map((r) => ({ r, p: Math.max(...softmax(r.logits)) })).sort((a, b) => b.p - a.p)[0].r;
  let r = await upload(path.join(DATA, row.path));
  assert.equal(r.label, row.pred.resnet20);
  await page.focus('input[name="model"][value="resnet20"]');
  for (const m of MODELS.slice(1)) {
    const { runs } = await result();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(([n, m]) => Number(document.querySelector('#result').dataset.runs) > n &&
      document.querySelector('#result').dataset.model === m, [runs, m], { timeout: 30000 });
    r = await result();
    assert.equal(r.source, `file:${path.basename(row.path)}`);
    assert.equal(r.label, row.pred[m], `${m} on ${row.path}`);
    assertDistribution(r, m);
    assert.match(await page.textContent('#model-info'), new RegExp(m.replace('resnet', 'ResNet-')));
  }
  // Back to resnet20 for the rest of the session.
  await page.click('label:has(input[value="resnet20"])');
  await page.waitForFunction(() => document.querySelector('#result').dataset.model === 'resnet20');
});

test('demo_should_offer_resnet20_with_fp16_and_int8_weights_and_classify_with_them', async () => {
  // An image resnet20 classifies right with a clear margin: compact weights must not change its answer.
  const ref = readReference();
  const row = ref.filter((r) => r.pred.resnet20 === r.label)
    .map((r) => ({ r, p: Math.max(...softmax(r.logits)) })).sort((a, b) => b.p - a.p)[0].r;
  await upload(path.join(DATA, row.path));
  for (const [m, file] of Object.entries(COMPACT)) {
    const { runs } = await result();
    await page.click(`label:has(input[value="${m}"])`);
    await page.waitForFunction(([n, m]) => Number(document.querySelector('#result').dataset.runs) > n &&
      document.querySelector('#result').dataset.model === m, [runs, m], { timeout: 30000 });
    const r = await result();
    assert.equal(r.label, row.pred.resnet20, `${m} on ${row.path}`);
    assertDistribution(r, m);
    const info = await page.textContent('#model-info');
    assert.ok(info.includes(`ResNet-20 ${m.slice(-4)}`), `the model is named with its weights: ${info}`);
    const size = fs.statSync(path.join(WEB, file)).size, fp32 = fs.statSync(path.join(WEB, 'models/resnet20-cifar10.wasm')).size;
    assert.ok(size < 0.6 * fp32, `${file} is ${size} bytes, the fp32 module ${fp32}`);
  }
  await page.click('label:has(input[value="resnet20"])');
  await page.waitForFunction(() => document.querySelector('#result').dataset.model === 'resnet20');
});

test('demo_should_classify_camera_frames_several_times_per_second', async () => {
  const start = (await result()).runs;
  await page.click('#camera');
  await page.waitForTimeout(5000);
  const r = await result();
  assert.equal(r.error, null);
  assert.equal(r.source, 'camera');
  const frames = r.runs - start;
  console.log(`# demo: ${frames} camera results in 5 s (readout ${await page.textContent('#fps')})`);
  assert.ok(frames >= 10, `only ${frames} camera results in 5 s`);
  assertDistribution(r, 'camera frame');
  assert.match(await page.textContent('#fps'), /^\d+\.\d frames\/s$/);
  assert.equal(await page.getAttribute('#camera', 'aria-pressed'), 'true');
  // Stopping ends the stream and the runs.
  await page.click('#camera');
  assert.equal(await page.getAttribute('#camera', 'aria-pressed'), 'false');
  assert.equal(await page.evaluate(() => document.querySelector('#video').srcObject), null);
  const stopped = (await result()).runs;
  await page.waitForTimeout(300);
  assert.ok((await result()).runs <= stopped + 1, 'runs continue after the camera stopped');

  // A refused permission is explained, and the page stays as it was.
  const { errors } = await result();
  await page.evaluate(() => {
    window.__gum = navigator.mediaDevices.getUserMedia;
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await page.click('#camera');
  await page.waitForFunction((e) => Number(document.querySelector('#error').dataset.count) > e, errors);
  assert.match((await result()).error, /Camera access was denied/);
  assert.equal(await page.getAttribute('#camera', 'aria-pressed'), 'false');
  assert.equal(await page.isDisabled('#camera'), false);
  await page.evaluate(() => (navigator.mediaDevices.getUserMedia = window.__gum));
});

test('demo_should_look_right_on_desktop_and_phone', async () => {
  fs.mkdirSync(BUILD, { recursive: true });
  const before = await result();
  // A correct answer with a runner-up (automobile 0.60, truck 0.38), so the
  // screenshot shows what the chart is for.
  await page.click('.thumb[data-file="automobile-0002.jpg"]');
  await waitForRun(before, 'gallery:automobile-0002.jpg');
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  // animations: 'disabled' finishes the bars' transitions before the shot.
  await page.screenshot({ path: path.join(BUILD, 'demo.png'), fullPage: true, animations: 'disabled' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200); // the chart re-lays itself out on resize
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone screen`);
  // Each label ends before its bar starts, and nothing leaves the screen.
  const chart = await page.evaluate(() => [...document.querySelectorAll('#chart [data-class]')].map((g) => ({
    cls: g.dataset.class,
    labelEnd: g.querySelector('.row-label').getBoundingClientRect().right,
    barStart: g.querySelector('.row-track').getBoundingClientRect().left,
    pctEnd: g.querySelector('.row-pct').getBoundingClientRect().right,
  })));
  for (const row of chart) {
    assert.ok(row.labelEnd < row.barStart, `the label "${row.cls}" runs into its bar`);
    assert.ok(row.pctEnd <= 390, `the percentage of ${row.cls} reaches x=${row.pctEnd} on a 390px screen`);
  }
  await page.screenshot({ path: path.join(BUILD, 'demo-phone.png'), fullPage: true, animations: 'disabled' });
  // On a phone the gallery is below the result: picking a sample brings the
  // answer into view.
  const before2 = await result();
  await page.click('.thumb[data-file="ship-0001.jpg"]');
  await waitForRun(before2, 'gallery:ship-0001.jpg');
  await page.waitForFunction(() => {
    const r = document.querySelector('#result').getBoundingClientRect();
    return r.top >= 0 && r.top < innerHeight / 2;
  }, null, { timeout: 5000 });
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('demo_should_only_get_its_own_static_files_and_never_send_image_data', () => {
  assert.ok(requests.length > 30, `only ${requests.length} requests recorded`);
  for (const { method, url, post } of requests) {
    assert.ok(url.startsWith(origin + '/'), `request to another origin: ${method} ${url}`);
    assert.equal(method, 'GET', `non-GET request: ${method} ${url}`);
    assert.ok(!post || post.length === 0, `request with a body: ${url}`);
    assert.ok(url.length < 200 && !/base64|data:|;/.test(url), `request URL may carry data: ${url.slice(0, 120)}`);
    const file = decodeURIComponent(new URL(url).pathname.slice(1)) || 'index.html';
    assert.ok(fs.statSync(path.join(WEB, file), { throwIfNoEntry: false })?.isFile(), `request for a non-file: ${url}`);
  }
});

test('demo_should_cause_no_csp_violation_or_console_error', async () => {
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(consoleErrors, []);
  // The detector works: an inline style element is refused by the policy.
  await page.evaluate(() => {
    const s = document.createElement('style');
    s.textContent = 'body { outline: 1px solid red; }';
    document.head.append(s);
  });
  await page.waitForFunction(() => window.__cspViolations.length > 0);
  assert.match((await page.evaluate(() => window.__cspViolations))[0], /style-src/);
});
