/* er_prepare.c - decoded pixels to the model's input tensor.

   The reference is what a Python training pipeline does with Pillow:
   alpha_composite over white, convert("RGB") or convert("L"), crop, resize
   with BOX (shrinking) or BILINEAR (enlarging), then ToTensor + Normalize.
   The resize uses the kernels' resampling tables (er_resample_table), the
   code ONNX Resize runs, with Pillow's conventions: half-pixel centres, the
   filter widened by the shrink factor, taps outside the image dropped.

   Beyond the decoded 8-bit pixels, memory stays proportional to the
   output, not the photo: each source row is converted to float and resized
   horizontally on its own, so a 12 MP JPEG headed for 32x32 needs one row
   of floats and a crop_height x 32 intermediate, never a float copy of the
   image. An EXIF-rotated photo costs no copy either: its upright rows are
   read where they are stored (er_image_layout), columns for orientations
   5-8. */
#include "er_runtime.h"
#include "er_kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* One axis of the resize: identity (idx == NULL) or a tap table. */
typedef struct axis_plan {
    er_resample_params p;
    int32_t *idx;
    float *w;
} axis_plan;

static int mul_size(size_t a, size_t b, size_t *r)
{
    if (a && b > SIZE_MAX / a) return 0;
    *r = a * b;
    return 1;
}

/* *p = a * b floats; E_LIMIT when the size overflows, E_MEMORY when it is not there. */
static er_code alloc_floats(float **p, size_t a, size_t b, const char *what, er_error *err)
{
    size_t count, bytes;
    if (!mul_size(a, b, &count) || !mul_size(count, sizeof(float), &bytes))
        return er_fail(err, ER_E_LIMIT, "the %s buffer (%zu x %zu floats) is too large", what, a, b);
    *p = er_mem_alloc(bytes);
    if (!*p) return er_fail(err, ER_E_MEMORY, "out of memory for the %s buffer (%zu bytes)", what, bytes);
    return ER_OK;
}

static void free_axis(axis_plan *a)
{
    er_mem_free(a->idx);
    er_mem_free(a->w);
    memset(a, 0, sizeof *a);
}

static er_code plan_axis(int32_t in_len, int32_t out_len, int32_t inner, axis_plan *a, er_error *err)
{
    memset(a, 0, sizeof *a);
    if (in_len == out_len) return ER_OK;
    er_resample_spec s;
    memset(&s, 0, sizeof s);
    s.in_len = in_len;
    s.out_len = out_len;
    s.scale = (double)out_len / (double)in_len;
    s.filter = out_len < in_len ? ER_FILTER_BOX : ER_FILTER_LINEAR;
    s.coord = ER_COORD_HALF_PIXEL;
    s.antialias = 1;
    s.exclude_outside = 1;
    int32_t taps = er_resample_taps(&s);
    if (taps < 1)
        return er_fail(err, ER_E_LIMIT, "cannot resize %d pixels to %d in one pass (the ratio is too large)",
                       in_len, out_len);
    size_t entries, idx_bytes, w_bytes;
    if (!mul_size((size_t)out_len, (size_t)taps, &entries) || !mul_size(entries, sizeof(int32_t), &idx_bytes) ||
        !mul_size(entries, sizeof(float), &w_bytes))
        return er_fail(err, ER_E_LIMIT, "the resize table for %d -> %d pixels is too large", in_len, out_len);
    a->idx = er_mem_alloc(idx_bytes);
    a->w = er_mem_alloc(w_bytes);
    if (!a->idx || !a->w) {
        free_axis(a);
        return er_fail(err, ER_E_MEMORY, "out of memory for the resize table (%zu bytes)", idx_bytes + w_bytes);
    }
    if (er_resample_table(&s, taps, a->idx, a->w) != 0) {
        free_axis(a);
        return er_fail(err, ER_E_LIMIT, "cannot resize %d pixels to %d", in_len, out_len);
    }
    a->p.outer = 1;
    a->p.in_len = in_len;
    a->p.out_len = out_len;
    a->p.inner = inner;
    a->p.taps = taps;
    a->p.fill = 0.0f;
    return ER_OK;
}

/* Pillow's alpha_composite over opaque white, in float: v*a + 255*(1 - a). */
static float over_white(uint8_t v, uint8_t a)
{
    return (float)v * ((float)a / 255.0f) + (255.0f - (float)a);
}

/* ITU-R 601-2 luma, Pillow's convert("L") without its rounding. */
static float luma(float r, float g, float b)
{
    return (299.0f * r + 587.0f * g + 114.0f * b) / 1000.0f;
}

