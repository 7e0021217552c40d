/* er_image.c - image decoding with stb_image, behind a pixel limit.

   The one translation unit that compiles stb_image. Only the formats the
   protocol promises are compiled in (each costs wasm bytes), allocation goes
   through er_mem_* (fault injection, leak accounting), and the header is
   read before anything else so that a 100,000 x 100,000 PNG of a few KB is
   refused before it can ask for 40 GB.

   stb_image ignores EXIF orientation, while every browser applies it: a
   phone's portrait photo is stored landscape with orientation 6. The image
   is classified as its user sees it by reading the tag here and having
   er_image_prepare walk the stored pixels in upright order.

   JPEGs are stb's to parse but ours to turn into pixels, exactly as
   libjpeg-turbo (and so Pillow) does, and a large one can be decoded at a
   reduced scale straight into the resize: see "JPEG" below. */
#include "er_runtime.h"
#include "er_jpeg.h"

#include <limits.h>
#include <string.h>

#define STBI_NO_STDIO
/* The plain C paths everywhere, so native tests decode exactly as wasm does
   (stb's SSE2 paths round differently, and wasm has none). */
#define STBI_NO_SIMD
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_TGA
#define STBI_MALLOC(n) er_mem_alloc(n)
#define STBI_REALLOC(p, n) er_mem_realloc(p, n)
#define STBI_FREE(p) er_mem_free(p)
#ifdef __wasm__
/* stb's asserts guard its own invariants, not input; where one could still
   fire, stopping the instance is safer than reading out of bounds, and a trap
   does not pull fprintf into the module as assert() would. */
#define STBI_ASSERT(x) ((x) ? (void)0 : __builtin_trap())
#endif
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

/* Map a failed stb call to E_MEMORY or to E_DECODE with stb's reason. Some
   stb failures say nothing (a failed malloc in its zlib among them), so
   running out of memory is judged by the allocator's failure count, and the
   reason is cleared before each call (stb keeps the last one in this
   static, which we compile in) rather than let an earlier image's reason
   explain this one. */
static er_code decode_failure(er_error *err, size_t failures_before, const char *doing, const char *problem)
{
    const char *reason = stbi__g_failure_reason;
    if (er_mem_failures() != failures_before || (reason && strcmp(reason, "outofmem") == 0))
        return er_fail(err, ER_E_MEMORY, "out of memory while %s the image", doing);
    if (!reason) return er_fail(err, ER_E_DECODE, "%s", problem);
    return er_fail(err, ER_E_DECODE, "%s (stb_image: %s)", problem, reason);
}

/* stb reads the file through these callbacks rather than straight from
   memory only so that a read past its end is seen. stb's memory reader
   answers zeros there and its decoders carry on, so a truncated file (a
   half-transferred photo) came out as an image whose missing part was grey
   or black, and was classified. Pillow refuses such a file ("image file is
   truncated"); so do we, with E_DECODE. Skipping past the end is not
   reading (a BMP's last row may lack its padding); a read there is. */
typedef struct file_reader {
    const uint8_t *data;
    size_t len, pos;
    int past_end; /* a decoder asked for a byte after the last */
} file_reader;

static int reader_read(void *user, char *out, int size)
{
    file_reader *f = user;
    if (size <= 0) return 0;
    if (f->pos >= f->len) {
        f->past_end = 1;
        return 0;
    }
    const size_t n = f->len - f->pos < (size_t)size ? f->len - f->pos : (size_t)size;
    memcpy(out, f->data + f->pos, n);
    f->pos += n;
    return (int)n;
}

static void reader_skip(void *user, int n)
{
    file_reader *f = user;
    if (n < 0) f->pos = (size_t)-(int64_t)n > f->pos ? 0 : f->pos - (size_t)-(int64_t)n;
    else f->pos = (size_t)n > f->len - f->pos ? f->len : f->pos + (size_t)n;
}

static int reader_eof(void *user)
{
    const file_reader *f = user;
    return f->pos >= f->len;
}

static const stbi_io_callbacks reader_callbacks = {reader_read, reader_skip, reader_eof};

static file_reader reader_of(const uint8_t *data, size_t len)
{
    file_reader f = {data, len, 0, 0};
    return f;
}

static er_code truncated(er_error *err, const char *format, size_t len)
{
    return er_fail(err, ER_E_DECODE, "the %s file is truncated: its image data goes on past its %zu bytes", format,
                   len);
}

/* Debian's stb_image (2.27) trusts the symbol counts of a JPEG's Huffman
   tables: a DHT segment declaring more than 256 symbols writes past its
   tables (upstream fixed it in 2.28 with exactly this check). Such files
   are refused here, before stb reads them, by walking the markers the way
   stb does: bytes up to a 0xff marker skipped, segments skipped by their
   length, except DHT, whose tables stb reads one after another for as long
   as the declared length is not used up - even past it, which is where the
   next segment then starts, and past the end of the data, which it reads
   as zeros. Returns the offset of the first table of more
   than 256 symbols, or 0 when there is none (or the data is not a JPEG). */
static size_t oversized_huffman_table(const uint8_t *d, size_t len)
{
    size_t i = 0; /* stb's SOI test: 0xff, any more 0xff, then 0xd8 */
    while (i < len && d[i] == 0xff) i++;
    if (i == 0 || i >= len || d[i] != 0xd8) return 0;
    i++;
    while (i + 3 < len) {
        if (d[i] != 0xff) { /* entropy-coded data: on to the next 0xff */
            const uint8_t *next = memchr(d + i, 0xff, len - i);
            i = next ? (size_t)(next - d) : len;
            continue;
        }
        if (d[i + 1] == 0xff) { /* fill bytes */
            i++;
            continue;
        }
        uint8_t marker = d[i + 1];
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { /* no length */
            i += 2;
            continue;
        }
        if (marker == 0xd9) break; /* EOI */
        long left = ((long)d[i + 2] << 8 | d[i + 3]) - 2;
        i += 4;
        if (marker != 0xc4) {
            i += left > 0 ? (size_t)left : 0;
            continue;
        }
        while (left > 0 && i < len) { /* class/id byte, 16 counts, the symbols */
            size_t symbols = 0;
            for (size_t k = 1; k <= 16 && i + k < len; k++) symbols += d[i + k]; /* stb reads 0 past the end */
            if (symbols > 256) return i;
            i += 17 + symbols;
            left -= 17 + (long)symbols;
        }
        if (left != 0) break; /* stb stops at a DHT that does not add up */
    }
    return 0;
}

