/* op_elementwise.c - unary activations and math, broadcasting binary ops,
   and the variadic Sum/Max/Min (lowered to a chain of binary calls). */
#include <math.h>
#include <string.h>

#include "ops.h"

static const int32_t float_only[] = {ER_DTYPE_FLOAT, 0};
static const int32_t arith_types[] = {ER_DTYPE_FLOAT, ER_DTYPE_DOUBLE, ER_DTYPE_INT8, ER_DTYPE_INT16,
                                      ER_DTYPE_INT32, ER_DTYPE_INT64, ER_DTYPE_UINT8, ER_DTYPE_UINT16,
                                      ER_DTYPE_UINT32, ER_DTYPE_UINT64, 0};

/* ---- broadcasting ---- */

/* Parameters for y = a (op) b with y of shape `y`: per-dim strides of a and b
   (0 where broadcast), then adjacent dims merged wherever both operands stay
   contiguous across them, so common cases reach the kernel as rank 1 or 2. */
static int broadcast_params(const er_graph *g, const er_node *n, const er_tensor *a, const er_tensor *b,
                            const er_tensor *y, er_binary_params *p)
{
    int64_t dims[ER_MAX_RANK], sa[ER_MAX_RANK], sb[ER_MAX_RANK];
    int32_t r = y->rank, k = 0;
    int64_t stride_a = 1, stride_b = 1;
    int64_t full_a[ER_MAX_RANK], full_b[ER_MAX_RANK];
    for (int32_t i = r - 1; i >= 0; i--) {
        int32_t ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        full_a[i] = da == 1 ? 0 : stride_a;
        full_b[i] = db == 1 ? 0 : stride_b;
        stride_a *= da;
        stride_b *= db;
    }
    for (int32_t i = 0; i < r; i++) {
        if (y->dims[i] == 1) continue; /* size-1 dims carry no information */
        if (k > 0 && full_a[i] * y->dims[i] == sa[k - 1] && full_b[i] * y->dims[i] == sb[k - 1]) {
            dims[k - 1] *= y->dims[i];
            sa[k - 1] = full_a[i];
            sb[k - 1] = full_b[i];
            continue;
        }
        dims[k] = y->dims[i];
        sa[k] = full_a[i];
        sb[k] = full_b[i];
        k++;
    }
    if (k == 0) { /* a scalar result */
        dims[0] = 1;
        sa[0] = sb[0] = 0;
        k = 1;
    }
    memset(p, 0, sizeof *p);
    p->rank = k;
    for (int32_t i = 0; i < k; i++) {
        if (sa[i] > INT32_MAX || sb[i] > INT32_MAX) return er_node_fail(g, n, "tensor too large");
        p->dims[i] = (int32_t)dims[i];
        p->a_strides[i] = (int32_t)sa[i];
        p->b_strides[i] = (int32_t)sb[i];
    }
    return 0;
}

/* y = a (op) b; b_shape, when given, is how b broadcasts (legacy broadcasting). */
static int lower_binary_call(er_graph *g, const er_node *n, int32_t f32_kernel, int32_t a, int32_t b, int32_t y,
                             const er_tensor *b_shape)
{
    er_binary_params p;
    er_tensor *ty = er_t(g, y);
    int32_t k = f32_kernel == ERK_er_f32_prelu ? (ty->dtype == ER_DTYPE_FLOAT ? f32_kernel : -1)
                                               : er_kernel_typed(f32_kernel, ty->dtype);
    if (k < 0) return er_node_fail(g, n, "type %s is not supported", er_dtype_name(ty->dtype));
    if (broadcast_params(g, n, er_t(g, a), b_shape ? b_shape : er_t(g, b), ty, &p)) return -1;
    return ER_CALL(g, n, k, p, a, b, y);
}

/* ---- unary ---- */

int unary_infer(er_graph *g, er_node *n)
{
    int clip_inputs = n->op == ER_OP_Clip && n->opset >= 11;
    if (er_check_arity(g, n, 1, clip_inputs ? 3 : 1, 1, 1) || er_check_dtype(g, n, 0, float_only)) return -1;
    for (int32_t i = 1; i < n->n_in; i++)
        if (er_in(g, n, i) && (er_check_dtype(g, n, i, float_only) || er_in(g, n, i)->count != 1))
            return er_node_fail(g, n, "input %d must be a float scalar", i);
    er_tensor *x = er_in(g, n, 0);
    return er_set_output(g, n, 0, x->dtype, x->rank, x->dims);
}

