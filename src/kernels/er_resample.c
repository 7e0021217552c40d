/* er_resample.c - separable resampling: tap tables and the per-axis kernel.

   ONNX Resize and the runtime's image resize are the same computation: each
   output coordinate along an axis is a weighted sum of a few input samples.
   The weights depend only on the sizes, so they are tabulated once (at
   compile time for Resize, per image for pre-processing) and the kernel just
   applies the table, one axis at a time. Multilinear and bicubic
   interpolation are separable, so axis-by-axis passes give the same result as
   the N-d formulas of the ONNX reference. */
#include "er_kernels.h"

#include <math.h>

static double filter_support(int32_t filter)
{
    switch (filter) {
    case ER_FILTER_NEAREST: return 1.0; /* two candidates, one of them chosen */
    case ER_FILTER_LINEAR: return 1.0;
    case ER_FILTER_CUBIC: return 2.0;
    case ER_FILTER_BOX: return 0.5;
    default: return -1.0;
    }
}

static double filter_weight(const er_resample_spec *s, double x)
{
    double ax = fabs(x), a = s->cubic_a;
    switch (s->filter) {
    case ER_FILTER_LINEAR: return ax < 1.0 ? 1.0 - ax : 0.0;
    case ER_FILTER_BOX: return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; /* Pillow's box_filter */
    case ER_FILTER_CUBIC:
        if (ax <= 1.0) return ((a + 2.0) * ax - (a + 3.0)) * ax * ax + 1.0;
        if (ax < 2.0) return ((a * ax - 5.0 * a) * ax + 8.0 * a) * ax - 4.0 * a;
        return 0.0;
    default: return 0.0;
    }
}

/* Widening of the filter: 1/scale when shrinking with antialias, else 1. */
static double filter_stretch(const er_resample_spec *s)
{
    if (s->antialias && s->filter != ER_FILTER_NEAREST && s->scale > 0.0 && s->scale < 1.0)
        return 1.0 / s->scale;
    return 1.0;
}

int32_t er_resample_taps(const er_resample_spec *s)
{
    double support = filter_support(s->filter);
    if (support < 0.0 || s->in_len <= 0 || s->out_len < 0 || !(s->scale > 0.0) || !isfinite(s->scale))
        return -1;
    /* Tap offsets run from `start` to 1 - start around the sample left of x
       (ONNX reference: start = floor(-support * stretch) + 1). */
    double start = floor(-support * filter_stretch(s)) + 1.0;
    double n = 2.0 - 2.0 * start;
    if (n < 1.0 || n > 4096.0) return -1;
    return (int32_t)n;
}

/* Source coordinate of output index j, or NAN when it falls outside a
   tf_crop_and_resize region (extrapolation). */
static double source_coord(const er_resample_spec *s, int32_t j)
{
    double in = s->in_len, out_f = s->scale * s->in_len, x;
    switch (s->coord) {
    case ER_COORD_HALF_PIXEL: return (j + 0.5) / s->scale - 0.5;
    case ER_COORD_HALF_PIXEL_SYMMETRIC: {
        double adjustment = s->out_len / out_f;
        double offset = in / 2.0 * (1.0 - adjustment);
        return offset + (j + 0.5) / s->scale - 0.5;
    }
    /* As in the ONNX reference, these use the unrounded output length scale * in. */
    case ER_COORD_PYTORCH_HALF_PIXEL: return out_f != 1.0 ? (j + 0.5) / s->scale - 0.5 : -0.5;
    case ER_COORD_ALIGN_CORNERS: return out_f != 1.0 ? j * (in - 1.0) / (out_f - 1.0) : 0.0;
    case ER_COORD_ASYMMETRIC: return j / s->scale;
    case ER_COORD_TF_CROP_AND_RESIZE:
        if (out_f != 1.0)
            x = j * (s->roi_end - s->roi_start) * (in - 1.0) / (out_f - 1.0);
        else
            x = (s->roi_end - s->roi_start) * (in - 1.0) / 2.0;
        x += s->roi_start * (in - 1.0);
        return (x < 0.0 || x > in - 1.0) ? NAN : x;
    default: return NAN;
    }
}

/* ER_FILTER_BOX is Pillow's BOX (Image.resize(size, Image.BOX)), for the
   runtime's image pre-processing; ONNX Resize has no box mode. Shrinking
   puts samples exactly on the edge between two outputs all the time (3 -> 2
   pixels: the middle one), and Pillow settles each such tie by the rounding
   of its own double arithmetic - 19 -> 12 pixels gives output 5 one sample
   where exact arithmetic gives two - so a table that is to match Pillow has
   to do Pillow's precompute_coeffs operation for operation: scale = in/out,
   the window rounded as Pillow rounds it, the same weight expression (the
   spec's scale is not used: Pillow's is in/out, not the reciprocal of out/in). */
