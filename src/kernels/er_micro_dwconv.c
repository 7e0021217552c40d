/* er_micro_dwconv.c - depthwise convolution micro-kernels: one channel plane,
   a KxK window fixed at compile time (3 or 5), stride 1 or 2 (contract:
   er_micro.h). Fixing K and the stride lets the compiler keep the window's
   weights in registers and unroll the taps; the SIMD kernels compute four
   horizontally adjacent outputs at once and fall back to the reference
   expression at the borders, where taps fall outside the plane. */
#include "er_micro.h"
#include "er_simd.h"

/* One output with every bounds check: the reference, and the border path. */
static inline float dw_point(const er_dw_geom *g, const float *x, const float *w, int32_t k, int32_t s, float bias,
                             int32_t oy, int32_t ox)
{
    float acc = bias;
    for (int32_t ky = 0; ky < k; ky++) {
        const int32_t iy = oy * s - g->pt + ky;
        if (iy < 0 || iy >= g->h) continue;
        for (int32_t kx = 0; kx < k; kx++) {
            const int32_t ix = ox * s - g->pl + kx;
            if (ix < 0 || ix >= g->w) continue;
            acc += x[(int64_t)iy * g->w + ix] * w[ky * k + kx];
        }
    }
    return acc;
}

static inline void dw_scalar(const er_dw_geom *g, const float *x, const float *w, int32_t k, int32_t s, float bias,
                             const float *r, float *y, const er_epilogue *ep)
{
    for (int32_t oy = 0; oy < g->ho; oy++)
        for (int32_t ox = 0; ox < g->wo; ox++) {
            const int64_t at = (int64_t)oy * g->wo + ox;
            const float v = dw_point(g, x, w, k, s, bias, oy, ox) + (r ? r[at] : 0.0f);
            y[at] = er_act_scalar(v, ep->act, ep->alpha, ep->beta);
        }
}

/* One window row for four adjacent outputs: lane t reads xr[t*s + kx]. At
   stride 2 those are the even or odd lanes of 8 floats from each even tap. */
static inline __attribute__((always_inline)) er_v4f dw_row4(er_v4f acc, const float *xr, const er_v4f *wv,
                                                            const int32_t k, const int32_t s)
{
    if (s == 1) {
        for (int32_t kx = 0; kx < k; kx++) acc = er_v4_madd(acc, wv[kx], er_v4_load(xr + kx));
        return acc;
    }
    for (int32_t kx = 0; kx < k; kx += 2) {
        const er_v4f a = er_v4_load(xr + kx), b = er_v4_load(xr + kx + 4);
        acc = er_v4_madd(acc, wv[kx], ER_V4_SHUFFLE(a, b, 0, 2, 4, 6));
        if (kx + 1 < k) acc = er_v4_madd(acc, wv[kx + 1], ER_V4_SHUFFLE(a, b, 1, 3, 5, 7));
    }
    return acc;
}

/* Stride 1, output rows oy and oy + 1 for four adjacent columns: input row
   t (0..k) of the window at x feeds row oy with weight row t and row oy + 1
   with weight row t - 1, from one load per tap. */
static inline __attribute__((always_inline)) void dw_rows2(er_v4f *acc0, er_v4f *acc1, const float *x, int32_t ldx,
                                                           const er_v4f *wv, const int32_t k)
{
    er_v4f a0 = *acc0, a1 = *acc1, b0 = er_v4_splat(0.0f), b1 = b0;
    for (int32_t t = 0; t <= k; t++)
        for (int32_t kx = 0; kx < k; kx++) {
            const er_v4f v = er_v4_load(x + t * ldx + kx);
            if (t < k) {
                if (t & 1) b0 = er_v4_madd(b0, wv[t * k + kx], v);
                else a0 = er_v4_madd(a0, wv[t * k + kx], v);
            }
            if (t > 0) {
                if (t & 1) a1 = er_v4_madd(a1, wv[(t - 1) * k + kx], v);
                else b1 = er_v4_madd(b1, wv[(t - 1) * k + kx], v);
            }
        }
    *acc0 = a0 + b0, *acc1 = a1 + b1;
}

