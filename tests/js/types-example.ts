// An example that uses every call of edgerun's API, worker mode included.
// tests/browser/package.test.mjs checks it with `tsc --noEmit --strict` in an
// app that installed the packed package, so the types come through the
// package's own "types" export. It is type-checked, not run.
import edgerun, { load, options, run } from 'edgerun';
import type {
    ClassifierResult, EdgerunError, ErrorCode, ImageRequest, LoadOptions, Model, ModelInfo, Options,
    OutputsResult, Result, Source, Tensor, TensorRequest,
} from 'edgerun';

export async function example(file: Blob, jpeg: Uint8Array, response: Response): Promise<string[]> {
    const said: string[] = [];

    // Loading: a URL, bytes, a Blob, a fetch Response, a compiled module; in the thread or a worker.
    const sources: Source[] = ['models/resnet20-cifar10.wasm', new URL('https://example.com/m.wasm'), jpeg.buffer, jpeg,
        file, response, await WebAssembly.compile(new Uint8Array(8))];
    const inWorker: LoadOptions = { worker: true, maxPixels: 12_000_000 };
    const model: Model = await load(sources[0], inWorker);
    const other: Model = await edgerun.load(sources[3], { worker: '/static/edgerun-worker.js' });
    const third: Model = await edgerun.load(new URL('m.wasm', 'https://example.com/'), { worker: new URL('https://example.com/w.js'), maxPixels: 10 });
    // Remote when it cannot run here: where says which; info.remote is the server's URL.
    const either: Model = await load('models/resnet20-cifar10.wasm', { fallback: 'https://example.com/v1/models/resnet20-cifar10',
        remote: '/static/edgerun-remote.js' });
    const ran: Result = await either.run({ input: jpeg });
    const code: ErrorCode = 'E_REMOTE';
    said.push(`${ran.where} ${either.info.remote ?? 'local'} ${code}`);

    // What the model says about itself.
    const info: ModelInfo = model.info;
    const dims: readonly number[] = info.inputs[0].dims;
    said.push(`${info.name} ${info.sha256} ${dims.join('x')} ${info.outputs[0].dtype} ${info.size ?? 'size unknown'}`);
    if (info.image) said.push(`${info.image.width}x${info.image.height}x${info.image.channels}`);
    if (info.labels && info.norm) said.push(`${info.labels[0]} ${info.norm[0]} ${info.max_pixels} ${info.arena_bytes + info.weight_bytes}`);

    // run(): an image (base64 or bytes), a tensor, or the JSON text of edgerun.h.
    const image: ImageRequest = { type: 'image', input: jpeg, crop: true, exif: false, top: 5, width: 32, height: 32, channels: 3,
        norm: [0.485, 0.229, 0.456, 0.224, 0.406, 0.225] };
    const tensor: TensorRequest = { type: 'tensor', input: new Float32Array(3072) };
    const results: Result[] = [await model.run(image), await model.run(tensor), await model.run('{"input":"iVBORw0KGgo="}'),
        await model.run({ input: 'data:image/png;base64,iVBORw0KGgo=' })];
    for (const r of results) {
        if ('top' in r) {
            const c: ClassifierResult = r;
            said.push(`${c.top[0].label ?? c.top[0].index} ${c.top[0].prob} ${c.output.length} ${c.logits[0]} ${c.ms.infer ?? 0}`);
        } else {
            const o: OutputsResult = r;
            said.push(Object.entries(o.outputs).map(([k, v]) => `${k} ${v.dims} ${v.data.length}`).join(', '));
        }
    }

    // runTensors(): named inputs in, typed arrays out.
    const out = await other.runTensors({ input: { data: new Float32Array(3072), dims: [1, 3, 32, 32] } });
    const logits: Tensor = out.logits;
    const more = await third.runTensors({ ids: { data: [1n, 2n] }, mask: { data: [true, false] } });
    said.push(`${logits.data.length} ${logits.dims} ${Object.keys(more)}`);
    said.push(`${model.memoryBytes + other.memoryBytes} bytes`);

    // Failures carry a code.
    try {
        await model.run('{');
    } catch (e) {
        const code: ErrorCode = (e as EdgerunError).code;
        said.push(code == 'E_JSON' ? 'bad JSON' : `${code}: ${(e as EdgerunError).message}`);
    }
    model.dispose();
    other.dispose();
    third.dispose();

    // The one-liner, in a worker.
    const set: Options = options({ model: 'models/resnet20-cifar10.wasm', worker: true, maxPixels: 1_000_000 });
    const r1 = await run({ input: jpeg });
    const r2 = await edgerun.run('{"input":"iVBORw0KGgo="}');
    said.push(`${String(set.model)} ${'top' in r1} ${'top' in r2} ${JSON.stringify(edgerun.options())}`);
    return said;
}
