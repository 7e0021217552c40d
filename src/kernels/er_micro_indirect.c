/* er_micro_indirect.c - the channels-last (NHWC) micro-kernels, which read
   their input through an indirection buffer (contracts: er_micro.h).

   In NHWC a pixel's channels are contiguous, so what a convolution's kernel
   tap reads for one output pixel is one row of c_in floats: the operator
   driver hands the micro-kernel a pointer per (tap, pixel), and taps that
   fall in the padding point at a shared row of zeros. The inner loops then
   have no bounds tests and no im2col copy, whatever the stride, dilation
   or padding (XNNPACK's indirect GEMM). */
#include "er_micro.h"
#include "er_simd.h"

/* ---- indirect GEMM, 4 pixels x 8 output channels ---- */

void er_f32_igemm_4x8__scalar(int32_t mr, int32_t nc, int32_t kc, int32_t ks, const float *const *a, const float *w,
                              const float *bias, const float *r, float *c, int32_t ldc, const er_epilogue *ep)
{
    const int64_t strip = (int64_t)ks * kc * ER_GEMM_NR;
    for (int32_t i = 0; i < mr; i++)
        for (int32_t j = 0; j < nc; j++) {
            const float *wj = w + (j / ER_GEMM_NR) * strip + j % ER_GEMM_NR;
            float acc = 0.0f;
            for (int32_t t = 0; t < ks; t++)
                for (int32_t k = 0; k < kc; k++)
                    acc += a[t * ER_GEMM_MR + i][k] * wj[((int64_t)t * kc + k) * ER_GEMM_NR];
            if (bias) acc += bias[j];
            if (r) acc += r[(int64_t)i * ldc + j];
            c[(int64_t)i * ldc + j] = er_act_scalar(acc, ep->act, ep->alpha, ep->beta);
        }
}

/* Lanes [0, n) of a vector from p, n in 0..4; zeros beyond. */
static inline er_v4f load_upto(const float *p, int32_t n)
{
    return n >= 4 ? er_v4_load(p) : n > 0 ? er_v4_load_part(p, n) : er_v4_splat(0.0f);
}

/* Row i's two vectors at column j: n0 and n1 (0..4) lanes stored. */
static inline __attribute__((always_inline)) void store_row8(float *c, const float *r, int32_t i, int32_t ldc,
                                                             int32_t j, er_v4f v0, er_v4f v1, int32_t n0, int32_t n1,
                                                             const er_epilogue *ep, const int32_t act)
{
    const int64_t o = (int64_t)i * ldc + j;
    er_v4_epilogue_store(c + o, r ? r + o : NULL, v0, n0, act, ep->alpha, ep->beta);
    if (n1) er_v4_epilogue_store(c + o + 4, r ? r + o + 4 : NULL, v1, n1, act, ep->alpha, ep->beta);
}

/* 8 accumulators (4 pixels x two vectors of channels); for one k, the four
   pixels' inputs arrive as load-splats and the strip's 8 weights as two
   vector loads: the NCHW kernel's tile with the operands' roles swapped. */
static inline __attribute__((always_inline)) void igemm_4x8(int32_t mr, int32_t nc, int32_t kc, int32_t ks,
                                                            const float *const *a, const float *w, const float *bias,
                                                            const float *r, float *c, int32_t ldc,
                                                            const er_epilogue *ep, const int32_t act)
{
    for (int32_t j = 0; j < nc; j += ER_GEMM_NR, w += (int64_t)ks * kc * ER_GEMM_NR) {
        const int32_t n0 = nc - j < 4 ? nc - j : 4, n1 = nc - j < 8 ? (nc - j > 4 ? nc - j - 4 : 0) : 4;
        const er_v4f b0 = bias ? load_upto(bias + j, n0) : er_v4_splat(0.0f);
        const er_v4f b1 = bias ? load_upto(bias + j + 4, n1) : er_v4_splat(0.0f);
        er_v4f c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
        const float *wk = w;
        const float *const *at = a;
        for (int32_t t = 0; t < ks; t++, at += ER_GEMM_MR) {
            const float *a0 = at[0], *a1 = at[1], *a2 = at[2], *a3 = at[3];
            for (int32_t k = 0; k < kc; k++, wk += ER_GEMM_NR) {
                const er_v4f w0 = er_v4_load(wk), w1 = er_v4_load(wk + 4);
                const er_v4f x0 = er_v4_splat(a0[k]), x1 = er_v4_splat(a1[k]), x2 = er_v4_splat(a2[k]),
                             x3 = er_v4_splat(a3[k]);
                ER_TILE_4X8_MADD(c, x0, x1, x2, x3, w0, w1);
            }
        }
        store_row8(c, r, 0, ldc, j, c00, c01, n0, n1, ep, act);
        if (mr > 1) store_row8(c, r, 1, ldc, j, c10, c11, n0, n1, ep, act);
        if (mr > 2) store_row8(c, r, 2, ldc, j, c20, c21, n0, n1, ep, act);
        if (mr > 3) store_row8(c, r, 3, ldc, j, c30, c31, n0, n1, ep, act);
    }
}

