/* server-worker.mjs - one worker of `edgerun serve` (js/server.mjs): one
   model module instance in a worker_threads thread.

   workerData: {path, maxPixels}. The module is loaded with the shim
   (web/edgerun.mjs), exactly as `edgerun.load(path)` loads it in node
   (the relaxed-SIMD twin where node validates it). Messages:
     -> {ready: info}                              once loaded
     <- {id, body}                                 a request's JSON text
     -> {id, ok: result JSON text} | {id, error: {code, message}}
   The result is written as JSON here, in parallel with the other workers,
   so that the server's main thread only forwards text.
   A load failure is an uncaught error: the pool sees the worker's 'error'. */
import { parentPort, workerData } from 'node:worker_threads';
import edgerun from '../web/edgerun.mjs';

const model = await edgerun.load(workerData.path, workerData.maxPixels ? { maxPixels: workerData.maxPixels } : {});
parentPort.on('message', async ({ id, body }) => {
    try {
        // where: 'local' is the shim's, about this process: not part of the REST answer.
        const { where, ...r } = await model.run(body);
        parentPort.postMessage({ id, ok: JSON.stringify(r) });
    } catch (e) {
        parentPort.postMessage({ id, error: { code: String(e.code || 'E_MODULE'), message: String(e.message) } });
    }
});
parentPort.postMessage({ ready: model.info });