/* count pixels of n interleaved 8-bit channels, `step` bytes apart, to
   `channels` floats in [0, 255]. */
static void convert_row(const uint8_t *pixels, size_t at, ptrdiff_t step, int32_t count, int32_t n,
                        int32_t channels, float *dst)
{
    for (int32_t x = 0; x < count; x++, at += (size_t)step) { /* wraps to go backwards, never read past */
        const uint8_t *src = pixels + at;
        float r, g, b;
        switch (n) {
        case 1: r = g = b = src[0]; break;
        case 2: r = g = b = over_white(src[0], src[1]); break;
        case 3: r = src[0], g = src[1], b = src[2]; break;
        default:
            r = over_white(src[0], src[3]);
            g = over_white(src[1], src[3]);
            b = over_white(src[2], src[3]);
            break;
        }
        if (channels == 3) {
            *dst++ = r;
            *dst++ = g;
            *dst++ = b;
        } else {
            *dst++ = n <= 2 ? r : luma(r, g, b); /* grey stays exact */
        }
    }
}

static er_code check_spec(const er_image *img, const er_prepare_spec *spec, er_error *err)
{
    if (!img->pixels || img->width < 1 || img->height < 1 || img->channels < 1 || img->channels > 4)
        return er_fail(err, ER_E_FIELD, "not a decoded image (%dx%d, %d channels)", img->width, img->height,
                       img->channels);
    if (spec->width < 1 || spec->height < 1)
        return er_fail(err, ER_E_FIELD, "the output size %dx%d is empty", spec->width, spec->height);
    if (spec->channels != 1 && spec->channels != 3)
        return er_fail(err, ER_E_FIELD, "channels is %d; 1 (grey) or 3 (RGB) are supported", spec->channels);
    /* The resize kernel indexes a row of width * channels floats with int32. */
    if ((int64_t)spec->width * spec->channels > INT32_MAX)
        return er_fail(err, ER_E_LIMIT, "the output width %d is too large", spec->width);
    for (int i = 0; i < 2 * spec->channels; i += 2) {
        if (!isfinite(spec->norm[i]))
            return er_fail(err, ER_E_FIELD, "norm[%d] (a mean) is not finite", i);
        if (!isfinite(spec->norm[i + 1]) || spec->norm[i + 1] == 0.0f)
            return er_fail(err, ER_E_FIELD, "norm[%d] (a std) must be finite and non-zero", i + 1);
    }
    return ER_OK;
}

er_code er_image_prepare(const er_image *img, const er_prepare_spec *spec, float *out, er_error *err)
{
    er_code rc = check_spec(img, spec, err);
    if (rc != ER_OK) return rc;
    const int32_t C = spec->channels, W = spec->width, H = spec->height;
    int32_t x0 = 0, y0 = 0, cw = img->width, ch = img->height;
    if (spec->crop) {
        int32_t side = cw < ch ? cw : ch;
        x0 = (cw - side) / 2;
        y0 = (ch - side) / 2;
        cw = ch = side;
    }

    axis_plan ax, ay;
    float *row = NULL, *mid = NULL, *fin = NULL;
    memset(&ay, 0, sizeof ay);
    if ((rc = plan_axis(cw, W, C, &ax, err)) != ER_OK) goto fail;
    if ((rc = plan_axis(ch, H, W * C, &ay, err)) != ER_OK) goto fail;
    if (ax.idx && (rc = alloc_floats(&row, (size_t)cw, (size_t)C, "row", err)) != ER_OK) goto fail;
    if ((rc = alloc_floats(&mid, (size_t)ch, (size_t)W * (size_t)C, "intermediate", err)) != ER_OK) goto fail;
    if (ay.idx && (rc = alloc_floats(&fin, (size_t)H, (size_t)W * (size_t)C, "resized", err)) != ER_OK)
        goto fail;

    /* Upright rows, whichever way the pixels are stored (er_image_layout). */
    const er_image_steps at = er_image_layout(img);
    for (int32_t y = 0; y < ch; y++) {
        const size_t start = at.origin + (size_t)x0 * (size_t)at.right + (size_t)(y0 + y) * (size_t)at.down;
        float *dst = mid + (size_t)y * (size_t)W * (size_t)C;
        convert_row(img->pixels, start, at.right, cw, img->channels, C, ax.idx ? row : dst);
        if (ax.idx) er_f32_resample_axis(&ax.p, row, ax.idx, ax.w, dst);
    }
    if (ay.idx)
        er_f32_resample_axis(&ay.p, mid, ay.idx, ay.w, fin);
    const float *hwc = ay.idx ? fin : mid;

    /* The same float operations as torchvision's ToTensor + Normalize, so an
       image that needs no resize gives bit-identical inputs. */
    const size_t plane = (size_t)W * (size_t)H;
    for (int32_t c = 0; c < C; c++) {
        const float mean = spec->norm[2 * c], std = spec->norm[2 * c + 1];
        float *o = out + (size_t)c * plane;
        for (size_t i = 0; i < plane; i++) o[i] = (hwc[i * (size_t)C + (size_t)c] / 255.0f - mean) / std;
    }
    rc = ER_OK;
fail:
    er_mem_free(row);
    er_mem_free(mid);
    er_mem_free(fin);
    free_axis(&ax);
    free_axis(&ay);
    return rc;
}

