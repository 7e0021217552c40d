/* op_gemm.c - Gemm and MatMul, both lowered to the one strided, batched
   matrix-product kernel: transposes and broadcasts are only strides. */
#include <string.h>

#include "ops.h"

static const int32_t float_only[] = {ER_DTYPE_FLOAT, 0};

int gemm_infer(er_graph *g, er_node *n)
{
    int64_t trans_a, trans_b;
    if (er_check_arity(g, n, 2, 3, 1, 1) || er_check_dtype(g, n, 0, float_only) || er_check_dtype(g, n, 1, float_only) ||
        (er_in(g, n, 2) && er_check_dtype(g, n, 2, float_only)) || er_attr_int(g, n, "transA", 0, &trans_a) ||
        er_attr_int(g, n, "transB", 0, &trans_b))
        return -1;
    er_tensor *a = er_in(g, n, 0), *b = er_in(g, n, 1), *c = er_in(g, n, 2);
    if (a->rank != 2 || b->rank != 2) return er_node_fail(g, n, "A and B must be 2-D, are %d-D and %d-D", a->rank, b->rank);
    int64_t m = a->dims[trans_a ? 1 : 0], k = a->dims[trans_a ? 0 : 1];
    int64_t kb = b->dims[trans_b ? 1 : 0], nn = b->dims[trans_b ? 0 : 1];
    if (k != kb) return er_node_fail(g, n, "A provides K = %lld but B expects %lld", (long long)k, (long long)kb);
    int64_t dims[2] = {m, nn};
    if (c) {
        if (c->rank > 2) return er_node_fail(g, n, "C must have rank <= 2");
        for (int32_t i = 0; i < c->rank; i++) {
            int64_t want = dims[2 - c->rank + i];
            if (c->dims[i] != 1 && c->dims[i] != want)
                return er_node_fail(g, n, "C dim %d is %lld, does not broadcast to %lld", i, (long long)c->dims[i], (long long)want);
        }
    }
    return er_set_output(g, n, 0, ER_DTYPE_FLOAT, 2, dims);
}

int matmul_infer(er_graph *g, er_node *n)
{
    if (er_check_arity(g, n, 2, 2, 1, 1) || er_check_dtype(g, n, 0, float_only) || er_check_dtype(g, n, 1, float_only))
        return -1;
    er_tensor *a = er_in(g, n, 0), *b = er_in(g, n, 1);
    if (a->rank < 1 || b->rank < 1) return er_node_fail(g, n, "inputs must be at least 1-D");
    int64_t k_a = a->dims[a->rank - 1], k_b = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    if (k_a != k_b) return er_node_fail(g, n, "A provides K = %lld but B expects %lld", (long long)k_a, (long long)k_b);
    /* Batch dims broadcast; a 1-D operand contributes none. */
    er_tensor ba = {.name = a->name, .rank = a->rank > 2 ? a->rank - 2 : 0};
    er_tensor bb = {.name = b->name, .rank = b->rank > 2 ? b->rank - 2 : 0};
    memcpy(ba.dims, a->dims, (size_t)ba.rank * sizeof(int64_t));
    memcpy(bb.dims, b->dims, (size_t)bb.rank * sizeof(int64_t));
    int64_t dims[ER_MAX_RANK + 2];
    int32_t rank;
    if (er_broadcast_shape(g, n, &ba, &bb, &rank, dims)) return -1;
    if (a->rank > 1) dims[rank++] = a->dims[a->rank - 2];
    if (b->rank > 1) dims[rank++] = b->dims[b->rank - 1];
    if (rank > ER_MAX_RANK) return er_node_fail(g, n, "output rank %d exceeds %d", rank, ER_MAX_RANK);
    return er_set_output(g, n, 0, ER_DTYPE_FLOAT, rank, dims);
}

/* How a Gemm or MatMul runs: the algorithm table. The packed kernel needs
   one B for every batch, known at compile time or initialisation (weights),
   which it packs once; anything else runs the strided reference. */
static const er_algo gemm_algos[] = {
    {"reference", "any Gemm or MatMul"},
    {"packed-gemm", "a constant B shared by every batch"},
};

