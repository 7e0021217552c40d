/* ops.c - the operator table and the helpers every op_*.c file uses. */
#include "ops.h"

#include <stdio.h>
#include <string.h>

/* Adding an operator is a user-visible change: the list in README.md goes with it. */
_Static_assert(ER_OP_COUNT == 84, "ops.def changed: update the operator list in README.md");

const er_op_def er_ops[ER_OP_COUNT] = {
#define ER_OP(name, infer, lower) {#name, infer, lower},
#include "ops.def"
#undef ER_OP
};

int32_t er_op_lookup(const char *op_type)
{
    for (int32_t i = 0; i < ER_OP_COUNT; i++)
        if (!strcmp(er_ops[i].name, op_type)) return i;
    return -1;
}

int er_node_fail(const er_graph *g, const er_node *n, const char *fmt, ...)
{
    (void)g;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return er_fail("%s node '%s': %s", n->op_type, n->name, msg);
}

int er_check_arity(const er_graph *g, const er_node *n, int32_t min_in, int32_t max_in, int32_t min_out,
                   int32_t max_out)
{
    int32_t n_in = n->n_in, n_out = n->n_out;
    /* Trailing omitted optionals do not count. */
    while (n_in > 0 && n->in[n_in - 1] < 0) n_in--;
    while (n_out > 0 && n->out[n_out - 1] < 0) n_out--;
    if (n_in < min_in || n_in > max_in) {
        if (min_in == max_in) return er_node_fail(g, n, "expects %d inputs, has %d", min_in, n_in);
        return er_node_fail(g, n, "expects %d to %d inputs, has %d", min_in, max_in, n_in);
    }
    if (n_out < min_out || n_out > max_out)
        return er_node_fail(g, n, "expects %d to %d outputs, has %d", min_out, max_out, n_out);
    for (int32_t i = 0; i < min_in; i++)
        if (n->in[i] < 0) return er_node_fail(g, n, "required input %d is empty", i);
    if (min_out > 0 && n->out[0] < 0) return er_node_fail(g, n, "output 0 is empty");
    return 0;
}

int er_require_input(const er_graph *g, const er_node *n, int32_t input, const char *what)
{
    if (!er_in(g, n, input)) return er_node_fail(g, n, "input %d (%s) is required", input, what);
    return 0;
}

int er_check_dtype(const er_graph *g, const er_node *n, int32_t input, const int32_t *allowed)
{
    const er_tensor *t = er_in(g, n, input);
    if (!t) return er_node_fail(g, n, "input %d is required", input);
    for (const int32_t *a = allowed; *a; a++)
        if (t->dtype == *a) return 0;
    return er_node_fail(g, n, "input %d '%s' has type %s, which this operator does not support here", input,
                        t->name, er_dtype_name(t->dtype));
}