/* ---- JPEG: libjpeg-turbo's pixels, at a reduced scale, row by row --------

   stb_image stays the JPEG parser: markers, Huffman tables, the entropy
   decoding of each 8x8 block (stbi__jpeg_decode_block) and, for
   progressive files, the whole coefficient bookkeeping. What turns blocks
   into pixels is ours (er_jpeg.h): libjpeg-turbo's islow IDCT, its chroma
   upsampling and its YCbCr conversion, so every pixel equals Pillow's.

   A baseline file (one interleaved scan, or a grey image) is decoded one
   MCU row at a time into a ring of component rows a few rows high, and each
   output row goes to a sink as soon as its upsampling context is there: a
   12 MP photo never exists as full-size planes or RGB. It can also be
   decoded at scale 1/2, 1/4 or 1/8, like libjpeg's scale_denom (the
   protocol's path uses 1/4 and 1/8; er_image_decode_prepare says why), for the
   area average (er_box_*): every block then yields "cells", the means of
   its pixels over rectangles of at most denom x denom (the sink's cuts,
   er_box_cells), computed in the DCT domain (er_jpeg_idct_cells). At 1/8 a
   block is one cell, its DC coefficient alone, except where an output
   pixel's edge cuts it: there it splits at the edge, so the average stays
   exact. All components are reduced to the same cells (a 4:2:0 chroma
   block to the cells of the 16x16 pixels it covers), which makes the
   colour conversion per cell, without upsampling. Files that interleave
   differently (progressive, one scan per component) go through stb's own
   scan decoding into full-size component planes at scale 1, with our IDCT
   installed in its kernel slot, and then through the row machine. */

/* Where decoded rows go. begin is told the decoded size first; a non-OK
   code stops the decode with that error. */
typedef struct jpeg_sink {
    er_code (*begin)(void *ctx, int32_t width, int32_t height, int32_t channels, int32_t denom, er_error *err);
    /* rows of pixels at scale 1, of cells at a reduced scale */
    void (*row)(void *ctx, int32_t y, const uint8_t *px);
    /* the cuts of stored axis x or y and whether each cell is used
       (er_box_cells); only asked when denom > 1 */
    int32_t (*cells)(void *ctx, int axis_y, const int32_t **start, const int32_t **bin);
    void *ctx;
} jpeg_sink;

/* How a component's samples become output pixels (libjpeg's choice, jdsample.c). */
enum { UP_COPY, UP_H2V1, UP_H2V2, UP_H1V2, UP_REPLICATE };

typedef struct jpeg_comp {
    int32_t ssize;          /* IDCT output size of one block: 1, 2, 4 or 8 */
    int32_t hx, vx, method; /* output pixels per sample across and down, and how */
    int32_t width, height;  /* samples at the decoded scale */
    int32_t stride;         /* bytes per buffered row (whole blocks) */
    int32_t band;           /* rows one MCU row adds */
    int32_t ring;           /* rows buffered: a multiple of band, or the whole plane */
    int32_t have;           /* rows decoded so far */
    uint8_t *buf;           /* ring * stride bytes; owned unless it is stb's plane */
    int owned;
    uint8_t *up;            /* one upsampled row */
    /* reduced scales: block b's cells along x are [fx[b], fx[b + 1]), with
       the weights mx[8 * cell ...] (er_jpeg_cell_weights); the same down */
    int32_t *fx, *fy;
    uint8_t *ux, *uy;       /* block column / row has a cell inside the crop */
    uint8_t *wx, *wy;       /* block column / row is a single cell */
    int16_t *mx, *my;
} jpeg_comp;

typedef struct jpeg_run {
    stbi__context s;
    stbi__jpeg z;
    int32_t n, is_rgb;      /* components used (1 or 3), stored as RGB rather than YCbCr */
    int32_t hmax, vmax;
    int32_t denom, width, height;
    int32_t next;           /* next output row */
    int32_t cells;          /* reduced scale: rows are of cells (width, height count cells) */
    jpeg_comp c[3];
    uint8_t *out;           /* one output row, width * n bytes */
    const jpeg_sink *sink;
} jpeg_run;

static void jpeg_run_free(jpeg_run *r)
{
    for (int k = 0; k < 3; k++) {
        if (r->c[k].owned) er_mem_free(r->c[k].buf);
        er_mem_free(r->c[k].up);
        er_mem_free(r->c[k].fx);
        er_mem_free(r->c[k].fy);
        er_mem_free(r->c[k].ux);
        er_mem_free(r->c[k].uy);
        er_mem_free(r->c[k].wx);
        er_mem_free(r->c[k].wy);
        er_mem_free(r->c[k].mx);
        er_mem_free(r->c[k].my);
    }
    er_mem_free(r->out);
    stbi__free_jpeg_components(&r->z, r->z.s && r->z.s->img_n <= 4 ? r->z.s->img_n : 0, 0);
    er_mem_free(r);
}

/* Sample row `row` of component c (row < c->have). */
static uint8_t *comp_row(const jpeg_comp *c, int32_t row)
{
    return c->buf + (size_t)(row % c->ring) * (size_t)c->stride;
}

/* The last sample row component c needs for output row y. */
static int32_t comp_need(const jpeg_comp *c, int32_t y)
{
    if (c->method == UP_H2V2 || c->method == UP_H1V2) {
        const int32_t near = y >> 1;
        return near + 1 < c->height ? near + 1 : c->height - 1;
    }
    return y / c->vx;
}