static int gemm_lower_with(er_graph *g, er_node *n, const er_gemm_params *p, int32_t a, const er_tensor *b, int32_t c,
                           int32_t y)
{
    int shared_b = 1;
    for (int32_t i = 0; i < p->batch_rank; i++) shared_b &= p->b_bstrides[i] == 0;
    const int packed_applies = shared_b && er_is_static(g, b) && p->m > 0 && p->n > 0 && p->k > 0;
    int32_t pick = -1;
    int by_name;
    if (er_forced_algo(g, n, gemm_algos, 2, &pick, &by_name)) return -1;
    if (pick == 1 && (!packed_applies || g->reference_kernels)) {
        if (by_name) return er_node_fail(g, n, "--algo packed-gemm does not apply: it needs %s", gemm_algos[1].rule);
        pick = -1;
    }
    if (pick < 0) pick = packed_applies && !g->reference_kernels ? 1 : 0;
    n->algo = gemm_algos[pick].name;
    if (pick == 0) return ER_CALL(g, n, ERK_er_f32_gemm__scalar, *p, a, b->id, c, y);
    int64_t packed_dims[1] = {er_gemm_packed_b_count(p)}, scratch_dims[1] = {er_gemm_packed_scratch_count(p)};
    int32_t packed = er_temp_new(g, n, "B_packed", ER_DTYPE_FLOAT, 1, packed_dims);
    int32_t scratch = er_temp_new(g, n, "A_panel", ER_DTYPE_FLOAT, 1, scratch_dims);
    if (packed < 0 || scratch < 0) return -1;
    /* Packing reads only B: folded at compile time for constant weights. */
    if (ER_CALL(g, n, ERK_er_f32_gemm_packed_pack, *p, b->id, packed)) return -1;
    return ER_CALL(g, n, ERK_er_f32_gemm_packed__vec128, *p, a, packed, c, y, scratch);
}

int gemm_lower(er_graph *g, er_node *n)
{
    er_tensor *a = er_in(g, n, 0), *b = er_in(g, n, 1), *y = er_out(g, n, 0);
    er_gemm_params p = {.alpha = 1.0f, .beta = 1.0f, .act = n->act, .act_alpha = n->act_alpha, .act_beta = n->act_beta};
    int32_t c_id = -1;
    if (n->op == ER_OP_Gemm) {
        int64_t ta, tb;
        if (er_attr_int(g, n, "transA", 0, &ta) || er_attr_int(g, n, "transB", 0, &tb) ||
            er_attr_float(g, n, "alpha", 1.0f, &p.alpha) || er_attr_float(g, n, "beta", 1.0f, &p.beta))
            return -1;
        p.m = (int32_t)y->dims[0];
        p.n = (int32_t)y->dims[1];
        p.k = (int32_t)(ta ? a->dims[0] : a->dims[1]);
        p.a_rs = ta ? 1 : p.k;
        p.a_cs = ta ? p.m : 1;
        p.b_rs = tb ? 1 : p.n;
        p.b_cs = tb ? p.k : 1;
        er_tensor *c = er_in(g, n, 2);
        if (c && p.beta != 0.0f) {
            c_id = c->id;
            /* C broadcast over [M, N]: stride 0 along any axis it lacks. */
            int64_t rows = c->rank == 2 ? c->dims[0] : 1, cols = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
            p.c_rs = rows == 1 ? 0 : (int32_t)cols;
            p.c_cs = cols == 1 ? 0 : 1;
        }
    } else {
        /* MatMul: 1-D operands are promoted to matrices and the extra axis dropped. */
        int32_t ra = a->rank, rb = b->rank;
        p.m = ra > 1 ? (int32_t)a->dims[ra - 2] : 1;
        p.k = (int32_t)a->dims[ra - 1];
        p.n = rb > 1 ? (int32_t)b->dims[rb - 1] : 1;
        p.a_rs = p.k;
        p.a_cs = 1;
        p.b_rs = rb > 1 ? p.n : 1;
        p.b_cs = 1;
        int32_t batch = y->rank - (ra > 1) - (rb > 1);
        int64_t as = (int64_t)p.m * p.k, bs = (int64_t)p.k * p.n;
        p.batch_rank = batch;
        for (int32_t i = batch - 1; i >= 0; i--) {
            int32_t ia = i - (batch - (ra > 2 ? ra - 2 : 0)), ib = i - (batch - (rb > 2 ? rb - 2 : 0));
            int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
            p.batch_dims[i] = (int32_t)y->dims[i];
            p.a_bstrides[i] = da == 1 ? 0 : (int32_t)as;
            p.b_bstrides[i] = db == 1 ? 0 : (int32_t)bs;
            as *= da;
            bs *= db;
        }
    }
    return gemm_lower_with(g, n, &p, a->id, b, c_id, y->id);
}
