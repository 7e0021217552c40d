/* er_micro_winograd.c - Winograd F(2x2, 3x3) micro-kernels (contract:
   er_micro.h). With the transforms of Lavin & Gray (2015),
       V = B^T d B,  U = G g G^T,  Y = A^T (U .* V) A,
       B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
       G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
       A^T = [1 1 1 0; 0 1 -1 -1]
   a 2x2 block of a stride-1 3x3 convolution costs 16 multiplies per input
   channel instead of 36. The element-wise products over input channels are
   16 independent GEMMs, which run on the shared GEMM micro-kernel; these
   kernels are only the transforms around them. The transforms use only
   additions (B, A) so they add little rounding error: results stay within a
   few ulps of the direct convolution's. */
#include "er_micro.h"
#include "er_simd.h"

/* ---- references: one tile at a time ---- */

static float at_or_zero(const float *x, int32_t h, int32_t w, int32_t r, int32_t c)
{
    return r >= 0 && r < h && c >= 0 && c < w ? x[(int64_t)r * w + c] : 0.0f;
}

/* Output (oy, ox) of a tile, if inside the plane, with the residual and activation. */
static void put_point(float *y, const float *r, int32_t ho, int32_t wo, int32_t oy, int32_t ox, float v,
                      const er_epilogue *ep)
{
    if (oy >= ho || ox >= wo) return;
    const int64_t at = (int64_t)oy * wo + ox;
    if (r) v += r[at];
    y[at] = er_act_scalar(v, ep->act, ep->alpha, ep->beta);
}

/* The references run one channel at a time; these walk the channels. */
typedef void in_one_fn(const float *x, int32_t h, int32_t w, int32_t r0, int32_t c0, float *v, int32_t vs);
typedef void out_one_fn(const float *m, int32_t ms, float bias, const float *r, float *y, int32_t ho, int32_t wo,
                        int32_t ty, int32_t tx, const er_epilogue *ep);
static void each_in_channel(in_one_fn *one, int32_t channels, const float *x, int64_t x_cs, int32_t h, int32_t w,
                            int32_t r0, int32_t c0, float *v, int32_t v_cs, int32_t vs)
{
    for (int32_t c = 0; c < channels; c++) one(x + c * x_cs, h, w, r0, c0, v + (int64_t)c * v_cs, vs);
}
static void each_out_channel(out_one_fn *one, int32_t channels, const float *m, int32_t m_cs, int32_t ms,
                             const float *bias, const float *r, float *y, int64_t y_cs, int32_t ho, int32_t wo,
                             int32_t ty, int32_t tx, const er_epilogue *ep)
{
    for (int32_t c = 0; c < channels; c++)
        one(m + (int64_t)c * m_cs, ms, bias ? bias[c] : 0.0f, r ? r + c * y_cs : NULL, y + c * y_cs, ho, wo, ty, tx, ep);
}

static void in_scalar_1(const float *x, int32_t h, int32_t w, int32_t r0, int32_t c0, float *v, int32_t vs)
{
    for (int32_t t = 0; t < 4; t++) {
        float d[4][4], e[4][4];
        for (int32_t i = 0; i < 4; i++)
            for (int32_t j = 0; j < 4; j++) d[i][j] = at_or_zero(x, h, w, r0 + i, c0 + 2 * t + j);
        for (int32_t j = 0; j < 4; j++) {
            e[0][j] = d[0][j] - d[2][j];
            e[1][j] = d[1][j] + d[2][j];
            e[2][j] = d[2][j] - d[1][j];
            e[3][j] = d[1][j] - d[3][j];
        }
        for (int32_t i = 0; i < 4; i++) {
            v[(int64_t)(4 * i + 0) * vs + t] = e[i][0] - e[i][2];
            v[(int64_t)(4 * i + 1) * vs + t] = e[i][1] + e[i][2];
            v[(int64_t)(4 * i + 2) * vs + t] = e[i][2] - e[i][1];
            v[(int64_t)(4 * i + 3) * vs + t] = e[i][1] - e[i][3];
        }
    }
}

