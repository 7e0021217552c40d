/* op_movement.c - operators that move elements without arithmetic.

   Transpose, Slice, Concat, Split, Expand, Tile, DepthToSpace and
   SpaceToDepth are all one kernel, the strided copy: each describes which
   input element lands at each output index as an offset plus per-dimension
   strides (0 to repeat, negative to reverse). Gather, Pad and Cast have
   kernels of their own. */
#include <string.h>

#include "ops.h"

static const int32_t index_types[] = {ER_DTYPE_INT32, ER_DTYPE_INT64, 0};

/* Dimensions are merged where both sides stay contiguous, so a plain copy
   runs as one memcpy-like row (contract: ops.h). */
int er_lower_strided_copy(er_graph *g, const er_node *n, int32_t x, int32_t y, int32_t rank, const int64_t *dims,
                        int64_t x_offset, const int64_t *x_strides, int64_t y_offset, const int64_t *y_strides)
{
    int64_t dense[ER_MAX_RANK], d[ER_MAX_RANK], xs[ER_MAX_RANK], ys[ER_MAX_RANK];
    int64_t total = 1;
    for (int32_t i = 0; i < rank; i++)
        if (dims[i] == 0) return 0; /* nothing to move (the other dims may be anything: Tile of an empty x) */
    for (int32_t i = rank - 1; i >= 0; i--) {
        dense[i] = total;
        if (er_mul_i64(total, dims[i], &total)) return er_node_fail(g, n, "tensor too large");
    }
    if (!y_strides) y_strides = dense;
    int32_t k = 0;
    for (int32_t i = 0; i < rank; i++) {
        if (dims[i] == 1) continue;
        if (k > 0 && xs[k - 1] == x_strides[i] * dims[i] && ys[k - 1] == y_strides[i] * dims[i]) {
            d[k - 1] *= dims[i];
            xs[k - 1] = x_strides[i];
            ys[k - 1] = y_strides[i];
            continue;
        }
        d[k] = dims[i];
        xs[k] = x_strides[i];
        ys[k] = y_strides[i];
        k++;
    }
    er_strided_params p = {.rank = k, .x_offset = (int32_t)x_offset, .y_offset = (int32_t)y_offset};
    for (int32_t i = 0; i < k; i++) {
        if (d[i] > INT32_MAX || xs[i] > INT32_MAX || xs[i] < -INT32_MAX || ys[i] > INT32_MAX)
            return er_node_fail(g, n, "tensor too large");
        p.dims[i] = (int32_t)d[i];
        p.x_strides[i] = (int32_t)xs[i];
        p.y_strides[i] = (int32_t)ys[i];
    }
    if (k == 0) { /* a single element */
        p.rank = 1;
        p.dims[0] = 1;
    }
    int32_t kernel = er_kernel_sized(ERK_er_x32_strided_copy, er_t(g, x)->dtype);
    return ER_CALL(g, n, kernel, p, x, y);
}

/* ---- layout changes (layout.c's transposes between NCHW and NHWC) ---- */

int er_lower_relayout(er_graph *g, const er_node *n, int32_t x, int32_t y)
{
    const er_tensor *t = er_t(g, x);
    const int32_t rank = t->rank, to_nhwc = er_t(g, y)->layout == ER_LAYOUT_NHWC;
    if (rank < 3 || er_t(g, y)->layout == t->layout)
        return er_node_fail(g, n, "internal error: no layout change from '%s' to '%s'", t->name, er_t(g, y)->name);
    /* NCHW strides of [N, C, S...] (the dense ones), and NHWC strides of the same dims. */
    int64_t nchw[ER_MAX_RANK], nhwc[ER_MAX_RANK], dims[ER_MAX_RANK], xs[ER_MAX_RANK];
    er_strides(t, nchw);
    for (int32_t i = 2; i < rank; i++) nhwc[i] = nchw[i] * t->dims[1];
    nhwc[1] = 1;
    nhwc[0] = nchw[0];
    /* Walk y's dims in y's memory order and read x at its strides. */
    const int64_t *from = to_nhwc ? nchw : nhwc;
    for (int32_t i = 0; i < rank; i++) {
        const int32_t d = to_nhwc ? (i == 0 ? 0 : i == rank - 1 ? 1 : i + 1) : i;
        dims[i] = t->dims[d];
        xs[i] = from[d];
    }
    return er_lower_strided_copy(g, n, x, y, rank, dims, 0, xs, 0, NULL);
}

