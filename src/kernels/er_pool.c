/* er_pool.c - max/average pooling, global pooling, and reductions. */
#include <math.h>

#include "er_kernels.h"
#include "er_simd.h"

/* Pooling geometry padded to 3 spatial dims (missing ones have size 1). */
typedef struct pool3 {
    int32_t xd[3], yd[3], k[3], s[3], d[3], pb[3], pe[3];
    int32_t count_include_pad;
} pool3;

static pool3 pool3_of(const er_pool_params *p)
{
    pool3 g;
    for (int32_t i = 0; i < 3; i++) {
        int32_t j = i - (3 - p->nsp);
        g.xd[i] = j >= 0 ? p->x_dims[j] : 1;
        g.yd[i] = j >= 0 ? p->y_dims[j] : 1;
        g.k[i] = j >= 0 ? p->k[j] : 1;
        g.s[i] = j >= 0 ? p->stride[j] : 1;
        g.d[i] = j >= 0 ? p->dilation[j] : 1;
        g.pb[i] = j >= 0 ? p->pad[j] : 0;
        g.pe[i] = j >= 0 ? p->pad_end[j] : 0;
    }
    g.count_include_pad = p->count_include_pad;
    return g;
}

/* One output (o0, o1, o2) of plane xp; `avg` selects the reduction. */
static float pool_at(const pool3 *g, const float *xp, int32_t o0, int32_t o1, int32_t o2, int avg)
{
    const int32_t o[3] = {o0, o1, o2};
    /* Kernel taps inside the input, and (for count_include_pad) inside the padding. */
    int32_t lo[3], hi[3];
    int64_t padded = 1;
    for (int32_t i = 0; i < 3; i++) {
        const int32_t start = o[i] * g->s[i] - g->pb[i];
        int32_t in_pad = 0;
        lo[i] = 0;
        hi[i] = g->k[i];
        for (int32_t t = 0; t < g->k[i]; t++) {
            const int32_t pos = start + t * g->d[i];
            if (pos >= -g->pb[i] && pos < g->xd[i] + g->pe[i]) in_pad++;
        }
        padded *= in_pad;
        while (lo[i] < g->k[i] && start + lo[i] * g->d[i] < 0) lo[i]++;
        while (hi[i] > lo[i] && start + (hi[i] - 1) * g->d[i] >= g->xd[i]) hi[i]--;
    }
    float acc = avg ? 0.0f : -INFINITY;
    int64_t count = 0;
    for (int32_t t0 = lo[0]; t0 < hi[0]; t0++)
        for (int32_t t1 = lo[1]; t1 < hi[1]; t1++)
            for (int32_t t2 = lo[2]; t2 < hi[2]; t2++) {
                const int32_t i0 = o0 * g->s[0] - g->pb[0] + t0 * g->d[0];
                const int32_t i1 = o1 * g->s[1] - g->pb[1] + t1 * g->d[1];
                const int32_t i2 = o2 * g->s[2] - g->pb[2] + t2 * g->d[2];
                const float v = xp[((int64_t)i0 * g->xd[1] + i1) * g->xd[2] + i2];
                if (avg) acc += v;
                else if (v > acc || v != v) acc = v;
                count++;
            }
    if (avg) {
        const int64_t n = g->count_include_pad ? padded : count;
        acc = n ? acc / (float)n : 0.0f;
    }
    return acc;
}

