/* er_runtime.h - the edgerun runtime as a native C API.

   WHAT THIS IS
     Everything a model module adds around a compiled model (er_model.h):
     base64, image decoding (stb_image), pre-processing and the JSON
     protocol of edgerun.h. The wasm exports (er_exports.c) are a thin layer
     over this header, so node, a WASI build or a REST server can link the
     same code: one compiled model + libedgerun-runtime.a + the kernels.

   USAGE
     char *response = er_runtime_run(request, len);   // JSON in, JSON out
     ... use response ...
     er_mem_free(response);
   or, piece by piece (what er_runtime_run does for an image request):
     er_error err;
     uint8_t *bytes; size_t n;
     er_image img;
     if (er_base64_decode(text, text_len, &bytes, &n, &err) == ER_OK &&
         er_image_decode(bytes, n, max_pixels, 1, &img, &err) == ER_OK) {
         er_image_prepare(&img, &spec, (float *)er_model.inputs[0].data, &err);
         er_image_free(&img);
     }
     er_mem_free(bytes);   // NULL-safe; set to NULL on failure
   er_image_decode_prepare(bytes, n, max_pixels, 1, &spec, input, &ms, &err)
   does the last two steps in one, which er_runtime_run uses: a large JPEG
   is then decoded at a reduced scale straight into the resize.

   FAILURE
     Every function that can fail returns an er_code and fills the caller's
     er_error with the code and a message naming what was wrong and where
     (e.g. "invalid character '#' at offset 1043"). Nothing here prints,
     exits or aborts on bad input, and every failure frees what the call
     allocated: outputs are only owned by the caller on ER_OK.

   MEMORY
     All allocations (ours, stb_image's, cJSON's) go through er_mem_*, which
     counts live blocks and can be told to fail (tests use both). A request
     frees everything it allocated except the response it returns.

   LIMITS
     Each is checked before anything is allocated for what it limits, and
     refused with E_LIMIT and a message that names it ("... over the limit
     request_bytes = 67108864"):
       request_bytes  ER_MAX_REQUEST_BYTES, the request's length
       json_depth     ER_MAX_JSON_DEPTH, arrays and objects inside each other
       json_fields    ER_MAX_JSON_FIELDS, object members in the whole request
       image_side     ER_MAX_IMAGE_SIDE, an image's width or height (header)
       max_pixels     width x height from the header (er_runtime_set_max_pixels,
                      default 50,000,000)
     Images are judged by their header, before any pixel memory is allocated.

   STATE
     A module keeps, between calls, only: the pixel limit (set by the
     embedder, never by a request), the model description (er_info, built
     once), the last response (er_exports.c, freed at the start of the next
     run) and the allocator's counters. Everything else a request touches
     (cJSON's allocator hooks, stb_image's failure reason) is set at the
     start of every request. Not thread-safe: one request at a time, like
     the model.
*/
#ifndef ER_RUNTIME_H
#define ER_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "edgerun.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits (see LIMITS above) ------------------------------------------ */

#define ER_MAX_REQUEST_BYTES ((size_t)64 << 20)
#define ER_MAX_JSON_DEPTH 32
#define ER_MAX_JSON_FIELDS 4096
#define ER_MAX_IMAGE_SIDE 16384

/* ---- errors (er_error.c) ------------------------------------------------- */

typedef enum er_code {
    ER_OK = 0,
#define ER_CODE_ENUM(name) ER_##name,
    ER_ERROR_LIST(ER_CODE_ENUM)
#undef ER_CODE_ENUM
    ER_CODE_COUNT
} er_code;

typedef struct er_error {
    er_code code;
    char message[240];
} er_error;

/* "E_JSON", ... for an error code, "OK" for ER_OK, "E_UNKNOWN" otherwise. Static string. */
const char *er_code_name(er_code code);

/* Set err (may be NULL) to code and a message, and return code. fmt understands only
   %s %c %d %u %lld %llu %zu and %%; longer messages are truncated with "...". */
er_code er_fail(er_error *err, er_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- memory (er_memory.c) ------------------------------------------------ */

/* malloc/realloc/free that count live blocks and honour er_mem_fail_after. */
void *er_mem_alloc(size_t n);
void *er_mem_realloc(void *p, size_t n);
void er_mem_free(void *p);
/* Blocks allocated by er_mem_* and not yet freed. */
size_t er_mem_live_blocks(void);
/* Allocations that have failed so far: libraries that fail without saying
   why (stb_image, cJSON) are judged out of memory when this moved. */
size_t er_mem_failures(void);
/* Testing aid: make the n-th allocation from now fail (once); 0 disarms.
   Returns how many allocations the previous arming still had to go (0 when it
   fired or was not armed), so a test can tell when a run allocated less. */
uint32_t er_mem_fail_after(uint32_t n);

/* ---- base64 (er_base64.c) ------------------------------------------------ */

/* Decode RFC 4648 base64 (standard alphabet) of len bytes: an optional
   data:image/<type>[;param=value...];base64, prefix, ASCII whitespace anywhere,
   '=' padding either complete or absent, unused bits zero. On ER_OK *out is a
   new buffer of *out_len bytes the caller frees with er_mem_free (non-NULL even
   when empty); otherwise *out is NULL and the code is E_BASE64 (naming the byte
   offset in text) or E_MEMORY. */
er_code er_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len, er_error *err);