/* ---- Transpose ---- */

int transpose_infer(er_graph *g, er_node *n)
{
    int64_t perm[ER_MAX_RANK], dims[ER_MAX_RANK];
    int32_t n_perm;
    if (er_check_arity(g, n, 1, 1, 1, 1) || er_attr_ints(g, n, "perm", perm, ER_MAX_RANK, &n_perm)) return -1;
    er_tensor *x = er_in(g, n, 0);
    int seen[ER_MAX_RANK] = {0};
    if (n_perm >= 0 && n_perm != x->rank)
        return er_node_fail(g, n, "perm has %d entries for an input of rank %d", n_perm, x->rank);
    for (int32_t i = 0; i < x->rank; i++) {
        int64_t p = n_perm < 0 ? x->rank - 1 - i : perm[i];
        if (p < 0 || p >= x->rank || seen[p]) return er_node_fail(g, n, "perm is not a permutation of 0..%d", x->rank - 1);
        seen[p] = 1;
        dims[i] = x->dims[p];
    }
    return er_set_output(g, n, 0, x->dtype, x->rank, dims);
}

int transpose_lower(er_graph *g, er_node *n)
{
    int64_t perm[ER_MAX_RANK], xs[ER_MAX_RANK], s[ER_MAX_RANK];
    int32_t n_perm;
    er_tensor *x = er_in(g, n, 0), *y = er_out(g, n, 0);
    if (er_attr_ints(g, n, "perm", perm, ER_MAX_RANK, &n_perm)) return -1;
    er_strides(x, xs);
    for (int32_t i = 0; i < x->rank; i++) s[i] = xs[n_perm < 0 ? x->rank - 1 - i : perm[i]];
    return er_lower_strided_copy(g, n, x->id, y->id, y->rank, y->dims, 0, s, 0, NULL);
}

/* ---- Slice ---- */

typedef struct slice_plan {
    int64_t dims[ER_MAX_RANK], offset, strides[ER_MAX_RANK];
} slice_plan;

static int slice_plan_of(er_graph *g, er_node *n, slice_plan *sp)
{
    int64_t starts[ER_MAX_RANK], ends[ER_MAX_RANK], axes[ER_MAX_RANK], steps[ER_MAX_RANK], xs[ER_MAX_RANK];
    int32_t n_starts, n_ends, n_axes, n_steps = -1;
    er_tensor *x = er_in(g, n, 0);
    if (n->opset < 10) {
        if (er_check_arity(g, n, 1, 1, 1, 1) || er_attr_ints(g, n, "starts", starts, ER_MAX_RANK, &n_starts) ||
            er_attr_ints(g, n, "ends", ends, ER_MAX_RANK, &n_ends) || er_attr_ints(g, n, "axes", axes, ER_MAX_RANK, &n_axes))
            return -1;
    } else if (er_check_arity(g, n, 3, 5, 1, 1) || er_input_ints(g, n, 1, "starts", starts, ER_MAX_RANK, &n_starts) ||
               er_input_ints(g, n, 2, "ends", ends, ER_MAX_RANK, &n_ends) ||
               er_input_ints(g, n, 3, "axes", axes, ER_MAX_RANK, &n_axes) ||
               er_input_ints(g, n, 4, "steps", steps, ER_MAX_RANK, &n_steps)) {
        return -1;
    }
    if (n_starts < 0 || n_ends != n_starts) return er_node_fail(g, n, "starts and ends must have the same length");
    if (n_axes >= 0 && n_axes != n_starts) return er_node_fail(g, n, "axes must have the length of starts");
    if (n_steps >= 0 && n_steps != n_starts) return er_node_fail(g, n, "steps must have the length of starts");
    er_strides(x, xs);
    int seen[ER_MAX_RANK] = {0};
    sp->offset = 0;
    for (int32_t i = 0; i < x->rank; i++) {
        sp->dims[i] = x->dims[i];
        sp->strides[i] = xs[i];
    }
    for (int32_t i = 0; i < n_starts; i++) {
        int32_t a;
        if (er_axis(g, n, n_axes < 0 ? i : axes[i], x->rank, "axis", &a)) return -1;
        if (seen[a]) return er_node_fail(g, n, "axis %d appears twice", a);
        seen[a] = 1;
        int64_t dim = x->dims[a], step = n_steps < 0 ? 1 : steps[i], start = starts[i], end = ends[i];
        if (step == 0) return er_node_fail(g, n, "step 0 on axis %d", a);
        /* Clamp as the ONNX spec says, without overflowing on INT64_MAX ends. */
        if (start < 0) start = start < -dim ? 0 : start + dim;
        if (end < 0) end = end < -dim ? -1 : end + dim;
        if (step > 0) {
            start = start > dim ? dim : start;
            end = end < 0 ? 0 : end > dim ? dim : end;
        } else {
            start = start > dim - 1 ? dim - 1 : start;
            end = end > dim - 1 ? dim - 1 : end;
        }
        int64_t count = step > 0 ? (end - start + step - 1) / step : (start - end + (-step) - 1) / (-step);
        if (count < 0) count = 0;
        sp->dims[a] = count;
        if (count) sp->offset += start * xs[a];
        sp->strides[a] = xs[a] * step;
    }
    return 0;
}