void er_f32_wino2x2_in__scalar(int32_t channels, const float *x, int64_t x_cs, int32_t h, int32_t w, int32_t r0,
                               int32_t c0, float *v, int32_t v_cs, int32_t vs)
{
    each_in_channel(in_scalar_1, channels, x, x_cs, h, w, r0, c0, v, v_cs, vs);
}

static void out_scalar_1(const float *m, int32_t ms, float bias, const float *r, float *y, int32_t ho, int32_t wo,
                         int32_t ty, int32_t tx, const er_epilogue *ep)
{
    for (int32_t t = 0; t < 4; t++) {
        float q[4][4], s[2][4];
        for (int32_t xi = 0; xi < 16; xi++) q[xi / 4][xi % 4] = m[(int64_t)xi * ms + t];
        for (int32_t j = 0; j < 4; j++) {
            s[0][j] = q[0][j] + q[1][j] + q[2][j];
            s[1][j] = q[1][j] - q[2][j] - q[3][j];
        }
        for (int32_t i = 0; i < 2; i++) {
            const float o[2] = {s[i][0] + s[i][1] + s[i][2], s[i][1] - s[i][2] - s[i][3]};
            const int32_t oy = 2 * ty + i;
            for (int32_t j = 0; j < 2; j++) {
                put_point(y, r, ho, wo, oy, 2 * (tx + t) + j, o[j] + bias, ep);
            }
        }
    }
}

void er_f32_wino2x2_out__scalar(int32_t channels, const float *m, int32_t m_cs, int32_t ms, const float *bias,
                                const float *r, float *y, int64_t y_cs, int32_t ho, int32_t wo, int32_t ty, int32_t tx,
                                const er_epilogue *ep)
{
    each_out_channel(out_scalar_1, channels, m, m_cs, ms, bias, r, y, y_cs, ho, wo, ty, tx, ep);
}

/* ---- SIMD128: the four tiles of a group in the four lanes ---- */

/* Columns c0 .. c0+n-1 (n <= 20) of row xr (width w) into buf, zero where
   outside the row: the patches of a group at a plane's edge, which at
   resnet20's widths (8 to 32) is every group. Vector moves, and no call to
   memset or memcpy, which clang makes of a zeroed array or a copy loop
   (a call per row, and one more function for the engine to optimise on a
   module's first run). */
static inline void edge_cols(const float *xr, int32_t w, int32_t c0, int32_t n, float buf[20])
{
    const er_v4f z = er_v4_splat(0.0f);
    for (int32_t j = 0; j < 20; j += 4) er_v4_store_nolib(buf + j, z);
    const int32_t lo = c0 < 0 ? -c0 : 0, hi = w - c0 < n ? w - c0 : n;
    if (hi > lo) er_v4_copy_nolib(buf + lo, xr + c0 + lo, hi - lo);
}

/* Row r of the group's patches as d[j] (lane t = x[r][c0 + 2t + j]), j < 4:
   the 10 columns c0..c0+9 are read straight from x when inside, else
   through edge_cols. */
static inline void load_row(const float *x, int32_t h, int32_t w, int32_t r, int32_t c0, int inside, er_v4f d[4])
{
    float buf[20];
    const float *p = x + (int64_t)r * w + c0;
    (void)h; /* the caller checked the row */
    if (!inside) {
        edge_cols(x + (int64_t)r * w, w, c0, 10, buf);
        p = buf;
    }
    const er_v4f l0 = er_v4_load(p), l1 = er_v4_load(p + 4), m0 = er_v4_load(p + 2), m1 = er_v4_load(p + 6);
    d[0] = ER_V4_SHUFFLE(l0, l1, 0, 2, 4, 6);
    d[1] = ER_V4_SHUFFLE(l0, l1, 1, 3, 5, 7);
    d[2] = ER_V4_SHUFFLE(m0, m1, 0, 2, 4, 6);
    d[3] = ER_V4_SHUFFLE(m0, m1, 1, 3, 5, 7);
}