/* The epilogue of four outputs at (oy, ox) of a plane wo wide, of which only
   those left of wo are stored. */
static inline __attribute__((always_inline)) void dw_store4(float *y, const float *r, int32_t wo, int32_t oy,
                                                            int32_t ox, er_v4f acc, const er_epilogue *ep,
                                                            const int32_t act)
{
    const int64_t at = (int64_t)oy * wo + ox;
    er_v4_epilogue_store(y + at, r ? r + at : NULL, acc, wo - ox < 4 ? wo - ox : 4, act, ep->alpha, ep->beta);
}

/* Planes whose zero-padded copy fits in PADDED_MAX floats on the stack are
   copied there first, so every output, border or not, runs four at a time
   without bounds checks: on a 7x7 or 14x14 plane with a 5x5 window most
   outputs are borders. */
#define PADDED_MAX 4096

static inline __attribute__((always_inline)) int dw_vec_padded(const er_dw_geom *g, const float *x, const float *w,
                                                               const int32_t k, const int32_t s, float bias,
                                                               const float *r, float *y, const er_epilogue *ep,
                                                               const int32_t act)
{
    const int32_t wo4 = (g->wo + 3) & ~3;
    /* Columns the last group of four reads (stride 2: whole vectors of 8 from each even tap). */
    const int32_t bw = (wo4 - 4) * s + (s == 1 ? k + 3 : (k - 1) / 2 * 2 + 8), bh = (g->ho - 1) * s + k;
    if ((int64_t)bw * bh > PADDED_MAX) return 0;
    /* Rows are filled by vectors, not by calls to memset and memcpy (three
       per row cost more than the convolution of a 14x14 plane). The buffer
       has 4 floats of slack for the last vector of a row. */
    float buf[PADDED_MAX + 4];
    const er_v4f zero = er_v4_splat(0.0f);
    for (int32_t row = 0; row < bh; row++) {
        float *b = buf + row * bw;
        const int32_t iy = row - g->pt;
        const int32_t lo = g->pl < bw ? g->pl : bw, hi = g->pl + g->w < bw ? g->pl + g->w : bw;
        for (int32_t c = 0; c < bw; c += 4) er_v4_store_nolib(b + c, zero);
        if (iy < 0 || iy >= g->h || hi <= lo) continue;
        er_v4_copy_nolib(b + lo, x + (int64_t)iy * g->w, hi - lo);
    }
    er_v4f wv[25];
    for (int32_t i = 0; i < k * k; i++) wv[i] = er_v4_splat(w[i]);
    const er_v4f vb = er_v4_splat(bias);
    int32_t oy = 0;
    /* Stride 1: two output rows at once share k - 1 of their k + 1 input
       rows: (k + 1) k loads for eight outputs instead of 2 k^2. */
    if (s == 1)
        for (; oy + 2 <= g->ho; oy += 2)
            for (int32_t ox = 0; ox < g->wo; ox += 4) {
                er_v4f acc0 = vb, acc1 = vb;
                dw_rows2(&acc0, &acc1, buf + oy * bw + ox, bw, wv, k);
                dw_store4(y, r, g->wo, oy, ox, acc0, ep, act);
                dw_store4(y, r, g->wo, oy + 1, ox, acc1, ep, act);
            }
    for (; oy < g->ho; oy++)
        for (int32_t ox = 0; ox < g->wo; ox += 4) {
            er_v4f acc = vb;
            for (int32_t ky = 0; ky < k; ky++) acc = dw_row4(acc, buf + (oy * s + ky) * bw + ox * s, wv + ky * k, k, s);
            dw_store4(y, r, g->wo, oy, ox, acc, ep, act);
        }
    return 1;
}