int slice_infer(er_graph *g, er_node *n)
{
    slice_plan sp;
    if (slice_plan_of(g, n, &sp)) return -1;
    er_tensor *x = er_in(g, n, 0);
    return er_set_output(g, n, 0, x->dtype, x->rank, sp.dims);
}

int slice_lower(er_graph *g, er_node *n)
{
    slice_plan sp;
    if (slice_plan_of(g, n, &sp)) return -1;
    er_tensor *y = er_out(g, n, 0);
    return er_lower_strided_copy(g, n, n->in[0], y->id, y->rank, y->dims, sp.offset, sp.strides, 0, NULL);
}

/* ---- Concat / Split ---- */

int concat_infer(er_graph *g, er_node *n)
{
    int64_t axis;
    int32_t a;
    if (er_check_arity(g, n, 1, 4096, 1, 1) || er_attr_int(g, n, "axis", INT64_MIN, &axis)) return -1;
    if (axis == INT64_MIN) return er_node_fail(g, n, "attribute 'axis' is required");
    er_tensor *first = er_in(g, n, 0);
    if (er_axis(g, n, axis, first->rank, "axis", &a)) return -1;
    int64_t dims[ER_MAX_RANK];
    memcpy(dims, first->dims, sizeof dims);
    dims[a] = 0;
    for (int32_t i = 0; i < n->n_in; i++) {
        er_tensor *t = er_in(g, n, i);
        if (!t) return er_node_fail(g, n, "input %d is empty", i);
        if (t->dtype != first->dtype || t->rank != first->rank)
            return er_node_fail(g, n, "input %d '%s' differs from input 0 in type or rank", i, t->name);
        for (int32_t k = 0; k < t->rank; k++)
            if (k != a && t->dims[k] != first->dims[k])
                return er_node_fail(g, n, "input %d '%s' has dim %d = %lld, input 0 has %lld", i, t->name, k,
                                    (long long)t->dims[k], (long long)first->dims[k]);
        dims[a] += t->dims[a];
    }
    return er_set_output(g, n, 0, first->dtype, first->rank, dims);
}

int concat_lower(er_graph *g, er_node *n)
{
    er_tensor *y = er_out(g, n, 0);
    int64_t axis, ys[ER_MAX_RANK], pos = 0;
    int32_t a;
    if (er_attr_int(g, n, "axis", 0, &axis) || er_axis(g, n, axis, y->rank, "axis", &a)) return -1;
    er_strides(y, ys);
    for (int32_t i = 0; i < n->n_in; i++) {
        er_tensor *x = er_in(g, n, i);
        int64_t xs[ER_MAX_RANK];
        er_strides(x, xs);
        if (er_lower_strided_copy(g, n, x->id, y->id, x->rank, x->dims, 0, xs, pos * ys[a], ys)) return -1;
        pos += x->dims[a];
    }
    return 0;
}

