/* op_shape.c - operators that only describe shapes: constants, Shape, and
   views (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout), which
   rename bytes without moving them and therefore lower to no call at all. */
#include <math.h>
#include <string.h>

#include "ops.h"

int view_lower(er_graph *g, er_node *n)
{
    (void)g;
    (void)n;
    return 0; /* infer made every output a view of its input */
}

int constant_infer(er_graph *g, er_node *n)
{
    if (er_check_arity(g, n, 0, 0, 1, 1)) return -1;
    if (n->n_attrs != 1) return er_node_fail(g, n, "needs exactly one value attribute, has %d", n->n_attrs);
    const onnx_attr *a = &n->attrs[0];
    er_tensor *y = er_out(g, n, 0);
    int64_t dims[1];
    if (!strcmp(a->name, "value")) {
        if (a->type != ONNX_ATTR_TENSOR || !a->t) return er_node_fail(g, n, "attribute 'value' must be a tensor");
        return er_tensor_from_onnx(g, y, a->t);
    }
    if (!strcmp(a->name, "value_float") || !strcmp(a->name, "value_int")) {
        int is_float = a->name[6] == 'f';
        if (a->type != (is_float ? ONNX_ATTR_FLOAT : ONNX_ATTR_INT))
            return er_node_fail(g, n, "attribute '%s' has type %s", a->name, onnx_attr_type_name(a->type));
        if (er_tensor_set_shape(g, y, is_float ? ER_DTYPE_FLOAT : ER_DTYPE_INT64, 0, dims)) return -1;
        return er_tensor_set_const(g, y, is_float ? (const void *)&a->f : (const void *)&a->i);
    }
    if (!strcmp(a->name, "value_floats") || !strcmp(a->name, "value_ints")) {
        int is_float = a->name[6] == 'f';
        if (a->type != (is_float ? ONNX_ATTR_FLOATS : ONNX_ATTR_INTS))
            return er_node_fail(g, n, "attribute '%s' has type %s", a->name, onnx_attr_type_name(a->type));
        dims[0] = is_float ? a->n_floats : a->n_ints;
        if (er_tensor_set_shape(g, y, is_float ? ER_DTYPE_FLOAT : ER_DTYPE_INT64, 1, dims)) return -1;
        return er_tensor_set_const(g, y, is_float ? (const void *)a->floats : (const void *)a->ints);
    }
    return er_node_fail(g, n, "attribute '%s' is not supported (strings and sparse tensors are not)", a->name);
}

int constantofshape_infer(er_graph *g, er_node *n)
{
    int64_t dims[ER_MAX_RANK];
    int32_t rank;
    if (er_check_arity(g, n, 1, 1, 1, 1) ||
        er_input_ints(g, n, 0, "shape", dims, ER_MAX_RANK, &rank))
        return -1;
    const onnx_attr *a = er_attr(n, "value");
    float zero = 0.0f;
    int32_t dtype = ER_DTYPE_FLOAT;
    const void *value = &zero;
    if (a) {
        if (a->type != ONNX_ATTR_TENSOR || !a->t) return er_node_fail(g, n, "attribute 'value' must be a tensor");
        int32_t tmp = er_tensor_new(g, "value");
        if (tmp < 0 || er_tensor_from_onnx(g, er_t(g, tmp), a->t)) return -1;
        er_tensor *v = er_t(g, tmp);
        if (v->count != 1) return er_node_fail(g, n, "attribute 'value' must hold one element, has %lld", (long long)v->count);
        dtype = v->dtype;
        value = v->data;
    }
    er_tensor *y = er_out(g, n, 0);
    if (er_set_output(g, n, 0, dtype, rank, dims)) return -1;
    return er_tensor_set_splat(g, y, value);
}

int shape_infer(er_graph *g, er_node *n)
{
    if (er_check_arity(g, n, 1, 1, 1, 1)) return -1;
    er_tensor *x = er_in(g, n, 0);
    int64_t start, end, r = x->rank;
    if (er_attr_int(g, n, "start", 0, &start) || er_attr_int(g, n, "end", r, &end)) return -1;
    /* opset 15: negative counts from the back, then clamp to [0, rank]. */
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    int64_t dims[1] = {end > start ? end - start : 0};
    if (er_set_output(g, n, 0, ER_DTYPE_INT64, 1, dims)) return -1;
    return er_tensor_set_const(g, er_out(g, n, 0), x->dims + start);
}