static inline __attribute__((always_inline)) void in_vec_1(const float *x, int32_t h, int32_t w, int32_t r0,
                                                           int32_t c0, int inside_cols, float *v, int32_t vs)
{
    er_v4f d[4][4], e[4][4];
    for (int32_t i = 0; i < 4; i++) {
        const int32_t r = r0 + i;
        if (r < 0 || r >= h) {
            d[i][0] = d[i][1] = d[i][2] = d[i][3] = er_v4_splat(0.0f);
        } else {
            load_row(x, h, w, r, c0, inside_cols, d[i]);
        }
    }
    for (int32_t j = 0; j < 4; j++) {
        e[0][j] = d[0][j] - d[2][j];
        e[1][j] = d[1][j] + d[2][j];
        e[2][j] = d[2][j] - d[1][j];
        e[3][j] = d[1][j] - d[3][j];
    }
    for (int32_t i = 0; i < 4; i++) {
        er_v4_store(v + (int64_t)(4 * i + 0) * vs, e[i][0] - e[i][2]);
        er_v4_store(v + (int64_t)(4 * i + 1) * vs, e[i][1] + e[i][2]);
        er_v4_store(v + (int64_t)(4 * i + 2) * vs, e[i][2] - e[i][1]);
        er_v4_store(v + (int64_t)(4 * i + 3) * vs, e[i][1] - e[i][3]);
    }
}

void er_f32_wino2x2_in__vec128(int32_t channels, const float *x, int64_t x_cs, int32_t h, int32_t w, int32_t r0,
                               int32_t c0, float *v, int32_t v_cs, int32_t vs)
{
    const int inside_cols = c0 >= 0 && c0 + 10 <= w;
    for (int32_t c = 0; c < channels; c++) in_vec_1(x + c * x_cs, h, w, r0, c0, inside_cols, v + (int64_t)c * v_cs, vs);
}

static inline __attribute__((always_inline)) void out_vec_1(const float *m, int32_t ms, float bias, const float *r,
                                                            float *y, int32_t ho, int32_t wo, int32_t ty, int32_t tx,
                                                            const er_epilogue *ep, const int32_t act)
{
    er_v4f s[2][4];
    for (int32_t j = 0; j < 4; j++) {
        const er_v4f q0 = er_v4_load(m + (int64_t)(0 + j) * ms), q1 = er_v4_load(m + (int64_t)(4 + j) * ms);
        const er_v4f q2 = er_v4_load(m + (int64_t)(8 + j) * ms), q3 = er_v4_load(m + (int64_t)(12 + j) * ms);
        s[0][j] = q0 + q1 + q2;
        s[1][j] = q1 - q2 - q3;
    }
    const int32_t ox = 2 * tx;
    const er_v4f vb = er_v4_splat(bias);
    for (int32_t i = 0; i < 2; i++) {
        const int32_t oy = 2 * ty + i;
        if (oy >= ho) break;
        const er_v4f o0 = s[i][0] + s[i][1] + s[i][2], o1 = s[i][1] - s[i][2] - s[i][3];
        /* Lane t of o0/o1 is column 2(tx+t) / 2(tx+t)+1: interleaved, 8 consecutive columns. */
        er_v4f lo = ER_V4_SHUFFLE(o0, o1, 0, 4, 1, 5) + vb, hi = ER_V4_SHUFFLE(o0, o1, 2, 6, 3, 7) + vb;
        float *yr = y + (int64_t)oy * wo + ox;
        const float *rr = r ? r + (int64_t)oy * wo + ox : NULL;
        if (ox + 8 <= wo) {
            if (rr) {
                lo += er_v4_load(rr);
                hi += er_v4_load(rr + 4);
            }
            er_v4_store(yr, er_act_v4(lo, act, ep->alpha, ep->beta));
            er_v4_store(yr + 4, er_act_v4(hi, act, ep->alpha, ep->beta));
        } else {
            float lanes[8];
            er_v4_store(lanes, lo);
            er_v4_store(lanes + 4, hi);
            for (int32_t j = 0; j < 8 && ox + j < wo; j++) {
                float val = lanes[j] + (rr ? rr[j] : 0.0f);
                yr[j] = er_act_scalar(val, act, ep->alpha, ep->beta);
            }
        }
    }
}

/* er_f32_winoMxM_out__vec128: each channel's tile transform (TILE) with the
   activation constant in each instance (ER_ACT_INSTANCES). */