static int split_sizes(er_graph *g, er_node *n, int32_t *axis_out, int64_t *sizes)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t axis, num_outputs;
    int32_t a, count;
    if (er_attr_int(g, n, "axis", 0, &axis) || er_axis(g, n, axis, x->rank, "axis", &a) ||
        er_attr_int(g, n, "num_outputs", 0, &num_outputs))
        return -1;
    if (n->opset < 13) {
        if (er_attr_ints(g, n, "split", sizes, 4096, &count)) return -1;
    } else if (er_input_ints(g, n, 1, "split", sizes, 4096, &count)) {
        return -1;
    }
    int64_t dim = x->dims[a];
    if (count < 0) {
        /* Equal parts; with num_outputs (opset 18) the last part may be smaller. */
        int64_t parts = n->n_out;
        if (parts <= 0) return er_node_fail(g, n, "has no outputs");
        int64_t chunk = num_outputs ? (dim + parts - 1) / parts : dim / parts;
        if (!num_outputs && dim % parts)
            return er_node_fail(g, n, "axis %d of size %lld does not split into %lld equal parts", a, (long long)dim,
                                (long long)parts);
        for (int64_t i = 0; i < parts; i++) {
            int64_t start = i * chunk;
            sizes[i] = start >= dim ? 0 : (start + chunk > dim ? dim - start : chunk);
        }
        count = (int32_t)parts;
    }
    if (count != n->n_out) return er_node_fail(g, n, "split has %d sizes for %d outputs", count, n->n_out);
    int64_t total = 0;
    for (int32_t i = 0; i < count; i++) {
        if (sizes[i] < 0) return er_node_fail(g, n, "split size %lld is negative", (long long)sizes[i]);
        total += sizes[i];
    }
    if (total != dim)
        return er_node_fail(g, n, "split sizes sum to %lld, axis %d has %lld", (long long)total, a, (long long)dim);
    *axis_out = a;
    return 0;
}

int split_infer(er_graph *g, er_node *n)
{
    int64_t sizes[4096];
    int32_t a;
    if (er_check_arity(g, n, 1, 2, 1, 4096) || split_sizes(g, n, &a, sizes)) return -1;
    er_tensor *x = er_in(g, n, 0);
    for (int32_t i = 0; i < n->n_out; i++) {
        int64_t dims[ER_MAX_RANK];
        memcpy(dims, x->dims, sizeof dims);
        dims[a] = sizes[i];
        if (er_set_output(g, n, i, x->dtype, x->rank, dims)) return -1;
    }
    return 0;
}

int split_lower(er_graph *g, er_node *n)
{
    int64_t sizes[4096], xs[ER_MAX_RANK], pos = 0;
    int32_t a;
    if (split_sizes(g, n, &a, sizes)) return -1;
    er_tensor *x = er_in(g, n, 0);
    er_strides(x, xs);
    for (int32_t i = 0; i < n->n_out; i++) {
        er_tensor *y = er_out(g, n, i);
        if (y && er_lower_strided_copy(g, n, x->id, y->id, y->rank, y->dims, pos * xs[a], xs, 0, NULL)) return -1;
        pos += sizes[i];
    }
    return 0;
}

/* ---- Expand / Tile ---- */

int expand_infer(er_graph *g, er_node *n)
{
    int64_t shape[ER_MAX_RANK], dims[ER_MAX_RANK];
    int32_t rank;
    if (er_check_arity(g, n, 2, 2, 1, 1) || er_input_ints(g, n, 1, "shape", shape, ER_MAX_RANK, &rank)) return -1;
    er_tensor *x = er_in(g, n, 0);
    er_tensor target = {.rank = rank, .name = "shape"};
    memcpy(target.dims, shape, sizeof shape);
    if (er_broadcast_shape(g, n, x, &target, &rank, dims)) return -1;
    return er_set_output(g, n, 0, x->dtype, rank, dims);
}

int expand_lower(er_graph *g, er_node *n)
{
    er_tensor *x = er_in(g, n, 0), *y = er_out(g, n, 0);
    int64_t xs[ER_MAX_RANK], s[ER_MAX_RANK];
    er_strides(x, xs);
    for (int32_t i = 0; i < y->rank; i++) {
        int32_t k = i - (y->rank - x->rank);
        s[i] = k < 0 || x->dims[k] == 1 ? 0 : xs[k];
    }
    return er_lower_strided_copy(g, n, x->id, y->id, y->rank, y->dims, 0, s, 0, NULL);
}

int tile_infer(er_graph *g, er_node *n)
{
    int64_t reps[ER_MAX_RANK], dims[ER_MAX_RANK];
    int32_t count;
    if (er_check_arity(g, n, 2, 2, 1, 1) || er_input_ints(g, n, 1, "repeats", reps, ER_MAX_RANK, &count)) return -1;
    er_tensor *x = er_in(g, n, 0);
    if (count != x->rank) return er_node_fail(g, n, "repeats has %d entries for rank %d", count, x->rank);
    if (2 * x->rank > ER_MAX_RANK) return er_node_fail(g, n, "rank %d is above the supported 4", x->rank);
    for (int32_t i = 0; i < x->rank; i++) {
        if (reps[i] < 0) return er_node_fail(g, n, "repeats[%d] = %lld is negative", i, (long long)reps[i]);
        if (er_mul_i64(x->dims[i], reps[i], &dims[i])) return er_node_fail(g, n, "output too large");
    }
    return er_set_output(g, n, 0, x->dtype, x->rank, dims);
}

