/* op_gemm.c - Gemm, MatMul and Einsum, lowered to the one strided, batched
   matrix-product kernel: transposes and broadcasts are only strides. An
   Einsum that is no matrix product runs the general contraction kernel. */
#include <string.h>

#include "er_micro.h"
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

/* How a Gemm, MatMul or Einsum product runs: the algorithm table. The
   packed kernel needs one B for every batch, known at compile time or
   initialisation (weights), which it packs once; a B known only at run
   time (attention) is packed per batch when A has rows enough to repay it;
   the rest runs the strided reference. */
static const er_algo gemm_algos[] = {
    {"reference", "any Gemm or MatMul"},
    {"packed-gemm", "a constant B shared by every batch"},
    {"runtime-packed-gemm", "M >= 4: B packed per batch at run time"},
};
#define N_GEMM_ALGOS ((int32_t)(sizeof gemm_algos / sizeof gemm_algos[0]))

static int gemm_lower_with(er_graph *g, er_node *n, const er_gemm_params *p, int32_t a, const er_tensor *b, int32_t c,
                           int32_t y)
{
    int shared_b = 1;
    for (int32_t i = 0; i < p->batch_rank; i++) shared_b &= p->b_bstrides[i] == 0;
    const int sized = p->m > 0 && p->n > 0 && p->k > 0;
    const int applies[N_GEMM_ALGOS] = {1, shared_b && er_is_static(g, b) && sized, sized && p->m >= ER_GEMM_MR};
    int32_t pick = -1;
    int by_name;
    if (er_forced_algo(g, n, gemm_algos, N_GEMM_ALGOS, &pick, &by_name)) return -1;
    if (pick > 0 && (!applies[pick] || g->reference_kernels)) {
        if (by_name) return er_node_fail(g, n, "--algo %s does not apply: it needs %s", gemm_algos[pick].name,
                                         gemm_algos[pick].rule);
        pick = -1;
    }
    if (pick < 0) pick = g->reference_kernels ? 0 : applies[1] ? 1 : applies[2] ? 2 : 0;
    n->algo = gemm_algos[pick].name;
    if (pick == 0) return ER_CALL(g, n, ERK_er_f32_gemm__scalar, *p, a, b->id, c, y);
    if (pick == 2) {
        int64_t dims[1] = {er_gemm_runtime_scratch_count(p)};
        int32_t scratch = er_temp_new(g, n, "B_packed", ER_DTYPE_FLOAT, 1, dims);
        if (scratch < 0) return -1;
        return ER_CALL(g, n, ERK_er_f32_gemm_runtime__vec128, *p, a, b->id, c, y, scratch);
    }
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

/* ---- Einsum ----
   The equation is parsed into labels: 'A'..'Z' are 0..25 and 'a'..'z'
   26..51 (so label order is ONNX's alphabetical order for the implicit
   output), and the dimensions an ellipsis stands for are labels 52.., right
   aligned across operands as broadcasting aligns them. Each label gets its
   size and, per operand, its element stride (summed when an operand repeats
   it: a diagonal; 0 where absent or broadcast). */

#define EINSUM_LETTERS 52
#define EINSUM_LABELS (EINSUM_LETTERS + ER_MAX_RANK)

typedef struct einsum_plan {
    int32_t n_ops;
    int64_t size[EINSUM_LABELS];
    int64_t stride[2][EINSUM_LABELS];
    int in_op[2][EINSUM_LABELS]; /* the label occurs in operand i */
    int32_t out_rank, out[ER_MAX_RANK];
    int32_t sum_rank, sum[ER_MAX_RANK];
} einsum_plan;

static int einsum_label(char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? 26 + c - 'a' : -1;
}

/* One term's labels into labels[] (ellipsis as -1 once); its count. */
static int einsum_term(er_graph *g, er_node *n, const char *t, size_t len, int32_t *labels, int32_t *count)
{
    int32_t c = 0, ellipsis = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '.') {
            if (ellipsis || len - i < 3 || t[i + 1] != '.' || t[i + 2] != '.')
                return er_node_fail(g, n, "equation term '%.*s': '.' only as one '...'", (int)len, t);
            ellipsis = 1;
            i += 2;
            labels[c++] = -1;
        } else if (einsum_label(t[i]) < 0) {
            return er_node_fail(g, n, "equation term '%.*s': '%c' is not a letter", (int)len, t, t[i]);
        } else {
            labels[c++] = einsum_label(t[i]);
        }
        if (c > ER_MAX_RANK) return er_node_fail(g, n, "equation term '%.*s' has more than %d indices", (int)len, t,
                                                 ER_MAX_RANK);
    }
    *count = c;
    return 0;
}