/* Component c's samples for output row y, at output width. */
static const uint8_t *comp_output_row(jpeg_comp *c, int32_t y)
{
    int32_t near = y / c->vx, far;
    switch (c->method) {
    case UP_COPY: return comp_row(c, near);
    case UP_H2V1: er_jpeg_upsample_h2v1(c->up, comp_row(c, near), c->width); return c->up;
    case UP_H2V2:
    case UP_H1V2:
        /* the row above for the upper output row of a pair, below for the
           lower; at the image's edges the edge row itself (libjpeg's context) */
        far = y & 1 ? (near + 1 < c->height ? near + 1 : near) : (near > 0 ? near - 1 : 0);
        if (c->method == UP_H2V2) er_jpeg_upsample_h2v2(c->up, comp_row(c, near), comp_row(c, far), c->width);
        else er_jpeg_upsample_h1v2(c->up, comp_row(c, near), comp_row(c, far), c->width, y & 1);
        return c->up;
    default: {
        const uint8_t *in = comp_row(c, near);
        for (int32_t i = 0; i < c->width; i++)
            for (int32_t k = 0; k < c->hx; k++) c->up[(size_t)i * (size_t)c->hx + (size_t)k] = in[i];
        return c->up;
    }
    }
}

/* Hand every output row whose samples are all decoded to the sink. */
static void jpeg_emit(jpeg_run *r)
{
    for (; r->next < r->height; r->next++) {
        const int32_t y = r->next;
        for (int32_t k = 0; k < r->n; k++)
            if (comp_need(&r->c[k], y) >= r->c[k].have) return;
        if (r->n == 1) {
            r->sink->row(r->sink->ctx, y, comp_output_row(&r->c[0], y));
            continue;
        }
        const uint8_t *p0 = comp_output_row(&r->c[0], y), *p1 = comp_output_row(&r->c[1], y),
                      *p2 = comp_output_row(&r->c[2], y);
        if (r->is_rgb) {
            for (int32_t i = 0; i < r->width; i++) {
                r->out[3 * (size_t)i] = p0[i];
                r->out[3 * (size_t)i + 1] = p1[i];
                r->out[3 * (size_t)i + 2] = p2[i];
            }
        } else {
            er_jpeg_ycc_to_rgb(r->out, p0, p1, p2, r->width, 3);
        }
        r->sink->row(r->sink->ctx, y, r->out);
    }
}

/* The cells of one component along one axis: block b (covering `span`
   full-size pixels from b * span) gets cells [first[b], first[b + 1]) of
   the sink's cuts, each with its 8 weights; used[b] says whether any of
   them is inside the crop (blocks outside it are not transformed), whole[b]
   whether the block is one cell (transformed from its DC alone). Fails (0) when the cuts do not
   fall on the block edges (they always do: blocks start at multiples of 8,
   and every multiple of the scale denominator is a cut) or memory is out. */
static int plan_cells(int32_t blocks, int32_t span, int32_t spread, const int32_t *cut, const int32_t *bin,
                      int32_t n, int32_t **first, uint8_t **used, uint8_t **whole, int16_t **m)
{
    *used = er_mem_alloc((size_t)blocks + 1);
    *whole = er_mem_alloc((size_t)blocks + 1);
    if (!*used || !*whole) return 0;
    *first = er_mem_alloc(((size_t)blocks + 1) * sizeof **first);
    *m = er_mem_alloc((size_t)(n ? n : 1) * 8 * sizeof **m);
    if (!*first || !*m) return 0;
    int32_t i = 0;
    for (int32_t b = 0; b <= blocks; b++) {
        const int64_t at = (int64_t)b * span;
        while (i < n && cut[i] < at) i++;
        if (i < n && cut[i] != at) return 0;
        (*first)[b] = i;
    }
    for (int32_t b = 0; b < blocks; b++) {
        if ((*first)[b + 1] - (*first)[b] > 32) return 0; /* er_jpeg_idct_cells' limit */
        (*used)[b] = 0;
        (*whole)[b] = (*first)[b + 1] - (*first)[b] == 1 && cut[(*first)[b]] == (int64_t)b * span &&
                      cut[(*first)[b] + 1] == (int64_t)(b + 1) * span;
        for (int32_t c = (*first)[b]; c < (*first)[b + 1]; c++) (*used)[b] |= bin[c] >= 0;
        for (int32_t c = (*first)[b]; c < (*first)[b + 1]; c++)
            er_jpeg_cell_weights(*m + 8 * (size_t)c, (int)(cut[c] - (int64_t)b * span),
                                 (int)(cut[c + 1] - (int64_t)b * span), (int)spread);
    }
    return 1;
}

/* Sizes and upsampling of every component at scale 8/N (N = 8 / denom), as
   libjpeg's jdmaster.c and jdsample.c choose them; allocates the ring
   buffers when `ring` (streaming) and the row buffers. */