int tile_lower(er_graph *g, er_node *n)
{
    /* y viewed as [r0, d0, r1, d1, ...]: the repeat axes read x with stride 0. */
    er_tensor *x = er_in(g, n, 0), *y = er_out(g, n, 0);
    int64_t xs[ER_MAX_RANK], dims[ER_MAX_RANK], s[ER_MAX_RANK];
    er_strides(x, xs);
    for (int32_t i = 0; i < x->rank; i++) {
        dims[2 * i] = x->dims[i] ? y->dims[i] / x->dims[i] : 0;
        dims[2 * i + 1] = x->dims[i];
        s[2 * i] = 0;
        s[2 * i + 1] = xs[i];
    }
    return er_lower_strided_copy(g, n, x->id, y->id, 2 * x->rank, dims, 0, s, 0, NULL);
}

/* ---- DepthToSpace / SpaceToDepth ---- */

int depthtospace_infer(er_graph *g, er_node *n)
{
    int64_t b, dims[4];
    if (er_check_arity(g, n, 1, 1, 1, 1) || er_attr_int(g, n, "blocksize", 0, &b)) return -1;
    er_tensor *x = er_in(g, n, 0);
    if (x->rank != 4) return er_node_fail(g, n, "input must be 4-D, is %d-D", x->rank);
    if (b <= 0 || b > 4096) return er_node_fail(g, n, "blocksize %lld is invalid", (long long)b);
    if (n->op == ER_OP_DepthToSpace) {
        if (x->dims[1] % (b * b)) return er_node_fail(g, n, "channels %lld do not divide by blocksize^2", (long long)x->dims[1]);
        dims[0] = x->dims[0], dims[1] = x->dims[1] / (b * b), dims[2] = x->dims[2] * b, dims[3] = x->dims[3] * b;
    } else {
        if (x->dims[2] % b || x->dims[3] % b) return er_node_fail(g, n, "height/width do not divide by blocksize");
        dims[0] = x->dims[0], dims[1] = x->dims[1] * b * b, dims[2] = x->dims[2] / b, dims[3] = x->dims[3] / b;
    }
    return er_set_output(g, n, 0, x->dtype, 4, dims);
}

int depthtospace_lower(er_graph *g, er_node *n)
{
    er_tensor *x = er_in(g, n, 0), *y = er_out(g, n, 0);
    const char *mode;
    int64_t b, N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    if (er_attr_int(g, n, "blocksize", 0, &b) || er_attr_string(g, n, "mode", "DCR", &mode)) return -1;
    int64_t dims[6], s[6];
    if (n->op == ER_OP_DepthToSpace) {
        /* y[n, c, h*b+i, w*b+j] = x[n, (i*b + j)*C' + c, h, w] (DCR) or x[n, c*b*b + i*b + j, h, w] (CRD). */
        int64_t Cp = C / (b * b), plane = H * W;
        int crd = !strcmp(mode, "CRD");
        if (!crd && strcmp(mode, "DCR")) return er_node_fail(g, n, "mode '%s' is not DCR or CRD", mode);
        int64_t c_stride = crd ? b * b * plane : plane, i_stride = crd ? b * plane : b * Cp * plane,
                j_stride = crd ? plane : Cp * plane;
        int64_t d[6] = {N, Cp, H, b, W, b}, st[6] = {C * plane, c_stride, W, i_stride, 1, j_stride};
        memcpy(dims, d, sizeof d);
        memcpy(s, st, sizeof st);
    } else {
        /* y[n, (i*b + j)*C + c, h, w] = x[n, c, h*b+i, w*b+j]: loop y as [N, b, b, C, H/b, W/b]. */
        int64_t d[6] = {N, b, b, C, H / b, W / b}, st[6] = {C * H * W, W, 1, H * W, b * W, b};
        memcpy(dims, d, sizeof d);
        memcpy(s, st, sizeof st);
    }
    return er_lower_strided_copy(g, n, x->id, y->id, 6, dims, 0, s, 0, NULL);
}

/* ---- Gather ---- */