/* ---- images (er_image.c) ------------------------------------------------- */

/* An 8-bit image: channels interleaved, 1 grey, 2 grey+alpha, 3 RGB,
   4 RGBA (alpha not premultiplied). width and height are the upright size,
   as a browser displays the image; the pixels stay as the file stored them,
   and `orientation` (EXIF 1..8; 0 counts as 1) says how they turn upright,
   so a phone's portrait photo costs no second copy and no extra pass.
   Read them through er_image_layout; only for orientation 1 are they plain
   rows, top to bottom. */
typedef struct er_image {
    int32_t width, height, channels;
    uint8_t *pixels; /* width * height * channels bytes, owned by the image */
    int32_t orientation;
} er_image;

/* Decode a JPEG (baseline, progressive), PNG (8/16-bit, grey, palette,
   alpha), BMP, GIF (first frame) or TGA of len bytes. Refuses images of more
   than max_pixels pixels with E_LIMIT after reading only the header. 16-bit
   samples keep their high byte (as Pillow does for RGB). With exif non-zero,
   a JPEG takes the orientation of its EXIF block (er_exif_orientation), so
   width and height swap for orientations 5-8; with exif 0 it keeps the
   stored orientation (1). E_DECODE carries stb_image's reason; E_MEMORY when
   memory ran out. On ER_OK the caller owns img and frees it with
   er_image_free; otherwise img->pixels is NULL. */
er_code er_image_decode(const uint8_t *data, size_t len, uint64_t max_pixels, int exif, er_image *img,
                        er_error *err);

/* The Orientation (tag 0x0112, a SHORT of 1..8) of IFD0 in the first APP1
   "Exif\0\0" block that has one before a JPEG's image data, from len bytes
   trusted for nothing: every offset, count and length is checked, and a
   file that is not a JPEG, has no such tag, or has a damaged or absurd
   EXIF block gives 1 (as stored). Never fails, never reads outside data. */
int32_t er_exif_orientation(const uint8_t *data, size_t len);

/* Where img's upright pixel (x, y) is stored: at byte
   origin + x * right + y * down of img->pixels (steps may be negative). */
typedef struct er_image_steps {
    size_t origin;
    ptrdiff_t right, down;
} er_image_steps;
er_image_steps er_image_layout(const er_image *img);

/* Free img's pixels and zero it; NULL-safe and idempotent. */
void er_image_free(er_image *img);

/* ---- pre-processing (er_prepare.c) --------------------------------------- */

typedef struct er_prepare_spec {
    int32_t width, height; /* output size in pixels, >= 1 */
    int32_t channels;      /* 3: RGB, 1: grey (ITU-R 601-2 luma, as Pillow's convert("L")) */
    int32_t crop;          /* non-zero: centred square of the shorter side first */
    float norm[6];         /* mean_R, std_R, mean_G, std_G, mean_B, std_B; grey uses the R pair */
} er_prepare_spec;

/* Take img upright (its orientation), composite it over white, convert to
   spec->channels, crop, resize (area averaging when shrinking an axis, like
   Pillow's BOX; bilinear when enlarging, like Pillow's BILINEAR) and
   normalise to (p/255 - mean)/std, writing NCHW float32 [channels, height,
   width] to out (caller-owned, channels * height * width floats). Uses and
   frees temporary memory: E_MEMORY, E_LIMIT (sizes that overflow) or
   E_FIELD (a bad spec). */
er_code er_image_prepare(const er_image *img, const er_prepare_spec *spec, float *out, er_error *err);

/* Decode and prepare in one call, as er_image_decode + er_image_prepare
   would, but without the full-size image where that pays: a baseline or
   progressive JPEG (grey or YCbCr) whose crop shrinks to the output on both
   axes is decoded row by row straight into an area average (er_box_*), and
   at a reduced DCT scale (1/4 or 1/8, as libjpeg's scale_denom) when the
   crop still holds at least twice the output size at that scale (not 1/2:
   its clipped colours stray from Pillow's; see er_image.c). Other
   images take the two-step path. *prepare_ms gets the milliseconds spent
   preparing (for a streamed JPEG, the time inside the area average, which
   runs between decoded rows). Errors as er_image_decode and er_image_prepare. */
er_code er_image_decode_prepare(const uint8_t *data, size_t len, uint64_t max_pixels, int exif,
                                const er_prepare_spec *spec, float *out, double *prepare_ms, er_error *err);

/* The streaming area average: output pixel (x, y) is the mean of the crop's
   full-size pixels whose centres fall in its box, as Pillow's BOX filter,
   fed one row at a time of an image decoded at scale 1/denom. Each axis of
   the stored image is cut into cells: at every multiple of denom and where
   an output pixel (or the crop) begins, so a cell is at most denom pixels
   long and lies in one output pixel; er_box_cells gives the cuts. The
   decoder delivers rows of cells (channels interleaved bytes, the mean of
   each cell's full-size pixels), in stored order: orientation says how they
   stand upright, as for er_image_layout. At denom 1 the cells are pixels.
   er_box_denominator: 0 when an axis of the crop would have to grow (not a
   box resize), else the largest denom in {1, 2, 4, 8} that leaves at least
   twice the output size in the crop. */
