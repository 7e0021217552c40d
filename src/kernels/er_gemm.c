/* er_gemm.c - batched, strided matrix product with bias and activation epilogue. */
#include "er_simd.h"

void er_f32_gemm__scalar(const er_gemm_params *p, const float *a, const float *b, const float *c, float *y)
{
    int32_t idx[ER_MAX_RANK] = {0};
    int64_t ao = 0, bo = 0;
    const int32_t m_n = p->m, n_n = p->n, k_n = p->k;
    for (int32_t i = 0; i < p->batch_rank; i++)
        if (p->batch_dims[i] <= 0) return;
    for (;;) {
        const float *ab = a + ao, *bb = b + bo;
        for (int32_t m = 0; m < m_n; m++) {
            float *yr = y + (int64_t)m * n_n;
            if (p->b_cs == 1) {
                /* Rows of B are contiguous: accumulate a[m,k] * B[k,:] into y[m,:]. */
                for (int32_t n = 0; n < n_n; n++) yr[n] = 0.0f;
                for (int32_t k = 0; k < k_n; k++) {
                    const float av = ab[(int64_t)m * p->a_rs + (int64_t)k * p->a_cs];
                    const float *br = bb + (int64_t)k * p->b_rs;
                    for (int32_t n = 0; n < n_n; n++) yr[n] += av * br[n];
                }
            } else {
                /* Columns of B are contiguous over k (B transposed): dot products. */
                for (int32_t n = 0; n < n_n; n++) {
                    const float *ar = ab + (int64_t)m * p->a_rs, *bc = bb + (int64_t)n * p->b_cs;
                    float acc = 0.0f;
                    for (int32_t k = 0; k < k_n; k++) acc += ar[(int64_t)k * p->a_cs] * bc[(int64_t)k * p->b_rs];
                    yr[n] = acc;
                }
            }
            for (int32_t n = 0; n < n_n; n++) {
                float v = p->alpha * yr[n];
                if (c) v += p->beta * c[(int64_t)m * p->c_rs + (int64_t)n * p->c_cs];
                yr[n] = er_act_scalar(v, p->act, p->act_alpha, p->act_beta);
            }
        }
        y += (int64_t)m_n * n_n;
        int32_t k = p->batch_rank - 1;
        for (; k >= 0; k--) {
            ao += p->a_bstrides[k];
            bo += p->b_bstrides[k];
            if (++idx[k] < p->batch_dims[k]) break;
            ao -= (int64_t)p->a_bstrides[k] * p->batch_dims[k];
            bo -= (int64_t)p->b_bstrides[k] * p->batch_dims[k];
            idx[k] = 0;
        }
        if (k < 0) return;
    }
}
