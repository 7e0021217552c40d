// report.mjs - the bench's tables, as Markdown, the same for node and Chromium.
//
// rows: [{ name, macs, infer: {edgerun, ort, tfjs: {median, p90}},
//          cold: {edgerun, ort, tfjs} (ms, or null when not measured),
//          bytes: {edgerun, ort, tfjs, edgerunGzip, ortGzip, tfjsGzip},
//          diff: {edgerun, ort, tfjs} (max |logit - onnxruntime-node|), maxLogit }]
// meta: { title, lines: [string], peak: {gmacs, chains, relaxedGmacs} }
export const ENGINES = ['edgerun', 'ort', 'tfjs'];
const LABEL = { edgerun: 'edgerun', ort: 'ORT-web', tfjs: 'TF.js-wasm' };

const f = (x, d = 2) => (x == null || !Number.isFinite(x) ? '–' : x.toFixed(d));
const ms = (x) => f(x, x < 10 ? 2 : x < 100 ? 1 : 0);
const mb = (x) => f(x / 1e6, 2);
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(1)}×` : '–');

export function ratios(r) {
  const e = r.infer.edgerun.median, o = r.infer.ort.median, t = r.infer.tfjs.median;
  return { ort: e / o, tfjs: e / t, faster: e / Math.min(o, t), fasterPeer: o <= t ? 'ort' : 'tfjs' };
}

export function formatReport(meta, rows) {
  const out = [`### ${meta.title}`, '', ...meta.lines.map((l) => `${l}  `), ''];
  out.push('Inference, ms, median / p90; ratio = edgerun time / peer time (below 1: edgerun is faster). ' +
    'GMAC/s = the model\'s multiply-adds (Conv, Gemm, MatMul, counted as direct convolution) / edgerun\'s median time; ' +
    `% peak = that over the SIMD128 mul+add peak (${f(meta.peak.gmacs, 1)} GMAC/s); an effective rate: ` +
    'Winograd does fewer multiplications, so it can pass 100%.', '');
  out.push('| model | MMAC | edgerun | ORT-web | TF.js-wasm | ÷ ORT | ÷ TF.js | ÷ faster peer | edgerun GMAC/s | % peak |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const q = ratios(r);
    const g = r.macs / (r.infer.edgerun.median * 1e-3) / 1e9;
    out.push(`| ${r.name} | ${f(r.macs / 1e6, 1)} | ${ENGINES.map((e) => `${ms(r.infer[e].median)} / ${ms(r.infer[e].p90)}`).join(' | ')} | ` +
      `${f(q.ort)} | ${f(q.tfjs)} | **${f(q.faster)}** (${LABEL[q.fasterPeer]}) | ${f(g, 1)} | ${f(100 * g / meta.peak.gmacs, 0)}% |`);
  }
  out.push('');
  out.push('First result (ms, median of the cold starts) and what a page downloads (MB, then gzip -9 MB); ' +
    'ratio = the peer over edgerun (above 1: edgerun is sooner / smaller).', '');
  out.push('| model | first result edgerun / ORT / TF.js | sooner than ORT / TF.js | download edgerun / ORT / TF.js | smaller than ORT / TF.js | gzip edgerun / ORT / TF.js |');
  out.push('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const c = r.cold || {};
    out.push(`| ${r.name} | ${ENGINES.map((e) => ms(c[e])).join(' / ')} | ${times(c.ort / c.edgerun)} / ${times(c.tfjs / c.edgerun)} | ` +
      `${ENGINES.map((e) => mb(r.bytes[e])).join(' / ')} | ${times(r.bytes.ort / r.bytes.edgerun)} / ${times(r.bytes.tfjs / r.bytes.edgerun)} | ` +
      `${ENGINES.map((e) => mb(r.bytes[`${e}Gzip`])).join(' / ')} |`);
  }
  out.push('');
  out.push('Answers: max |logit − onnxruntime-node| on the bench input (every engine, every check of the run).', '');
  out.push('| model | edgerun | ORT-web | TF.js-wasm | largest \\|logit\\| |');
  out.push('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    out.push(`| ${r.name} | ${ENGINES.map((e) => r.diff[e].toExponential(1)).join(' | ')} | ${r.maxLogit.toPrecision(3)} |`);
  }
  out.push('');
  return out.join('\n');
}
