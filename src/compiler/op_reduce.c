/* op_reduce.c - ReduceSum/Mean/Max/Prod/SumSquare/L2, ArgMax, CumSum and Softmax/LogSoftmax. */
#include <string.h>

#include "ops.h"

static const int32_t float_only[] = {ER_DTYPE_FLOAT, 0};

/* Which axes reduce; *identity when noop_with_empty_axes asks for a copy. */
static int reduce_axes(er_graph *g, er_node *n, int reduce[ER_MAX_RANK], int *identity)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t axes[ER_MAX_RANK], noop;
    int32_t count;
    /* The axes moved from attribute to input: ReduceSum at opset 13, the others at 18. */
    int axes_input = n->opset >= (n->op == ER_OP_ReduceSum ? 13 : 18);
    if (er_attr_int(g, n, "noop_with_empty_axes", 0, &noop)) return -1;
    if (axes_input ? er_input_ints(g, n, 1, "axes", axes, ER_MAX_RANK, &count)
                   : er_attr_ints(g, n, "axes", axes, ER_MAX_RANK, &count))
        return -1;
    *identity = count <= 0 && noop;
    for (int32_t i = 0; i < x->rank; i++) reduce[i] = count <= 0 && !noop;
    for (int32_t i = 0; i < count; i++) {
        int32_t a;
        if (er_axis(g, n, axes[i], x->rank, "axis", &a)) return -1;
        reduce[a] = 1;
    }
    return 0;
}

int reduce_infer(er_graph *g, er_node *n)
{
    int reduce[ER_MAX_RANK], identity;
    int64_t keepdims, dims[ER_MAX_RANK];
    if (er_check_arity(g, n, 1, 2, 1, 1) || er_check_dtype(g, n, 0, float_only) ||
        er_attr_int(g, n, "keepdims", 1, &keepdims) || reduce_axes(g, n, reduce, &identity))
        return -1;
    er_tensor *x = er_in(g, n, 0);
    int32_t rank = 0;
    for (int32_t i = 0; i < x->rank; i++) {
        if (!reduce[i]) dims[rank++] = x->dims[i];
        else if (keepdims) dims[rank++] = 1;
    }
    if (identity) return er_set_output(g, n, 0, x->dtype, x->rank, x->dims);
    return er_set_output(g, n, 0, x->dtype, rank, dims);
}

int reduce_lower(er_graph *g, er_node *n)
{
    int reduce[ER_MAX_RANK], identity;
    if (reduce_axes(g, n, reduce, &identity)) return -1;
    er_tensor *x = er_in(g, n, 0), *y = er_out(g, n, 0);
    if (identity) return er_lower_copy(g, n, x->id, y->id);
    int64_t xs[ER_MAX_RANK];
    er_strides(x, xs);
    er_reduce_params p = {.rank = x->rank};
    for (int32_t i = 0; i < x->rank; i++) {
        p.y_dims[i] = reduce[i] ? 1 : (int32_t)x->dims[i];
        p.r_dims[i] = reduce[i] ? (int32_t)x->dims[i] : 1;
        p.x_strides[i] = (int32_t)xs[i];
    }
    if (x->rank == 0) { /* a scalar reduces to itself */
        p.rank = 1;
        p.y_dims[0] = p.r_dims[0] = 1;
    }
    int32_t k = n->op == ER_OP_ReduceSum ? ERK_er_f32_reduce_sum
                : n->op == ER_OP_ReduceMean ? ERK_er_f32_reduce_mean
                : n->op == ER_OP_ReduceSumSquare ? ERK_er_f32_reduce_sum_square
                : n->op == ER_OP_ReduceL2 ? ERK_er_f32_reduce_l2
                : n->op == ER_OP_ReduceProd ? ERK_er_f32_reduce_prod : ERK_er_f32_reduce_max;
    return ER_CALL(g, n, k, p, x->id, y->id);
}

static int softmax_plan(er_graph *g, er_node *n, er_softmax_params *p)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t axis;
    int32_t a;
    if (er_attr_int(g, n, "axis", n->opset < 13 ? 1 : -1, &axis)) return -1;
    if (x->rank == 0) return er_node_fail(g, n, "input must not be a scalar");
    if (er_axis(g, n, axis, x->rank, "axis", &a)) return -1;
    int64_t outer = 1, len = 1, inner = 1;
    for (int32_t i = 0; i < x->rank; i++) {
        /* Before opset 13 the input is coerced to 2-D at `axis`. */
        if (i < a) outer *= x->dims[i];
        else if (i == a || n->opset < 13) len *= x->dims[i];
        else inner *= x->dims[i];
    }
    p->outer = (int32_t)outer;
    p->axis_len = (int32_t)len;
    p->inner = (int32_t)inner;
    return 0;
}

int softmax_infer(er_graph *g, er_node *n)
{
    er_softmax_params p;
    if (er_check_arity(g, n, 1, 1, 1, 1) || er_check_dtype(g, n, 0, float_only) || softmax_plan(g, n, &p)) return -1;
    er_tensor *x = er_in(g, n, 0);
    return er_set_output(g, n, 0, x->dtype, x->rank, x->dims);
}