#define ER_WINO_OUT_KERNEL(NAME, TILE)                                                                              \
    static inline __attribute__((always_inline)) void NAME##_channels(                                            \
        int32_t channels, const float *m, int32_t m_cs, int32_t ms, const float *bias, const float *r, float *y,   \
        int64_t y_cs, int32_t ho, int32_t wo, int32_t ty, int32_t tx, const er_epilogue *ep, const int32_t act)    \
    {                                                                                                               \
        for (int32_t c = 0; c < channels; c++)                                                                      \
            TILE(m + (int64_t)c * m_cs, ms, bias ? bias[c] : 0.0f, r ? r + c * y_cs : NULL, y + c * y_cs, ho, wo,   \
                 ty, tx, ep, act);                                                                                  \
    }                                                                                                               \
    ER_ACT_INSTANCES(NAME##_channels, er_f32_wino2x2_out_ukernel,                                                   \
                     (int32_t channels, const float *m, int32_t m_cs, int32_t ms, const float *bias, const float *r,\
                      float *y, int64_t y_cs, int32_t ho, int32_t wo, int32_t ty, int32_t tx, const er_epilogue *ep),\
                     ep->act, channels, m, m_cs, ms, bias, r, y, y_cs, ho, wo, ty, tx, ep)                          \
    void NAME##__vec128(int32_t channels, const float *m, int32_t m_cs, int32_t ms, const float *bias,            \
                        const float *r, float *y, int64_t y_cs, int32_t ho, int32_t wo, int32_t ty, int32_t tx,    \
                        const er_epilogue *ep)                                                                      \
    {                                                                                                               \
        ER_ACT_CALL(ep->act, NAME##_channels, channels, m, m_cs, ms, bias, r, y, y_cs, ho, wo, ty, tx, ep);         \
    }
ER_WINO_OUT_KERNEL(er_f32_wino2x2_out, out_vec_1)

/* ---- Winograd F(4x4, 3x3) ----
   The same scheme with 6x6 input patches and 4x4 output tiles: 36
   multiplies per 16 outputs and input channel instead of 144, for larger
   transforms whose coefficients are small integers (points 0, +-1, +-2):
       B^T = [4  0 -5  0 1 0;  0 -4 -4  1 1 0;  0  4 -4 -1 1 0;
              0 -2 -1  2 1 0;  0  2 -1 -2 1 0;  0  4  0 -5 0 1]
       A^T = [1 1  1 1  1 0;  0 1 -1 2 -2 0;  0 1 1 4 4 0;  0 1 -1 8 -8 1]
   (G is in er_conv.c, where the weights are packed.) The 1-D transforms are
   written once for any type T with arithmetic operators: float for the
   references, er_v4f for four tiles at once. */
#define ER_WINO4_IN_1D(T, d, v)                          \
    do {                                                 \
        v[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];         \
        v[1] = d[3] + d[4] - 4.0f * (d[1] + d[2]);       \
        v[2] = 4.0f * (d[1] - d[2]) + d[4] - d[3];       \
        v[3] = 2.0f * (d[3] - d[1]) + d[4] - d[2];       \
        v[4] = 2.0f * (d[1] - d[3]) + d[4] - d[2];       \
        v[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];         \
    } while (0)
#define ER_WINO4_OUT_1D(T, m, o)                                                            \
    do {                                                                                    \
        const T s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4]; \
        o[0] = m[0] + s12 + s34;                                                            \
        o[1] = d12 + 2.0f * d34;                                                            \
        o[2] = s12 + 4.0f * s34;                                                            \
        o[3] = d12 + 8.0f * d34 + m[5];                                                     \
    } while (0)