int unary_lower(er_graph *g, er_node *n)
{
    er_tensor *x = er_in(g, n, 0), *y = er_out(g, n, 0);
    er_unary_params p = {.n = (int32_t)x->count};
    int32_t k;
    switch (n->op) {
    case ER_OP_Relu: k = ERK_er_f32_relu; break;
    case ER_OP_Sigmoid: k = ERK_er_f32_sigmoid; break;
    case ER_OP_Tanh: k = ERK_er_f32_tanh; break;
    case ER_OP_HardSwish: k = ERK_er_f32_hard_swish; break;
    case ER_OP_Softplus: k = ERK_er_f32_softplus; break;
    case ER_OP_Exp: k = ERK_er_f32_exp; break;
    case ER_OP_Sqrt: k = ERK_er_f32_sqrt; break;
    case ER_OP_Neg: k = ERK_er_f32_neg; break;
    case ER_OP_Abs: k = ERK_er_f32_abs; break;
    case ER_OP_Reciprocal: k = ERK_er_f32_reciprocal; break;
    case ER_OP_Erf: k = ERK_er_f32_erf; break;
    case ER_OP_Gelu: {
        const char *approx;
        if (er_attr_string(g, n, "approximate", "none", &approx)) return -1;
        if (strcmp(approx, "none") && strcmp(approx, "tanh"))
            return er_node_fail(g, n, "approximate '%s' is neither 'none' nor 'tanh'", approx);
        k = strcmp(approx, "tanh") ? ERK_er_f32_gelu : ERK_er_f32_gelu_tanh;
        break;
    }
    case ER_OP_LeakyRelu:
        k = ERK_er_f32_leaky_relu;
        if (er_attr_float(g, n, "alpha", 0.01f, &p.alpha)) return -1;
        break;
    case ER_OP_Elu:
        k = ERK_er_f32_elu;
        if (er_attr_float(g, n, "alpha", 1.0f, &p.alpha)) return -1;
        break;
    case ER_OP_Selu:
        k = ERK_er_f32_selu;
        if (er_attr_float(g, n, "alpha", 1.67326319217681884765625f, &p.alpha) ||
            er_attr_float(g, n, "gamma", 1.05070102214813232421875f, &p.beta))
            return -1;
        break;
    case ER_OP_HardSigmoid:
        k = ERK_er_f32_hard_sigmoid;
        if (er_attr_float(g, n, "alpha", 0.2f, &p.alpha) || er_attr_float(g, n, "beta", 0.5f, &p.beta)) return -1;
        break;
    case ER_OP_Clip: {
        k = ERK_er_f32_clip;
        p.alpha = -INFINITY;
        p.beta = INFINITY;
        if (n->opset < 11) {
            if (er_attr_float(g, n, "min", -INFINITY, &p.alpha) || er_attr_float(g, n, "max", INFINITY, &p.beta))
                return -1;
            break;
        }
        /* Bounds given as run-time tensors become Max/Min calls. */
        int32_t cur = x->id;
        for (int32_t i = 1; i < 3; i++) {
            er_tensor *b = er_in(g, n, i);
            if (!b) continue;
            const float *v = er_is_const(g, b) ? er_const_data(g, b) : NULL;
            if (v) {
                *(i == 1 ? &p.alpha : &p.beta) = v[0];
                continue;
            }
            int32_t t = er_temp_new(g, n, i == 1 ? "max" : "min", ER_DTYPE_FLOAT, y->rank, y->dims);
            if (t < 0 || lower_binary_call(g, n, i == 1 ? ERK_er_f32_max : ERK_er_f32_min, cur, b->id, t, NULL)) return -1;
            cur = t;
        }
        return ER_CALL(g, n, k, p, cur, y->id);
    }
    default: return er_node_fail(g, n, "internal error: not a unary operator");
    }
    return ER_CALL(g, n, k, p, x->id, y->id);
}

/* ---- binary ---- */

