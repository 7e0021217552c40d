/* op_norm.c - BatchNormalization (when not folded into a Conv),
   InstanceNormalization, LayerNormalization and LRN. */
#include "ops.h"

static const int32_t float_only[] = {ER_DTYPE_FLOAT, 0};

/* X viewed as [n, c, inner]; every per-channel input must have c elements. */
static int channel_plan(er_graph *g, er_node *n, int32_t first_param, int32_t last_param, er_norm_params *p)
{
    er_tensor *x = er_in(g, n, 0);
    if (x->rank < 2) return er_node_fail(g, n, "X must be at least 2-D (N, C, ...), is %d-D", x->rank);
    p->n = (int32_t)x->dims[0];
    p->c = (int32_t)x->dims[1];
    p->inner = (int32_t)(p->n && p->c ? x->count / ((int64_t)p->n * p->c) : 0);
    for (int32_t i = first_param; i <= last_param; i++) {
        if (er_check_dtype(g, n, i, float_only)) return -1;
        er_tensor *t = er_in(g, n, i);
        if (t->count != p->c)
            return er_node_fail(g, n, "input %d '%s' has %lld elements, X has %d channels", i, t->name,
                                (long long)t->count, p->c);
    }
    return er_attr_float(g, n, "epsilon", 1e-5f, &p->epsilon);
}

int batchnorm_infer(er_graph *g, er_node *n)
{
    er_norm_params p;
    int64_t training = 0;
    if (er_check_arity(g, n, 5, 5, 1, 5) || er_check_dtype(g, n, 0, float_only) || channel_plan(g, n, 1, 4, &p) ||
        er_attr_int(g, n, "training_mode", 0, &training))
        return -1;
    if (training || (n->n_out > 1 && n->out[1] >= 0))
        return er_node_fail(g, n, "training mode (batch statistics, running mean/var outputs) is not supported");
    er_tensor *x = er_in(g, n, 0);
    return er_set_output(g, n, 0, ER_DTYPE_FLOAT, x->rank, x->dims);
}

int batchnorm_lower(er_graph *g, er_node *n)
{
    er_norm_params p;
    if (channel_plan(g, n, 1, 4, &p)) return -1;
    return ER_CALL(g, n, ERK_er_f32_batchnorm, p, n->in[0], n->in[1], n->in[2], n->in[3], n->in[4], n->out[0]);
}

int instancenorm_infer(er_graph *g, er_node *n)
{
    er_norm_params p;
    if (er_check_arity(g, n, 3, 3, 1, 1) || er_check_dtype(g, n, 0, float_only) || channel_plan(g, n, 1, 2, &p))
        return -1;
    er_tensor *x = er_in(g, n, 0);
    return er_set_output(g, n, 0, ER_DTYPE_FLOAT, x->rank, x->dims);
}

int instancenorm_lower(er_graph *g, er_node *n)
{
    er_norm_params p;
    if (channel_plan(g, n, 1, 2, &p)) return -1;
    return ER_CALL(g, n, ERK_er_f32_instancenorm, p, n->in[0], n->in[1], n->in[2], n->out[0]);
}

static int lrn_plan(er_graph *g, er_node *n, er_lrn_params *p)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t size;
    if (x->rank < 2) return er_node_fail(g, n, "X must be at least 2-D");
    if (er_attr_int(g, n, "size", 0, &size) || er_attr_float(g, n, "alpha", 1e-4f, &p->alpha) ||
        er_attr_float(g, n, "beta", 0.75f, &p->beta) || er_attr_float(g, n, "bias", 1.0f, &p->bias))
        return -1;
    if (size < 1 || size > 65536) return er_node_fail(g, n, "size %lld is invalid", (long long)size);
    p->size = (int32_t)size;
    p->n = (int32_t)x->dims[0];
    p->c = (int32_t)x->dims[1];
    p->inner = (int32_t)(p->n && p->c ? x->count / ((int64_t)p->n * p->c) : 0);
    return 0;
}