int identity_infer(er_graph *g, er_node *n)
{
    /* Identity; Dropout in inference (or training with ratio 0), whose optional mask output is all true. */
    if (er_check_arity(g, n, 1, n->op == ER_OP_Dropout ? 3 : 1, 1, n->op == ER_OP_Dropout ? 2 : 1)) return -1;
    er_tensor *x = er_in(g, n, 0);
    if (n->op == ER_OP_Dropout) {
        int64_t training = 0;
        er_tensor *t = er_in(g, n, 2);
        if (t) {
            const uint8_t *v = er_const_data(g, t);
            if (!v || t->dtype != ER_DTYPE_BOOL || t->count != 1)
                return er_node_fail(g, n, "training_mode must be a constant bool");
            training = v[0];
        }
        if (training) {
            /* Training mode with ratio 0 drops nothing and scales by 1: the identity.
               Exporters leave such nodes in (swin_t has 24). */
            double ratio = 0.5;
            int32_t count;
            if (er_in(g, n, 1) && er_input_floats(g, n, 1, "ratio", &ratio, 1, &count)) return -1;
            if (ratio != 0.0)
                return er_node_fail(g, n, "training mode with ratio %g drops elements at random: edgerun compiles inference",
                                    ratio);
        }
        if (er_out(g, n, 1)) {
            uint8_t one = 1;
            if (er_set_output(g, n, 1, ER_DTYPE_BOOL, x->rank, x->dims) || er_tensor_set_splat(g, er_out(g, n, 1), &one))
                return -1;
        }
    }
    return er_set_view(g, n, 0, 0, x->rank, x->dims);
}

int reshape_infer(er_graph *g, er_node *n)
{
    int64_t shape[ER_MAX_RANK], allowzero = 0;
    int32_t rank;
    er_tensor *x;
    if (er_check_arity(g, n, n->opset < 5 ? 1 : 2, 2, 1, 1)) return -1;
    x = er_in(g, n, 0);
    if (n->opset < 5) {
        if (er_attr_ints(g, n, "shape", shape, ER_MAX_RANK, &rank)) return -1;
        if (rank < 0) return er_node_fail(g, n, "attribute 'shape' is required");
    } else if (er_input_ints(g, n, 1, "shape", shape, ER_MAX_RANK, &rank)) {
        return -1;
    }
    if (er_attr_int(g, n, "allowzero", 0, &allowzero)) return -1;
    int64_t known = 1;
    int32_t infer_at = -1;
    for (int32_t i = 0; i < rank; i++) {
        if (shape[i] == 0 && !allowzero) {
            if (i >= x->rank) return er_node_fail(g, n, "shape[%d] = 0 copies a dimension the input (rank %d) lacks", i, x->rank);
            shape[i] = x->dims[i];
        }
        if (shape[i] == -1) {
            if (infer_at >= 0) return er_node_fail(g, n, "shape has more than one -1");
            infer_at = i;
            continue;
        }
        if (shape[i] < 0) return er_node_fail(g, n, "shape[%d] = %lld is invalid", i, (long long)shape[i]);
        if (er_mul_i64(known, shape[i], &known)) return er_node_fail(g, n, "shape overflows");
    }
    if (infer_at >= 0) {
        if (known == 0 || x->count % known)
            return er_node_fail(g, n, "cannot infer the -1 in the shape: %lld elements do not divide by %lld",
                                (long long)x->count, (long long)known);
        shape[infer_at] = x->count / known;
    }
    return er_set_view(g, n, 0, 0, rank, shape);
}

int flatten_infer(er_graph *g, er_node *n)
{
    int64_t axis;
    int32_t a;
    if (er_check_arity(g, n, 1, 1, 1, 1) || er_attr_int(g, n, "axis", 1, &axis)) return -1;
    er_tensor *x = er_in(g, n, 0);
    if (axis == x->rank) {
        a = x->rank;
    } else if (er_axis(g, n, axis, x->rank, "axis", &a)) {
        return -1;
    }
    int64_t dims[2] = {1, 1};
    for (int32_t i = 0; i < x->rank; i++) dims[i < a ? 0 : 1] *= x->dims[i];
    return er_set_view(g, n, 0, 0, 2, dims);
}

/* Axes from the attribute (before opset 13) or the second input. */
static int axes_of(er_graph *g, er_node *n, int64_t *axes, int32_t *count)
{
    if (n->opset < 13) return er_attr_ints(g, n, "axes", axes, ER_MAX_RANK, count);
    return er_input_ints(g, n, 1, "axes", axes, ER_MAX_RANK, count);
}