int softmax_lower(er_graph *g, er_node *n)
{
    er_softmax_params p;
    if (softmax_plan(g, n, &p)) return -1;
    int32_t k = n->op == ER_OP_Softmax ? ERK_er_f32_softmax : ERK_er_f32_logsoftmax;
    return ER_CALL(g, n, k, p, n->in[0], n->out[0]);
}

/* ---- ArgMax ---- */

static int argmax_plan(er_graph *g, er_node *n, er_argmax_params *p, int32_t *axis_out, int64_t *keepdims)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t axis, last;
    int32_t a;
    if (er_attr_int(g, n, "axis", 0, &axis) || er_attr_int(g, n, "keepdims", 1, keepdims) ||
        er_attr_int(g, n, "select_last_index", 0, &last) || er_axis(g, n, axis, x->rank, "axis", &a))
        return -1;
    if (x->dims[a] == 0) return er_node_fail(g, n, "the axis is empty: no index to return");
    int64_t outer = 1, inner = 1;
    for (int32_t i = 0; i < a; i++) outer *= x->dims[i];
    for (int32_t i = a + 1; i < x->rank; i++) inner *= x->dims[i];
    p->outer = (int32_t)outer;
    p->axis_len = (int32_t)x->dims[a];
    p->inner = (int32_t)inner;
    p->last = last != 0;
    *axis_out = a;
    return 0;
}

int argmax_infer(er_graph *g, er_node *n)
{
    er_argmax_params p;
    int32_t axis;
    int64_t keepdims, dims[ER_MAX_RANK];
    if (er_check_arity(g, n, 1, 1, 1, 1) || er_check_dtype(g, n, 0, float_only)) return -1;
    er_tensor *x = er_in(g, n, 0);
    if (x->rank < 1) return er_node_fail(g, n, "X must be at least 1-D");
    if (argmax_plan(g, n, &p, &axis, &keepdims)) return -1;
    int32_t rank = 0;
    for (int32_t i = 0; i < x->rank; i++) {
        if (i != axis) dims[rank++] = x->dims[i];
        else if (keepdims) dims[rank++] = 1;
    }
    return er_set_output(g, n, 0, ER_DTYPE_INT64, rank, dims);
}

int argmax_lower(er_graph *g, er_node *n)
{
    er_argmax_params p;
    int32_t axis;
    int64_t keepdims;
    if (argmax_plan(g, n, &p, &axis, &keepdims)) return -1;
    return ER_CALL(g, n, ERK_er_f32_argmax, p, n->in[0], n->out[0]);
}

/* ---- CumSum ---- */

static const int32_t cumsum_types[] = {ER_DTYPE_FLOAT, ER_DTYPE_DOUBLE, ER_DTYPE_INT32, ER_DTYPE_INT64, 0};

static int cumsum_plan(er_graph *g, er_node *n, er_cumsum_params *p)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t axis, exclusive, reverse;
    int32_t count, a;
    if (er_input_ints(g, n, 1, "axis", &axis, 1, &count) || er_attr_int(g, n, "exclusive", 0, &exclusive) ||
        er_attr_int(g, n, "reverse", 0, &reverse))
        return -1;
    if (count != 1) return er_node_fail(g, n, "axis must be one integer");
    if (er_axis(g, n, axis, x->rank, "axis", &a)) return -1;
    int64_t outer = 1, inner = 1;
    for (int32_t i = 0; i < a; i++) outer *= x->dims[i];
    for (int32_t i = a + 1; i < x->rank; i++) inner *= x->dims[i];
    p->outer = (int32_t)outer;
    p->len = (int32_t)x->dims[a];
    p->inner = (int32_t)inner;
    p->exclusive = exclusive != 0;
    p->reverse = reverse != 0;
    return 0;
}

int cumsum_infer(er_graph *g, er_node *n)
{
    er_cumsum_params p;
    if (er_check_arity(g, n, 2, 2, 1, 1) || er_check_dtype(g, n, 0, cumsum_types)) return -1;
    er_tensor *x = er_in(g, n, 0);
    if (x->rank < 1) return er_node_fail(g, n, "X must be at least 1-D");
    if (cumsum_plan(g, n, &p)) return -1;
    return er_set_output(g, n, 0, x->dtype, x->rank, x->dims);
}

int cumsum_lower(er_graph *g, er_node *n)
{
    er_cumsum_params p;
    if (cumsum_plan(g, n, &p)) return -1;
    int32_t dtype = er_in(g, n, 0)->dtype;
    int32_t k = dtype == ER_DTYPE_FLOAT ? ERK_er_f32_cumsum : dtype == ER_DTYPE_DOUBLE ? ERK_er_f64_cumsum
              : dtype == ER_DTYPE_INT32 ? ERK_er_i32_cumsum : ERK_er_i64_cumsum;
    return ER_CALL(g, n, k, p, n->in[0], n->out[0]);
}