static int32_t binary_kernel(int32_t op)
{
    switch (op) {
    case ER_OP_Add: case ER_OP_Sum: return ERK_er_f32_add;
    case ER_OP_Sub: return ERK_er_f32_sub;
    case ER_OP_Mul: return ERK_er_f32_mul;
    case ER_OP_Div: return ERK_er_f32_div;
    case ER_OP_Pow: return ERK_er_f32_pow;
    case ER_OP_Max: return ERK_er_f32_max;
    case ER_OP_Min: return ERK_er_f32_min;
    case ER_OP_PRelu: return ERK_er_f32_prelu;
    default: return -1;
    }
}

/* B as it broadcasts against A. Before opset 7, ops took broadcast=1 with an
   optional axis (B aligned at that axis of A, not at the end), and PRelu's
   1-D slope meant one value per channel (axis 1). */
static int operand_b(er_graph *g, const er_node *n, er_tensor *view)
{
    er_tensor *a = er_in(g, n, 0), *b = er_in(g, n, 1);
    *view = *b;
    if (n->opset >= 7) return 0;
    int64_t broadcast = 0, axis = -1;
    if (er_attr_int(g, n, "broadcast", 0, &broadcast) || er_attr_int(g, n, "axis", -1, &axis)) return -1;
    if (n->op == ER_OP_PRelu && b->rank == 1 && a->rank > 2 && b->dims[0] == a->dims[1] && b->dims[0] != 1) axis = 1;
    else if (!broadcast || axis < 0) return 0;
    if (axis + b->rank > a->rank)
        return er_node_fail(g, n, "B of rank %d does not fit A of rank %d at axis %lld", b->rank, a->rank, (long long)axis);
    view->rank = a->rank;
    for (int32_t i = 0; i < a->rank; i++)
        view->dims[i] = i >= axis && i < axis + b->rank ? b->dims[i - axis] : 1;
    return 0;
}

int binary_infer(er_graph *g, er_node *n)
{
    if (er_check_arity(g, n, 2, 2, 1, 1) || er_check_dtype(g, n, 0, n->op == ER_OP_PRelu ? float_only : arith_types) ||
        er_check_dtype(g, n, 1, n->op == ER_OP_PRelu ? float_only : arith_types))
        return -1;
    er_tensor *a = er_in(g, n, 0), bv, *b = &bv;
    if (operand_b(g, n, &bv)) return -1;
    if (a->dtype != b->dtype && n->op != ER_OP_Pow)
        return er_node_fail(g, n, "inputs have different types %s and %s", er_dtype_name(a->dtype),
                            er_dtype_name(b->dtype));
    int64_t dims[ER_MAX_RANK];
    int32_t rank;
    if (er_broadcast_shape(g, n, a, b, &rank, dims)) return -1;
    if (n->op == ER_OP_PRelu) {
        /* The slope broadcasts to X, never the other way. */
        if (rank != a->rank || memcmp(dims, a->dims, (size_t)rank * sizeof *dims))
            return er_node_fail(g, n, "slope does not broadcast to the shape of X");
    }
    return er_set_output(g, n, 0, a->dtype, rank, dims);
}

int binary_lower(er_graph *g, er_node *n)
{
    er_tensor *a = er_in(g, n, 0), *b = er_in(g, n, 1), *y = er_out(g, n, 0), bv;
    if (operand_b(g, n, &bv)) return -1;
    if (n->op == ER_OP_Pow && a->dtype != b->dtype) {
        /* Mixed types: compute in double, as the ONNX reference (numpy) does. */
        int32_t da = er_temp_new(g, n, "base", ER_DTYPE_DOUBLE, a->rank, a->dims);
        int32_t db = er_temp_new(g, n, "exponent", ER_DTYPE_DOUBLE, bv.rank, bv.dims);
        int32_t dy = er_temp_new(g, n, "power", ER_DTYPE_DOUBLE, y->rank, y->dims);
        if (da < 0 || db < 0 || dy < 0 || er_lower_cast(g, n, a->id, da) || er_lower_cast(g, n, b->id, db) ||
            lower_binary_call(g, n, ERK_er_f32_pow, da, db, dy, NULL))
            return -1;
        return er_lower_cast(g, n, dy, y->id);
    }
    return lower_binary_call(g, n, binary_kernel(n->op), a->id, b->id, y->id, &bv);
}