/* ---- the streaming area-average (er_box_*) -------------------------------

   What er_image_prepare computes when every axis shrinks (or stays), fed
   one decoded row at a time, so that a large JPEG never exists as a
   full-size RGB image. Pillow's BOX filter gives output pixel o of an axis
   the input pixels whose centres fall in (o * scale, (o + 1) * scale],
   scale = input / output, with equal weights - as decided by its double
   arithmetic, which on a tie can give a pixel to both neighbours or to
   neither (er_resample.c's box table has the story); the bins here repeat
   that arithmetic, so a pixel belongs to 0, 1 or 2 consecutive bins.

   A decoder running at scale 1/denom hands over "cells": each axis is cut
   at every multiple of denom and wherever a bin (or the crop) starts or
   ends, so a cell is at most denom full-size pixels long and all its
   pixels belong to the same bins. The
   decoder gives each cell's mean (the JPEG decoder computes it in the DCT
   domain, er_jpeg_idct_cells), and the cell weighs as many full-size pixels
   as it holds: the averages are those of the full-size image up to the
   decoder's rounding, with no error where a bin boundary cuts a block. At
   denom 1 the cells are the pixels; with no resize the result is then
   bit-identical to er_image_prepare. */

/* One stored axis cut into cells. */
typedef struct box_axis {
    int32_t n;          /* cells */
    int32_t *start;     /* n + 1: first full-size pixel of each cell, then the axis length */
    int32_t *bin;       /* the first output pixel of each cell along its upright axis, -1 for none */
    uint8_t *two;       /* 1 when the cell belongs to bin + 1 as well (a tie) */
} box_axis;

struct er_box_stream {
    int32_t channels;          /* decoded: 1 or 3 */
    int32_t out_w, out_h, out_c;
    size_t x_step, y_step;     /* accumulator index step of a stored-x bin and a stored-y bin */
    int32_t x_bins;            /* bins along the axis stored x maps to */
    box_axis ax, ay;           /* stored x, stored y */
    uint32_t *count_u, *count_v; /* full-size pixels per upright column / row bin */
    uint64_t *hsum;            /* x_bins * channels: one row, reduced along x */
    double *acc;               /* out_h * out_w * channels, upright */
    float norm[6];
};

int32_t er_box_denominator(const er_prepare_spec *spec, int32_t upright_w, int32_t upright_h)
{
    int32_t cw = upright_w, ch = upright_h;
    if (spec->crop) cw = ch = cw < ch ? cw : ch;
    if (spec->width < 1 || spec->height < 1 || cw < spec->width || ch < spec->height) return 0;
    for (int32_t d = 8; d > 1; d /= 2)
        if (cw / d >= 2 * (int64_t)spec->width && ch / d >= 2 * (int64_t)spec->height) return d;
    return 1;
}

static void free_box_axis(box_axis *a)
{
    er_mem_free(a->start);
    er_mem_free(a->bin);
    er_mem_free(a->two);
}

void er_box_free(er_box_stream *s)
{
    if (!s) return;
    free_box_axis(&s->ax);
    free_box_axis(&s->ay);
    er_mem_free(s->count_u);
    er_mem_free(s->count_v);
    er_mem_free(s->hsum);
    er_mem_free(s->acc);
    er_mem_free(s);
}

