// Types of the edgerun shim (web/edgerun.js, web/edgerun.mjs, web/edgerun.min.js),
// worker mode included (web/edgerun-worker.js runs the same API in a Worker).
// The JSON protocol itself is specified in src/runtime/edgerun.h.

export as namespace edgerun;

/** Codes of edgerun.h (from the module) plus the shim's own E_LOAD, E_DISPOSED, E_MODULE; a remote
    model ({fallback}) also rejects with the server's codes (E_NOT_FOUND, E_BUSY, E_TIMEOUT, E_TOO_LARGE, ...),
    E_REMOTE (the server cannot be reached or answers no edgerun JSON) and E_UNSUPPORTED (runTensors). */
export type ErrorCode =
    | 'E_JSON' | 'E_FIELD' | 'E_BASE64' | 'E_DECODE' | 'E_LIMIT' | 'E_SHAPE' | 'E_MEMORY'
    | 'E_LOAD' | 'E_DISPOSED' | 'E_MODULE'
    | 'E_REMOTE' | 'E_UNSUPPORTED' | 'E_NOT_FOUND' | 'E_BUSY' | 'E_TIMEOUT' | 'E_TOO_LARGE'
    | 'E_PATH' | 'E_METHOD' | 'E_REQUEST';

/** Every rejection of the shim is an Error with a code. */
export interface EdgerunError extends Error {
    code: ErrorCode;
}

/** What load() accepts: a URL or (node) a file path, bytes, a Blob, a compiled module or a fetch Response. */
export type Source = string | URL | ArrayBuffer | ArrayBufferView | Blob | WebAssembly.Module | Response;

export interface LoadOptions {
    /** Largest image, in pixels, that run() will decode (the module's default is 50,000,000). */
    maxPixels?: number;
    /**
     * Run the module in a dedicated Worker (worker_threads in node), with the same API, results and
     * error codes. true starts edgerun-worker.js from next to the shim; a string or URL names another
     * copy of it (relative to the page; in node a path or file: URL). Default false: the calling thread.
     */
    worker?: boolean | string | URL;
    /**
     * A URL or path ending in .wasm loads its relaxed-SIMD twin NAME.relaxed.wasm (fused multiply-add)
     * where the engine supports relaxed SIMD, and the plain module if the twin cannot be had. false
     * always loads the plain module. Default true.
     */
    relaxed?: boolean;
    /**
     * The model's URL on an `edgerun serve` server (https://host/v1/models/NAME). When the model cannot
     * be loaded here (no WebAssembly, or the module cannot be fetched, compiled or instantiated), it runs
     * there: the same Model, results with where: 'remote', the server's error codes. A cross-origin
     * server needs `edgerun serve --cors ORIGIN`.
     */
    fallback?: string | URL;
    /**
     * Another copy of edgerun-remote.js, the code a fallback imports (default: the one next to the
     * shim). Resolved as import() resolves it: against the shim's URL; in node a path or file: URL.
     */
    remote?: string | URL;
}

export interface TensorInfo {
    name: string;
    /** ONNX element type: 'float32', 'int64', 'uint8', 'bool', ... */
    dtype: string;
    dims: number[];
    bytes: number;
}

/** er_info() of edgerun.h, plus size. Frozen. */
export interface ModelInfo {
    readonly abi: number;
    readonly name: string;
    readonly generator: string;
    readonly sha256: string;
    readonly opset: number;
    readonly inputs: readonly Readonly<TensorInfo>[];
    readonly outputs: readonly Readonly<TensorInfo>[];
    readonly labels: readonly string[] | null;
    /** mean_R, std_R, mean_G, std_G, mean_B, std_B */
    readonly norm: readonly number[] | null;
    readonly image: { readonly channels: number; readonly height: number; readonly width: number } | null;
    readonly arena_bytes: number;
    readonly weight_bytes: number;
    /** The image pixel limit in force (after options.maxPixels). */
    readonly max_pixels: number;
    /** The .wasm file's byte length, or null when it is not known (a WebAssembly.Module, a compressed Response). */
    readonly size: number | null;
    /** Only for a model that runs remotely ({fallback}): its URL on the server. */
    readonly remote?: string;
}

