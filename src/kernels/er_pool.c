/* er_pool.c - max/average pooling, global pooling, and reductions. */
#include <math.h>

#include "er_kernels.h"

/* Pooling padded to 3 spatial dims; `avg` selects the reduction. */
static void pool(const er_pool_params *p, const float *x, float *y, int avg)
{
    int32_t xd[3], yd[3], k[3], s[3], d[3], pb[3], pe[3];
    for (int32_t i = 0; i < 3; i++) {
        int32_t j = i - (3 - p->nsp);
        xd[i] = j >= 0 ? p->x_dims[j] : 1;
        yd[i] = j >= 0 ? p->y_dims[j] : 1;
        k[i] = j >= 0 ? p->k[j] : 1;
        s[i] = j >= 0 ? p->stride[j] : 1;
        d[i] = j >= 0 ? p->dilation[j] : 1;
        pb[i] = j >= 0 ? p->pad[j] : 0;
        pe[i] = j >= 0 ? p->pad_end[j] : 0;
    }
    const int64_t x_plane = (int64_t)xd[0] * xd[1] * xd[2], y_plane = (int64_t)yd[0] * yd[1] * yd[2];
    for (int32_t pl = 0; pl < p->planes; pl++) {
        const float *xp = x + pl * x_plane;
        float *yp = y + pl * y_plane;
        for (int32_t o0 = 0; o0 < yd[0]; o0++)
            for (int32_t o1 = 0; o1 < yd[1]; o1++)
                for (int32_t o2 = 0; o2 < yd[2]; o2++) {
                    const int32_t o[3] = {o0, o1, o2};
                    /* Kernel taps inside the input, and (for count_include_pad) inside the padding. */
                    int32_t lo[3], hi[3];
                    int64_t padded = 1;
                    for (int32_t i = 0; i < 3; i++) {
                        const int32_t start = o[i] * s[i] - pb[i];
                        int32_t in_pad = 0;
                        lo[i] = 0;
                        hi[i] = k[i];
                        for (int32_t t = 0; t < k[i]; t++) {
                            const int32_t pos = start + t * d[i];
                            if (pos >= -pb[i] && pos < xd[i] + pe[i]) in_pad++;
                        }
                        padded *= in_pad;
                        while (lo[i] < k[i] && start + lo[i] * d[i] < 0) lo[i]++;
                        while (hi[i] > lo[i] && start + (hi[i] - 1) * d[i] >= xd[i]) hi[i]--;
                    }
                    float acc = avg ? 0.0f : -INFINITY;
                    int64_t count = 0;
                    for (int32_t t0 = lo[0]; t0 < hi[0]; t0++)
                        for (int32_t t1 = lo[1]; t1 < hi[1]; t1++)
                            for (int32_t t2 = lo[2]; t2 < hi[2]; t2++) {
                                const int32_t i0 = o0 * s[0] - pb[0] + t0 * d[0];
                                const int32_t i1 = o1 * s[1] - pb[1] + t1 * d[1];
                                const int32_t i2 = o2 * s[2] - pb[2] + t2 * d[2];
                                const float v = xp[((int64_t)i0 * xd[1] + i1) * xd[2] + i2];
                                if (avg) acc += v;
                                else if (v > acc || v != v) acc = v;
                                count++;
                            }
                    if (avg) {
                        const int64_t n = p->count_include_pad ? padded : count;
                        acc = n ? acc / (float)n : 0.0f;
                    }
                    yp[((int64_t)o0 * yd[1] + o1) * yd[2] + o2] = acc;
                }
    }
}

void er_f32_maxpool__scalar(const er_pool_params *p, const float *x, float *y)
{
    pool(p, x, y, 0);
}

void er_f32_avgpool__scalar(const er_pool_params *p, const float *x, float *y)
{
    pool(p, x, y, 1);
}

void er_f32_global_avgpool(const er_gpool_params *p, const float *x, float *y)
{
    for (int32_t i = 0; i < p->planes; i++) {
        const float *xp = x + (int64_t)i * p->size;
        float acc = 0.0f;
        for (int32_t j = 0; j < p->size; j++) acc += xp[j];
        y[i] = p->size ? acc / (float)p->size : 0.0f;
    }
}

void er_f32_global_maxpool(const er_gpool_params *p, const float *x, float *y)
{
    for (int32_t i = 0; i < p->planes; i++) {
        const float *xp = x + (int64_t)i * p->size;
        float acc = -INFINITY;
        for (int32_t j = 0; j < p->size; j++)
            if (xp[j] > acc || xp[j] != xp[j]) acc = xp[j];
        y[i] = acc;
    }
}