static er_code jpeg_plan(jpeg_run *r, int32_t denom, int ring, er_error *err)
{
    stbi__jpeg *z = &r->z;
    const int32_t N = 8 / denom, img_x = (int32_t)z->s->img_x, img_y = (int32_t)z->s->img_y;
    r->denom = denom;
    r->width = (int32_t)(((int64_t)img_x * N + 7) / 8);
    r->height = (int32_t)(((int64_t)img_y * N + 7) / 8);
    const int32_t mcu_x = (int32_t)(((int64_t)img_x + 8 * r->hmax - 1) / (8 * r->hmax));
    er_code rc = r->sink->begin(r->sink->ctx, r->width, r->height, r->n, denom, err);
    if (rc != ER_OK) return rc;
    r->cells = ring && denom > 1;
    if (r->cells) {
        const int32_t *cx, *cy, *bx, *by;
        r->width = r->sink->cells(r->sink->ctx, 0, &cx, &bx);
        r->height = r->sink->cells(r->sink->ctx, 1, &cy, &by);
        for (int32_t k = 0; k < r->n; k++) {
            jpeg_comp *c = &r->c[k];
            const int32_t h = r->n == 1 ? 1 : z->img_comp[k].h, v = r->n == 1 ? 1 : z->img_comp[k].v;
            const int32_t across = r->n == 1 ? (img_x + 7) / 8 : mcu_x * h;
            const int32_t down = r->n == 1 ? (img_y + 7) / 8 : z->img_mcu_y * v;
            if (!plan_cells(across, 8 * (r->hmax / h), r->hmax / h, cx, bx, r->width, &c->fx, &c->ux, &c->wx, &c->mx) ||
                !plan_cells(down, 8 * (r->vmax / v), r->vmax / v, cy, by, r->height, &c->fy, &c->uy, &c->wy, &c->my))
                return er_fail(err, ER_E_MEMORY, "out of memory for the JPEG's reduced-scale tables");
            c->ssize = 8;
            c->stride = r->width;
            c->ring = 1;
            for (int32_t j = 0; j < z->img_mcu_y || (r->n == 1 && j < down); j++) {
                const int32_t lo = j * v < down ? j * v : down, hi = (j + 1) * v < down ? (j + 1) * v : down;
                if (c->fy[hi] - c->fy[lo] > c->ring) c->ring = c->fy[hi] - c->fy[lo];
            }
            c->buf = er_mem_alloc((size_t)c->ring * (size_t)c->stride);
            c->owned = 1;
            if (!c->buf) return er_fail(err, ER_E_MEMORY, "out of memory for the JPEG row buffers");
            memset(c->buf, 128, (size_t)c->ring * (size_t)c->stride); /* cells outside the crop stay grey */
        }
        r->out = er_mem_alloc((size_t)r->width * (size_t)r->n);
        if (!r->out) return er_fail(err, ER_E_MEMORY, "out of memory for a JPEG output row");
        return ER_OK;
    }
    for (int32_t k = 0; k < r->n; k++) {
        jpeg_comp *c = &r->c[k];
        const int32_t h = r->n == 1 ? 1 : z->img_comp[k].h, v = r->n == 1 ? 1 : z->img_comp[k].v;
        int32_t ss = N;
        while (ss < 8 && (r->hmax * N) % (h * ss * 2) == 0 && (r->vmax * N) % (v * ss * 2) == 0) ss *= 2;
        c->ssize = ss;
        c->hx = r->hmax * N / (h * ss);
        c->vx = r->vmax * N / (v * ss);
        c->width = (int32_t)(((int64_t)img_x * h * ss + 8 * r->hmax - 1) / (8 * r->hmax));
        c->height = (int32_t)(((int64_t)img_y * v * ss + 8 * r->vmax - 1) / (8 * r->vmax));
        const int fancy = N > 1;
        if (c->hx == 1 && c->vx == 1) c->method = UP_COPY;
        else if (c->hx == 2 && c->vx == 1) c->method = fancy && c->width > 2 ? UP_H2V1 : UP_REPLICATE;
        else if (c->hx == 1 && c->vx == 2 && fancy) c->method = UP_H1V2;
        else if (c->hx == 2 && c->vx == 2) c->method = fancy && c->width > 2 ? UP_H2V2 : UP_REPLICATE;
        else c->method = UP_REPLICATE;
        c->have = 0;
        if (ring) {
            /* one MCU row of blocks across; 16-bit sizes, 4x4 factors: no overflow */
            const int32_t blocks = r->n == 1 ? (img_x + 7) / 8 : mcu_x * h;
            c->stride = blocks * ss;
            c->band = v * ss;
            c->ring = c->band * (c->band >= 2 ? 2 : 3); /* band + 2 context rows, whole bands */
            c->buf = er_mem_alloc((size_t)c->ring * (size_t)c->stride);
            c->owned = 1;
            if (!c->buf) return er_fail(err, ER_E_MEMORY, "out of memory for the JPEG row buffers");
        } else { /* stb's full-size plane, scale 1 */
            c->stride = z->img_comp[k].w2;
            c->band = c->ring = z->img_comp[k].h2;
            c->buf = z->img_comp[k].data;
            c->have = c->height;
        }
        const size_t up = (size_t)(c->hx > 2 ? c->hx : 2) * (size_t)(c->stride > c->width ? c->stride : c->width);
        c->up = er_mem_alloc(up);
        if (!c->up) return er_fail(err, ER_E_MEMORY, "out of memory for the JPEG row buffers");
    }
    r->out = er_mem_alloc((size_t)r->width * (size_t)r->n);
    if (!r->out) return er_fail(err, ER_E_MEMORY, "out of memory for a JPEG output row");
    return ER_OK;
}

/* Reduced scale: convert and hand over cell rows [from, to), which the
   band buffers hold from row `from`. */
static void jpeg_emit_cells(jpeg_run *r, int32_t from, int32_t to)
{
    for (int32_t y = from; y < to; y++) {
        const size_t at = (size_t)(y - from) * (size_t)r->width;
        const uint8_t *p0 = r->c[0].buf + at;
        if (r->n == 1) {
            r->sink->row(r->sink->ctx, y, p0);
            continue;
        }
        const uint8_t *p1 = r->c[1].buf + at, *p2 = r->c[2].buf + at;
        if (r->is_rgb) {
            for (int32_t i = 0; i < r->width; i++) {
                r->out[3 * (size_t)i] = p0[i];
                r->out[3 * (size_t)i + 1] = p1[i];
                r->out[3 * (size_t)i + 2] = p2[i];
            }
        } else {
            er_jpeg_ycc_to_rgb(r->out, p0, p1, p2, r->width, 3);
        }
        r->sink->row(r->sink->ctx, y, r->out);
    }
    r->next = to;
}