static void pool(const er_pool_params *p, const float *x, float *y, int avg)
{
    const pool3 g = pool3_of(p);
    const int64_t x_plane = (int64_t)g.xd[0] * g.xd[1] * g.xd[2], y_plane = (int64_t)g.yd[0] * g.yd[1] * g.yd[2];
    for (int32_t pl = 0; pl < p->planes; pl++) {
        const float *xp = x + pl * x_plane;
        float *yp = y + pl * y_plane;
        for (int32_t o0 = 0; o0 < g.yd[0]; o0++)
            for (int32_t o1 = 0; o1 < g.yd[1]; o1++)
                for (int32_t o2 = 0; o2 < g.yd[2]; o2++)
                    yp[((int64_t)o0 * g.yd[1] + o1) * g.yd[2] + o2] = pool_at(&g, xp, o0, o1, o2, avg);
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

/* ---- 2-D pooling, stride 1 or 2, no dilation: four outputs per vector ----
   Outputs whose window's columns lie inside the plane run four at a time
   (a stride-2 row is split into its even and odd lanes, as in the depthwise
   kernels), over the window's rows that lie inside; the rest, one at a
   time, over the window clipped to the plane. Both sum in the reference's
   order and divide by its count, so results are the reference's, bit for
   bit. */

/* Window taps along one axis that lie in the padded extent [-pb, n + pe)
   (the divisor of count_include_pad), for a window starting at `start`. */
static int32_t pool_padded_taps(int32_t start, int32_t k, int32_t n, int32_t pb, int32_t pe)
{
    const int32_t lo = start > -pb ? start : -pb, hi = start + k < n + pe ? start + k : n + pe;
    return hi > lo ? hi - lo : 0;
}

/* One output at (oy, ox) of plane xp: the window clipped to the plane. */
static float pool2d_at(const er_pool_params *p, const float *xp, int32_t oy, int32_t ox, int avg)
{
    const int32_t h = p->x_dims[0], w = p->x_dims[1], kh = p->k[0], kw = p->k[1];
    const int32_t y0 = oy * p->stride[0] - p->pad[0], x0 = ox * p->stride[1] - p->pad[1];
    const int32_t r0 = y0 < 0 ? 0 : y0, r1 = y0 + kh < h ? y0 + kh : h;
    const int32_t c0 = x0 < 0 ? 0 : x0, c1 = x0 + kw < w ? x0 + kw : w;
    float acc = avg ? 0.0f : -INFINITY;
    for (int32_t r = r0; r < r1; r++)
        for (int32_t c = c0; c < c1; c++) {
            const float v = xp[(int64_t)r * w + c];
            if (avg) acc += v;
            else if (v > acc || v != v) acc = v;
        }
    if (!avg) return acc;
    const int64_t n = p->count_include_pad ? (int64_t)pool_padded_taps(y0, kh, h, p->pad[0], p->pad_end[0]) *
                                                 pool_padded_taps(x0, kw, w, p->pad[1], p->pad_end[1])
                                           : (int64_t)(r1 > r0 ? r1 - r0 : 0) * (c1 > c0 ? c1 - c0 : 0);
    return n ? acc / (float)n : 0.0f;
}

/* Four outputs of the common 3x3 stride-2 max pool (ResNet, ShuffleNet,
   SqueezeNet) from the 3 rows x 10 floats at x (row stride w): the rows'
   maximum first, then the three taps of each output, 8 pseudo-maxima in
   all. A pseudo-max passes over a NaN where the reference lets it win, so
   the nine loads are also summed: a sum that is not a number (a NaN, or
   +inf with -inf) sends the group back, returning 0, to the exact path. */
static inline int max3x3s2(const float *x, int32_t w, float *y)
{
    const float *r1 = x + w, *r2 = x + 2 * (int64_t)w;
    const er_v4f a0 = er_v4_load(x), b0 = er_v4_load(x + 4), c0 = er_v4_load(x + 6);
    const er_v4f a1 = er_v4_load(r1), b1 = er_v4_load(r1 + 4), c1 = er_v4_load(r1 + 6);
    const er_v4f a2 = er_v4_load(r2), b2 = er_v4_load(r2 + 4), c2 = er_v4_load(r2 + 6);
    const er_v4f sum = (a0 + a1 + a2) + (b0 + b1 + b2) + (c0 + c1 + c2);
    const er_v4i bad = sum != sum;
    if (bad[0] | bad[1] | bad[2] | bad[3]) return 0;
    const er_v4f a = er_v4_max(er_v4_max(a0, a1), a2), b = er_v4_max(er_v4_max(b0, b1), b2);
    const er_v4f c = er_v4_max(er_v4_max(c0, c1), c2);
    const er_v4f t0 = ER_V4_SHUFFLE(a, b, 0, 2, 4, 6), t1 = ER_V4_SHUFFLE(a, b, 1, 3, 5, 7);
    er_v4_store(y, er_v4_max(er_v4_max(t0, t1), ER_V4_SHUFFLE(t0, c, 1, 2, 3, 6)));
    return 1;
}

static inline __attribute__((always_inline)) void pool2d_vec(const er_pool_params *p, const float *x, float *y,
                                                            int avg)
{
    const int32_t h = p->x_dims[0], w = p->x_dims[1], ho = p->y_dims[0], wo = p->y_dims[1];
    const int32_t kh = p->k[0], kw = p->k[1], sy = p->stride[0], sx = p->stride[1], pt = p->pad[0], pl = p->pad[1];
    /* Output columns whose kw taps all lie inside a row, with the floats a
       group of four reads from its first tap (whole vectors of 8 from each
       even tap at stride 2). */
    int32_t lo = (pl + sx - 1) / sx, hi = w - kw + pl < 0 ? 0 : (w - kw + pl) / sx + 1;
    if (hi > wo) hi = wo;
    if (lo > hi) lo = hi;
    const int32_t span = sx == 1 ? kw + 3 : (kw - 1) / 2 * 2 + 8;
    for (int32_t pl_i = 0; pl_i < p->planes; pl_i++) {
        const float *xp = x + (int64_t)pl_i * h * w;
        float *yp = y + (int64_t)pl_i * ho * wo;
        for (int32_t oy = 0; oy < ho; oy++) {
            /* The window's rows inside the plane: [ky0, ky1). */
            const int32_t iy0 = oy * sy - pt, ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + kh > h ? h - iy0 : kh;
            const int32_t rows = p->count_include_pad ? pool_padded_taps(iy0, kh, h, pt, p->pad_end[0]) : ky1 - ky0;
            const er_v4f taps = er_v4_splat((float)((int64_t)rows * kw));
            for (int32_t ox = 0; ox < wo;) {
                if (ky0 < ky1 && ox >= lo && ox + 4 <= hi && ox * sx - pl + span <= w) {
                    if (!avg && kh == 3 && kw == 3 && sx == 2 && ky0 == 0 && ky1 == 3 &&
                        max3x3s2(xp + (int64_t)iy0 * w + (ox * 2 - pl), w, yp + (int64_t)oy * wo + ox)) {
                        ox += 4;
                        continue;
                    }
                    er_v4f acc = er_v4_splat(avg ? 0.0f : -INFINITY);
                    er_v4i nan = {0, 0, 0, 0}; /* lanes that met a NaN: it wins, as in the reference */
                    for (int32_t ky = ky0; ky < ky1; ky++) {
                        const float *xr = xp + (int64_t)(iy0 + ky) * w + (ox * sx - pl);
                        for (int32_t kx = 0; kx < kw; kx += sx == 1 ? 1 : 2) {
                            er_v4f v0, v1 = acc;
                            int two = 0;
                            if (sx == 1) {
                                v0 = er_v4_load(xr + kx);
                            } else {
                                const er_v4f a = er_v4_load(xr + kx), b = er_v4_load(xr + kx + 4);
                                v0 = ER_V4_SHUFFLE(a, b, 0, 2, 4, 6);
                                if (kx + 1 < kw) v1 = ER_V4_SHUFFLE(a, b, 1, 3, 5, 7), two = 1;
                            }
                            if (avg) {
                                acc += v0;
                                if (two) acc += v1;
                            } else {
                                /* One pseudo-max per tap (a NaN tap leaves acc), NaNs noted apart. */
                                acc = er_v4_max(v0, acc), nan |= v0 != v0;
                                if (two) acc = er_v4_max(v1, acc), nan |= v1 != v1;
                            }
                        }
                    }
                    if (!avg) acc = er_v4_select(nan, er_v4_splat(NAN), acc);
                    er_v4_store(yp + (int64_t)oy * wo + ox, avg ? acc / taps : acc);
                    ox += 4;
                    continue;
                }
                yp[(int64_t)oy * wo + ox] = pool2d_at(p, xp, oy, ox, avg);
                ox++;
            }
        }
    }
}

void er_f32_maxpool2d__vec128(const er_pool_params *p, const float *x, float *y)
{
    pool2d_vec(p, x, y, 0);
}

void er_f32_avgpool2d__vec128(const er_pool_params *p, const float *x, float *y)
{
    pool2d_vec(p, x, y, 1);
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
/* One element into a reduction's accumulator: kind 2 max (NaN wins), 5
   product, 3 and 4 sum of squares (4 takes the root at the end), else sum. */
static inline double reduce_step(double acc, double v, int kind)
{
    if (kind == 2) return v > acc || v != v ? v : acc;
    if (kind == 5) return acc * v;
    if (kind >= 3) return acc + v * v;
    return acc + v;
}

static void reduce(const er_reduce_params *p, const float *x, float *y, int kind)
{
    int32_t yi[ER_MAX_RANK] = {0};
    int64_t r_count = 1, y_count = 1;
    for (int32_t k = 0; k < p->rank; k++) {
        r_count *= p->r_dims[k];
        y_count *= p->y_dims[k];
    }
    /* Reduced axes that form one dense block at the end (a spatial mean
       over [N, C, H, W]'s H and W): every output reads r_count consecutive
       floats. */
    int contiguous = 1;
    int64_t dense = 1;
    for (int32_t k = p->rank - 1; k >= 0; k--) {
        if (p->r_dims[k] == 1) {
            if (p->y_dims[k] != 1 && dense < r_count) contiguous = 0;
            continue;
        }
        if (p->y_dims[k] != 1 || p->x_strides[k] != dense) contiguous = 0;
        dense *= p->r_dims[k];
    }
    for (int64_t o = 0; o < y_count; o++) {
        int64_t base = 0;
        for (int32_t k = 0; k < p->rank; k++) base += (int64_t)yi[k] * p->x_strides[k];
        double acc = kind == 2 ? -INFINITY : kind == 5 ? 1.0 : 0.0;
        int32_t ri[ER_MAX_RANK] = {0};
        if (contiguous) /* the same elements in the same order, without the odometer */
            for (int64_t r = 0; r < r_count; r++) acc = reduce_step(acc, x[base + r], kind);
        for (int64_t r = contiguous ? r_count : 0; r < r_count; r++) {
            int64_t off = base;
            for (int32_t k = 0; k < p->rank; k++) off += (int64_t)ri[k] * p->x_strides[k];
            acc = reduce_step(acc, x[off], kind);
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