static inline __attribute__((always_inline)) void dw_vec(const er_dw_geom *g, const float *x, const float *w,
                                                         const int32_t k, const int32_t s, float bias, const float *r,
                                                         float *y, const er_epilogue *ep, const int32_t act)
{
    if (dw_vec_padded(g, x, w, k, s, bias, r, y, ep, act)) return;
    /* Output columns whose k taps all lie inside the row: [lo, hi). */
    int32_t lo = (g->pl + s - 1) / s, hi = g->w - k + g->pl < 0 ? 0 : (g->w - k + g->pl) / s + 1;
    if (hi > g->wo) hi = g->wo;
    if (lo > hi) lo = hi;
    /* Floats a group of four outputs reads from its first tap on: with
       stride 2, whole vectors of 8 from each even tap. */
    const int32_t span = s == 1 ? k + 3 : (k - 1) / 2 * 2 + 8;
    er_v4f wv[25];
    for (int32_t i = 0; i < k * k; i++) wv[i] = er_v4_splat(w[i]);
    const er_v4f vb = er_v4_splat(bias);
    for (int32_t oy = 0; oy < g->ho; oy++) {
        float *yr = y + (int64_t)oy * g->wo;
        const float *rr = r ? r + (int64_t)oy * g->wo : NULL;
        int32_t ox = 0;
        for (; ox < lo; ox++)
            yr[ox] = er_act_scalar(dw_point(g, x, w, k, s, bias, oy, ox) + (rr ? rr[ox] : 0.0f), act, ep->alpha,
                                   ep->beta);
        for (; ox + 4 <= hi && ox * s - g->pl + span <= g->w; ox += 4) {
            er_v4f acc = vb;
            for (int32_t ky = 0; ky < k; ky++) {
                const int32_t iy = oy * s - g->pt + ky;
                if (iy < 0 || iy >= g->h) continue;
                acc = dw_row4(acc, x + (int64_t)iy * g->w + (ox * s - g->pl), wv + ky * k, k, s);
            }
            if (rr) acc += er_v4_load(rr + ox);
            er_v4_store(yr + ox, er_act_v4(acc, act, ep->alpha, ep->beta));
        }
        for (; ox < g->wo; ox++)
            yr[ox] = er_act_scalar(dw_point(g, x, w, k, s, bias, oy, ox) + (rr ? rr[ox] : 0.0f), act, ep->alpha,
                                   ep->beta);
    }
}

#define ER_DWCONV_VARIANT(K, S)                                                                                     \
    void er_f32_dwconv_##K##x##K##s##S##__scalar(const er_dw_geom *g, const float *x, const float *w, float bias,  \
                                                 const float *r, float *y, const er_epilogue *ep)                   \
    {                                                                                                               \
        dw_scalar(g, x, w, K, S, bias, r, y, ep);                                                                   \
    }                                                                                                               \
    static inline __attribute__((always_inline)) void dw_vec_##K##x##K##s##S(                                     \
        const er_dw_geom *g, const float *x, const float *w, float bias, const float *r, float *y,                 \
        const er_epilogue *ep, const int32_t act)                                                                   \
    {                                                                                                               \
        dw_vec(g, x, w, K, S, bias, r, y, ep, act);                                                                 \
    }                                                                                                               \
    ER_ACT_INSTANCES(dw_vec_##K##x##K##s##S, er_f32_dwconv_ukernel,                                                 \
                     (const er_dw_geom *g, const float *x, const float *w, float bias, const float *r, float *y,   \
                      const er_epilogue *ep),                                                                       \
                     ep->act, g, x, w, bias, r, y, ep)                                                              \
    void er_f32_dwconv_##K##x##K##s##S##__vec128(const er_dw_geom *g, const float *x, const float *w, float bias,  \
                                                 const float *r, float *y, const er_epilogue *ep)                   \
    {                                                                                                               \
        ER_ACT_CALL(ep->act, dw_vec_##K##x##K##s##S, g, x, w, bias, r, y, ep);                                       \
    }
ER_DWCONV_VARIANT(3, 1)
ER_DWCONV_VARIANT(3, 2)
ER_DWCONV_VARIANT(5, 1)
ER_DWCONV_VARIANT(5, 2)