static void in4_scalar_1(const float *x, int32_t h, int32_t w, int32_t r0, int32_t c0, float *v, int32_t vs)
{
    for (int32_t t = 0; t < 4; t++) {
        float d[6][6], e[6][6];
        for (int32_t i = 0; i < 6; i++)
            for (int32_t j = 0; j < 6; j++) d[i][j] = at_or_zero(x, h, w, r0 + i, c0 + 4 * t + j);
        for (int32_t j = 0; j < 6; j++) {
            float col[6], out[6];
            for (int32_t i = 0; i < 6; i++) col[i] = d[i][j];
            ER_WINO4_IN_1D(float, col, out);
            for (int32_t i = 0; i < 6; i++) e[i][j] = out[i];
        }
        for (int32_t i = 0; i < 6; i++) {
            float out[6];
            ER_WINO4_IN_1D(float, e[i], out);
            for (int32_t j = 0; j < 6; j++) v[(int64_t)(6 * i + j) * vs + t] = out[j];
        }
    }
}

void er_f32_wino4x4_in__scalar(int32_t channels, const float *x, int64_t x_cs, int32_t h, int32_t w, int32_t r0,
                               int32_t c0, float *v, int32_t v_cs, int32_t vs)
{
    each_in_channel(in4_scalar_1, channels, x, x_cs, h, w, r0, c0, v, v_cs, vs);
}

static void out4_scalar_1(const float *m, int32_t ms, float bias, const float *r, float *y, int32_t ho, int32_t wo,
                          int32_t ty, int32_t tx, const er_epilogue *ep)
{
    for (int32_t t = 0; t < 4; t++) {
        float s[4][6];
        for (int32_t j = 0; j < 6; j++) {
            float col[6], out[4];
            for (int32_t i = 0; i < 6; i++) col[i] = m[(int64_t)(6 * i + j) * ms + t];
            ER_WINO4_OUT_1D(float, col, out);
            for (int32_t i = 0; i < 4; i++) s[i][j] = out[i];
        }
        for (int32_t i = 0; i < 4; i++) {
            float o[4];
            ER_WINO4_OUT_1D(float, s[i], o);
            const int32_t oy = 4 * ty + i;
            for (int32_t j = 0; j < 4; j++) {
                put_point(y, r, ho, wo, oy, 4 * (tx + t) + j, o[j] + bias, ep);
            }
        }
    }
}

void er_f32_wino4x4_out__scalar(int32_t channels, const float *m, int32_t m_cs, int32_t ms, const float *bias,
                                const float *r, float *y, int64_t y_cs, int32_t ho, int32_t wo, int32_t ty, int32_t tx,
                                const er_epilogue *ep)
{
    each_out_channel(out4_scalar_1, channels, m, m_cs, ms, bias, r, y, y_cs, ho, wo, ty, tx, ep);
}

/* Rows a..d of a 4x4 block become its columns. */
static inline void transpose4(er_v4f *a, er_v4f *b, er_v4f *c, er_v4f *d)
{
    const er_v4f t0 = ER_V4_SHUFFLE(*a, *b, 0, 4, 1, 5), t1 = ER_V4_SHUFFLE(*a, *b, 2, 6, 3, 7);
    const er_v4f t2 = ER_V4_SHUFFLE(*c, *d, 0, 4, 1, 5), t3 = ER_V4_SHUFFLE(*c, *d, 2, 6, 3, 7);
    *a = ER_V4_SHUFFLE(t0, t2, 0, 1, 4, 5);
    *b = ER_V4_SHUFFLE(t0, t2, 2, 3, 6, 7);
    *c = ER_V4_SHUFFLE(t1, t3, 0, 1, 4, 5);
    *d = ER_V4_SHUFFLE(t1, t3, 2, 3, 6, 7);
}

/* Row r of the group's patches as d[j] (lane t = x[r][c0 + 4t + j]), j < 6:
   18 columns, read straight from x when inside, else through edge_cols;
   xr NULL (a row above or below the plane) reads zeros. */
static const float zero_row[20];
static inline __attribute__((always_inline)) void load_row6(const float *xr, int32_t w, int32_t c0, int inside,
                                                            er_v4f d[6])
{
    float buf[20];
    const float *p = zero_row;
    if (xr && inside) {
        p = xr + c0;
    } else if (xr) {
        edge_cols(xr, w, c0, 18, buf);
        p = buf;
    }
    er_v4f l0 = er_v4_load(p), l1 = er_v4_load(p + 4), l2 = er_v4_load(p + 8), l3 = er_v4_load(p + 12);
    transpose4(&l0, &l1, &l2, &l3);
    d[0] = l0, d[1] = l1, d[2] = l2, d[3] = l3;
    d[4] = ER_V4_SHUFFLE(l0, er_v4_splat(p[16]), 1, 2, 3, 4);
    d[5] = ER_V4_SHUFFLE(l1, er_v4_splat(p[17]), 1, 2, 3, 4);
}