/* ---- variadic ---- */

int variadic_infer(er_graph *g, er_node *n)
{
    if (er_check_arity(g, n, 1, 64, 1, 1)) return -1;
    er_tensor *first = er_in(g, n, 0);
    int64_t dims[ER_MAX_RANK];
    int32_t rank = first->rank;
    memcpy(dims, first->dims, sizeof dims);
    for (int32_t i = 0; i < n->n_in; i++) {
        er_tensor *t = er_in(g, n, i);
        if (!t) return er_node_fail(g, n, "input %d is empty", i);
        if (er_check_dtype(g, n, i, arith_types)) return -1;
        if (t->dtype != first->dtype)
            return er_node_fail(g, n, "input %d has type %s, input 0 has %s", i, er_dtype_name(t->dtype),
                                er_dtype_name(first->dtype));
        er_tensor acc = {.rank = rank, .name = "(previous inputs)"};
        memcpy(acc.dims, dims, sizeof dims);
        if (er_broadcast_shape(g, n, &acc, t, &rank, dims)) return -1;
    }
    return er_set_output(g, n, 0, first->dtype, rank, dims);
}

int variadic_lower(er_graph *g, er_node *n)
{
    er_tensor *y = er_out(g, n, 0);
    if (n->n_in == 1) return er_lower_copy(g, n, n->in[0], y->id);
    int32_t k = binary_kernel(n->op), acc = n->in[0];
    for (int32_t i = 1; i < n->n_in; i++) {
        int32_t out = y->id;
        if (i + 1 < n->n_in) {
            er_tensor *a = er_t(g, acc), *b = er_in(g, n, i);
            int64_t dims[ER_MAX_RANK];
            int32_t rank;
            if (er_broadcast_shape(g, n, a, b, &rank, dims)) return -1;
            out = er_temp_new(g, n, "partial", y->dtype, rank, dims);
            if (out < 0) return -1;
        }
        if (lower_binary_call(g, n, k, acc, n->in[i], out, NULL)) return -1;
        acc = out;
    }
    return 0;
}

/* ---- comparisons: Equal, Less, Greater, LessOrEqual, GreaterOrEqual ---- */

static const int32_t compare_types[] = {ER_DTYPE_FLOAT, ER_DTYPE_DOUBLE, ER_DTYPE_INT8, ER_DTYPE_INT16,
                                        ER_DTYPE_INT32, ER_DTYPE_INT64, ER_DTYPE_UINT8, ER_DTYPE_UINT16,
                                        ER_DTYPE_UINT32, ER_DTYPE_UINT64, ER_DTYPE_BOOL, 0};

/* Five comparison kernels per type, laid out in er_kernels.def in
   ER_ARITH_TYPE_LIST order; bool compares as u8. -1 for other types. */
static int32_t compare_kernel(int32_t op, int32_t dtype)
{
    static const int32_t codes[] = {ER_DTYPE_FLOAT, ER_DTYPE_DOUBLE, ER_DTYPE_INT8, ER_DTYPE_INT16,
                                    ER_DTYPE_INT32, ER_DTYPE_INT64, ER_DTYPE_UINT8, ER_DTYPE_UINT16,
                                    ER_DTYPE_UINT32, ER_DTYPE_UINT64};
    _Static_assert(ERK_er_f64_equal - ERK_er_f32_equal == 5, "five comparisons per type");
    int32_t which = op == ER_OP_Equal ? 0 : op == ER_OP_Less ? 1 : op == ER_OP_Greater ? 2
                  : op == ER_OP_LessOrEqual ? 3 : 4;
    if (dtype == ER_DTYPE_BOOL) dtype = ER_DTYPE_UINT8;
    for (int32_t i = 0; i < (int32_t)(sizeof codes / sizeof *codes); i++)
        if (codes[i] == dtype) return ERK_er_f32_equal + i * 5 + which;
    return -1;
}