typedef struct er_box_stream er_box_stream;
int32_t er_box_denominator(const er_prepare_spec *spec, int32_t upright_w, int32_t upright_h);
/* *s is owned by the caller (er_box_free) on ER_OK; E_FIELD for a bad spec
   or a denom the sizes do not allow, E_MEMORY. */
er_code er_box_begin(er_box_stream **s, const er_prepare_spec *spec, int32_t stored_w, int32_t stored_h,
                     int32_t orientation, int32_t denom, int32_t channels, er_error *err);
/* The cells of stored axis x (axis_y 0) or y (1): returns their count n
   and sets *start to n + 1 ascending full-size positions (the first of
   each cell, then the axis length) and *bin to n output positions along
   that axis (-1: the cell is outside the crop, and its value unused);
   both owned by s. */
int32_t er_box_cells(const er_box_stream *s, int axis_y, const int32_t **start, const int32_t **bin);
/* Cell row y (0 <= y < the y axis' cell count): one byte per channel per cell. */
void er_box_row(er_box_stream *s, int32_t y, const uint8_t *px);
/* Write the normalised NCHW tensor (spec's channels, height, width) to out. */
void er_box_finish(const er_box_stream *s, float *out);
void er_box_free(er_box_stream *s); /* NULL-safe */

/* ---- JSON output (er_json.c) --------------------------------------------- */

/* A growable string. Appends never fail visibly: after an allocation failure
   the buffer is marked failed, ignores further appends, and er_buf_finish
   returns NULL. Zero-initialise to start (er_buf b = {0}). */
typedef struct er_buf {
    char *data;
    size_t len, cap;
    int failed;
} er_buf;

void er_buf_raw(er_buf *b, const char *s, size_t n);
void er_buf_str(er_buf *b, const char *s);         /* s verbatim */
void er_buf_json_string(er_buf *b, const char *s); /* s as a quoted JSON string; NULL gives null */
void er_buf_int(er_buf *b, int64_t v);
void er_buf_uint(er_buf *b, uint64_t v);
/* The shortest decimal that reads back as v (as a float32 when is_f32 is
   non-zero, else as a double); null when v is not finite. */
void er_buf_real(er_buf *b, double v, int is_f32);
/* NUL-terminate and hand over the string (caller frees with er_mem_free);
   NULL when an append failed. Either way b is reset to empty. */
char *er_buf_finish(er_buf *b);
/* Drop the contents; b is reset to empty. */
void er_buf_discard(er_buf *b);

/* Format the shortest decimal that reads back as v (see er_buf_real) into
   out (at least 32 bytes) and return its length; 0 (and "") when not finite. */
size_t er_format_real(char *out, double v, int is_f32);
/* Format v in decimal into out (at least 21 bytes, NUL-terminated); returns its length. */
size_t er_format_uint(char *out, uint64_t v);

/* ---- the protocol (er_protocol.c, er_info.c) ----------------------------- */

/* Run one request as edgerun.h describes (len bytes, need not be
   NUL-terminated). Returns the response or error JSON, which the caller
   frees with er_mem_free; NULL only when not even an error response fitted
   in memory. */
char *er_runtime_run(const char *request, size_t len);
/* Run the model on its input buffers; returns {"ms":{"infer":..}} (caller
   frees with er_mem_free), NULL when out of memory. */
char *er_runtime_run_tensors(void);
/* The model description of edgerun.h's er_info, owned by the runtime and
   valid for the program's lifetime (its max_pixels follows the limit);
   NULL when out of memory. */
const char *er_runtime_info(void);
/* Set the pixel limit (0 keeps it); returns the previous one. */
#define ER_DEFAULT_MAX_PIXELS 50000000u
uint32_t er_runtime_set_max_pixels(uint32_t max_pixels);
uint32_t er_runtime_max_pixels(void);

/* What the runtime makes of the model: its image input, if it has one. */
typedef struct er_image_input {
    int32_t channels, height, width;
} er_image_input;
/* Fill *in and return 1 when input 0 is an image (float32 [1, 1|3, H, W] and
   the only input); 0 otherwise. */
int er_model_image_input(er_image_input *in);
/* Number of classes K when the model is a classifier (one float32 output of
   shape [K] or [1, K]); 0 otherwise. */
int32_t er_model_classes(void);
/* The ONNX dtype's name ("float32", "int64", ...) and element size; NULL / 0
   for types the runtime does not handle. */
const char *er_dtype_name(int32_t dtype);
size_t er_dtype_size(int32_t dtype);

/* Milliseconds from a monotonic clock (CLOCK_MONOTONIC). */
double er_now_ms(void);

#ifdef __cplusplus
}
#endif
#endif /* ER_RUNTIME_H */