static inline __attribute__((always_inline)) void in4_vec_1(const float *x, int32_t h, int32_t w, int32_t r0,
                                                            int32_t c0, int inside_cols, float *v, int32_t vs)
{
    er_v4f d[6][6], e[6][6];
    for (int32_t i = 0; i < 6; i++) {
        const int32_t r = r0 + i;
        load_row6(r >= 0 && r < h ? x + (int64_t)r * w : NULL, w, c0, inside_cols, d[i]);
    }
    for (int32_t j = 0; j < 6; j++) {
        er_v4f col[6], out[6];
        for (int32_t i = 0; i < 6; i++) col[i] = d[i][j];
        ER_WINO4_IN_1D(er_v4f, col, out);
        for (int32_t i = 0; i < 6; i++) e[i][j] = out[i];
    }
    for (int32_t i = 0; i < 6; i++) {
        er_v4f out[6];
        ER_WINO4_IN_1D(er_v4f, e[i], out);
        for (int32_t j = 0; j < 6; j++) er_v4_store(v + (int64_t)(6 * i + j) * vs, out[j]);
    }
}

void er_f32_wino4x4_in__vec128(int32_t channels, const float *x, int64_t x_cs, int32_t h, int32_t w, int32_t r0,
                               int32_t c0, float *v, int32_t v_cs, int32_t vs)
{
    const int inside_cols = c0 >= 0 && c0 + 18 <= w;
    for (int32_t c = 0; c < channels; c++) in4_vec_1(x + c * x_cs, h, w, r0, c0, inside_cols, v + (int64_t)c * v_cs, vs);
}

static inline __attribute__((always_inline)) void out4_vec_1(const float *m, int32_t ms, float bias, const float *r,
                                                             float *y, int32_t ho, int32_t wo, int32_t ty, int32_t tx,
                                                             const er_epilogue *ep, const int32_t act)
{
    er_v4f s[4][6];
    for (int32_t j = 0; j < 6; j++) {
        er_v4f col[6], out[4];
        for (int32_t i = 0; i < 6; i++) col[i] = er_v4_load(m + (int64_t)(6 * i + j) * ms);
        ER_WINO4_OUT_1D(er_v4f, col, out);
        for (int32_t i = 0; i < 4; i++) s[i][j] = out[i];
    }
    const int32_t ox = 4 * tx;
    const er_v4f vb = er_v4_splat(bias);
    for (int32_t i = 0; i < 4; i++) {
        const int32_t oy = 4 * ty + i;
        if (oy >= ho) break;
        er_v4f o[4];
        ER_WINO4_OUT_1D(er_v4f, s[i], o);
        /* Lane t of o[j] is column 4(tx+t)+j: transposed, 16 consecutive columns. */
        transpose4(&o[0], &o[1], &o[2], &o[3]);
        float *yr = y + (int64_t)oy * wo + ox;
        const float *rr = r ? r + (int64_t)oy * wo + ox : NULL;
        if (ox + 16 <= wo) {
            for (int32_t q = 0; q < 4; q++) {
                er_v4f val = o[q] + vb;
                if (rr) val += er_v4_load(rr + 4 * q);
                er_v4_store(yr + 4 * q, er_act_v4(val, act, ep->alpha, ep->beta));
            }
        } else {
            float lanes[16];
            for (int32_t q = 0; q < 4; q++) er_v4_store(lanes + 4 * q, o[q] + vb);
            for (int32_t j = 0; j < 16 && ox + j < wo; j++)
                yr[j] = er_act_scalar(lanes[j] + (rr ? rr[j] : 0.0f), act, ep->alpha, ep->beta);
        }
    }
}

ER_WINO_OUT_KERNEL(er_f32_wino4x4_out, out4_vec_1)