int compare_infer(er_graph *g, er_node *n)
{
    if (er_check_arity(g, n, 2, 2, 1, 1) || er_check_dtype(g, n, 0, compare_types) ||
        er_check_dtype(g, n, 1, compare_types))
        return -1;
    er_tensor *a = er_in(g, n, 0), bv;
    if (operand_b(g, n, &bv)) return -1;
    if (a->dtype != bv.dtype)
        return er_node_fail(g, n, "inputs have different types %s and %s", er_dtype_name(a->dtype),
                            er_dtype_name(bv.dtype));
    if (a->dtype == ER_DTYPE_BOOL && n->op != ER_OP_Equal)
        return er_node_fail(g, n, "bool inputs are only defined for Equal");
    int64_t dims[ER_MAX_RANK];
    int32_t rank;
    if (er_broadcast_shape(g, n, a, &bv, &rank, dims)) return -1;
    return er_set_output(g, n, 0, ER_DTYPE_BOOL, rank, dims);
}

int compare_lower(er_graph *g, er_node *n)
{
    er_tensor *a = er_in(g, n, 0), *b = er_in(g, n, 1), *y = er_out(g, n, 0), bv;
    if (operand_b(g, n, &bv)) return -1;
    int32_t k = compare_kernel(n->op, a->dtype);
    if (k < 0) return er_node_fail(g, n, "type %s is not supported", er_dtype_name(a->dtype));
    er_binary_params p;
    if (broadcast_params(g, n, a, &bv, y, &p)) return -1;
    return ER_CALL(g, n, k, p, a->id, b->id, y->id);
}

/* ---- Where ---- */

int where_infer(er_graph *g, er_node *n)
{
    static const int32_t bool_only[] = {ER_DTYPE_BOOL, 0};
    if (er_check_arity(g, n, 3, 3, 1, 1) || er_check_dtype(g, n, 0, bool_only) ||
        er_require_input(g, n, 1, "X") || er_require_input(g, n, 2, "Y"))
        return -1;
    er_tensor *c = er_in(g, n, 0), *x = er_in(g, n, 1), *y = er_in(g, n, 2);
    if (x->dtype != y->dtype)
        return er_node_fail(g, n, "X and Y have different types %s and %s", er_dtype_name(x->dtype),
                            er_dtype_name(y->dtype));
    int64_t dims[ER_MAX_RANK];
    int32_t rank;
    if (er_broadcast_shape(g, n, c, x, &rank, dims)) return -1;
    er_tensor cx = {.name = "broadcast(condition, X)", .rank = rank};
    memcpy(cx.dims, dims, sizeof dims);
    if (er_broadcast_shape(g, n, &cx, y, &rank, dims)) return -1;
    return er_set_output(g, n, 0, x->dtype, rank, dims);
}

/* Row-major strides of t as it broadcasts to out (0 along broadcast dims). */
static void broadcast_strides(const er_tensor *t, const er_tensor *out, int32_t *strides)
{
    int64_t stride = 1;
    for (int32_t i = out->rank - 1; i >= 0; i--) {
        int32_t it = i - (out->rank - t->rank);
        int64_t d = it >= 0 ? t->dims[it] : 1;
        strides[i] = d == 1 ? 0 : (int32_t)stride;
        stride *= d;
    }
}

int where_lower(er_graph *g, er_node *n)
{
    er_tensor *c = er_in(g, n, 0), *x = er_in(g, n, 1), *y = er_in(g, n, 2), *out = er_out(g, n, 0);
    int32_t k = er_kernel_sized(ERK_er_x32_where, out->dtype);
    if (k < 0) return er_node_fail(g, n, "type %s is not supported", er_dtype_name(out->dtype));
    er_where_params p = {.rank = out->rank};
    for (int32_t i = 0; i < out->rank; i++) p.dims[i] = (int32_t)out->dims[i];
    broadcast_strides(c, out, p.c_strides);
    broadcast_strides(x, out, p.a_strides);
    broadcast_strides(y, out, p.b_strides);
    if (!out->rank) { /* a scalar */
        p.rank = 1;
        p.dims[0] = 1;
    }
    return ER_CALL(g, n, k, p, c->id, x->id, y->id, out->id);
}

/* ---- logical: Not, And, Or, Xor (bool) ---- */

static const int32_t bool_only[] = {ER_DTYPE_BOOL, 0};

