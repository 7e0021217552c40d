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
    for (int32_t c = 0; c < channels; c++) in_scalar_1(x + c * x_cs, h, w, r0, c0, v + (int64_t)c * v_cs, vs);
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
                const int32_t ox = 2 * (tx + t) + j;
                if (oy >= ho || ox >= wo) continue;
                const int64_t at = (int64_t)oy * wo + ox;
                float val = o[j] + bias;
                if (r) val += r[at];
                y[at] = er_act_scalar(val, ep->act, ep->alpha, ep->beta);
            }
        }
    }
}

void er_f32_wino2x2_out__scalar(int32_t channels, const float *m, int32_t m_cs, int32_t ms, const float *bias,
                                const float *r, float *y, int64_t y_cs, int32_t ho, int32_t wo, int32_t ty, int32_t tx,
                                const er_epilogue *ep)
{
    for (int32_t c = 0; c < channels; c++)
        out_scalar_1(m + (int64_t)c * m_cs, ms, bias ? bias[c] : 0.0f, r ? r + c * y_cs : NULL, y + c * y_cs, ho, wo,
                     ty, tx, ep);
}

/* ---- SIMD128: the four tiles of a group in the four lanes ---- */

/* Row r of the group's patches as d[j] (lane t = x[r][c0 + 2t + j]), j < 4:
   the 10 columns c0..c0+9 are read straight from x when inside, else
   through a zero-filled copy. */
static inline void load_row(const float *x, int32_t h, int32_t w, int32_t r, int32_t c0, int inside, er_v4f d[4])
{
    float buf[10] = {0};
    const float *p = x + (int64_t)r * w + c0;
    (void)h; /* the caller checked the row */
    if (!inside) {
        const int32_t lo = c0 < 0 ? -c0 : 0, hi = w - c0 < 10 ? w - c0 : 10;
        for (int32_t j = lo; j < hi; j++) buf[j] = p[j];
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
                                                            const er_epilogue *ep)
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
            er_v4_store(yr, er_act_v4(lo, ep->act, ep->alpha, ep->beta));
            er_v4_store(yr + 4, er_act_v4(hi, ep->act, ep->alpha, ep->beta));
        } else {
            float lanes[8];
            er_v4_store(lanes, lo);
            er_v4_store(lanes + 4, hi);
            for (int32_t j = 0; j < 8 && ox + j < wo; j++) {
                float val = lanes[j] + (rr ? rr[j] : 0.0f);
                yr[j] = er_act_scalar(val, ep->act, ep->alpha, ep->beta);
            }
        }
    }
}

void er_f32_wino2x2_out__vec128(int32_t channels, const float *m, int32_t m_cs, int32_t ms, const float *bias,
                                const float *r, float *y, int64_t y_cs, int32_t ho, int32_t wo, int32_t ty, int32_t tx,
                                const er_epilogue *ep)
{
    for (int32_t c = 0; c < channels; c++)
        out_vec_1(m + (int64_t)c * m_cs, ms, bias ? bias[c] : 0.0f, r ? r + c * y_cs : NULL, y + c * y_cs, ho, wo, ty,
                  tx, ep);
}
