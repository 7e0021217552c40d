/* edgerun-worker.js - the worker side of edgerun.load(src, {worker: true}).

   js/build.mjs appends this file to the shim's core (js/edgerun.js above its
   @exports marker) and writes web/edgerun-worker.js: one classic script with
   no imports, so the same file runs as a browser Worker, as the worker chunk a
   bundler (Vite, webpack 5) makes of `new Worker(new URL(..., import.meta.url))`,
   and as a node worker_threads Worker.

   It answers the messages of inWorker() in js/edgerun.js, one at a time in
   the order they come (the model's own queue keeps runs in order):
     {id, op: 'load', arg: [source, {maxPixels, relaxed}]} -> ok: model.info
     {id, op: 'run', arg: [requestText, bytes?]}       -> ok: the Result
     {id, op: 'tensors', arg: [Uint8Array per input]}  -> ok: the outputs, transferred
   each as {id, ok, memory} or {id, error: {code, message}, memory}.
*/
let loaded = null;

async function answer(d, reply) {
    let ok, transfer = [];
    try {
        const arg = d.arg;
        if (d.op == 'load') ok = (loaded = await load(arg[0], arg[1])).info;
        else if (d.op == 'run') ok = await loaded.run(arg[1] ? Object.assign(JSON.parse(arg[0]), { input: arg[1] }) : arg[0]);
        else {
            const ios = loaded.info.inputs;
            ok = await loaded.runTensors(Object.fromEntries(ios.map((io, i) => [io.name, { data: new TYPES[io.dtype](arg[i].buffer) }])));
            transfer = Object.values(ok).map((t) => t.data.buffer);
        }
    } catch (e) {
        return reply({ id: d.id, error: { code: e.code || 'E_MODULE', message: e.message }, memory: loaded ? loaded.memoryBytes : 0 });
    }
    reply({ id: d.id, ok, memory: loaded.memoryBytes }, transfer);
}

if (typeof self == 'object' && typeof self.postMessage == 'function')
    self.onmessage = (e) => answer(e.data, (m, t) => self.postMessage(m, t));
else
    nodeModule('worker_threads').then(({ parentPort }) => parentPort.on('message', (d) => answer(d, (m, t) => parentPort.postMessage(m, t))));