/* Decode the scan stb has just read the header of, one MCU row at a time.
   Returns 0 on a decoding error (stb's reason set). A scan that ends early
   (a missing restart marker, as stb tolerates) leaves the rest of the image
   mid-grey: every further block decodes as all-zero coefficients. */
static int jpeg_stream_scan(jpeg_run *r)
{
    stbi__jpeg *z = &r->z;
    short data[64];
    int ended = 0;
    const int32_t bands = r->n == 1 ? (int32_t)(z->s->img_y + 7) / 8 : z->img_mcu_y;
    const int32_t across = r->n == 1 ? (int32_t)(z->s->img_x + 7) / 8 : z->img_mcu_x;
    stbi__jpeg_reset(z);
    for (int32_t j = 0; j < bands; j++) {
        for (int32_t i = 0; i < across; i++) {
            for (int32_t s = 0; s < z->scan_n; s++) {
                const int k = z->order[s];
                jpeg_comp *c = &r->c[k];
                const int h = r->n == 1 ? 1 : z->img_comp[k].h, v = r->n == 1 ? 1 : z->img_comp[k].v;
                for (int by = 0; by < v; by++)
                    for (int bx = 0; bx < h; bx++) {
                        if (ended) {
                            memset(data, 0, sizeof data);
                        } else {
                            const int ha = z->img_comp[k].ha;
                            if (!stbi__jpeg_decode_block(z, data, z->huff_dc + z->img_comp[k].hd, z->huff_ac + ha,
                                                         z->fast_ac[ha], k, z->dequant[z->img_comp[k].tq]))
                                return 0;
                        }
                        if (r->cells) {
                            const int32_t X = i * h + bx, Y = j * v + by, band = c->fy[j * v];
                            const int32_t nx = c->fx[X + 1] - c->fx[X], ny = c->fy[Y + 1] - c->fy[Y];
                            if (nx == 0 || ny == 0 || !c->ux[X] || !c->uy[Y]) continue; /* past the edge, or cropped */
                            uint8_t *out = c->buf + (size_t)(c->fy[Y] - band) * (size_t)c->stride + (size_t)c->fx[X];
                            if (c->wx[X] && c->wy[Y]) er_jpeg_idct_dc(out, data);
                            else er_jpeg_idct_cells(out, c->stride, data, c->my + 8 * (size_t)c->fy[Y], ny,
                                                   c->mx + 8 * (size_t)c->fx[X], nx);
                        } else {
                            er_jpeg_idct_8x8(comp_row(c, j * c->band + by * c->ssize) +
                                                 (size_t)(i * h + bx) * (size_t)c->ssize,
                                             c->stride, data);
                        }
                    }
            }
            if (!ended && --z->todo <= 0) { /* end of a restart interval */
                if (z->code_bits < 24) stbi__grow_buffer_unsafe(z);
                if (STBI__RESTART(z->marker)) stbi__jpeg_reset(z);
                else ended = 1;
            }
        }
        if (r->cells) {
            const int32_t v = r->n == 1 ? 1 : z->img_comp[0].v;
            jpeg_emit_cells(r, r->c[0].fy[j * v], r->c[0].fy[(j + 1) * v]);
            continue;
        }
        for (int32_t k = 0; k < r->n; k++) {
            const int64_t have = (int64_t)(j + 1) * r->c[k].band;
            r->c[k].have = have < r->c[k].height ? (int32_t)have : r->c[k].height;
        }
        jpeg_emit(r);
    }
    return 1;
}

/* Read the markers up to the first scan. Returns 1 at a scan stb can
   stream (baseline, all components interleaved or a grey image), 0 on an
   error (reason set), -1 when the file must go through stb's planes. */
static int jpeg_find_scan(jpeg_run *r)
{
    stbi__jpeg *z = &r->z;
    if (z->progressive) return -1;
    int m = stbi__get_marker(z);
    while (!stbi__SOS(m)) {
        if (stbi__EOI(m)) return stbi__err("no SOS", "Corrupt JPEG");
        if (stbi__DNL(m)) return -1; /* let stb report it */
        if (!stbi__process_marker(z, m)) return 0;
        m = stbi__get_marker(z);
    }
    if (!stbi__process_scan_header(z)) return 0;
    return z->scan_n == r->n ? 1 : -1;
}

/* Decode a JPEG of 1 or 3 components into sink at scale 1/denom (1, 2, 4,
   8; progressive and multi-scan files always at 1). E_DECODE when the file
   is not such a JPEG or is corrupt, E_MEMORY, or the sink's error. */
