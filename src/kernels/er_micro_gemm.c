/* er_micro_gemm.c - the f32 GEMM micro-kernels and the packing of their left
   operand (layout and contract: er_micro.h). */
#include "er_micro.h"
#include "er_simd.h"

int64_t er_packed_panels_count(int32_t rows, int32_t kk, int32_t width)
{
    return (int64_t)((rows + width - 1) / width) * width * kk;
}

void er_f32_pack_panels(int32_t rows, int32_t kk, const float *a, int32_t rs, int32_t cs, int32_t width, float *packed)
{
    const int32_t panels = (rows + width - 1) / width;
    for (int32_t t = 0; t < panels; t++)
        for (int32_t k = 0; k < kk; k++)
            for (int32_t i = 0; i < width; i++) {
                const int32_t r = t * width + i;
                packed[((int64_t)t * kk + k) * width + i] = r < rows ? a[(int64_t)r * rs + (int64_t)k * cs] : 0.0f;
            }
}

int64_t er_packed_a_count(int32_t m, int32_t kk)
{
    return er_packed_panels_count(m, kk, ER_GEMM_MR);
}

void er_f32_pack_a(int32_t m, int32_t kk, const float *a, int32_t rs, int32_t cs, float *packed)
{
    er_f32_pack_panels(m, kk, a, rs, cs, ER_GEMM_MR, packed);
}

void er_f32_gemm_4x8__scalar(int32_t mr, int32_t nc, int32_t kc, const float *a, const float *b, int32_t ldb,
                             int64_t bs, const float *bias, const float *r, float *c, int32_t ldc,
                             const er_epilogue *ep)
{
    for (int32_t i = 0; i < mr; i++)
        for (int32_t j = 0; j < nc; j++) {
            const float *bj = b + (int64_t)(j / ER_GEMM_NR) * bs + j % ER_GEMM_NR;
            float acc = 0.0f;
            for (int32_t k = 0; k < kc; k++) acc += a[(int64_t)k * ER_GEMM_MR + i] * bj[(int64_t)k * ldb];
            if (bias) acc += bias[i];
            if (r) acc += r[(int64_t)i * ldc + j];
            c[(int64_t)i * ldc + j] = er_act_scalar(acc, ep->act, ep->alpha, ep->beta);
        }
}

/* Bias, residual and activation on one row's vector of accumulators at
   column j, of which the first n (1..4) lanes are stored. */
static inline __attribute__((always_inline)) void store_row4(er_v4f acc, int32_t i, int32_t j, int32_t n,
                                                             const float *bias, const float *r, float *c,
                                                             int32_t ldc, const er_epilogue *ep, const int32_t act)
{
    if (bias) acc += er_v4_splat(bias[i]);
    const int64_t at = (int64_t)i * ldc + j;
    er_v4_epilogue_store(c + at, r ? r + at : NULL, acc, n, act, ep->alpha, ep->beta);
}

/* 4 rows x 8 columns in 8 accumulators; the weights of one k arrive as four
   load-splats of one 16-byte panel row, the 8 columns as two vector loads.
   The column remainder runs 4 wide, the last vector stored in part. act is
   ep->act, constant in the instances ER_ACT_INSTANCES makes. */