static int einsum_plan_of(er_graph *g, er_node *n, einsum_plan *p)
{
    const char *eq;
    if (er_attr_string(g, n, "equation", NULL, &eq)) return -1;
    if (!eq) return er_node_fail(g, n, "the equation attribute is required");
    char buf[256];
    size_t len = 0;
    for (const char *s = eq; *s; s++)
        if (*s != ' ') {
            if (len + 1 >= sizeof buf) return er_node_fail(g, n, "equation longer than %d characters", (int)sizeof buf - 1);
            buf[len++] = *s;
        }
    buf[len] = 0;
    memset(p, 0, sizeof *p);
    p->n_ops = n->n_in;
    if (p->n_ops < 1 || p->n_ops > 2) return er_node_fail(g, n, "%d operands: only one or two are supported", p->n_ops);
    const char *arrow = strstr(buf, "->"), *lhs_end = arrow ? arrow : buf + len;
    int32_t terms[2][ER_MAX_RANK], counts[2], n_terms = 0;
    for (const char *t = buf;; t++) {
        const char *comma = memchr(t, ',', (size_t)(lhs_end - t)), *end = comma ? comma : lhs_end;
        if (n_terms == p->n_ops) return er_node_fail(g, n, "equation '%s' has more terms than its %d inputs", eq, p->n_ops);
        if (einsum_term(g, n, t, (size_t)(end - t), terms[n_terms], &counts[n_terms])) return -1;
        n_terms++;
        if (!comma) break;
        t = comma;
    }
    if (n_terms != p->n_ops) return er_node_fail(g, n, "equation '%s' has %d terms for %d inputs", eq, n_terms, p->n_ops);
    /* The ellipsis: e[op] dims of each operand, ell of the output. */
    int32_t e[2] = {0, 0}, ell = 0, has_ell[2] = {0, 0};
    for (int32_t op = 0; op < p->n_ops; op++) {
        const er_tensor *x = er_in(g, n, op);
        for (int32_t i = 0; i < counts[op]; i++) has_ell[op] |= terms[op][i] < 0;
        e[op] = x->rank - (counts[op] - has_ell[op]);
        if (e[op] < 0 || (!has_ell[op] && e[op] != 0))
            return er_node_fail(g, n, "input %d is %d-D but its term '%s' names %d indices", op, x->rank, eq,
                                counts[op] - has_ell[op]);
        if (e[op] > ell) ell = e[op];
    }
    /* Sizes and strides, dimension by dimension. */
    int seen[EINSUM_LABELS] = {0}, uses[EINSUM_LABELS] = {0};
    for (int32_t op = 0; op < p->n_ops; op++) {
        const er_tensor *x = er_in(g, n, op);
        int32_t labels[ER_MAX_RANK], d = 0;
        for (int32_t i = 0; i < counts[op]; i++)
            if (terms[op][i] < 0)
                for (int32_t j = 0; j < e[op]; j++) labels[d++] = EINSUM_LETTERS + ell - e[op] + j;
            else
                labels[d++] = terms[op][i];
        int64_t stride = 1;
        for (d = x->rank - 1; d >= 0; stride *= x->dims[d], d--) {
            const int32_t l = labels[d];
            const int64_t size = x->dims[d];
            uses[l]++;
            p->in_op[op][l] = 1;
            if (l >= EINSUM_LETTERS) { /* broadcast like numpy: a 1 takes the other's size, with stride 0 */
                if (!seen[l] || p->size[l] == 1) p->size[l] = size;
                else if (size != 1 && size != p->size[l])
                    return er_node_fail(g, n, "ellipsis dimensions %lld and %lld do not broadcast", (long long)p->size[l],
                                        (long long)size);
                seen[l] = 1;
                if (size != 1) p->stride[op][l] += stride;
                continue;
            }
            if (seen[l] && p->size[l] != size)
                return er_node_fail(g, n, "index '%c' is %lld in one place and %lld in another",
                                    l < 26 ? 'A' + l : 'a' + l - 26, (long long)p->size[l], (long long)size);
            seen[l] = 1;
            p->size[l] = size;
            p->stride[op][l] += stride;
        }
    }
    /* The output: as written, or ONNX's implicit form (ellipsis, then the
       letters used once, alphabetically). */
    int in_out[EINSUM_LABELS] = {0};
    if (arrow) {
        int32_t out[ER_MAX_RANK], count;
        if (einsum_term(g, n, arrow + 2, strlen(arrow + 2), out, &count)) return -1;
        for (int32_t i = 0; i < count; i++) {
            const int32_t first = out[i] < 0 ? EINSUM_LETTERS : out[i], k = out[i] < 0 ? ell : 1;
            for (int32_t j = 0; j < k; j++) {
                const int32_t l = out[i] < 0 ? first + j : first;
                if (!seen[l]) return er_node_fail(g, n, "equation '%s': output index %d is in no input", eq, i);
                if (in_out[l]) return er_node_fail(g, n, "equation '%s': output index %d is repeated", eq, i);
                if (p->out_rank == ER_MAX_RANK) return er_node_fail(g, n, "output has more than %d dims", ER_MAX_RANK);
                in_out[l] = 1;
                p->out[p->out_rank++] = l;
            }
        }
    } else {
        for (int32_t l = EINSUM_LETTERS; l < EINSUM_LETTERS + ell; l++) in_out[l] = 1, p->out[p->out_rank++] = l;
        for (int32_t l = 0; l < EINSUM_LETTERS; l++)
            if (uses[l] == 1) {
                if (p->out_rank == ER_MAX_RANK) return er_node_fail(g, n, "output has more than %d dims", ER_MAX_RANK);
                in_out[l] = 1;
                p->out[p->out_rank++] = l;
            }
    }
    for (int32_t l = 0; l < EINSUM_LABELS; l++)
        if (seen[l] && !in_out[l]) {
            if (p->sum_rank == ER_MAX_RANK) return er_node_fail(g, n, "more than %d summed indices", ER_MAX_RANK);
            p->sum[p->sum_rank++] = l;
        }
    /* The kernels index in int32. */
    for (int32_t op = 0; op < p->n_ops; op++)
        if (er_in(g, n, op)->count > INT32_MAX) return er_node_fail(g, n, "input %d has more than 2^31 elements", op);
    return 0;
}