static er_code jpeg_decode(const uint8_t *data, size_t len, int32_t denom, const jpeg_sink *sink, int *declined,
                           er_error *err)
{
    *declined = 0;
    jpeg_run *r = er_mem_alloc(sizeof *r);
    if (!r) return er_fail(err, ER_E_MEMORY, "out of memory for the JPEG decoder");
    memset(r, 0, sizeof *r);
    r->sink = sink;
    stbi__g_failure_reason = NULL;
    size_t failures = er_mem_failures();
    er_code rc;
    int found;
    file_reader f;
    for (int attempt = 0; attempt < 2; attempt++) {
        f = reader_of(data, len);
        stbi__start_callbacks(&r->s, (stbi_io_callbacks *)&reader_callbacks, &f);
        r->z.s = &r->s;
        stbi__setup_jpeg(&r->z);
        r->z.idct_block_kernel = er_jpeg_idct_8x8;
        r->z.YCbCr_to_RGB_kernel = er_jpeg_ycc_to_rgb;
        for (int k = 0; k < 4; k++) r->z.img_comp[k].raw_data = r->z.img_comp[k].raw_coeff = NULL;
        r->z.restart_interval = 0;
        if (attempt == 1) { /* stb's planes, scale 1 */
            if (!stbi__decode_jpeg_image(&r->z)) goto stb_failed;
            break;
        }
        if (!stbi__decode_jpeg_header(&r->z, STBI__SCAN_header)) goto stb_failed;
        r->n = (int32_t)r->s.img_n;
        if (r->n != 1 && r->n != 3) { /* CMYK, YCCK: stb's own conversion */
            *declined = 1;
            rc = ER_OK;
            goto done;
        }
        r->hmax = r->vmax = 1;
        for (int k = 0; r->n == 3 && k < 3; k++) {
            if (r->z.img_comp[k].h > r->hmax) r->hmax = r->z.img_comp[k].h;
            if (r->z.img_comp[k].v > r->vmax) r->vmax = r->z.img_comp[k].v;
        }
        for (int k = 0; r->n == 3 && k < 3; k++)
            if (r->hmax % r->z.img_comp[k].h || r->vmax % r->z.img_comp[k].v) {
                rc = er_fail(err, ER_E_DECODE, "corrupt JPEG: component %d has sampling factors %dx%d, which "
                             "do not divide %dx%d", k, r->z.img_comp[k].h, r->z.img_comp[k].v, (int)r->hmax,
                             (int)r->vmax);
                goto done;
            }
        r->z.img_h_max = r->hmax;
        r->z.img_v_max = r->vmax;
        r->z.img_mcu_x = (int)((r->s.img_x + 8 * (stbi__uint32)r->hmax - 1) / (8 * (stbi__uint32)r->hmax));
        r->z.img_mcu_y = (int)((r->s.img_y + 8 * (stbi__uint32)r->vmax - 1) / (8 * (stbi__uint32)r->vmax));
        found = jpeg_find_scan(r);
        if (found == 0) goto stb_failed;
        if (found > 0) break;
        denom = 1; /* -1: rewind and let stb decode the scans */
    }
    r->is_rgb = r->n == 3 && (r->z.rgb == 3 || (r->z.app14_color_transform == 0 && !r->z.jfif));
    if ((rc = jpeg_plan(r, denom, r->z.img_comp[0].raw_data == NULL, err)) != ER_OK) goto done;
    if (r->z.img_comp[0].raw_data) jpeg_emit(r); /* planes: every row is there */
    else if (!jpeg_stream_scan(r)) goto stb_failed;
    rc = r->next != r->height ? er_fail(err, ER_E_DECODE, "the JPEG decoded to %d of its %d rows", (int)r->next,
                                        (int)r->height)
         : f.past_end         ? truncated(err, "JPEG", len)
                              : ER_OK;
    goto done;
stb_failed:
    rc = decode_failure(err, failures, "decoding", "the JPEG data is corrupt or unsupported");
done:
    jpeg_run_free(r);
    return rc;
}

/* The sink of a full decode: rows into an er_image. */
static er_code image_sink_begin(void *ctx, int32_t width, int32_t height, int32_t channels, int32_t denom,
                                er_error *err)
{
    er_image *img = ctx;
    (void)denom;
    uint64_t bytes = (uint64_t)width * (uint64_t)height * (uint64_t)channels;
    if (bytes > SIZE_MAX) return er_fail(err, ER_E_LIMIT, "a %dx%d image does not fit in memory", width, height);
    img->pixels = er_mem_alloc((size_t)bytes);
    if (!img->pixels) return er_fail(err, ER_E_MEMORY, "out of memory for a %dx%d image", width, height);
    img->width = width;
    img->height = height;
    img->channels = channels;
    return ER_OK;
}

static void image_sink_row(void *ctx, int32_t y, const uint8_t *px)
{
    er_image *img = ctx;
    const size_t row = (size_t)img->width * (size_t)img->channels;
    memcpy(img->pixels + (size_t)y * row, px, row);
}

/* stb's test for a JPEG: 0xff bytes, then SOI. */
static int is_jpeg(const uint8_t *d, size_t len)
{
    size_t i = 0;
    while (i < len && d[i] == 0xff) i++;
    return i > 0 && i < len && d[i] == 0xd8;
}

/* The format stb decoded data as, for messages: what stb's loaders test
   first (JPEG, PNG, BMP, GIF; TGA has no magic). */
static const char *format_name(const uint8_t *d, size_t len)
{
    if (is_jpeg(d, len)) return "JPEG";
    if (len >= 4 && d[0] == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G') return "PNG";
    if (len >= 2 && d[0] == 'B' && d[1] == 'M') return "BMP";
    if (len >= 4 && memcmp(d, "GIF8", 4) == 0) return "GIF";
    return "TGA";
}

/* An unsigned integer of `bytes` bytes at p, big- or little-endian. */
static uint32_t get(const uint8_t *p, int bytes, int big)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | p[big ? i : bytes - 1 - i];
    return v;
}

/* The Orientation entry of IFD0 in a TIFF block of len bytes: 1..8, 1 for
   a value out of range, 0 when there is no such entry. Only the standard
   form counts (type SHORT, count 1). Later IFDs are never followed, so no
   offset can send the walk round in a loop. */
static int32_t tiff_orientation(const uint8_t *t, size_t len)
{
    if (len < 8 || t[0] != t[1] || (t[0] != 'I' && t[0] != 'M')) return 0;
    const int big = t[0] == 'M';
    if (get(t + 2, 2, big) != 42) return 0;
    const uint32_t ifd = get(t + 4, 4, big);
    if (ifd > len - 2) return 0;
    const uint32_t count = get(t + ifd, 2, big);
    size_t at = (size_t)ifd + 2; /* at <= len from here on */
    for (uint32_t i = 0; i < count && len - at >= 12; i++, at += 12)
        if (get(t + at, 2, big) == 0x0112 && get(t + at + 2, 2, big) == 3 && get(t + at + 4, 4, big) == 1) {
            uint32_t v = get(t + at + 8, 2, big);
            return v >= 1 && v <= 8 ? (int32_t)v : 1;
        }
    return 0;
}

/* Walk the markers before the image data as libjpeg does (bytes that are
   not a marker skipped, fill bytes too); the first "Exif\0\0" APP1 with an
   orientation entry decides. */