int squeeze_infer(er_graph *g, er_node *n)
{
    int64_t axes[ER_MAX_RANK], dims[ER_MAX_RANK];
    int32_t n_axes, rank = 0;
    int drop[ER_MAX_RANK] = {0};
    if (er_check_arity(g, n, 1, 2, 1, 1) || axes_of(g, n, axes, &n_axes)) return -1;
    er_tensor *x = er_in(g, n, 0);
    for (int32_t i = 0; i < n_axes; i++) {
        int32_t a;
        if (er_axis(g, n, axes[i], x->rank, "axis", &a)) return -1;
        if (x->dims[a] != 1) return er_node_fail(g, n, "cannot squeeze axis %d of size %lld", a, (long long)x->dims[a]);
        drop[a] = 1;
    }
    for (int32_t i = 0; i < x->rank; i++)
        if (!(n_axes < 0 ? x->dims[i] == 1 : drop[i])) dims[rank++] = x->dims[i];
    return er_set_view(g, n, 0, 0, rank, dims);
}

int unsqueeze_infer(er_graph *g, er_node *n)
{
    int64_t axes[ER_MAX_RANK], dims[ER_MAX_RANK];
    int32_t n_axes;
    int insert[ER_MAX_RANK] = {0};
    if (er_check_arity(g, n, 1, 2, 1, 1) || axes_of(g, n, axes, &n_axes)) return -1;
    if (n_axes < 0) return er_node_fail(g, n, "axes are required");
    er_tensor *x = er_in(g, n, 0);
    int32_t rank = x->rank + n_axes;
    if (rank > ER_MAX_RANK) return er_node_fail(g, n, "output rank %d exceeds %d", rank, ER_MAX_RANK);
    for (int32_t i = 0; i < n_axes; i++) {
        int32_t a;
        if (er_axis(g, n, axes[i], rank, "axis", &a)) return -1;
        if (insert[a]) return er_node_fail(g, n, "axis %d appears twice", a);
        insert[a] = 1;
    }
    for (int32_t i = 0, k = 0; i < rank; i++) dims[i] = insert[i] ? 1 : x->dims[k++];
    return er_set_view(g, n, 0, 0, rank, dims);
}

/* Range: its length depends on its values, so with static shapes it is always
   a constant, computed here: start + i * delta for i < max(ceil((limit - start) / delta), 0). */
int range_infer(er_graph *g, er_node *n)
{
    static const int32_t range_types[] = {ER_DTYPE_FLOAT, ER_DTYPE_DOUBLE, ER_DTYPE_INT16, ER_DTYPE_INT32,
                                          ER_DTYPE_INT64, 0};
    if (er_check_arity(g, n, 3, 3, 1, 1)) return -1;
    double v[3];
    int64_t iv[3];
    int32_t dtype = er_in(g, n, 0) ? er_in(g, n, 0)->dtype : 0;
    for (int32_t i = 0; i < 3; i++) {
        int32_t count;
        if (er_check_dtype(g, n, i, range_types)) return -1;
        if (er_in(g, n, i)->dtype != dtype) return er_node_fail(g, n, "start, limit and delta differ in type");
        if (er_in(g, n, i)->count != 1) return er_node_fail(g, n, "input %d must be a scalar", i);
        if (dtype == ER_DTYPE_FLOAT || dtype == ER_DTYPE_DOUBLE) {
            if (er_input_floats(g, n, i, "start, limit and delta", &v[i], 1, &count)) return -1;
        } else {
            if (er_input_ints(g, n, i, "start, limit and delta", &iv[i], 1, &count)) return -1;
            v[i] = (double)iv[i];
        }
    }
    if (v[2] == 0 || v[2] != v[2]) return er_node_fail(g, n, "delta is %g", v[2]);
    double steps = ceil((v[1] - v[0]) / v[2]);
    if (steps != steps || steps > 1e8) return er_node_fail(g, n, "Range of %g elements is too long", steps);
    int64_t len = steps > 0 ? (int64_t)steps : 0;
    if (er_set_output(g, n, 0, dtype, 1, &len)) return -1;
    er_tensor *y = er_out(g, n, 0);
    size_t size = er_dtype_size(dtype);
    unsigned char *data = er_alloc_array(g->pool, (size_t)(len ? len : 1), size);
    if (!data) return -1;
    for (int64_t k = 0; k < len; k++) {
        unsigned char *at = data + (size_t)k * size;
        if (dtype == ER_DTYPE_FLOAT) {
            float f = (float)((float)v[0] + (float)k * (float)v[2]);
            memcpy(at, &f, size);
        } else if (dtype == ER_DTYPE_DOUBLE) {
            double d = v[0] + (double)k * v[2];
            memcpy(at, &d, size);
        } else {
            int64_t w = (int64_t)((uint64_t)iv[0] + (uint64_t)k * (uint64_t)iv[2]);
            if (dtype == ER_DTYPE_INT16) { int16_t s = (int16_t)w; memcpy(at, &s, size); }
            else if (dtype == ER_DTYPE_INT32) { int32_t s = (int32_t)w; memcpy(at, &s, size); }
            else memcpy(at, &w, size);
        }
    }
    return er_tensor_set_const(g, y, data);
}
