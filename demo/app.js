// app.js - the edgerun demo page.
//
// Uses the shim the way any site would: the global `edgerun` from
// edgerun.min.js, edgerun.load(url, {worker: true}) and model.run(request).
// The models run in a Web Worker (edgerun-worker.js, next to edgerun.min.js),
// so the page, the chart and the camera preview stay smooth while the model
// computes. Every image is
// read and classified inside this page; the only network requests are GETs
// of the site's own files (models.json, the .wasm modules, the gallery).
//
// Hooks the browser tests rely on (keep them stable):
//   #file                the file input
//   #result              data-label (top class), data-prob, data-model,
//                        data-source ("file:NAME", "gallery:NAME", "camera"),
//                        data-runs (count of finished runs) - all set when a
//                        run finishes, data-runs last
//   #chart [data-class]  ten rows, each with data-prob
//   #error               visible with a message after a failure; data-count
//                        counts the messages shown
//   body[data-ready]     set once the first model is loaded and the page idle
//
// Written to run under a strict CSP (no inline script, no inline style
// attribute): dynamic sizes are set through the CSSOM or SVG attributes.
'use strict';

(() => {
  const MAX_FILE_BYTES = 50 * 1000 * 1000; // reading and base64-encoding more would stall the tab
  const CAMERA_MAX_FPS = 15;               // plenty to feel live, and leaves the CPU some rest
  const CAMERA_GRAB_SHORT_SIDE = 128;      // frames are scaled to this before encoding; the module crops and resizes
  const CHART_ROW = 26;                    // px per bar of the chart
  const READY = 'Ready. Choose, drop or paste an image, pick a sample, or use the camera.';
  const CAMERA_ON = 'Classifying the camera picture inside the square, several times a second.';

  const $ = (id) => document.getElementById(id);
  const ui = {
    file: $('file'), choose: $('choose'), camera: $('camera'), video: $('video'),
    drop: $('drop'), dropBody: $('drop-body'), fps: $('fps'), guide: $('guide'),
    status: $('status'), error: $('error'),
    result: $('result'), seen: $('seen'), topLabel: $('top-label'), topProb: $('top-prob'),
    truth: $('truth'), chart: $('chart'), chartTitle: $('chart-title'), announce: $('announce'),
    models: $('models'), modelInfo: $('model-info'), gallery: $('gallery'),
    time: { decode: $('t-decode'), prepare: $('t-prepare'), infer: $('t-infer'), total: $('t-total') },
  };
  const seenCtx = ui.seen.getContext('2d');
  const grabCanvas = document.createElement('canvas');
  const SVG = 'http://www.w3.org/2000/svg';

  const state = {
    models: [],          // entries of models.json: {name, file, bytes}
    selected: null,      // name of the chosen model
    loading: new Map(),  // name -> Promise<model>
    labels: null,        // class names, from the first loaded model
    rows: [],            // chart rows: {g, track, fill, value}
    probs: null,         // last probabilities, to redraw the chart on resize
    current: null,       // the last still image, re-run when the model changes
    runs: 0,
    camera: null,        // {stream, lastResult, interval} while the camera runs
  };

  // ---- small helpers ------------------------------------------------------

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const pct = (p) => `${(p * 100).toFixed(1)}%`;
  // "resnet20" -> "ResNet-20"; "resnet20-int8" -> "ResNet-20 int8" (compact weights).
  const prettyName = (name) => name.replace(/^resnet(\d+)(?:-(fp16|int8))?$/i, (_, d, w) => `ResNet-${d}${w ? ` ${w}` : ''}`);

  function formatBytes(n) {
    if (n < 1e6) return `${Math.round(n / 1e3)} kB`;
    return `${(n / 1e6).toFixed(2)} MB`;
  }

  // Browser and module clocks tick in 0.1 ms steps, so no finer digits.
  function formatMs(ms) {
    if (!Number.isFinite(ms)) return '–';
    if (ms < 0.05) return '<0.1 ms';
    if (ms < 100) return `${ms.toFixed(1)} ms`;
    return `${Math.round(ms)} ms`;
  }

  async function fetchJson(url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.json();
  }

  // The module takes base64; FileReader encodes natively and fast. The
  // data: URL prefix is cut off because its media type is the browser's
  // guess, and the module decides what the bytes are.
  function readBase64(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result.slice(reader.result.indexOf(',') + 1));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  function showStatus(text) {
    ui.status.textContent = text;
  }

  function showError(text) {
    ui.error.dataset.count = String(Number(ui.error.dataset.count || 0) + 1);
    ui.error.textContent = text;
    ui.error.hidden = false;
    ui.status.hidden = true;
  }

  function clearError() {
    ui.error.hidden = true;
    ui.error.textContent = '';
    ui.status.hidden = false;
  }

  // A readable sentence for a failed run; the code and the module's own
  // message stay in it, since they say exactly what was wrong.
  function runErrorText(err, job) {
    const what = job.kind === 'camera' ? 'the camera frame' : `“${job.name}”`;
    const detail = err && err.code ? `${err.code}: ${err.message}` : String(err && err.message || err);
    switch (err && err.code) {
      case 'E_DECODE':
        return `Could not read ${what} as an image. ${detail}`;
      case 'E_LIMIT':
        return `${what[0].toUpperCase()}${what.slice(1)} is too large to classify here. ${detail}`;
      case 'E_MEMORY':
        return `The model ran out of memory on ${what}. ${detail}`;
      default:
        return `Could not classify ${what}. ${detail}`;
    }
  }

  // ---- models ---------------------------------------------------------------

  function entryOf(name) {
    return state.models.find((m) => m.name === name);
  }

  // One load per model, shared by every caller; a failed load is forgotten so
  // choosing the model again retries it.
  function getModel(name) {
    let p = state.loading.get(name);
    if (!p) {
      const entry = entryOf(name);
      const t0 = performance.now();
      showStatus(`Loading ${prettyName(name)} (${formatBytes(entry.bytes)})…`);
      p = edgerun.load(entry.file, { worker: true }).then((model) => {
        entry.loadMs = performance.now() - t0;
        showStatus(state.camera ? CAMERA_ON : READY);
        return model;
      });
      state.loading.set(name, p);
      p.catch(() => state.loading.delete(name));
    }
    return p;
  }

  function describeModel(name, model) {
    const entry = entryOf(name);
    const info = model.info || {};
    const parts = [`${prettyName(name)}: ${formatBytes(entry.bytes)} module`];
    if (info.weight_bytes) parts.push(`${formatBytes(info.weight_bytes)} of weights`);
    if (entry.loadMs !== undefined) parts.push(`ready in ${formatMs(entry.loadMs)}`);
    ui.modelInfo.textContent = parts.join(' · ');
  }

  function buildModelPicker(models, chosen) {
    for (const m of models) {
      const label = document.createElement('label');
      label.className = 'model';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'model';
      input.value = m.name;
      input.className = 'sr-only';
      input.checked = m.name === chosen;
      const name = document.createElement('span');
      name.className = 'model-name';
      name.textContent = prettyName(m.name);
      const size = document.createElement('span');
      size.className = 'model-size';
      size.textContent = formatBytes(m.bytes);
      label.append(input, name, size);
      ui.models.append(label);
    }
    ui.models.addEventListener('change', (e) => selectModel(e.target.value));
  }

  async function selectModel(name) {
    state.selected = name;
    const url = new URL(location.href);
    url.searchParams.set('model', name);
    history.replaceState(null, '', url);
    let model;
    try {
      model = await getModel(name);
    } catch (err) {
      if (state.selected === name) showError(`Could not load ${prettyName(name)}: ${err.message}`);
      return;
    }
    if (state.selected !== name) return;
    if (!state.labels) buildChart(model.info.labels || model.info.outputs.map((_, i) => String(i)));
    describeModel(name, model);
    clearError();
    // The camera loop picks the new model up on its next frame by itself.
    if (!state.camera && state.current) await submit(state.current);
  }

  // ---- running ---------------------------------------------------------------
  // One run at a time, and only the newest request matters: a request that
  // was overtaken while it waited (or ran) is dropped, so fast clicking never
  // queues up stale work or shows an old answer last.

  let chain = Promise.resolve();
  let lastSeq = 0;

  function submit(job) {
    const seq = ++lastSeq;
    const done = chain.then(() => (seq === lastSeq ? execute(job, seq) : undefined));
    chain = done.catch(() => {});
    return done;
  }

  async function execute(job, seq) {
    const name = state.selected;
    let model;
    try {
      model = await getModel(name);
    } catch (err) {
      if (job.kind === 'camera') stopCamera(); // rather than retry the download on every frame
      showError(`Could not load ${prettyName(name)}: ${err.message}`);
      return;
    }
    if (seq !== lastSeq) return;
    ui.result.setAttribute('aria-busy', 'true');
    const t0 = performance.now();
    let res;
    try {
      res = await model.run({ type: 'image', input: job.base64, crop: true });
    } catch (err) {
      ui.result.setAttribute('aria-busy', 'false');
      // A trapped module is disposed by the shim: load it afresh next time.
      if (err && (err.code === 'E_MODULE' || err.code === 'E_DISPOSED')) state.loading.delete(name);
      if (seq !== lastSeq) return;
      if (job.kind === 'camera') stopCamera();
      showError(runErrorText(err, job));
      return;
    }
    const total = performance.now() - t0;
    if (seq !== lastSeq) return;
    if (job.kind === 'camera') drawSeen(job.frame);
    else await drawSeenFromBlob(job.blob);
    if (seq !== lastSeq) return;
    render(res, job, name, total);
  }

  function render(res, job, name, total) {
    const probs = res.output;
    const top = res.top && res.top[0];
    if (!Array.isArray(probs) || probs.length !== state.rows.length || !top) {
      showError(`Unexpected answer from ${prettyName(name)}: expected ${state.rows.length} probabilities.`);
      return;
    }
    clearError();
    state.probs = probs;
    drawChart(top.index);

    ui.topLabel.textContent = top.label;
    ui.topProb.textContent = `${pct(top.prob)} · ${prettyName(name)}`;
    if (job.truth) {
      const right = job.truth === top.label;
      ui.truth.textContent = `${right ? '✓' : '✗'} True class: ${job.truth}`;
      ui.truth.className = `truth small ${right ? 'ok' : 'bad'}`;
    } else {
      ui.truth.textContent = job.kind === 'camera' ? 'Live camera' : job.name;
      ui.truth.className = 'truth small muted';
    }
    const ms = res.ms || {};
    ui.time.decode.textContent = formatMs(ms.decode);
    ui.time.prepare.textContent = formatMs(ms.prepare);
    ui.time.infer.textContent = formatMs(ms.infer);
    ui.time.total.textContent = formatMs(total);

    if (job.kind !== 'camera') ui.announce.textContent = `${top.label}, ${pct(top.prob)}`;
    else noteCameraResult();

    const d = ui.result.dataset;
    d.label = top.label;
    d.prob = String(top.prob);
    d.model = name;
    d.source = job.kind === 'camera' ? 'camera' : `${job.kind}:${job.name}`;
    d.runs = String(++state.runs); // last: tests treat it as "everything above is set"
    ui.result.setAttribute('aria-busy', 'false');
    if (job.reveal) reveal(ui.result);
  }

  function reveal(el) {
    const r = el.getBoundingClientRect();
    if (r.top >= 0 && r.top + Math.min(r.height, 240) <= window.innerHeight) return; // its answer is visible
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    el.scrollIntoView({ block: 'start', behavior: smooth ? 'smooth' : 'auto' });
  }

  // ---- what the model sees ---------------------------------------------------
  // The module crops the centred square of the shorter side and resizes it to
  // 32x32; the page draws the same crop so the user sees what was classified.
  // (Transparent pixels are shown over white, as the module composites them.)

  function drawSeen(source) {
    const w = source.width, h = source.height;
    const side = Math.min(w, h);
    const ctx = seenCtx;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 32, 32);
    ctx.drawImage(source, Math.floor((w - side) / 2), Math.floor((h - side) / 2), side, side, 0, 0, 32, 32);
    ui.seen.classList.remove('empty');
  }

  // The browser decodes the file upright by its EXIF orientation, as the
  // module does, so the preview is what the model saw.
  async function drawSeenFromBlob(blob) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob);
    } catch {
      // The module read a format the browser cannot (e.g. TGA): no preview.
      seenCtx.clearRect(0, 0, 32, 32);
      ui.seen.classList.add('empty');
      return;
    }
    drawSeen(bitmap);
    bitmap.close();
  }

  // ---- the chart ---------------------------------------------------------------
  // An SVG laid out in real pixels from the container's width (not a scaled
  // viewBox), so its text stays the page's size on a phone and on a desktop.

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function buildChart(labels) {
    state.labels = labels;
    state.rows = labels.map((label, i) => {
      const g = svg('g', { class: 'row', 'data-class': label, 'data-prob': '0', transform: `translate(0 ${i * CHART_ROW})` });
      const name = svg('text', { class: 'row-label', x: 0, y: CHART_ROW / 2, 'dominant-baseline': 'central' });
      name.textContent = label;
      const track = svg('rect', { class: 'row-track', y: 5, height: CHART_ROW - 10, rx: 3 });
      const fill = svg('rect', { class: 'row-fill', y: 5, height: CHART_ROW - 10, rx: 3, width: 0 });
      const value = svg('text', { class: 'row-pct', y: CHART_ROW / 2, 'dominant-baseline': 'central', 'text-anchor': 'end' });
      g.append(name, track, fill, value);
      ui.chart.append(g);
      return { g, track, fill, value };
    });
    ui.chart.setAttribute('height', labels.length * CHART_ROW);
    new ResizeObserver(() => drawChart()).observe(ui.chart);
  }

  function drawChart(topIndex) {
    const width = ui.chart.clientWidth;
    if (!width || !state.rows.length) return;
    const labelW = 100; // a bold "automobile" and a gap
    const pctW = 66; // room for a bold "100.0%" and a gap after the bar
    const barW = Math.max(20, width - labelW - pctW);
    ui.chart.setAttribute('viewBox', `0 0 ${width} ${state.rows.length * CHART_ROW}`);
    const probs = state.probs;
    if (topIndex === undefined && probs) topIndex = probs.indexOf(Math.max(...probs));
    state.rows.forEach((row, i) => {
      row.track.setAttribute('x', labelW);
      row.track.setAttribute('width', barW);
      row.fill.setAttribute('x', labelW);
      row.value.setAttribute('x', width);
      if (!probs) return;
      const p = probs[i];
      // CSSOM, not an attribute: lets CSS animate the bar, and CSP allows it.
      row.fill.style.width = `${Math.max(0, Math.min(1, p)) * barW}px`;
      row.value.textContent = pct(p);
      row.g.dataset.prob = String(p);
      row.g.classList.toggle('top', i === topIndex);
    });
    const order = probs ? probs.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0]) : [];
    ui.chartTitle.textContent = 'Class probabilities' +
      (order.length ? `: ${order.map(([p, i]) => `${state.labels[i]} ${pct(p)}`).join(', ')}` : '');
  }

  // ---- still images ----------------------------------------------------------

  // reveal: scroll the result into view when it is off screen (a phone,
  // where it sits below the input); not for the page's own first sample.
  async function classifyBlob(blob, name, kind, truth, reveal = true) {
    stopCamera();
    markGallery(kind === 'gallery' ? name : null);
    if (blob.size === 0) {
      showError(`“${name}” is empty.`);
      return;
    }
    if (blob.size > MAX_FILE_BYTES) {
      showError(`“${name}” is ${formatBytes(blob.size)}; images up to ${formatBytes(MAX_FILE_BYTES)} can be classified here.`);
      return;
    }
    let base64;
    try {
      base64 = await readBase64(blob);
    } catch (err) {
      showError(`Could not read “${name}”: ${err.message}`);
      return;
    }
    state.current = { kind, name, truth, blob, base64 };
    await submit({ ...state.current, reveal });
  }

  function firstFile(list) {
    return list && list.length ? list[0] : null;
  }

  function wireInputs() {
    ui.choose.addEventListener('click', () => ui.file.click());
    ui.file.addEventListener('change', () => {
      const f = firstFile(ui.file.files);
      if (f) classifyBlob(f, f.name, 'file');
      ui.file.value = ''; // choosing the same file again still fires change
    });

    // Drops anywhere on the page count; the drop zone lights up meanwhile.
    let depth = 0;
    const dragging = (on) => ui.drop.classList.toggle('dragging', on);
    document.addEventListener('dragenter', (e) => {
      if (!e.dataTransfer || !e.dataTransfer.types.includes('Files')) return;
      depth++;
      dragging(true);
    });
    document.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) dragging(false);
    });
    document.addEventListener('dragover', (e) => {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    });
    document.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      dragging(false);
      const f = firstFile(e.dataTransfer && e.dataTransfer.files);
      if (f) classifyBlob(f, f.name, 'file');
      else showError('Drop an image file from your computer. Images dragged from other web pages cannot be read here.');
    });

    document.addEventListener('paste', (e) => {
      const f = firstFile(e.clipboardData && e.clipboardData.files);
      if (f) {
        e.preventDefault();
        classifyBlob(f, f.name || 'pasted image', 'file');
      }
    });

    ui.camera.addEventListener('click', () => (state.camera ? stopCamera() : startCamera()));
    ui.video.addEventListener('loadedmetadata', placeGuide);
    ui.video.addEventListener('resize', placeGuide); // the stream's size can change (phone rotated)
    new ResizeObserver(placeGuide).observe(ui.drop);
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) stopCamera();
    });
  }

  // ---- gallery ---------------------------------------------------------------

  function buildGallery(images) {
    const count = new Map();
    for (const img of images) {
      const n = (count.get(img.label) || 0) + 1;
      count.set(img.label, n);
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'thumb';
      button.dataset.file = img.file;
      button.title = `A ${img.label} from the CIFAR-10 test set`;
      const pic = document.createElement('img');
      pic.src = `gallery/${encodeURIComponent(img.file)}`;
      pic.alt = `${img.label}, sample ${n}`;
      pic.width = 32;
      pic.height = 32;
      pic.decoding = 'async';
      button.append(pic);
      button.addEventListener('click', () => classifyGalleryImage(img));
      li.append(button);
      ui.gallery.append(li);
    }
  }

  function markGallery(file) {
    for (const b of ui.gallery.querySelectorAll('.thumb')) {
      if (b.dataset.file === file) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    }
  }

  async function classifyGalleryImage(img, reveal = true) {
    let blob;
    try {
      const res = await fetch(`gallery/${encodeURIComponent(img.file)}`);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      blob = await res.blob();
    } catch (err) {
      showError(`Could not fetch the sample ${img.file}: ${err.message}`);
      return;
    }
    await classifyBlob(blob, img.file, 'gallery', img.label, reveal);
  }

  // ---- camera ----------------------------------------------------------------

  function cameraErrorText(err) {
    switch (err && err.name) {
      case 'NotAllowedError': return 'Camera access was denied. Allow it in the browser’s site settings to classify live frames.';
      case 'NotFoundError': return 'No camera was found on this device.';
      case 'NotReadableError': return 'The camera is in use by another application.';
      default: return `The camera could not be started: ${err && err.message || err}`;
    }
  }

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError('This browser offers no camera here (camera access needs https or localhost).');
      return;
    }
    ui.camera.disabled = true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'environment', width: { ideal: 640 }, height: { ideal: 480 } },
        audio: false,
      });
    } catch (err) {
      showError(cameraErrorText(err));
      return;
    } finally {
      ui.camera.disabled = false;
    }
    ui.video.srcObject = stream;
    try {
      await ui.video.play();
    } catch (err) {
      stream.getTracks().forEach((t) => t.stop());
      showError(cameraErrorText(err));
      return;
    }
    const cam = { stream, lastResult: 0, interval: 0 };
    state.camera = cam;
    markGallery(null);
    clearError();
    ui.video.hidden = false;
    ui.dropBody.hidden = true;
    ui.drop.classList.add('live');
    ui.fps.hidden = false;
    ui.fps.textContent = 'starting…';
    ui.camera.textContent = 'Stop camera';
    ui.camera.setAttribute('aria-pressed', 'true');
    showStatus(CAMERA_ON);
    placeGuide();
    cameraLoop(cam);
  }

  // Frames the centred square of the video (the part the model classifies)
  // as the video is actually shown: object-fit: contain inside the drop zone.
  function placeGuide() {
    const v = ui.video;
    if (!state.camera || !v.videoWidth) {
      ui.guide.hidden = true;
      return;
    }
    const bw = ui.drop.clientWidth, bh = ui.drop.clientHeight;
    const scale = Math.min(bw / v.videoWidth, bh / v.videoHeight);
    const side = Math.min(v.videoWidth, v.videoHeight) * scale;
    const g = ui.guide.style;
    g.width = g.height = `${side}px`;
    g.left = `${(bw - side) / 2}px`;
    g.top = `${(bh - side) / 2}px`;
    ui.guide.hidden = false;
  }

  function stopCamera() {
    const cam = state.camera;
    if (!cam) return;
    state.camera = null;
    cam.stream.getTracks().forEach((t) => t.stop());
    ui.video.srcObject = null;
    ui.video.hidden = true;
    ui.guide.hidden = true;
    ui.dropBody.hidden = false;
    ui.drop.classList.remove('live');
    ui.fps.hidden = true;
    showStatus(READY);
    ui.camera.textContent = 'Use camera';
    ui.camera.setAttribute('aria-pressed', 'false');
  }

  // The frame is scaled down and encoded as PNG (lossless), then the module
  // decodes, crops and resizes it like any other image.
  async function grabFrame() {
    const v = ui.video;
    const scale = Math.min(1, CAMERA_GRAB_SHORT_SIDE / Math.min(v.videoWidth, v.videoHeight));
    grabCanvas.width = Math.max(1, Math.round(v.videoWidth * scale));
    grabCanvas.height = Math.max(1, Math.round(v.videoHeight * scale));
    const ctx = grabCanvas.getContext('2d');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(v, 0, 0, grabCanvas.width, grabCanvas.height);
    const dataUrl = grabCanvas.toDataURL('image/png');
    return { kind: 'camera', name: 'camera', frame: grabCanvas, base64: dataUrl.slice(dataUrl.indexOf(',') + 1) };
  }

  async function cameraLoop(cam) {
    while (state.camera === cam) {
      const t0 = performance.now();
      if (ui.video.readyState >= 2 && ui.video.videoWidth > 0) await submit(await grabFrame());
      const rest = 1000 / CAMERA_MAX_FPS - (performance.now() - t0);
      await sleep(Math.max(4, rest));
    }
  }

  function noteCameraResult() {
    const cam = state.camera;
    if (!cam) return;
    const now = performance.now();
    if (cam.lastResult) {
      const dt = now - cam.lastResult;
      cam.interval = cam.interval ? 0.8 * cam.interval + 0.2 * dt : dt;
      ui.fps.textContent = `${(1000 / cam.interval).toFixed(1)} frames/s`;
      ui.result.dataset.fps = (1000 / cam.interval).toFixed(1);
    }
    cam.lastResult = now;
  }

  // ---- start -----------------------------------------------------------------

  async function start() {
    if (typeof edgerun === 'undefined') {
      showError('The edgerun shim (edgerun.min.js) did not load, so nothing can be classified.');
      return;
    }
    wireInputs();
    let manifest, gallery;
    try {
      [manifest, gallery] = await Promise.all([
        fetchJson('models.json'),
        fetchJson('gallery/manifest.json').catch(() => null),
      ]);
    } catch (err) {
      showError(`Could not read the list of models: ${err.message}`);
      return;
    }
    state.models = manifest.models;
    const wanted = new URLSearchParams(location.search).get('model');
    const first = entryOf(wanted) ? wanted : state.models[0].name;
    buildModelPicker(state.models, first);
    if (gallery && gallery.images.length) buildGallery(gallery.images);
    else ui.gallery.closest('section').hidden = true;
    await selectModel(first);
    // Show a result straight away rather than an empty chart.
    if (gallery && gallery.images.length && !state.current && !state.camera) {
      await classifyGalleryImage(gallery.images[0], false);
    }
    ui.result.setAttribute('aria-busy', 'false');
    document.body.dataset.ready = 'true';
  }

  start();
})();