int32_t er_exif_orientation(const uint8_t *d, size_t len)
{
    if (len < 2 || d[0] != 0xff || d[1] != 0xd8) return 1;
    size_t i = 2;
    for (;;) {
        while (i < len && d[i] != 0xff) i++;
        while (i < len && d[i] == 0xff) i++;
        if (i >= len) return 1;
        const uint8_t marker = d[i++];
        if (marker == 0xda || marker == 0xd9) return 1; /* SOS, EOI: EXIF comes before */
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; /* no length */
        if (len - i < 2) return 1;
        const size_t n = get(d + i, 2, 1);
        if (n < 2 || n > len - i) return 1;
        if (marker == 0xe1 && n >= 8 && memcmp(d + i + 2, "Exif\0\0", 6) == 0) {
            int32_t o = tiff_orientation(d + i + 8, n - 8);
            if (o) return o;
        }
        i += n;
    }
}

er_image_steps er_image_layout(const er_image *img)
{
    const int32_t o = img->orientation >= 1 && img->orientation <= 8 ? img->orientation : 1;
    const ptrdiff_t pixel = img->channels, row = (ptrdiff_t)(o >= 5 ? img->height : img->width) * pixel;
    er_image_steps s = {0, o >= 5 ? row : pixel, o >= 5 ? pixel : row}; /* 5-8: upright rows are columns */
    if (0xcc >> o & 1) { /* 2, 3, 6, 7: upright x runs backwards */
        s.origin += (size_t)(img->width - 1) * (size_t)s.right;
        s.right = -s.right;
    }
    if (0x198 >> o & 1) { /* 3, 4, 7, 8: upright y runs backwards */
        s.origin += (size_t)(img->height - 1) * (size_t)s.down;
        s.down = -s.down;
    }
    return s;
}

/* stb_image copies a PNG's IDAT chunks into a buffer it allocates at the
   first one that is not empty; an empty one before that is copied with
   memcpy(NULL, data, 0), which C leaves undefined (UBSan reports it, and a
   compiler may then assume the buffer non-NULL and drop stb's later "no
   IDAT" check). And it grows that buffer to an IDAT's declared length
   before reading the data, so a 100-byte file claiming a 2 GiB chunk makes
   it allocate 2 GiB. Both (found by tests/fuzz/fuzz_image.c) are refused
   here: returns the offset of such an IDAT, 0 if none, and in *n its
   declared length. The chunks are walked as stb walks them: length, type,
   data, CRC. */
static size_t png_bad_idat(const uint8_t *d, size_t len, uint32_t *n)
{
    int data = 0;
    for (size_t at = 8; len - at >= 12;) {
        *n = get(d + at, 4, 1);
        const int idat = memcmp(d + at + 4, "IDAT", 4) == 0;
        if (idat && (*n > len - at - 12 || (*n == 0 && !data))) return at;
        if (memcmp(d + at + 4, "IEND", 4) == 0 || *n > len - at - 12) return 0;
        data |= idat;
        at += 12 + (size_t)*n;
    }
    return 0;
}

/* The size against the limits, as E_LIMIT naming the limit that failed. */
static er_code check_size(uint64_t w, uint64_t h, uint64_t max_pixels, er_error *err)
{
    if (w > ER_MAX_IMAGE_SIDE || h > ER_MAX_IMAGE_SIDE)
        return er_fail(err, ER_E_LIMIT, "the image is %llux%llu, over the limit image_side = %d", (unsigned long long)w,
                       (unsigned long long)h, ER_MAX_IMAGE_SIDE);
    if (w * h > max_pixels)
        return er_fail(err, ER_E_LIMIT, "the image is %llux%llu = %llu pixels, over the limit max_pixels = %llu",
                       (unsigned long long)w, (unsigned long long)h, (unsigned long long)(w * h),
                       (unsigned long long)max_pixels);
    return ER_OK;
}

/* What every decode checks first: a size, a header stb can read, the pixel
   limit. *w, *h: the stored size; *n: stb's channel count. */