int lrn_infer(er_graph *g, er_node *n)
{
    er_lrn_params p;
    if (er_check_arity(g, n, 1, 1, 1, 1) || er_check_dtype(g, n, 0, float_only) || lrn_plan(g, n, &p)) return -1;
    er_tensor *x = er_in(g, n, 0);
    return er_set_output(g, n, 0, ER_DTYPE_FLOAT, x->rank, x->dims);
}

int lrn_lower(er_graph *g, er_node *n)
{
    er_lrn_params p;
    if (lrn_plan(g, n, &p)) return -1;
    return ER_CALL(g, n, ERK_er_f32_lrn, p, n->in[0], n->out[0]);
}

/* ---- LayerNormalization (opset 17) ---- */

/* A Scale or B that broadcasts to X[axis:] from its trailing dims repeats with
   a period of its element count along each normalised row. */
static int row_period(er_graph *g, er_node *n, int32_t input, int32_t axis, int32_t *period)
{
    er_tensor *x = er_in(g, n, 0), *t = er_in(g, n, input);
    if (er_check_dtype(g, n, input, float_only)) return -1;
    int32_t lead = 0;
    while (lead < t->rank && t->dims[lead] == 1 && t->rank - lead > 0) lead++;
    int32_t k = t->rank - lead;
    if (k > x->rank - axis) return er_node_fail(g, n, "input %d '%s' has more dims than X[%d:]", input, t->name, axis);
    for (int32_t i = 0; i < k; i++)
        if (t->dims[lead + i] != x->dims[x->rank - k + i])
            return er_node_fail(g, n, "input %d '%s' does not broadcast to the normalised dims of X", input, t->name);
    *period = (int32_t)(t->count ? t->count : 1);
    return 0;
}

static int layernorm_plan(er_graph *g, er_node *n, er_layernorm_params *p, int32_t *axis_out)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t axis, stash;
    int32_t axis32;
    if (er_attr_int(g, n, "axis", -1, &axis) || er_attr_int(g, n, "stash_type", 1, &stash) ||
        er_attr_float(g, n, "epsilon", 1e-5f, &p->epsilon) || er_axis(g, n, axis, x->rank, "axis", &axis32))
        return -1;
    if (stash != 1) return er_node_fail(g, n, "stash_type %lld: only float32 statistics are supported", (long long)stash);
    int64_t outer = 1;
    for (int32_t i = 0; i < axis32; i++) outer *= x->dims[i];
    p->outer = (int32_t)outer;
    p->inner = (int32_t)(outer ? x->count / outer : 0);
    if (row_period(g, n, 1, axis32, &p->scale_n)) return -1;
    p->bias_n = 1;
    if (er_in(g, n, 2) && row_period(g, n, 2, axis32, &p->bias_n)) return -1;
    *axis_out = axis32;
    return 0;
}

int layernorm_infer(er_graph *g, er_node *n)
{
    er_layernorm_params p = {0};
    int32_t axis;
    if (er_check_arity(g, n, 2, 3, 1, 3) || er_check_dtype(g, n, 0, float_only) || layernorm_plan(g, n, &p, &axis))
        return -1;
    er_tensor *x = er_in(g, n, 0);
    if (er_set_output(g, n, 0, ER_DTYPE_FLOAT, x->rank, x->dims)) return -1;
    /* Mean and InvStdDev: X's dims before the axis, 1 for each normalised one. */
    int64_t dims[ER_MAX_RANK];
    for (int32_t i = 0; i < x->rank; i++) dims[i] = i < axis ? x->dims[i] : 1;
    for (int32_t o = 1; o < 3; o++)
        if (er_out(g, n, o) && er_set_output(g, n, o, ER_DTYPE_FLOAT, x->rank, dims)) return -1;
    return 0;
}

int layernorm_lower(er_graph *g, er_node *n)
{
    er_layernorm_params p = {0};
    int32_t axis;
    if (layernorm_plan(g, n, &p, &axis)) return -1;
    int32_t bias = er_in(g, n, 2) ? n->in[2] : -1;
    int32_t mean = er_out(g, n, 1) ? n->out[1] : -1, inv_std = er_out(g, n, 2) ? n->out[2] : -1;
    return ER_CALL(g, n, ERK_er_f32_layernorm, p, n->in[0], n->in[1], bias, n->out[0], mean, inv_std);
}