static inline __attribute__((always_inline)) void gemm_4x8(int32_t mr, int32_t nc, int32_t kc, const float *a,
                                                           const float *b, int32_t ldb, int64_t bs, const float *bias,
                                                           const float *r, float *c, int32_t ldc,
                                                           const er_epilogue *ep, const int32_t act)
{
    const int plain = !bias && !r && act == ER_ACT_NONE;
    float *c0 = c, *c1 = c + (mr > 1 ? ldc : 0), *c2 = c + (mr > 2 ? 2 * ldc : 0), *c3 = c + (mr > 3 ? 3 * ldc : 0);
    int32_t j = 0;
    const float *bj = b;
    for (; j + 8 <= nc; j += 8, bj += bs) {
        er_v4f c00 = er_v4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        const float *bk = bj, *ak = a;
        for (int32_t k = 0; k < kc; k++, bk += ldb, ak += ER_GEMM_MR) {
            const er_v4f b0 = er_v4_load(bk), b1 = er_v4_load(bk + 4);
            const er_v4f a0 = er_v4_splat(ak[0]), a1 = er_v4_splat(ak[1]), a2 = er_v4_splat(ak[2]),
                         a3 = er_v4_splat(ak[3]);
            ER_TILE_4X8_MADD(c, a0, a1, a2, a3, b0, b1);
        }
        if (plain) {
            /* Rows past mr alias row 0 and are stored first, so row 0 wins. */
            er_v4_store(c3 + j, c30), er_v4_store(c3 + j + 4, c31);
            er_v4_store(c2 + j, c20), er_v4_store(c2 + j + 4, c21);
            er_v4_store(c1 + j, c10), er_v4_store(c1 + j + 4, c11);
            er_v4_store(c0 + j, c00), er_v4_store(c0 + j + 4, c01);
            continue;
        }
        store_row4(c00, 0, j, 4, bias, r, c, ldc, ep, act);
        store_row4(c01, 0, j + 4, 4, bias, r, c, ldc, ep, act);
        if (mr > 1) {
            store_row4(c10, 1, j, 4, bias, r, c, ldc, ep, act);
            store_row4(c11, 1, j + 4, 4, bias, r, c, ldc, ep, act);
        }
        if (mr > 2) {
            store_row4(c20, 2, j, 4, bias, r, c, ldc, ep, act);
            store_row4(c21, 2, j + 4, 4, bias, r, c, ldc, ep, act);
        }
        if (mr > 3) {
            store_row4(c30, 3, j, 4, bias, r, c, ldc, ep, act);
            store_row4(c31, 3, j + 4, 4, bias, r, c, ldc, ep, act);
        }
    }
    for (int32_t half = 0; j < nc; j += 4, half += 4) {
        const int32_t n = nc - j < 4 ? nc - j : 4;
        er_v4f v0 = er_v4_splat(0.0f), v1 = v0, v2 = v0, v3 = v0;
        const float *bk = bj + half, *ak = a;
        for (int32_t k = 0; k < kc; k++, bk += ldb, ak += ER_GEMM_MR) {
            const er_v4f b0 = er_v4_load(bk);
            v0 = er_v4_madd(v0, er_v4_splat(ak[0]), b0);
            v1 = er_v4_madd(v1, er_v4_splat(ak[1]), b0);
            v2 = er_v4_madd(v2, er_v4_splat(ak[2]), b0);
            v3 = er_v4_madd(v3, er_v4_splat(ak[3]), b0);
        }
        store_row4(v0, 0, j, n, bias, r, c, ldc, ep, act);
        if (mr > 1) store_row4(v1, 1, j, n, bias, r, c, ldc, ep, act);
        if (mr > 2) store_row4(v2, 2, j, n, bias, r, c, ldc, ep, act);
        if (mr > 3) store_row4(v3, 3, j, n, bias, r, c, ldc, ep, act);
    }
}

void er_f32_gemm_1x8__vec128(int32_t nc, int32_t kc, const float *a, const float *b, int32_t ldb, int64_t bs,
                             float *c)
{
    int32_t j = 0;
    const float *bj = b;
    for (; j + 8 <= nc; j += 8, bj += bs) {
        er_v4f p0 = er_v4_splat(0.0f), p1 = p0, q0 = p0, q1 = p0; /* even and odd k, summed at the end */
        const float *bk = bj, *ak = a;
        int32_t k = 0;
        for (; k + 2 <= kc; k += 2, bk += 2 * (int64_t)ldb, ak += 2 * ER_GEMM_MR) {
            const er_v4f s0 = er_v4_splat(ak[0]), s1 = er_v4_splat(ak[ER_GEMM_MR]);
            p0 = er_v4_madd(p0, s0, er_v4_load(bk)), p1 = er_v4_madd(p1, s0, er_v4_load(bk + 4));
            q0 = er_v4_madd(q0, s1, er_v4_load(bk + ldb)), q1 = er_v4_madd(q1, s1, er_v4_load(bk + ldb + 4));
        }
        if (k < kc) {
            const er_v4f s0 = er_v4_splat(ak[0]);
            p0 = er_v4_madd(p0, s0, er_v4_load(bk)), p1 = er_v4_madd(p1, s0, er_v4_load(bk + 4));
        }
        er_v4_store(c + j, p0 + q0), er_v4_store(c + j + 4, p1 + q1);
    }
    for (int32_t half = 0; j < nc; j += 4, half += 4) {
        const int32_t n = nc - j < 4 ? nc - j : 4;
        er_v4f v = er_v4_splat(0.0f);
        const float *bk = bj + half, *ak = a;
        for (int32_t k = 0; k < kc; k++, bk += ldb, ak += ER_GEMM_MR) v = er_v4_madd(v, er_v4_splat(ak[0]), er_v4_load(bk));
        er_v4_store_part(c + j, v, n);
    }
}

ER_ACT_INSTANCES(gemm_4x8, er_f32_gemm_ukernel,
                 (int32_t mr, int32_t nc, int32_t kc, const float *a, const float *b, int32_t ldb, int64_t bs,
                  const float *bias, const float *r, float *c, int32_t ldc, const er_epilogue *ep),
                 ep->act, mr, nc, kc, a, b, ldb, bs, bias, r, c, ldc, ep)

void er_f32_gemm_4x8__vec128(int32_t mr, int32_t nc, int32_t kc, const float *a, const float *b, int32_t ldb,
                             int64_t bs, const float *bias, const float *r, float *c, int32_t ldc,
                             const er_epilogue *ep)
{
    ER_ACT_CALL(ep->act, gemm_4x8, mr, nc, kc, a, b, ldb, bs, bias, r, c, ldc, ep);
}