static er_code check_header(const uint8_t *data, size_t len, uint64_t max_pixels, int *w, int *h, int *n,
                            er_error *err)
{
    if (len == 0) return er_fail(err, ER_E_DECODE, "the image is empty (0 bytes)");
    if (len > INT_MAX)
        return er_fail(err, ER_E_LIMIT, "the image is %zu bytes, over the limit image_bytes = %d", len, INT_MAX);
    size_t bad_table = oversized_huffman_table(data, len);
    if (bad_table)
        return er_fail(err, ER_E_DECODE, "corrupt JPEG: a Huffman table of more than 256 symbols at byte %zu",
                       bad_table);
    /* stb's PNG header reader refuses sizes over 2^30 bytes itself, and
       says only "unknown image type" for them: a PNG's size is read here
       first, so that an oversized one is E_LIMIT like any other format. */
    static const uint8_t png_ihdr[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    if (len >= 24 && memcmp(data, png_ihdr, sizeof png_ihdr) == 0) {
        er_code rc = check_size(get(data + 16, 4, 1), get(data + 20, 4, 1), max_pixels, err);
        if (rc != ER_OK) return rc;
        uint32_t n;
        const size_t bad = png_bad_idat(data, len, &n);
        if (bad && n == 0)
            return er_fail(err, ER_E_DECODE, "corrupt PNG: an empty IDAT chunk at byte %zu, before any image data", bad);
        if (bad)
            return er_fail(err, ER_E_DECODE, "corrupt PNG: the IDAT chunk at byte %zu declares %u bytes, past the end of the file",
                           bad, (unsigned)n);
    }
    stbi__g_failure_reason = NULL;
    size_t failures = er_mem_failures();
    if (!stbi_info_from_memory(data, (int)len, w, h, n))
        return decode_failure(err, failures, "reading the header of",
                              "not a decodable JPEG, PNG, BMP, GIF or TGA image");
    if (*w <= 0 || *h <= 0) return er_fail(err, ER_E_DECODE, "the image header gives an empty size %dx%d", *w, *h);
    return check_size((uint64_t)*w, (uint64_t)*h, max_pixels, err);
}

er_code er_image_decode(const uint8_t *data, size_t len, uint64_t max_pixels, int exif, er_image *img,
                        er_error *err)
{
    memset(img, 0, sizeof *img);
    int w, h, n, declined = 1;
    er_code rc = check_header(data, len, max_pixels, &w, &h, &n, err);
    if (rc != ER_OK) return rc;
    int dw = 0, dh = 0, dn = 0;
    if (is_jpeg(data, len)) { /* libjpeg's pixels (er_jpeg.h) */
        const jpeg_sink sink = {image_sink_begin, image_sink_row, NULL, img};
        rc = jpeg_decode(data, len, 1, &sink, &declined, err);
        if (rc != ER_OK) {
            er_image_free(img);
            return rc;
        }
        dw = img->width, dh = img->height, dn = img->channels;
    }
    if (declined) {
        stbi__g_failure_reason = NULL;
        size_t failures = er_mem_failures();
        file_reader f = reader_of(data, len);
        img->pixels = stbi_load_from_callbacks(&reader_callbacks, &f, &dw, &dh, &dn, 0);
        if (!img->pixels)
            return decode_failure(err, failures, "decoding", "the image data is corrupt or unsupported");
        if (f.past_end) {
            er_image_free(img);
            return truncated(err, format_name(data, len), len);
        }
    }
    /* The decoder must agree with the header it was judged by. */
    if (dw != w || dh != h || dn < 1 || dn > 4) {
        er_image_free(img);
        return er_fail(err, ER_E_DECODE, "the image decodes to %dx%dx%d, not the %dx%d of its header", dw, dh, dn,
                       w, h);
    }
    img->orientation = exif ? er_exif_orientation(data, len) : 1;
    img->width = img->orientation >= 5 ? dh : dw;
    img->height = img->orientation >= 5 ? dw : dh;
    img->channels = dn;
    return ER_OK;
}

/* The sink of er_image_decode_prepare: rows into the area average, timed. */
typedef struct box_sink {
    const er_prepare_spec *spec;
    int32_t stored_w, stored_h, orientation;
    er_box_stream *box;
    double ms;
} box_sink;

static er_code box_sink_begin(void *ctx, int32_t width, int32_t height, int32_t channels, int32_t denom,
                              er_error *err)
{
    box_sink *b = ctx;
    if (width != (b->stored_w + denom - 1) / denom || height != (b->stored_h + denom - 1) / denom)
        return er_fail(err, ER_E_DECODE, "the JPEG decodes to %dx%d at scale 1/%d, not its header's %dx%d", width,
                       height, denom, b->stored_w, b->stored_h);
    const double t = er_now_ms();
    er_code rc = er_box_begin(&b->box, b->spec, b->stored_w, b->stored_h, b->orientation, denom, channels, err);
    b->ms += er_now_ms() - t;
    return rc;
}

static void box_sink_row(void *ctx, int32_t y, const uint8_t *px)
{
    box_sink *b = ctx;
    const double t = er_now_ms();
    er_box_row(b->box, y, px);
    b->ms += er_now_ms() - t;
}

static int32_t box_sink_cells(void *ctx, int axis_y, const int32_t **start, const int32_t **bin)
{
    return er_box_cells(((box_sink *)ctx)->box, axis_y, start, bin);
}

er_code er_image_decode_prepare(const uint8_t *data, size_t len, uint64_t max_pixels, int exif,
                                const er_prepare_spec *spec, float *out, double *prepare_ms, er_error *err)
{
    *prepare_ms = 0;
    int w, h, n, declined = 1;
    er_code rc = check_header(data, len, max_pixels, &w, &h, &n, err);
    if (rc != ER_OK) return rc;
    const int32_t orientation = exif ? er_exif_orientation(data, len) : 1;
    const int32_t uw = orientation >= 5 ? h : w, uh = orientation >= 5 ? w : h;
    /* The JPEG's decoding scale: er_box_denominator's, except 1/2, which
       decodes at full size instead. At 1/2 a cell is at most 2x2 pixels and
       an output pixel only a few cells across (1920x1080 to 224x224: 2.4),
       and where colours clip the cells differ from Pillow: it clamps each
       pixel's RGB, the reduced decode clamps a cell's mean. At sharp edges
       of saturated colours that moved outputs by up to 8.5/255 (the limit is
       2/255); at 1/4 and 1/8 an output pixel averages enough cells to stay
       within it. Clipping is per pixel and depends on the fancy upsampling
       of the chroma around it, so only the full-size rows reproduce it. */
    int32_t denom = er_box_denominator(spec, uw, uh);
    if (denom == 2) denom = 1;
    if (is_jpeg(data, len) && denom > 0) {
        box_sink b = {spec, w, h, orientation, NULL, 0};
        const jpeg_sink sink = {box_sink_begin, box_sink_row, box_sink_cells, &b};
        rc = jpeg_decode(data, len, denom, &sink, &declined, err);
        if (rc == ER_OK && !declined) {
            const double t = er_now_ms();
            er_box_finish(b.box, out);
            b.ms += er_now_ms() - t;
        }
        er_box_free(b.box);
        *prepare_ms = b.ms;
        if (rc != ER_OK || !declined) return rc;
    }
    er_image img;
    if ((rc = er_image_decode(data, len, max_pixels, exif, &img, err)) != ER_OK) return rc;
    const double t = er_now_ms();
    rc = er_image_prepare(&img, spec, out, err);
    er_image_free(&img);
    *prepare_ms = er_now_ms() - t;
    return rc;
}

void er_image_free(er_image *img)
{
    if (!img) return;
    stbi_image_free(img->pixels);
    memset(img, 0, sizeof *img);
}