ER_ACT_INSTANCES(igemm_4x8, er_f32_igemm_ukernel,
                 (int32_t mr, int32_t nc, int32_t kc, int32_t ks, const float *const *a, const float *w,
                  const float *bias, const float *r, float *c, int32_t ldc, const er_epilogue *ep),
                 ep->act, mr, nc, kc, ks, a, w, bias, r, c, ldc, ep)

void er_f32_igemm_4x8__vec128(int32_t mr, int32_t nc, int32_t kc, int32_t ks, const float *const *a, const float *w,
                              const float *bias, const float *r, float *c, int32_t ldc, const er_epilogue *ep)
{
    ER_ACT_CALL(ep->act, igemm_4x8, mr, nc, kc, ks, a, w, bias, r, c, ldc, ep);
}

/* ---- depthwise, a run of output pixels, channels in vectors ---- */

void er_f32_dwconv_nhwc__scalar(int32_t pixels, int32_t channels, int32_t ks, const float *const *x, const float *w,
                                int32_t cs, const float *bias, const float *r, float *y, const er_epilogue *ep)
{
    for (int32_t p = 0; p < pixels; p++, x += ks, y += channels, r = r ? r + channels : NULL)
        for (int32_t c = 0; c < channels; c++) {
            float acc = bias ? bias[c] : 0.0f;
            for (int32_t t = 0; t < ks; t++) acc += x[t][c] * w[(int64_t)t * cs + c];
            if (r) acc += r[c];
            y[c] = er_act_scalar(acc, ep->act, ep->alpha, ep->beta);
        }
}

/* Eight channels per pass in two accumulators (two independent chains of
   madds), then four, then the last 1..3 with partial loads: the input rows
   end where the tensor may end. */
static inline __attribute__((always_inline)) void dwconv_pixel(int32_t channels, int32_t ks, const float *const *x,
                                                               const float *w, int32_t cs, const float *bias,
                                                               const float *r, float *y, const er_epilogue *ep,
                                                               const int32_t act)
{
    int32_t c = 0;
    for (; c + 8 <= channels; c += 8) {
        er_v4f acc0 = bias ? er_v4_load(bias + c) : er_v4_splat(0.0f);
        er_v4f acc1 = bias ? er_v4_load(bias + c + 4) : er_v4_splat(0.0f);
        const float *wt = w + c;
        for (int32_t t = 0; t < ks; t++, wt += cs) {
            acc0 = er_v4_madd(acc0, er_v4_load(x[t] + c), er_v4_load(wt));
            acc1 = er_v4_madd(acc1, er_v4_load(x[t] + c + 4), er_v4_load(wt + 4));
        }
        er_v4_epilogue_store(y + c, r ? r + c : NULL, acc0, 4, act, ep->alpha, ep->beta);
        er_v4_epilogue_store(y + c + 4, r ? r + c + 4 : NULL, acc1, 4, act, ep->alpha, ep->beta);
    }
    for (; c < channels; c += 4) {
        const int32_t n = channels - c < 4 ? channels - c : 4;
        er_v4f acc = bias ? load_upto(bias + c, n) : er_v4_splat(0.0f);
        const float *wt = w + c;
        for (int32_t t = 0; t < ks; t++, wt += cs) acc = er_v4_madd(acc, load_upto(x[t] + c, n), er_v4_load(wt));
        er_v4_epilogue_store(y + c, r ? r + c : NULL, acc, n, act, ep->alpha, ep->beta);
    }
}

static inline __attribute__((always_inline)) void dwconv_nhwc(int32_t pixels, int32_t channels, int32_t ks,
                                                              const float *const *x, const float *w, int32_t cs,
                                                              const float *bias, const float *r, float *y,
                                                              const er_epilogue *ep, const int32_t act)
{
    for (int32_t p = 0; p < pixels; p++, x += ks, y += channels, r = r ? r + channels : NULL)
        dwconv_pixel(channels, ks, x, w, cs, bias, r, y, ep, act);
}

ER_ACT_INSTANCES(dwconv_nhwc, er_f32_dwconv_nhwc_ukernel,
                 (int32_t pixels, int32_t channels, int32_t ks, const float *const *x, const float *w, int32_t cs,
                  const float *bias, const float *r, float *y, const er_epilogue *ep),
                 ep->act, pixels, channels, ks, x, w, cs, bias, r, y, ep)

void er_f32_dwconv_nhwc__vec128(int32_t pixels, int32_t channels, int32_t ks, const float *const *x, const float *w,
                                int32_t cs, const float *bias, const float *r, float *y, const er_epilogue *ep)
{
    ER_ACT_CALL(ep->act, dwconv_nhwc, pixels, channels, ks, x, w, cs, bias, r, y, ep);
}