/** Image bytes given as a typed array or ArrayBuffer are base64-encoded by the shim. */
export interface ImageRequest {
    type?: 'image';
    /** base64 (optionally with a data:image/...;base64, prefix) or the encoded file's bytes */
    input: string | ArrayBuffer | ArrayBufferView;
    /** mean_R, std_R, mean_G, std_G, mean_B, std_B; defaults to the model's */
    norm?: number[];
    width?: number;
    height?: number;
    channels?: number;
    /** centred square crop of the shorter side before resizing; default false */
    crop?: boolean;
    /** turn a JPEG upright by its EXIF orientation first, as browsers display it; default true
        (false: the pixels as stored) */
    exif?: boolean;
    /** number of entries in the response's top; default 3 */
    top?: number;
}

export interface TensorRequest {
    type: 'tensor';
    /** the input tensor, NCHW, as numbers */
    input: number[] | ArrayLike<number>;
    top?: number;
}

export interface Timings {
    decode?: number;
    prepare?: number;
    infer?: number;
    [step: string]: number | undefined;
}

/** The response of a classifier (one output of shape [K] or [1,K]). */
export interface ClassifierResult {
    /** softmax of the logits */
    output: number[];
    logits: number[];
    labels: string[] | null;
    top: { index: number; label: string | null; prob: number }[];
    ms: Timings;
    /** Where it ran: 'local' (this process, or its worker) or 'remote' (the {fallback} server). */
    where: 'local' | 'remote';
}

/** The response of any other model. */
export interface OutputsResult {
    outputs: { [name: string]: { dims: number[]; data: number[] } };
    ms: Timings;
    /** Where it ran: 'local' (this process, or its worker) or 'remote' (the {fallback} server). */
    where: 'local' | 'remote';
}

export type Result = ClassifierResult | OutputsResult;

/** Float32Array for float32, BigInt64Array for int64, Uint8Array for bool and uint8, Uint16Array (raw bits) for float16, ... */
export type TensorData =
    | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
    | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface Tensor<D = TensorData> {
    data: D;
    dims: number[];
}

export interface TensorInput {
    /** the typed array of the input's dtype, or a plain array of numbers (bigints or integers for int64) */
    data: TensorData | ArrayLike<number | bigint | boolean>;
    /** if given, must equal the model's dims for this input */
    dims?: number[];
}

export interface Model {
    readonly info: ModelInfo;
    /** Current size of the module's memory, in bytes (0 once disposed, and for a remote model); in worker mode, as of the last answer. */
    readonly memoryBytes: number;
    /** Run one request of edgerun.h (a JSON string, or an object written as JSON). Calls are queued. */
    run(request: string | ImageRequest | TensorRequest | object): Promise<Result>;
    /** Run the model on named tensors (as in the ONNX graph); resolves to copies of every output.
        The inputs are copied when called (in worker mode the copies are transferred; yours stay usable).
        A remote model ({fallback}) rejects with E_UNSUPPORTED: the server takes only run() requests. */
    runTensors(inputs: { [name: string]: TensorInput }): Promise<{ [name: string]: Tensor }>;
    /** Calls already made finish; later ones reject with E_DISPOSED; then the instance is dropped. */
    dispose(): void;
}

export interface Options extends LoadOptions {
    /** The model edgerun.run() uses: a URL, path or any other Source. */
    model?: Source;
}

/** Compile and instantiate a model module (or, with {fallback}, use the server's when that fails).
    Rejects with E_LOAD (or E_FIELD for bad options). */
export function load(source: Source, options?: LoadOptions): Promise<Model>;
/** Merge options for edgerun.run() and return them all; changing model (or maxPixels) switches model. */
export function options(options?: Options): Options;
/** Run a request on the model of options({model}), loaded on first use. */
export function run(request: string | ImageRequest | TensorRequest | object): Promise<Result>;

declare const edgerun: {
    load: typeof load;
    options: typeof options;
    run: typeof run;
};
export default edgerun;