/* n elements of `size` bytes, zeroed; NULL when the size overflows or memory is out. */
static void *alloc_zero(size_t n, size_t size)
{
    size_t bytes;
    if (!mul_size(n ? n : 1, size, &bytes)) return NULL;
    void *p = er_mem_alloc(bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

/* Cut a stored axis of `len` full-size pixels into cells for scale
   1/denom. It maps to an upright axis, reversed or not, whose crop starts
   at `start`, is `crop` long and has `bins` output pixels; count[bin] gets
   the full-size pixels of each bin. */
static int plan_box_axis(box_axis *a, int32_t len, int32_t denom, int reversed, int32_t start, int32_t crop,
                         int32_t bins, uint32_t *count)
{
    a->start = alloc_zero((size_t)len + 1, sizeof(int32_t));
    a->bin = alloc_zero((size_t)len, sizeof(int32_t));
    a->two = alloc_zero((size_t)len, 1);
    int32_t *lo = alloc_zero((size_t)bins, sizeof(int32_t)), *hi = alloc_zero((size_t)bins, sizeof(int32_t));
    int ok = a->start && a->bin && a->two && lo && hi;
    /* Bin o's members [lo[o], hi[o]) in crop coordinates, by Pillow's
       precompute_coeffs arithmetic for BOX (scale >= 1 here). */
    const double scale = (double)crop / bins, support = 0.5 * scale, ss = 1.0 / scale;
    for (int32_t o = 0; ok && o < bins; o++) {
        const double center = (o + 0.5) * scale;
        int32_t xmin = (int32_t)(center - support + 0.5), xmax = (int32_t)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > crop) xmax = crop;
        lo[o] = hi[o] = xmin;
        for (int32_t x = xmin; x < xmax; x++) {
            const double t = ((double)x - center + 0.5) * ss;
            if (t > -0.5 && t <= 0.5) {
                if (hi[o] == lo[o]) lo[o] = x;
                hi[o] = x + 1;
            }
        }
        count[o] = (uint32_t)(hi[o] - lo[o]);
    }
    /* The first bin of each crop position, and whether the next holds it too. */
    int32_t *first = ok ? alloc_zero((size_t)crop, sizeof(int32_t)) : NULL;
    uint8_t *both = ok ? alloc_zero((size_t)crop, 1) : NULL;
    ok = ok && first && both;
    for (int32_t p = 0; ok && p < crop; p++) first[p] = -1;
    for (int32_t o = bins - 1; ok && o >= 0; o--) /* downwards: the lowest bin wins */
        for (int32_t p = lo[o]; p < hi[o]; p++) {
            both[p] = first[p] == o + 1;
            first[p] = o;
        }
    a->n = 0;
    for (int32_t q = 0; ok && q < len; q++) {
        const int64_t p = (reversed ? (int64_t)len - 1 - q : q) - start;
        const int32_t b = p >= 0 && p < crop ? first[p] : -1;
        const uint8_t two = p >= 0 && p < crop ? both[p] : 0;
        if (q % denom == 0 || b != a->bin[a->n - 1] || two != a->two[a->n - 1]) {
            a->start[a->n] = q;
            a->bin[a->n] = b;
            a->two[a->n++] = two;
        }
    }
    er_mem_free(first);
    er_mem_free(both);
    if (ok) a->start[a->n] = len;
    er_mem_free(lo);
    er_mem_free(hi);
    return ok;
}

er_code er_box_begin(er_box_stream **out, const er_prepare_spec *spec, int32_t stored_w, int32_t stored_h,
                     int32_t orientation, int32_t denom, int32_t channels, er_error *err)
{
    *out = NULL;
    if (stored_w < 1 || stored_h < 1 || (channels != 1 && channels != 3) || (denom != 1 && denom != 2 &&
        denom != 4 && denom != 8))
        return er_fail(err, ER_E_FIELD, "not a decodable layout (%dx%d, %d channels, scale 1/%d)", stored_w,
                       stored_h, channels, denom);
    er_image probe = {stored_w, stored_h, channels, (uint8_t *)"", orientation};
    er_code rc = check_spec(&probe, spec, err);
    if (rc != ER_OK) return rc;
    const int32_t o = orientation >= 1 && orientation <= 8 ? orientation : 1;
    const int transposed = o >= 5;
    const int32_t uw = transposed ? stored_h : stored_w, uh = transposed ? stored_w : stored_h;
    int32_t x0 = 0, y0 = 0, cw = uw, ch = uh;
    if (spec->crop) {
        const int32_t side = cw < ch ? cw : ch;
        x0 = (cw - side) / 2;
        y0 = (ch - side) / 2;
        cw = ch = side;
    }
    if (er_box_denominator(spec, uw, uh) < denom)
        return er_fail(err, ER_E_FIELD, "a %dx%d image cannot be area-averaged to %dx%d at scale 1/%d", uw, uh,
                       spec->width, spec->height, denom);

    er_box_stream *s = alloc_zero(1, sizeof *s);
    if (!s) return er_fail(err, ER_E_MEMORY, "out of memory for the resize state");
    s->channels = channels;
    s->out_w = spec->width;
    s->out_h = spec->height;
    s->out_c = spec->channels;
    memcpy(s->norm, spec->norm, sizeof s->norm);
    const int x_reversed = (0x18c >> o) & 1, y_reversed = (0xd8 >> o) & 1; /* x: 2,3,7,8; y: 3,4,6,7 */
    s->x_bins = transposed ? s->out_h : s->out_w;
    s->x_step = transposed ? (size_t)s->out_w : 1;
    s->y_step = transposed ? 1 : (size_t)s->out_w;
    s->count_u = alloc_zero((size_t)s->out_w, sizeof(uint32_t));
    s->count_v = alloc_zero((size_t)s->out_h, sizeof(uint32_t));
    s->hsum = alloc_zero((size_t)s->x_bins * (size_t)channels, sizeof(uint64_t));
    size_t pixels, cells;
    s->acc = mul_size((size_t)s->out_w, (size_t)s->out_h, &pixels) && mul_size(pixels, (size_t)channels, &cells)
                 ? alloc_zero(cells, sizeof(double)) : NULL;
    int ok = s->count_u && s->count_v && s->hsum && s->acc;
    if (ok)
        ok = transposed
                 ? plan_box_axis(&s->ax, stored_w, denom, x_reversed, y0, ch, s->out_h, s->count_v) &&
                       plan_box_axis(&s->ay, stored_h, denom, y_reversed, x0, cw, s->out_w, s->count_u)
                 : plan_box_axis(&s->ax, stored_w, denom, x_reversed, x0, cw, s->out_w, s->count_u) &&
                       plan_box_axis(&s->ay, stored_h, denom, y_reversed, y0, ch, s->out_h, s->count_v);
    if (!ok) {
        er_box_free(s);
        return er_fail(err, ER_E_MEMORY, "out of memory for the resize tables of a %dx%d image", stored_w,
                       stored_h);
    }
    *out = s;
    return ER_OK;
}

int32_t er_box_cells(const er_box_stream *s, int axis_y, const int32_t **start, const int32_t **bin)
{
    const box_axis *a = axis_y ? &s->ay : &s->ax;
    *start = a->start;
    *bin = a->bin;
    return a->n;
}

void er_box_row(er_box_stream *s, int32_t y, const uint8_t *px)
{
    const int32_t yb = s->ay.bin[y];
    if (yb < 0) return; /* outside the crop */
    const int32_t C = s->channels;
    uint64_t *h = s->hsum;
    memset(h, 0, (size_t)s->x_bins * (size_t)C * sizeof *h);
    for (int32_t i = 0; i < s->ax.n; i++, px += C) {
        const int32_t b = s->ax.bin[i];
        if (b < 0) continue;
        const uint32_t w = (uint32_t)(s->ax.start[i + 1] - s->ax.start[i]);
        uint64_t *t = h + (size_t)b * (size_t)C;
        for (int32_t c = 0; c < C; c++) t[c] += (uint64_t)w * px[c];
        if (s->ax.two[i])
            for (int32_t c = 0; c < C; c++) t[C + c] += (uint64_t)w * px[c];
    }
    const double wy = (double)(s->ay.start[y + 1] - s->ay.start[y]);
    for (int32_t k = 0; k <= (int32_t)s->ay.two[y]; k++) {
        double *row = s->acc + (size_t)(yb + k) * s->y_step * (size_t)C;
        for (int32_t b = 0; b < s->x_bins; b++) {
            double *cell = row + (size_t)b * s->x_step * (size_t)C;
            for (int32_t c = 0; c < C; c++) cell[c] += wy * (double)h[(size_t)b * (size_t)C + (size_t)c];
        }
    }
}

void er_box_finish(const er_box_stream *s, float *out)
{
    const size_t plane = (size_t)s->out_w * (size_t)s->out_h;
    for (int32_t v = 0; v < s->out_h; v++)
        for (int32_t u = 0; u < s->out_w; u++) {
            const size_t at = (size_t)v * (size_t)s->out_w + (size_t)u;
            const double n = (double)s->count_u[u] * (double)s->count_v[v];
            const double *cell = s->acc + at * (size_t)s->channels;
            float rgb[3];
            for (int32_t c = 0; c < s->channels; c++) rgb[c] = (float)(cell[c] / n);
            if (s->channels == 1) rgb[1] = rgb[2] = rgb[0];
            if (s->out_c == 1 && s->channels == 3) rgb[0] = luma(rgb[0], rgb[1], rgb[2]);
            /* the normalisation of er_image_prepare, operation for operation */
            for (int32_t c = 0; c < s->out_c; c++)
                out[(size_t)c * plane + at] = (rgb[c] / 255.0f - s->norm[2 * c]) / s->norm[2 * c + 1];
        }
}
