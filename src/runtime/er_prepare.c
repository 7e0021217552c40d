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
