/* edgerun-remote.js - the remote model of edgerun.load(src, {fallback}).

   When a model cannot be loaded locally (no WebAssembly, or the module cannot
   be fetched, compiled or instantiated) and load() was given
   {fallback: 'https://host/v1/models/NAME'}, the shim imports this ES module
   (from next to itself, or from {remote: url}) and calls remote(). It is
   kept out of the shim so that edgerun.min.js stays within its 10 KB budget
   and pages that never fall back never download it. js/build.mjs minifies it
   into web/edgerun-remote.js; it has no imports and needs only fetch().

   The server is `edgerun serve` (js/server.mjs) or anything that answers the
   same REST API:
     GET  {fallback}       -> {name, ...model.info}            the model's info
     POST {fallback}:run   the request JSON -> the response JSON
     errors: {"error": {"code": "E_...", "message": "..."}} with an HTTP status

   The remote Model has the local one's shape: info is the server's (frozen,
   plus remote: the fallback URL), run() resolves to the server's response
   with where: 'remote', and rejects with the server's code and message;
   E_REMOTE when the server cannot be reached or answers something that is
   not the API's JSON. runTensors() rejects with E_UNSUPPORTED: the REST API
   has no tensor route (run() takes {type: 'tensor'} requests, as locally).
   memoryBytes is 0: no memory of this page holds the model. Calls are not
   queued: the server runs them as it can.

   The shim passes its own helpers (requestText, fail, freeze), so a request
   is written exactly as a local run writes it: image bytes as base64, a typed
   array tensor as numbers. */

export async function remote(url, localError, requestText, fail, freeze) {
    const t = {}.toString.call(url);
    if (!(typeof url == 'string' || t == '[object URL]'))
        throw fail('E_FIELD', `edgerun.load: options.fallback must be the model's URL on an edgerun server, got ${t.slice(8, -1)}`);
    const base = String(url).replace(/\/+$/, '');

    // One request; resolves with the answer's JSON object, rejects with the
    // server's code or E_REMOTE.
    const http = async (at, init) => {
        let res, text;
        try {
            res = await fetch(at, init);
            text = await res.text();
        } catch (e) {
            throw fail('E_REMOTE', `${at} cannot be reached: ${e.message}`, e);
        }
        let r;
        try {
            r = JSON.parse(text);
        } catch (e) {
            throw fail('E_REMOTE', `${at} answered HTTP ${res.status} with something that is not JSON: ${text.slice(0, 80)}`, e);
        }
        const err = r && r.error;
        if (err && /^E_[A-Z0-9_]+$/.test(err.code)) throw fail(err.code, String(err.message));
        if (!res.ok || !r || typeof r != 'object' || Array.isArray(r))
            throw fail('E_REMOTE', `${at} answered HTTP ${res.status} without an edgerun response: ${text.slice(0, 80)}`);
        return r;
    };

    let info;
    try {
        info = await http(base);
        if (!Array.isArray(info.inputs) || !Array.isArray(info.outputs))
            throw fail('E_REMOTE', `${base} answered without the model's inputs and outputs: is it /v1/models/{name} on an edgerun server?`);
    } catch (e) {
        throw fail('E_LOAD', `${localError.message}; the fallback failed too: ${e.code}: ${e.message}`, e);
    }
    info.remote = base;

    let closed = null;
    return {
        info: freeze(info),
        memoryBytes: 0,
        run(input) {
            return new Promise((ok) => {
                if (closed) throw fail('E_DISPOSED', closed);
                ok(http(base + ':run', {
                    method: 'POST',
                    headers: { 'Content-Type': 'application/json' },
                    body: requestText(input),
                }));
            }).then((r) => {
                r.where = 'remote';
                return r;
            });
        },
        runTensors() {
            return Promise.reject(closed ? fail('E_DISPOSED', closed)
                : fail('E_UNSUPPORTED', `model.runTensors: this model runs remotely (${base}), and the server takes only run() requests: use run({type: 'tensor', input})`));
        },
        // Calls already made finish; later ones reject.
        dispose() {
            closed = 'the model was disposed';
        },
    };
}
