/* op_pool.c - MaxPool, AveragePool and their global forms. */
#include <string.h>

#include "ops.h"

static const int32_t float_only[] = {ER_DTYPE_FLOAT, 0};

static int pool_plan(er_graph *g, er_node *n, er_pool_params *p, int64_t *out_dims)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t ks[3], st[3], dl[3], pads[6], ceil_mode, include_pad;
    int32_t n_ks, n_st, n_dl, n_pads;
    const char *auto_pad;
    if (x->rank < 3 || x->rank > 5) return er_node_fail(g, n, "X must be 3-D to 5-D, is %d-D", x->rank);
    int32_t nsp = x->rank - 2;
    if (er_attr_ints(g, n, "kernel_shape", ks, 3, &n_ks) || er_attr_ints(g, n, "strides", st, 3, &n_st) ||
        er_attr_ints(g, n, "dilations", dl, 3, &n_dl) || er_attr_ints(g, n, "pads", pads, 6, &n_pads) ||
        er_attr_int(g, n, "ceil_mode", 0, &ceil_mode) || er_attr_int(g, n, "count_include_pad", 0, &include_pad) ||
        er_attr_string(g, n, "auto_pad", "NOTSET", &auto_pad))
        return -1;
    if (n_ks != nsp) return er_node_fail(g, n, "kernel_shape must have %d values", nsp);
    if ((n_st >= 0 && n_st != nsp) || (n_dl >= 0 && n_dl != nsp) || (n_pads >= 0 && n_pads != 2 * nsp))
        return er_node_fail(g, n, "strides/dilations/pads do not match %d spatial dims", nsp);
    memset(p, 0, sizeof *p);
    p->nsp = nsp;
    p->count_include_pad = (int32_t)include_pad;
    int64_t planes = x->dims[0] * x->dims[1];
    p->planes = (int32_t)planes;
    for (int32_t i = 0; i < nsp; i++) {
        int64_t in = x->dims[2 + i], k = ks[i], s = n_st >= 0 ? st[i] : 1, d = n_dl >= 0 ? dl[i] : 1;
        int64_t pb = n_pads >= 0 ? pads[i] : 0, pe = n_pads >= 0 ? pads[i + nsp] : 0, out;
        if (k < 1 || s < 1 || d < 1 || pb < 0 || pe < 0 || k > 65536 || s > 65536 || d > 65536 || pb > 65536 || pe > 65536)
            return er_node_fail(g, n, "invalid kernel %lld, stride %lld, dilation %lld or pads on axis %d", (long long)k,
                                (long long)s, (long long)d, i);
        int64_t span = (k - 1) * d + 1;
        if (pb >= span || pe >= span) /* a window entirely in padding has nothing to pool */
            return er_node_fail(g, n, "pads %lld/%lld are not smaller than the kernel on axis %d", (long long)pb, (long long)pe, i);
        if (!strcmp(auto_pad, "NOTSET")) {
            int64_t avail = in + pb + pe - span;
            if (avail < 0) return er_node_fail(g, n, "kernel span %lld exceeds padded input on axis %d", (long long)span, i);
            out = (ceil_mode ? (avail + s - 1) / s : avail / s) + 1;
            /* The last window must start inside the input or its left padding. */
            if (ceil_mode && (out - 1) * s >= in + pb) out--;
        } else if (!strcmp(auto_pad, "VALID")) {
            pb = pe = 0;
            if (in < span) return er_node_fail(g, n, "kernel span exceeds the input on axis %d", i);
            out = (in - span) / s + 1;
        } else if (!strcmp(auto_pad, "SAME_UPPER") || !strcmp(auto_pad, "SAME_LOWER")) {
            out = (in + s - 1) / s;
            int64_t total = (out - 1) * s + span - in;
            if (total < 0) total = 0;
            pb = auto_pad[5] == 'U' ? total / 2 : total - total / 2;
            pe = total - pb;
        } else {
            return er_node_fail(g, n, "auto_pad '%s' is not supported", auto_pad);
        }
        p->x_dims[i] = (int32_t)in;
        p->y_dims[i] = (int32_t)out;
        p->k[i] = (int32_t)k;
        p->stride[i] = (int32_t)s;
        p->dilation[i] = (int32_t)d;
        p->pad[i] = (int32_t)pb;
        p->pad_end[i] = (int32_t)pe;
        out_dims[2 + i] = out;
    }
    out_dims[0] = x->dims[0];
    out_dims[1] = x->dims[1];
    return 0;
}