int logical_infer(er_graph *g, er_node *n)
{
    int unary = n->op == ER_OP_Not;
    if (er_check_arity(g, n, unary ? 1 : 2, unary ? 1 : 2, 1, 1) || er_check_dtype(g, n, 0, bool_only) ||
        (!unary && er_check_dtype(g, n, 1, bool_only)))
        return -1;
    er_tensor *a = er_in(g, n, 0), bv;
    if (unary) return er_set_output(g, n, 0, ER_DTYPE_BOOL, a->rank, a->dims);
    if (operand_b(g, n, &bv)) return -1;
    int64_t dims[ER_MAX_RANK];
    int32_t rank;
    if (er_broadcast_shape(g, n, a, &bv, &rank, dims)) return -1;
    return er_set_output(g, n, 0, ER_DTYPE_BOOL, rank, dims);
}

int logical_lower(er_graph *g, er_node *n)
{
    er_tensor *a = er_in(g, n, 0), *y = er_out(g, n, 0), bv;
    if (n->op == ER_OP_Not) {
        er_unary_params p = {.n = (int32_t)a->count};
        return ER_CALL(g, n, ERK_er_b8_not, p, a->id, y->id);
    }
    if (operand_b(g, n, &bv)) return -1;
    er_binary_params p;
    if (broadcast_params(g, n, a, &bv, y, &p)) return -1;
    int32_t k = n->op == ER_OP_And ? ERK_er_b8_and : n->op == ER_OP_Or ? ERK_er_b8_or : ERK_er_b8_xor;
    return ER_CALL(g, n, k, p, a->id, n->in[1], y->id);
}

/* ---- Mod ---- */

static int32_t mod_kernel(int32_t dtype, int fmod)
{
    switch (dtype) {
    case ER_DTYPE_FLOAT: return fmod ? ERK_er_f32_fmod : -1;
    case ER_DTYPE_DOUBLE: return fmod ? ERK_er_f64_fmod : -1;
#define ER_MOD_CASE(t, CODE) case CODE: return fmod ? ERK_er_##t##_fmod : ERK_er_##t##_mod;
    ER_MOD_CASE(i8, ER_DTYPE_INT8) ER_MOD_CASE(i16, ER_DTYPE_INT16) ER_MOD_CASE(i32, ER_DTYPE_INT32)
    ER_MOD_CASE(i64, ER_DTYPE_INT64) ER_MOD_CASE(u8, ER_DTYPE_UINT8) ER_MOD_CASE(u16, ER_DTYPE_UINT16)
    ER_MOD_CASE(u32, ER_DTYPE_UINT32) ER_MOD_CASE(u64, ER_DTYPE_UINT64)
#undef ER_MOD_CASE
    default: return -1;
    }
}

int mod_infer(er_graph *g, er_node *n)
{
    int64_t fmod;
    if (er_check_arity(g, n, 2, 2, 1, 1) || er_check_dtype(g, n, 0, arith_types) || er_check_dtype(g, n, 1, arith_types) ||
        er_attr_int(g, n, "fmod", 0, &fmod))
        return -1;
    er_tensor *a = er_in(g, n, 0), *b = er_in(g, n, 1);
    if (a->dtype != b->dtype)
        return er_node_fail(g, n, "inputs have different types %s and %s", er_dtype_name(a->dtype),
                            er_dtype_name(b->dtype));
    if (mod_kernel(a->dtype, fmod != 0) < 0) return er_node_fail(g, n, "floating-point Mod needs fmod = 1");
    int64_t dims[ER_MAX_RANK];
    int32_t rank;
    if (er_broadcast_shape(g, n, a, b, &rank, dims)) return -1;
    return er_set_output(g, n, 0, a->dtype, rank, dims);
}

int mod_lower(er_graph *g, er_node *n)
{
    int64_t fmod;
    if (er_attr_int(g, n, "fmod", 0, &fmod)) return -1;
    er_tensor *a = er_in(g, n, 0), *b = er_in(g, n, 1), *y = er_out(g, n, 0);
    er_binary_params p;
    if (broadcast_params(g, n, a, b, y, &p)) return -1;
    return ER_CALL(g, n, mod_kernel(a->dtype, fmod != 0), p, a->id, b->id, y->id);
}
