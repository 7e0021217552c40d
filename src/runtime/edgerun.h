/* edgerun.h - what a compiled-model .wasm module exports, and the JSON it speaks.

   WHAT THIS IS
     web/models/NAME.wasm = one compiled model (er_model.h) + the kernels +
     this runtime: base64, image decoding (stb_image), pre-processing and the
     JSON protocol. The JS shim (js/edgerun.js) is its only intended caller; a
     native program may link the same functions. No Emscripten JS glue is
     involved: the module imports only WASI clock_time_get (timings) and
     emscripten_notify_memory_growth, and exports the functions below plus
     `memory` and `_initialize` (call once before anything else).

   USAGE (what the shim does)
     p = er_alloc(n); copy the UTF-8 request into memory at p;
     r = er_run(p, n); er_free(p);
     read the NUL-terminated JSON at r (valid until the next er_run or
     er_run_tensors call; owned by the module).

   REQUEST (er_run)
     {"type":"image","input":"<base64, optional data:image/...;base64, prefix>",
      "norm":[mean_R,std_R,mean_G,std_G,mean_B,std_B], "width":32, "height":32,
      "channels":3, "crop":true, "exif":true}
     {"type":"tensor","input":[...numbers, NCHW...]}
     {"type":"tensor","input":{"a":[...],"b":[...]}}   (inputs by name; any model)
     type defaults to "image". norm, width, height and channels default to the
     model's own values; width/height/channels that contradict the model's
     input are E_SHAPE. crop defaults to false (the whole image is resized).
     exif (default true) turns a JPEG upright by the Orientation of its EXIF
     block (tag 0x0112 of IFD0, a SHORT 1..8, as browsers display it) before
     the crop and resize; false keeps the pixels as stored. A missing,
     damaged or absurd EXIF block counts as orientation 1, never as an error.
     "top" (0..classes, default min(3, classes)) sets the number of entries
     in "top"; models that are not classifiers ignore it. Unknown and
     repeated fields are E_FIELD (a misspelt "nrom" must not pass silently);
     image-only fields in a tensor request too.
     Base64: RFC 4648 with '=' padding complete or absent, ASCII whitespace
     anywhere, unused bits zero. Tensor values: an array of exactly the
     input's element count (E_SHAPE otherwise) of numbers that fit the
     input's dtype (E_FIELD naming the index otherwise: "input[17] ...");
     a plain array only for a model with one input.
     A model takes images when its only input is float32 [1, 1|3, H, W].

   RESPONSE
     {"output":[probabilities: softmax of the logits],"logits":[...],
      "labels":[...],"top":[{"index":3,"label":"cat","prob":0.91},...],
      "ms":{"decode":..,"prepare":..,"infer":..}}
     for a classifier (one float32 output of shape [K] or [1,K]); "labels"
     and every "label" are null when the model has no K labels. "top" is
     sorted by probability, ties by index. For any other model
     {"outputs":{"NAME":{"dims":[...],"data":[...]}},"ms":{...}}, every
     output flattened in row-major order (bool as true/false).
     Numbers are the shortest decimals that read back as the same value at
     the tensor's precision (float32 outputs and probabilities as float32);
     NaN and infinities, which JSON cannot write, are null.
     "ms": "decode" from receiving the request to decoded pixels (JSON,
     base64, image; for tensors the JSON alone), "prepare" the crop, resize
     and normalisation (for tensors, storing the numbers), "infer" the model;
     milliseconds, to the microsecond.
     Errors: {"error":{"code":"E_...","message":"..."}}; the module stays usable.

   ERROR CODES
     E_JSON    the request is not valid JSON (message gives the byte offset)
     E_FIELD   a field is missing, unknown, of the wrong type, or out of range (names it)
     E_BASE64  the image is not valid base64 (names the offending offset)
     E_DECODE  the bytes are not a decodable JPEG/PNG/BMP/GIF/TGA (with stb_image's reason)
     E_LIMIT   the request or image is over a limit, which the message names:
               request_bytes (64 MiB), json_depth (32), json_fields (4096
               object members), image_side (16384 px), max_pixels
               (er_set_max_pixels); all checked before allocating for what
               they limit, images by their header
     E_SHAPE   the request contradicts the model's input shape
     E_MEMORY  an allocation failed (wasm32 memory ends at 2 GB)

   PRE-PROCESSING (image requests)
     decode -> upright by EXIF orientation (JPEG, unless "exif":false) ->
     RGB (alpha composited over white) or grey (ITU-R 601 luma) ->
     optional centred square crop of the shorter side -> resize to width x
     height (area averaging when shrinking, like Pillow's BOX filter; bilinear
     when enlarging) -> (p/255 - mean_c)/std_c -> NCHW float32 input tensor.
     Models compiled without --norm use mean 0, std 1; a grey model uses the
     first pair of norm. Each axis is resized on its own (a 40x20 image for a
     32x32 model shrinks across and grows down), and the result is within
     2/255 of Pillow's (tests/js/prepare-pillow.test.mjs): JPEG (baseline,
     progressive; orientations 2-8 as PIL.ImageOps.exif_transpose turns
     them), PNG (8/16-bit, grey, palette, alpha), BMP, GIF (first frame),
     TGA; 16-bit samples keep their high byte, as Pillow does.
     JPEG pixels are libjpeg-turbo's (Pillow's) exactly: its islow IDCT,
     YCbCr tables and fancy upsampling (er_jpeg.h). A JPEG whose crop is at
     least 4x the input size on both axes is decoded at 1/2, 1/4 or 1/8
     scale in the DCT domain (the largest keeping 2x the input size), its
     rows averaged as they are decoded: no full-size image is allocated, and
     "ms.prepare" is the time spent averaging.
*/
#ifndef EDGERUN_H
#define EDGERUN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ER_ERROR_LIST(X) \
    X(E_JSON) X(E_FIELD) X(E_BASE64) X(E_DECODE) X(E_LIMIT) X(E_SHAPE) X(E_MEMORY)