int gather_infer(er_graph *g, er_node *n)
{
    int64_t axis, dims[ER_MAX_RANK];
    int32_t a;
    if (er_check_arity(g, n, 2, 2, 1, 1) || er_check_dtype(g, n, 1, index_types) || er_attr_int(g, n, "axis", 0, &axis))
        return -1;
    er_tensor *x = er_in(g, n, 0), *idx = er_in(g, n, 1);
    if (er_axis(g, n, axis, x->rank, "axis", &a)) return -1;
    int32_t rank = x->rank - 1 + idx->rank;
    if (rank > ER_MAX_RANK) return er_node_fail(g, n, "output rank %d exceeds %d", rank, ER_MAX_RANK);
    int32_t k = 0;
    for (int32_t i = 0; i < a; i++) dims[k++] = x->dims[i];
    for (int32_t i = 0; i < idx->rank; i++) dims[k++] = idx->dims[i];
    for (int32_t i = a + 1; i < x->rank; i++) dims[k++] = x->dims[i];
    /* Constant indices are checked now; run-time ones by the kernel. */
    if (er_is_const(g, idx)) {
        const void *v = er_const_data(g, idx);
        if (!v) return -1;
        for (int64_t i = 0; i < idx->count; i++) {
            int64_t j = idx->dtype == ER_DTYPE_INT64 ? ((const int64_t *)v)[i] : ((const int32_t *)v)[i];
            if (j < -x->dims[a] || j >= x->dims[a])
                return er_node_fail(g, n, "index %lld is out of range for axis %d of size %lld", (long long)j, a,
                                    (long long)x->dims[a]);
        }
    }
    return er_set_output(g, n, 0, x->dtype, rank, dims);
}

int gather_lower(er_graph *g, er_node *n)
{
    er_tensor *x = er_in(g, n, 0), *idx = er_in(g, n, 1), *y = er_out(g, n, 0);
    int64_t axis;
    int32_t a;
    if (er_attr_int(g, n, "axis", 0, &axis) || er_axis(g, n, axis, x->rank, "axis", &a)) return -1;
    int64_t outer = 1, inner = 1;
    for (int32_t i = 0; i < a; i++) outer *= x->dims[i];
    for (int32_t i = a + 1; i < x->rank; i++) inner *= x->dims[i];
    er_gather_params p = {.outer = (int32_t)outer, .axis_len = (int32_t)x->dims[a], .n_idx = (int32_t)idx->count,
                          .inner = (int32_t)inner, .idx_i64 = idx->dtype == ER_DTYPE_INT64};
    return ER_CALL(g, n, er_kernel_sized(ERK_er_x32_gather, x->dtype), p, x->id, idx->id, y->id);
}

/* ---- Pad ---- */