int pool_infer(er_graph *g, er_node *n)
{
    er_pool_params p;
    int64_t dims[5];
    if (er_check_arity(g, n, 1, 1, 1, 2) || er_check_dtype(g, n, 0, float_only)) return -1;
    if (n->n_out > 1 && n->out[1] >= 0) return er_node_fail(g, n, "the Indices output is not supported");
    if (pool_plan(g, n, &p, dims)) return -1;
    return er_set_output(g, n, 0, ER_DTYPE_FLOAT, er_in(g, n, 0)->rank, dims);
}

int pool_lower(er_graph *g, er_node *n)
{
    er_pool_params p;
    int64_t dims[5];
    if (pool_plan(g, n, &p, dims)) return -1;
    /* A window that is the whole unpadded plane (ResNets' final pooling) is
       a global pooling, which the reduction kernel does in one pass. */
    int whole = n->n_out == 1;
    for (int32_t i = 0; i < p.nsp; i++)
        whole &= p.k[i] == p.x_dims[i] && p.y_dims[i] == 1 && p.pad[i] == 0 && p.pad_end[i] == 0 && p.dilation[i] == 1;
    if (whole && !g->reference_kernels) {
        int64_t size = 1;
        for (int32_t i = 0; i < p.nsp; i++) size *= p.x_dims[i];
        er_gpool_params gp = {.planes = p.planes, .size = (int32_t)size};
        int32_t gk = n->op == ER_OP_MaxPool ? ERK_er_f32_global_maxpool : ERK_er_f32_global_avgpool;
        return ER_CALL(g, n, gk, gp, n->in[0], n->out[0]);
    }
    const int vec = !g->reference_kernels && p.nsp == 2 && p.dilation[0] == 1 && p.dilation[1] == 1 &&
                    p.stride[0] >= 1 && p.stride[1] >= 1 && p.stride[1] <= 2;
    int32_t k = n->op == ER_OP_MaxPool ? (vec ? ERK_er_f32_maxpool2d__vec128 : ERK_er_f32_maxpool__scalar)
                                       : (vec ? ERK_er_f32_avgpool2d__vec128 : ERK_er_f32_avgpool__scalar);
    return ER_CALL(g, n, k, p, n->in[0], n->out[0]);
}

int global_pool_infer(er_graph *g, er_node *n)
{
    if (er_check_arity(g, n, 1, 1, 1, 1) || er_check_dtype(g, n, 0, float_only)) return -1;
    er_tensor *x = er_in(g, n, 0);
    if (x->rank < 2) return er_node_fail(g, n, "X must be at least 2-D");
    int64_t dims[ER_MAX_RANK];
    for (int32_t i = 0; i < x->rank; i++) dims[i] = i < 2 ? x->dims[i] : 1;
    return er_set_output(g, n, 0, ER_DTYPE_FLOAT, x->rank, dims);
}

int global_pool_lower(er_graph *g, er_node *n)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t planes = x->dims[0] * x->dims[1];
    er_gpool_params p = {.planes = (int32_t)planes, .size = (int32_t)(planes ? x->count / planes : 0)};
    int32_t k = n->op == ER_OP_GlobalMaxPool ? ERK_er_f32_global_maxpool : ERK_er_f32_global_avgpool;
    return ER_CALL(g, n, k, p, x->id, n->out[0]);
}