/* y (keepdims shape) from x: each output walks the reduced box r_dims.
   kind: 0 sum, 1 mean, 2 max, 3 sum of squares, 4 L2 norm, 5 product. */
static void reduce(const er_reduce_params *p, const float *x, float *y, int kind)
{
    int32_t yi[ER_MAX_RANK] = {0};
    int64_t r_count = 1, y_count = 1;
    for (int32_t k = 0; k < p->rank; k++) {
        r_count *= p->r_dims[k];
        y_count *= p->y_dims[k];
    }
    for (int64_t o = 0; o < y_count; o++) {
        int64_t base = 0;
        for (int32_t k = 0; k < p->rank; k++) base += (int64_t)yi[k] * p->x_strides[k];
        double acc = kind == 2 ? -INFINITY : kind == 5 ? 1.0 : 0.0;
        int32_t ri[ER_MAX_RANK] = {0};
        for (int64_t r = 0; r < r_count; r++) {
            int64_t off = base;
            for (int32_t k = 0; k < p->rank; k++) off += (int64_t)ri[k] * p->x_strides[k];
            const double v = x[off];
            if (kind == 2) {
                if (v > acc || v != v) acc = v;
            } else if (kind == 5) {
                acc *= v;
            } else if (kind >= 3) {
                acc += v * v;
            } else {
                acc += v;
            }
            for (int32_t k = p->rank - 1; k >= 0; k--) {
                if (++ri[k] < p->r_dims[k]) break;
                ri[k] = 0;
            }
        }
        if (kind == 1) acc = r_count ? acc / (double)r_count : NAN;
        if (kind == 4) acc = sqrt(acc);
        y[o] = (float)acc;
        for (int32_t k = p->rank - 1; k >= 0; k--) {
            if (++yi[k] < p->y_dims[k]) break;
            yi[k] = 0;
        }
    }
}

void er_f32_reduce_sum(const er_reduce_params *p, const float *x, float *y)
{
    reduce(p, x, y, 0);
}

void er_f32_reduce_mean(const er_reduce_params *p, const float *x, float *y)
{
    reduce(p, x, y, 1);
}

void er_f32_reduce_max(const er_reduce_params *p, const float *x, float *y)
{
    reduce(p, x, y, 2);
}

void er_f32_reduce_sum_square(const er_reduce_params *p, const float *x, float *y)
{
    reduce(p, x, y, 3);
}

void er_f32_reduce_l2(const er_reduce_params *p, const float *x, float *y)
{
    reduce(p, x, y, 4);
}

void er_f32_argmax(const er_argmax_params *p, const float *x, int64_t *y)
{
    for (int32_t o = 0; o < p->outer; o++)
        for (int32_t i = 0; i < p->inner; i++) {
            const float *row = x + (int64_t)o * p->axis_len * p->inner + i;
            int32_t best = 0;
            float bv = p->axis_len ? row[0] : 0.0f;
            for (int32_t k = 1; k < p->axis_len && bv == bv; k++) {
                const float v = row[(int64_t)k * p->inner];
                if (v != v || v > bv || (p->last && v == bv)) {
                    bv = v;
                    best = k;
                }
            }
            y[(int64_t)o * p->inner + i] = best;
        }
}

void er_f32_reduce_prod(const er_reduce_params *p, const float *x, float *y)
{
    reduce(p, x, y, 5);
}

/* Integer sums wrap through uint64, like the integer Add. */
#define ER_CUMSUM(t, T, ACC, ADD)                                                          \
    void er_##t##_cumsum(const er_cumsum_params *p, const T *x, T *y)                      \
    {                                                                                      \
        for (int32_t o = 0; o < p->outer; o++)                                             \
            for (int32_t i = 0; i < p->inner; i++) {                                       \
                const int64_t base = (int64_t)o * p->len * p->inner + i;                   \
                ACC acc = 0;                                                               \
                for (int32_t k = 0; k < p->len; k++) {                                     \
                    const int64_t at = base + (int64_t)(p->reverse ? p->len - 1 - k : k) * p->inner; \
                    const ACC v = (ACC)x[at];                                              \
                    if (!p->exclusive) acc = ADD(acc, v);                                  \
                    y[at] = (T)acc;                                                        \
                    if (p->exclusive) acc = ADD(acc, v);                                   \
                }                                                                          \
            }                                                                              \
    }
#define ER_PLUS(a, b) ((a) + (b))
ER_CUMSUM(f32, float, float, ER_PLUS)
ER_CUMSUM(f64, double, double, ER_PLUS)
ER_CUMSUM(i32, int32_t, uint64_t, ER_PLUS)
ER_CUMSUM(i64, int64_t, uint64_t, ER_PLUS)