static int box_table(const er_resample_spec *s, int32_t taps, int32_t *idx, float *w)
{
    const double scale = (double)s->in_len / s->out_len;
    const double filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = filter_support(ER_FILTER_BOX) * filterscale;
    const double ss = 1.0 / filterscale;
    for (int32_t j = 0; j < s->out_len; j++) {
        int32_t *ij = idx + (size_t)j * taps;
        float *wj = w + (size_t)j * taps;
        const double center = (j + 0.5) * scale;
        int32_t xmin = (int32_t)(center - support + 0.5), xmax = (int32_t)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > s->in_len) xmax = s->in_len;
        if (xmax - xmin > taps || xmin >= s->in_len) return -1;
        double total = 0.0;
        for (int32_t t = 0; t < taps; t++) {
            double wt = t < xmax - xmin ? filter_weight(s, ((double)(t + xmin) - center + 0.5) * ss) : 0.0;
            ij[t] = t < xmax - xmin ? xmin + t : xmin;
            wj[t] = (float)wt;
            total += wt;
        }
        if (total != 0.0)
            for (int32_t t = 0; t < taps; t++) wj[t] = (float)(wj[t] / total);
    }
    return 0;
}

int er_resample_table(const er_resample_spec *s, int32_t taps, int32_t *idx, float *w)
{
    if (er_resample_taps(s) != taps || s->coord < ER_COORD_HALF_PIXEL || s->coord > ER_COORD_TF_CROP_AND_RESIZE)
        return -1;
    if (s->filter == ER_FILTER_BOX) return box_table(s, taps, idx, w);
    double stretch = filter_stretch(s);
    int32_t start = 1 - taps / 2;
    for (int32_t j = 0; j < s->out_len; j++) {
        int32_t *ij = idx + (size_t)j * taps;
        float *wj = w + (size_t)j * taps;
        double x = source_coord(s, j);
        if (isnan(x)) { /* outside the crop region: the fill value alone */
            for (int32_t t = 0; t < taps; t++) { ij[t] = t == 0 ? -1 : 0; wj[t] = t == 0 ? 1.0f : 0.0f; }
            continue;
        }
        /* The sample at or left of x, chosen so the fraction lies in (0, 1]:
           the ONNX reference prefers the lower neighbour on ties. */
        double left = ceil(x) - 1.0;
        double ratio = x - left;
        double total = 0.0;
        for (int32_t t = 0; t < taps; t++) {
            double pos = left + start + t;
            double wt;
            if (s->filter == ER_FILTER_NEAREST) {
                int take_right;
                switch (s->nearest_mode) {
                case ER_NEAREST_ROUND_PREFER_CEIL: take_right = ratio >= 0.5; break;
                case ER_NEAREST_FLOOR: take_right = ratio == 1.0; break;
                case ER_NEAREST_CEIL: take_right = 1; break;
                default: take_right = ratio > 0.5; break;
                }
                wt = (t == (take_right ? 1 : 0)) ? 1.0 : 0.0;
            } else {
                wt = filter_weight(s, (pos - x) / stretch);
            }
            int32_t p = pos < 0.0 ? 0 : pos > s->in_len - 1.0 ? s->in_len - 1 : (int32_t)pos;
            if (s->exclude_outside && (pos < 0.0 || pos > s->in_len - 1.0)) wt = 0.0;
            ij[t] = p;
            wj[t] = (float)wt;
            total += wt;
        }
        /* Antialiased and excluded-outside filters are renormalised to sum
           to 1, as the ONNX reference and Pillow do. */
        if ((stretch != 1.0 || s->exclude_outside || s->filter == ER_FILTER_BOX) && total != 0.0)
            for (int32_t t = 0; t < taps; t++) wj[t] = (float)(wj[t] / total);
    }
    return 0;
}

void er_f32_resample_axis(const er_resample_params *p, const float *x, const int32_t *idx,
                          const float *w, float *y)
{
    const int32_t inner = p->inner, taps = p->taps;
    for (int32_t o = 0; o < p->outer; o++) {
        const float *xo = x + (size_t)o * p->in_len * inner;
        float *yo = y + (size_t)o * p->out_len * inner;
        for (int32_t j = 0; j < p->out_len; j++) {
            const int32_t *ij = idx + (size_t)j * taps;
            const float *wj = w + (size_t)j * taps;
            float *yj = yo + (size_t)j * inner;
            for (int32_t i = 0; i < inner; i++) yj[i] = 0.0f;
            for (int32_t t = 0; t < taps; t++) {
                const float wt = wj[t];
                if (wt == 0.0f) continue;
                if (ij[t] < 0) {
                    for (int32_t i = 0; i < inner; i++) yj[i] += wt * p->fill;
                } else {
                    const float *xs = xo + (size_t)ij[t] * inner;
                    for (int32_t i = 0; i < inner; i++) yj[i] += wt * xs[i];
                }
            }
        }
    }
}