/* Allocate n bytes of module memory for the caller; NULL on failure. Caller frees with er_free. */
void *er_alloc(size_t n);
/* Free memory from er_alloc; NULL is ignored. */
void er_free(void *p);

/* The model's description as NUL-terminated JSON, owned by the module, valid for its lifetime
   (max_pixels is updated in place by er_set_max_pixels; an E_MEMORY error object if even this
   could not be built):
   {"abi":1,"name":..,"generator":..,"sha256":..,"opset":..,
    "inputs":[{"name":..,"dtype":"float32","dims":[..],"bytes":..}],"outputs":[..],
    "labels":[..]|null,"norm":[6 numbers]|null,
    "image":{"channels":3,"height":32,"width":32}|null,
    "arena_bytes":..,"weight_bytes":..,"max_pixels":..} */
const char *er_info(void);

/* Run one JSON request of len bytes (not necessarily NUL-terminated; the
   module does not keep it). Returns the response JSON, owned by the module,
   valid until the next er_run or er_run_tensors. Never NULL. */
const char *er_run(const char *request, size_t len);

/* The buffer of input (is_output = 0) or output (is_output = 1) `index`, laid
   out as er_info describes; NULL when there is no such tensor. The caller may
   write inputs there, then call er_run_tensors, then read outputs. */
void *er_io_data(int32_t is_output, int32_t index);

/* Run the model on its input buffers. Returns {"ms":{"infer":..}} (owned by
   the module, valid until the next run). Never NULL. */
const char *er_run_tensors(void);

/* Largest image, in pixels, that er_run will decode (default 50,000,000).
   Returns the previous limit; a value of 0 keeps the current one. */
uint32_t er_set_max_pixels(uint32_t max_pixels);

#ifdef __cplusplus
}
#endif
#endif /* EDGERUN_H */