const onnx_attr *er_attr(const er_node *n, const char *name)
{
    for (int32_t i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

static int attr_type(const er_graph *g, const er_node *n, const onnx_attr *a, int32_t want)
{
    if (a->type != want)
        return er_node_fail(g, n, "attribute '%s' must be %s, got %s", a->name, onnx_attr_type_name(want),
                            onnx_attr_type_name(a->type));
    return 0;
}

int er_attr_int(const er_graph *g, const er_node *n, const char *name, int64_t def, int64_t *out)
{
    const onnx_attr *a = er_attr(n, name);
    if (!a) {
        *out = def;
        return 0;
    }
    if (attr_type(g, n, a, ONNX_ATTR_INT)) return -1;
    *out = a->i;
    return 0;
}

int er_attr_float(const er_graph *g, const er_node *n, const char *name, float def, float *out)
{
    const onnx_attr *a = er_attr(n, name);
    if (!a) {
        *out = def;
        return 0;
    }
    if (attr_type(g, n, a, ONNX_ATTR_FLOAT)) return -1;
    *out = a->f;
    return 0;
}

int er_attr_string(const er_graph *g, const er_node *n, const char *name, const char *def, const char **out)
{
    const onnx_attr *a = er_attr(n, name);
    if (!a) {
        *out = def;
        return 0;
    }
    if (attr_type(g, n, a, ONNX_ATTR_STRING)) return -1;
    /* An empty string has no data at all (NULL), which memchr may not be given. */
    if (a->s.len && memchr(a->s.data, 0, a->s.len))
        return er_node_fail(g, n, "attribute '%s' contains a NUL byte", name);
    *out = er_strndup(g->pool, (const char *)a->s.data, a->s.len);
    return *out ? 0 : -1;
}

int er_attr_ints(const er_graph *g, const er_node *n, const char *name, int64_t *out, int32_t max,
                 int32_t *count)
{
    const onnx_attr *a = er_attr(n, name);
    *count = -1;
    if (!a) return 0;
    if (attr_type(g, n, a, ONNX_ATTR_INTS)) return -1;
    if (a->n_ints > max) return er_node_fail(g, n, "attribute '%s' has %d values, at most %d are supported", name,
                                             a->n_ints, max);
    if (a->n_ints) memcpy(out, a->ints, (size_t)a->n_ints * sizeof *out);
    *count = a->n_ints;
    return 0;
}

int er_attr_floats(const er_graph *g, const er_node *n, const char *name, float *out, int32_t max,
                   int32_t *count)
{
    const onnx_attr *a = er_attr(n, name);
    *count = -1;
    if (!a) return 0;
    if (attr_type(g, n, a, ONNX_ATTR_FLOATS)) return -1;
    if (a->n_floats > max) return er_node_fail(g, n, "attribute '%s' has %d values, at most %d are supported",
                                               name, a->n_floats, max);
    if (a->n_floats) memcpy(out, a->floats, (size_t)a->n_floats * sizeof *out);
    *count = a->n_floats;
    return 0;
}

int er_input_ints(er_graph *g, const er_node *n, int32_t input, const char *what, int64_t *out, int32_t max,
                  int32_t *count)
{
    er_tensor *t = er_in(g, n, input);
    *count = -1;
    if (!t) return 0;
    if (t->dtype != ER_DTYPE_INT64 && t->dtype != ER_DTYPE_INT32)
        return er_node_fail(g, n, "input '%s' (%s) must be int64 or int32, is %s", t->name, what,
                            er_dtype_name(t->dtype));
    if (t->rank > 1) return er_node_fail(g, n, "input '%s' (%s) must be 1-D, has rank %d", t->name, what, t->rank);
    const void *data = er_const_data(g, t);
    if (!data)
        return er_node_fail(g, n, "input '%s' (%s) must be a constant: edgerun compiles static shapes only",
                            t->name, what);
    if (t->count > max)
        return er_node_fail(g, n, "input '%s' (%s) has %lld values, at most %d are supported", t->name, what,
                            (long long)t->count, max);
    for (int64_t i = 0; i < t->count; i++)
        out[i] = t->dtype == ER_DTYPE_INT64 ? ((const int64_t *)data)[i] : ((const int32_t *)data)[i];
    *count = (int32_t)t->count;
    return 0;
}

int er_input_floats(er_graph *g, const er_node *n, int32_t input, const char *what, double *out,
                    int32_t max, int32_t *count)
{
    er_tensor *t = er_in(g, n, input);
    *count = -1;
    if (!t) return 0;
    if (t->dtype != ER_DTYPE_FLOAT && t->dtype != ER_DTYPE_DOUBLE)
        return er_node_fail(g, n, "input '%s' (%s) must be float, is %s", t->name, what, er_dtype_name(t->dtype));
    const void *data = er_const_data(g, t);
    if (!data)
        return er_node_fail(g, n, "input '%s' (%s) must be a constant: edgerun compiles static shapes only",
                            t->name, what);
    if (t->count > max)
        return er_node_fail(g, n, "input '%s' (%s) has %lld values, at most %d are supported", t->name, what,
                            (long long)t->count, max);
    for (int64_t i = 0; i < t->count; i++)
        out[i] = t->dtype == ER_DTYPE_FLOAT ? ((const float *)data)[i] : ((const double *)data)[i];
    *count = (int32_t)t->count;
    return 0;
}

int er_axis(const er_graph *g, const er_node *n, int64_t axis, int32_t rank, const char *what, int32_t *out)
{
    if (axis < -(int64_t)rank || axis >= rank)
        return er_node_fail(g, n, "%s %lld is out of range for rank %d", what, (long long)axis, rank);
    *out = (int32_t)(axis < 0 ? axis + rank : axis);
    return 0;
}

int er_set_output(er_graph *g, er_node *n, int32_t i, int32_t dtype, int32_t rank, const int64_t *dims)
{
    er_tensor *t = er_out(g, n, i);
    if (!t) return 0; /* an omitted optional output */
    return er_tensor_set_shape(g, t, dtype, rank, dims);
}

int er_set_view(er_graph *g, er_node *n, int32_t out, int32_t in, int32_t rank, const int64_t *dims)
{
    er_tensor *x = er_in(g, n, in);
    er_tensor *y = er_out(g, n, out);
    if (!y) return 0;
    if (er_tensor_set_shape(g, y, x->dtype, rank, dims)) return -1;
    if (y->count != x->count)
        return er_node_fail(g, n, "output has %lld elements but input '%s' has %lld", (long long)y->count, x->name,
                            (long long)x->count);
    y->store = ER_STORE_VIEW;
    y->view_of = x->id;
    return 0;
}

int32_t er_temp_new(er_graph *g, const er_node *n, const char *role, int32_t dtype, int32_t rank,
                    const int64_t *dims)
{
    char *name = er_sprintf(g->pool, "%s:%s", n->name[0] ? n->name : n->op_type, role);
    if (!name) return -1;
    int32_t id = er_tensor_new(g, name);
    if (id < 0 || er_tensor_set_shape(g, er_t(g, id), dtype, rank, dims)) return -1;
    return id;
}

int er_forced_algo(er_graph *g, const er_node *n, const er_algo *table, int32_t count, int32_t *forced, int *by_name)
{
    *forced = -1;
    *by_name = 0;
    const er_algo_choice *pick = NULL;
    for (int32_t i = 0; i < g->n_algo_forced; i++) {
        er_algo_choice *c = &g->algo_forced[i];
        if (!strcmp(c->node, n->name)) {
            c->used = 1;
            pick = c;
            break;
        }
        if (!strcmp(c->node, "*") && !pick) pick = c;
    }
    if (!pick) return 0;
    for (int32_t a = 0; a < count; a++)
        if (!strcmp(table[a].name, pick->algo)) {
            *forced = a;
            *by_name = strcmp(pick->node, "*") != 0;
            ((er_algo_choice *)pick)->used = 1;
            return 0;
        }
    if (!strcmp(pick->node, "*")) return 0; /* an algorithm of another operator family */
    char known[256] = "";
    for (int32_t a = 0; a < count; a++) {
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", a ? ", " : "", table[a].name);
    }
    return er_node_fail(g, n, "--algo: %s has no algorithm '%s' (it has: %s)", n->op_type, pick->algo, known);
}

void er_set_call_sink(er_graph *g, er_vec *sink)
{
    g->call_sink = sink;
}

int er_call_add(er_graph *g, const er_node *n, int32_t k, const void *params, size_t params_size,
                int32_t n_args, const int32_t *args)
{
    if (k < 0 || k >= ERK_COUNT) return er_node_fail(g, n, "internal error: no kernel for this case");
    const er_kernel_def *kd = &er_kernels[k];
    if (params_size != kd->params_size || n_args != kd->n_args || n_args > ER_MAX_ARGS)
        return er_node_fail(g, n, "internal error: call of %s with %zu-byte params and %d args", kd->name,
                            params_size, n_args);
    er_call *c = er_alloc_bytes(g->pool, sizeof *c);
    void *p = er_alloc_bytes(g->pool, params_size);
    if (!c || !p) return -1;
    memcpy(p, params, params_size);
    c->kernel = k;
    c->params = p;
    c->n_args = n_args;
    for (int32_t i = 0; i < n_args; i++) c->args[i] = args[i];
    c->node = n->id;
    return er_vec_push(g->pool, g->call_sink ? g->call_sink : &g->calls, c) < 0 ? -1 : 0;
}

/* The typed families are laid out in er_kernels.def in ER_ARITH_TYPE_LIST order,
   seven binary kernels per type; unary kernels exist for f32 only. */
int32_t er_kernel_typed(int32_t f32_kernel, int32_t dtype)
{
#define ER_COUNT_TYPE(t, ctype) +1
    enum { n_types = 0 ER_ARITH_TYPE_LIST(ER_COUNT_TYPE) };
#undef ER_COUNT_TYPE
    static const int32_t codes[] = {ER_DTYPE_FLOAT, ER_DTYPE_DOUBLE, ER_DTYPE_INT8, ER_DTYPE_INT16,
                                    ER_DTYPE_INT32, ER_DTYPE_INT64, ER_DTYPE_UINT8, ER_DTYPE_UINT16,
                                    ER_DTYPE_UINT32, ER_DTYPE_UINT64};
    _Static_assert(n_types == sizeof codes / sizeof *codes, "codes[] must follow ER_ARITH_TYPE_LIST");
    if (f32_kernel < ERK_er_f32_add || f32_kernel > ERK_er_f32_pow) return dtype == ER_DTYPE_FLOAT ? f32_kernel : -1;
    for (int32_t i = 0; i < (int32_t)(sizeof codes / sizeof *codes); i++)
        if (codes[i] == dtype) return f32_kernel + i * (ERK_er_f64_add - ERK_er_f32_add);
    return -1;
}

int32_t er_kernel_sized(int32_t x32_kernel, int32_t dtype)
{
    /* x8, x16, x32, x64 members are consecutive in er_kernels.def. */
    switch (er_dtype_size(dtype)) {
    case 1: return x32_kernel - 2;
    case 2: return x32_kernel - 1;
    case 4: return x32_kernel;
    case 8: return x32_kernel + 1;
    default: return -1;
    }
}

int er_lower_copy(er_graph *g, const er_node *n, int32_t src, int32_t dst)
{
    er_tensor *t = er_t(g, dst);
    int64_t bytes = t->count * (int64_t)er_dtype_size(t->dtype);
    if (bytes > INT32_MAX) return er_node_fail(g, n, "copy of %lld bytes is too large", (long long)bytes);
    er_copy_params p = {.n_bytes = (int32_t)bytes};
    return ER_CALL(g, n, ERK_er_copy, p, src, dst);
}

int er_lower_cast(er_graph *g, const er_node *n, int32_t x, int32_t y)
{
    er_cast_params p = {.n = (int32_t)er_t(g, y)->count, .from = er_t(g, x)->dtype, .to = er_t(g, y)->dtype};
    return ER_CALL(g, n, ERK_er_cast, p, x, y);
}

void er_strides(const er_tensor *t, int64_t *strides)
{
    int64_t s = 1;
    for (int32_t i = t->rank - 1; i >= 0; i--) {
        strides[i] = s;
        s *= t->dims[i];
    }
}

int er_broadcast_shape(const er_graph *g, const er_node *n, const er_tensor *a, const er_tensor *b,
                       int32_t *rank, int64_t *dims)
{
    int32_t r = a->rank > b->rank ? a->rank : b->rank;
    for (int32_t i = 0; i < r; i++) {
        int64_t da = i < r - a->rank ? 1 : a->dims[i - (r - a->rank)];
        int64_t db = i < r - b->rank ? 1 : b->dims[i - (r - b->rank)];
        if (da != db && da != 1 && db != 1) {
            char sa[128], sb[128];
            return er_node_fail(g, n, "shapes %s of '%s' and %s of '%s' do not broadcast (dim %d: %lld vs %lld)",
                                er_shape_str(a, sa, sizeof sa), a->name, er_shape_str(b, sb, sizeof sb), b->name, i,
                                (long long)da, (long long)db);
        }
        dims[i] = da == 1 ? db : da;
    }
    *rank = r;
    return 0;
}