int einsum_infer(er_graph *g, er_node *n)
{
    einsum_plan p;
    if (er_check_arity(g, n, 1, 2, 1, 1) || er_check_dtype(g, n, 0, float_only) ||
        (n->n_in > 1 && er_check_dtype(g, n, 1, float_only)) || einsum_plan_of(g, n, &p))
        return -1;
    int64_t dims[ER_MAX_RANK];
    for (int32_t i = 0; i < p.out_rank; i++) dims[i] = p.size[p.out[i]];
    return er_set_output(g, n, 0, ER_DTYPE_FLOAT, p.out_rank, dims);
}

/* A two-operand einsum that is a batched matrix product: with a as A and b
   as B, every label is batch (in both and the output), M (a and output),
   N (b and output) or K (both, summed), at most one each of M, N and K,
   and the output reads batch..., M, N. */
static int einsum_as_gemm(const einsum_plan *p, int32_t a, int32_t b, er_gemm_params *gp)
{
    int32_t m = -1, nl = -1, k = -1, batch = 0, pos = 0;
    for (int32_t i = 0; i < p->sum_rank; i++) {
        const int32_t l = p->sum[i];
        if (!p->in_op[a][l] || !p->in_op[b][l] || k >= 0) return 0;
        k = l;
    }
    for (int32_t i = 0; i < p->out_rank; i++) {
        const int32_t l = p->out[i];
        if (p->in_op[a][l] && p->in_op[b][l]) {
            if (pos > 0) return 0; /* a batch label after M or N */
            gp->batch_dims[batch] = (int32_t)p->size[l];
            gp->a_bstrides[batch] = (int32_t)p->stride[a][l];
            gp->b_bstrides[batch++] = (int32_t)p->stride[b][l];
        } else if (p->in_op[a][l]) {
            if (pos > 0) return 0;
            m = l, pos = 1;
        } else {
            if (pos > 1) return 0;
            nl = l, pos = 2;
        }
    }
    gp->batch_rank = batch;
    gp->m = m >= 0 ? (int32_t)p->size[m] : 1;
    gp->n = nl >= 0 ? (int32_t)p->size[nl] : 1;
    gp->k = k >= 0 ? (int32_t)p->size[k] : 1;
    gp->a_rs = m >= 0 ? (int32_t)p->stride[a][m] : 0;
    gp->a_cs = k >= 0 ? (int32_t)p->stride[a][k] : 0;
    gp->b_rs = k >= 0 ? (int32_t)p->stride[b][k] : 0;
    gp->b_cs = nl >= 0 ? (int32_t)p->stride[b][nl] : 0;
    return 1;
}

int einsum_lower(er_graph *g, er_node *n)
{
    einsum_plan p;
    if (einsum_plan_of(g, n, &p)) return -1;
    const int32_t y = er_out(g, n, 0)->id;
    if (p.n_ops == 2)
        for (int32_t a = 0; a < 2; a++) {
            er_gemm_params gp = {.alpha = 1.0f, .beta = 0.0f, .act = n->act, .act_alpha = n->act_alpha,
                                 .act_beta = n->act_beta};
            if (einsum_as_gemm(&p, a, 1 - a, &gp)) return gemm_lower_with(g, n, &gp, n->in[a], er_in(g, n, 1 - a), -1, y);
        }
    if (n->act != ER_ACT_NONE) return er_node_fail(g, n, "an activation fused into a general Einsum");
    er_einsum_params k = {.out_rank = p.out_rank, .sum_rank = p.sum_rank};
    for (int32_t i = 0; i < p.out_rank; i++) {
        const int32_t l = p.out[i];
        k.out_dims[i] = (int32_t)p.size[l];
        k.a_out[i] = (int32_t)p.stride[0][l];
        k.b_out[i] = p.n_ops > 1 ? (int32_t)p.stride[1][l] : 0;
    }
    for (int32_t j = 0; j < p.sum_rank; j++) {
        const int32_t l = p.sum[j];
        k.sum_dims[j] = (int32_t)p.size[l];
        k.a_sum[j] = (int32_t)p.stride[0][l];
        k.b_sum[j] = p.n_ops > 1 ? (int32_t)p.stride[1][l] : 0;
    }
    return ER_CALL(g, n, ERK_er_f32_einsum, k, n->in[0], p.n_ops > 1 ? n->in[1] : -1, y);
}