static int pad_plan(er_graph *g, er_node *n, er_pad_params *p)
{
    er_tensor *x = er_in(g, n, 0);
    int64_t pads[2 * ER_MAX_RANK], axes[ER_MAX_RANK];
    int32_t n_pads, n_axes = -1;
    const char *mode;
    memset(p, 0, sizeof *p);
    if (er_attr_string(g, n, "mode", "constant", &mode)) return -1;
    if (!strcmp(mode, "constant")) p->mode = ER_PAD_CONSTANT;
    else if (!strcmp(mode, "reflect")) p->mode = ER_PAD_REFLECT;
    else if (!strcmp(mode, "edge")) p->mode = ER_PAD_EDGE;
    else return er_node_fail(g, n, "mode '%s' is not supported (constant, reflect, edge are)", mode);
    if (n->opset < 11) {
        float value;
        if (er_check_arity(g, n, 1, 1, 1, 1) || er_attr_ints(g, n, n->opset < 2 ? "paddings" : "pads", pads, 2 * ER_MAX_RANK, &n_pads) ||
            er_attr_float(g, n, "value", 0.0f, &value))
            return -1;
        if (x->dtype != ER_DTYPE_FLOAT) return er_node_fail(g, n, "only float input is supported before opset 11");
        memcpy(&p->value_bits, &value, sizeof value);
    } else {
        if (er_check_arity(g, n, 2, 4, 1, 1) || er_input_ints(g, n, 1, "pads", pads, 2 * ER_MAX_RANK, &n_pads) ||
            er_input_ints(g, n, 3, "axes", axes, ER_MAX_RANK, &n_axes))
            return -1;
        er_tensor *v = er_in(g, n, 2);
        if (v) {
            const void *data = er_const_data(g, v);
            if (!data || v->count != 1 || v->dtype != x->dtype)
                return er_node_fail(g, n, "constant_value must be a constant scalar of the input's type");
            memcpy(&p->value_bits, data, er_dtype_size(v->dtype));
        }
    }
    int32_t count = n_axes < 0 ? x->rank : n_axes;
    if (n_pads != 2 * count) return er_node_fail(g, n, "pads has %d values, expected %d", n_pads, 2 * count);
    p->rank = x->rank;
    int64_t begin[ER_MAX_RANK] = {0}, end[ER_MAX_RANK] = {0};
    for (int32_t i = 0; i < count; i++) {
        int32_t a = i;
        if (n_axes >= 0 && er_axis(g, n, axes[i], x->rank, "axis", &a)) return -1;
        begin[a] = pads[i];
        end[a] = pads[i + count];
    }
    for (int32_t i = 0; i < x->rank; i++) {
        int64_t d = x->dims[i] + begin[i] + end[i];
        if (d < 0 || begin[i] > INT32_MAX / 2 || end[i] > INT32_MAX / 2 || begin[i] < -x->dims[i])
            return er_node_fail(g, n, "pads %lld,%lld are invalid for axis %d of size %lld", (long long)begin[i],
                                (long long)end[i], i, (long long)x->dims[i]);
        if (p->mode == ER_PAD_REFLECT && (begin[i] >= x->dims[i] || end[i] >= x->dims[i]) && (begin[i] > 0 || end[i] > 0))
            return er_node_fail(g, n, "reflect pads must be smaller than the axis (%lld)", (long long)x->dims[i]);
        if (p->mode == ER_PAD_EDGE && x->dims[i] == 0 && d > 0)
            return er_node_fail(g, n, "edge padding of an empty axis");
        p->x_dims[i] = (int32_t)x->dims[i];
        p->y_dims[i] = (int32_t)d;
        p->begin[i] = (int32_t)begin[i];
    }
    return 0;
}

/* Pads of zero on every axis leave the input as it is: the output is a view. */
static int pad_is_identity(const er_pad_params *p)
{
    for (int32_t i = 0; i < p->rank; i++)
        if (p->begin[i] != 0 || p->x_dims[i] != p->y_dims[i]) return 0;
    return 1;
}

int pad_infer(er_graph *g, er_node *n)
{
    er_pad_params p;
    if (pad_plan(g, n, &p)) return -1;
    er_tensor *x = er_in(g, n, 0);
    int64_t dims[ER_MAX_RANK];
    for (int32_t i = 0; i < x->rank; i++) dims[i] = p.y_dims[i];
    if (pad_is_identity(&p)) return er_set_view(g, n, 0, 0, x->rank, dims);
    return er_set_output(g, n, 0, x->dtype, x->rank, dims);
}

/* The same padding over the fewest axes, so the kernel's rows are long:
   an unpadded axis of size 1 goes, and with a constant, an unpadded axis
   joins the one before it (element (i, j) of the pair is element
   i * n + j of the joined axis, and the before-padding scales by n). A
   ResNet shortcut's channel padding, [1,16,16,16] -> [1,32,16,16], becomes
   one row, [4096] -> [8192] starting at 2048, instead of 512 rows of 16.
   Reflect and edge padding mirror along each axis, so only the first rule
   holds for them. */
static void pad_simplify(er_pad_params *p)
{
    int32_t r = 0;
    for (int32_t i = 0; i < p->rank; i++) {
        const int unpadded = p->begin[i] == 0 && p->x_dims[i] == p->y_dims[i];
        if (unpadded && p->x_dims[i] == 1 && p->rank > 1) continue;
        if (unpadded && r > 0 && p->mode == ER_PAD_CONSTANT) {
            p->x_dims[r - 1] *= p->x_dims[i];
            p->y_dims[r - 1] *= p->x_dims[i];
            p->begin[r - 1] *= p->x_dims[i];
            continue;
        }
        p->x_dims[r] = p->x_dims[i], p->y_dims[r] = p->y_dims[i], p->begin[r] = p->begin[i];
        r++;
    }
    if (r == 0) r = 1, p->x_dims[0] = p->y_dims[0] = 1, p->begin[0] = 0;
    for (int32_t i = r; i < p->rank; i++) p->x_dims[i] = p->y_dims[i] = p->begin[i] = 0;
    p->rank = r;
}

