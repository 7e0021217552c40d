/* er_gemm.c - batched, strided matrix product with bias and activation
   epilogue: the reference, and the packed kernel Gemm and MatMul run when
   B is constant (weights). */
#include "er_micro.h"
#include "er_simd.h"

/* Step an index (an odometer over rank dims) and two operands' offsets
   with their strides; 0 after the last position, the offsets back at 0. */
static int odometer_next(int32_t rank, const int32_t *dims, const int32_t *sa, const int32_t *sb, int32_t *idx,
                         int64_t *ao, int64_t *bo)
{
    for (int32_t k = rank - 1; k >= 0; k--) {
        *ao += sa[k];
        *bo += sb[k];
        if (++idx[k] < dims[k]) return 1;
        *ao -= (int64_t)sa[k] * dims[k];
        *bo -= (int64_t)sb[k] * dims[k];
        idx[k] = 0;
    }
    return 0;
}

/* The batch odometer of a matrix product. */
static int next_batch(const er_gemm_params *p, int32_t *idx, int64_t *ao, int64_t *bo)
{
    return odometer_next(p->batch_rank, p->batch_dims, p->a_bstrides, p->b_bstrides, idx, ao, bo);
}

/* Row m of y (its N products) becomes act(alpha * y + beta * C[m, :]). */
static void epilogue_row(const er_gemm_params *p, const float *c, int32_t m, float *yr)
{
    for (int32_t n = 0; n < p->n; n++) {
        float v = p->alpha * yr[n];
        if (c) v += p->beta * c[(int64_t)m * p->c_rs + (int64_t)n * p->c_cs];
        yr[n] = er_act_scalar(v, p->act, p->act_alpha, p->act_beta);
    }
}

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
            epilogue_row(p, c, m, yr);
        }
        y += (int64_t)m_n * n_n;
        if (!next_batch(p, idx, &ao, &bo)) return;
    }
}

/* ---- packed: B (weights) in strips, A rows in panels, the 4x8 micro-kernel ----

   y[b] = A[b] . B with B packed once (at compile time) into strips of
   ER_GEMM_NR columns, k-major (er_f32_pack_panels on B transposed), so its
   columns are the micro-kernel's vector lanes; ER_GEMM_MR rows of A are
   packed per step into scratch as the micro-kernel's splatted operand. The
   epilogue alpha, beta * C and the activation follow per row, while the
   row is in cache. Applies to one B shared by every batch (b_bstrides 0). */

int64_t er_gemm_packed_b_count(const er_gemm_params *p)
{
    return er_packed_panels_count(p->n, p->k, ER_GEMM_NR);
}

int64_t er_gemm_packed_scratch_count(const er_gemm_params *p)
{
    return (int64_t)p->k * ER_GEMM_MR;
}

void er_f32_gemm_packed_pack(const er_gemm_params *p, const float *b, float *b_packed)
{
    er_f32_pack_panels(p->n, p->k, b, p->b_cs, p->b_rs, ER_GEMM_NR, b_packed);
}

/* One batch: A's rows four at a time against the packed B, then the epilogue. */
static void packed_batch(const er_gemm_params *p, const float *a, const float *b_packed, const float *c, float *y,
                         float *a_panel)
{
    const int32_t m_n = p->m, n_n = p->n, k_n = p->k, nr = ER_GEMM_NR;
    const er_epilogue none = {ER_ACT_NONE, 0.0f, 0.0f};
    for (int32_t m0 = 0; m0 < m_n; m0 += ER_GEMM_MR) {
        const int32_t mr = m_n - m0 < ER_GEMM_MR ? m_n - m0 : ER_GEMM_MR;
        er_f32_pack_panels(mr, k_n, a + (int64_t)m0 * p->a_rs, p->a_rs, p->a_cs, ER_GEMM_MR, a_panel);
        float *ym = y + (int64_t)m0 * n_n;
        if (mr == 1)
            er_f32_gemm_1x8__vec128(n_n, k_n, a_panel, b_packed, nr, (int64_t)k_n * nr, ym);
        else
            er_f32_gemm_4x8__vec128(mr, n_n, k_n, a_panel, b_packed, nr, (int64_t)k_n * nr, NULL, NULL, ym, n_n, &none);
        if (p->alpha == 1.0f && !c && p->act == ER_ACT_NONE) continue;
        for (int32_t m = m0; m < m0 + mr; m++) epilogue_row(p, c, m, y + (int64_t)m * n_n);
    }
}

void er_f32_gemm_packed__vec128(const er_gemm_params *p, const float *a, const float *b_packed, const float *c,
                                float *y, float *scratch)
{
    int32_t idx[ER_MAX_RANK] = {0};
    int64_t ao = 0, bo = 0; /* bo stays 0: one B for every batch */
    for (int32_t i = 0; i < p->batch_rank; i++)
        if (p->batch_dims[i] <= 0) return;
    do {
        packed_batch(p, a + ao, b_packed, c, y, scratch);
        y += (int64_t)p->m * p->n;
    } while (next_batch(p, idx, &ao, &bo));
}

/* ---- B known only at run time (attention's Q.K^T and P.V): each batch's B
   is packed into scratch when it differs from the last one packed, then
   the same loop runs. Packing costs K*N copies against M*K*N multiply-adds,
   so the compiler picks this for M >= ER_GEMM_MR. */

int64_t er_gemm_runtime_scratch_count(const er_gemm_params *p)
{
    return er_gemm_packed_b_count(p) + er_gemm_packed_scratch_count(p);
}

void er_f32_gemm_runtime__vec128(const er_gemm_params *p, const float *a, const float *b, const float *c, float *y,
                                 float *scratch)
{
    int32_t idx[ER_MAX_RANK] = {0};
    int64_t ao = 0, bo = 0, packed_bo = -1;
    float *b_packed = scratch, *a_panel = scratch + er_gemm_packed_b_count(p);
    for (int32_t i = 0; i < p->batch_rank; i++)
        if (p->batch_dims[i] <= 0) return;
    do {
        if (bo != packed_bo) er_f32_gemm_packed_pack(p, b + bo, b_packed);
        packed_bo = bo;
        packed_batch(p, a + ao, b_packed, c, y, a_panel);
        y += (int64_t)p->m * p->n;
    } while (next_batch(p, idx, &ao, &bo));
}

void er_f32_einsum(const er_einsum_params *p, const float *a, const float *b, float *y)
{
    int32_t oi[ER_MAX_RANK] = {0}, si[ER_MAX_RANK] = {0};
    int64_t ao = 0, bo = 0;
    for (int32_t i = 0; i < p->out_rank; i++)
        if (p->out_dims[i] <= 0) return;
    int summed = 1;
    for (int32_t j = 0; j < p->sum_rank; j++) summed &= p->sum_dims[j] > 0;
    do {
        float acc = 0.0f;
        if (summed) {
            int64_t as = 0, bs = 0;
            do acc += a[ao + as] * (b ? b[bo + bs] : 1.0f);
            while (odometer_next(p->sum_rank, p->sum_dims, p->a_sum, p->b_sum, si, &as, &bs));
        }
        *y++ = acc;
    } while (odometer_next(p->out_rank, p->out_dims, p->a_out, p->b_out, oi, &ao, &bo));
}