int pad_lower(er_graph *g, er_node *n)
{
    er_pad_params p;
    if (pad_plan(g, n, &p)) return -1;
    er_tensor *x = er_in(g, n, 0), *y = er_out(g, n, 0);
    if (y->store == ER_STORE_VIEW) return 0; /* pad_infer found no padding */
    pad_simplify(&p);
    return ER_CALL(g, n, er_kernel_sized(ERK_er_x32_pad, x->dtype), p, x->id, y->id);
}

/* ---- Cast ---- */

int cast_infer(er_graph *g, er_node *n)
{
    int64_t to;
    if (er_check_arity(g, n, 1, 1, 1, 1) || er_attr_int(g, n, "to", 0, &to)) return -1;
    er_tensor *x = er_in(g, n, 0);
    if (!er_dtype_size((int32_t)to))
        return er_node_fail(g, n, "cast to %s (%lld) is not supported", er_dtype_name((int32_t)to), (long long)to);
    return er_set_output(g, n, 0, (int32_t)to, x->rank, x->dims);
}

int cast_lower(er_graph *g, er_node *n)
{
    er_tensor *x = er_in(g, n, 0), *y = er_out(g, n, 0);
    if (x->dtype == y->dtype) return er_lower_copy(g, n, x->id, y->id);
    return er_lower_cast(g, n, x->id, y->id);
}

/* ---- ScatterND (reduction "none") ---- */

static int scatternd_plan(er_graph *g, er_node *n, er_scatternd_params *p)
{
    static const int32_t int64_only[] = {ER_DTYPE_INT64, 0};
    const char *reduction;
    if (er_check_dtype(g, n, 1, int64_only) || er_attr_string(g, n, "reduction", "none", &reduction)) return -1;
    if (strcmp(reduction, "none")) return er_node_fail(g, n, "reduction '%s' is not supported (only 'none')", reduction);
    er_tensor *data = er_in(g, n, 0), *idx = er_in(g, n, 1), *upd = er_in(g, n, 2);
    if (idx->rank < 1) return er_node_fail(g, n, "indices must be at least 1-D");
    int32_t k = (int32_t)idx->dims[idx->rank - 1];
    if (k < 1 || k > data->rank) return er_node_fail(g, n, "index depth %d does not fit data of rank %d", k, data->rank);
    if (upd->dtype != data->dtype) return er_node_fail(g, n, "updates and data differ in type");
    /* updates: indices.shape[:-1] + data.shape[k:] */
    int32_t want_rank = idx->rank - 1 + data->rank - k;
    int ok = upd->rank == want_rank;
    for (int32_t i = 0; ok && i < idx->rank - 1; i++) ok = upd->dims[i] == idx->dims[i];
    for (int32_t i = 0; ok && i < data->rank - k; i++) ok = upd->dims[idx->rank - 1 + i] == data->dims[k + i];
    if (!ok) return er_node_fail(g, n, "updates have the wrong shape for these indices and data");
    int64_t strides[ER_MAX_RANK], slice = 1;
    er_strides(data, strides);
    for (int32_t i = k; i < data->rank; i++) slice *= data->dims[i];
    memset(p, 0, sizeof *p);
    p->count = (int32_t)data->count;
    p->n_updates = (int32_t)(idx->count / k);
    p->k = k;
    p->slice = (int32_t)slice;
    for (int32_t j = 0; j < k; j++) {
        p->dims[j] = (int32_t)data->dims[j];
        p->strides[j] = (int32_t)strides[j];
    }
    return 0;
}

int scatternd_infer(er_graph *g, er_node *n)
{
    er_scatternd_params p;
    if (er_check_arity(g, n, 3, 3, 1, 1) || scatternd_plan(g, n, &p)) return -1;
    er_tensor *data = er_in(g, n, 0);
    return er_set_output(g, n, 0, data->dtype, data->rank, data->dims);
}

int scatternd_lower(er_graph *g, er_node *n)
{
    er_scatternd_params p;
    if (scatternd_plan(g, n, &p)) return -1;
    int32_t k = er_kernel_sized(ERK_er_x32_scatternd, er_in(g, n, 0)->dtype);
    if (k < 0) return er_node_fail(g, n, "type %s is not supported", er_dtype_name(er_in(g, n, 0)->dtype));
    return ER_CALL(g, n, k, p, n->in[0], n->in[1], n->in[2], n->out[0]);
}
