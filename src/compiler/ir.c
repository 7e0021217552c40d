/* ir.c - tensors of the graph: creation, shapes, constants, lookups. */
#include "ir.h"

#include <stdio.h>
#include <string.h>

size_t er_dtype_size(int32_t dtype)
{
    switch (dtype) {
#define ER_DTYPE_SIZE(NAME, CODE, SHORT, CTYPE, SIZE) case CODE: return SIZE;
        ER_DTYPE_LIST(ER_DTYPE_SIZE)
#undef ER_DTYPE_SIZE
    default: return 0;
    }
}

const char *er_dtype_name(int32_t dtype)
{
    switch (dtype) {
    case ER_DTYPE_FLOAT: return "float32";
    case ER_DTYPE_DOUBLE: return "float64";
    case ER_DTYPE_INT8: return "int8";
    case ER_DTYPE_INT16: return "int16";
    case ER_DTYPE_INT32: return "int32";
    case ER_DTYPE_INT64: return "int64";
    case ER_DTYPE_UINT8: return "uint8";
    case ER_DTYPE_UINT16: return "uint16";
    case ER_DTYPE_UINT32: return "uint32";
    case ER_DTYPE_UINT64: return "uint64";
    case ER_DTYPE_BOOL: return "bool";
    case 8: return "string";
    case 10: return "float16";
    case 14: return "complex64";
    case 15: return "complex128";
    case 16: return "bfloat16";
    case 17: case 18: case 19: case 20: case 23: return "float8";
    case 21: return "uint4";
    case 22: return "int4";
    default: return "unknown";
    }
}

const char *er_dtype_ctype(int32_t dtype)
{
    switch (dtype) {
#define ER_DTYPE_C(NAME, CODE, SHORT, CTYPE, SIZE) case CODE: return #CTYPE;
        ER_DTYPE_LIST(ER_DTYPE_C)
#undef ER_DTYPE_C
    default: return "void";
    }
}

const char *er_shape_str(const er_tensor *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    used += (size_t)snprintf(buf, n, "[");
    for (int32_t i = 0; i < t->rank && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? "," : "", (long long)t->dims[i]);
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}

/* ---- name table: open addressing over tensor ids ---- */

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

int32_t er_tensor_find(const er_graph *g, const char *name)
{
    if (!g->name_cap) return -1;
    uint32_t mask = (uint32_t)g->name_cap - 1;
    for (uint32_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        int32_t id = g->name_table[i];
        if (id < 0) return -1;
        if (!strcmp(er_t(g, id)->name, name)) return id;
    }
}

int er_tensor_bind(er_graph *g, const char *name, int32_t id)
{
    if ((int64_t)(g->tensors.count + 1) * 2 > g->name_cap) {
        int32_t cap = g->name_cap ? g->name_cap * 2 : 256;
        while ((int64_t)(g->tensors.count + 1) * 2 > cap) cap *= 2;
        int32_t *table = er_alloc_array(g->pool, (size_t)cap, sizeof *table);
        if (!table) return -1;
        for (int32_t i = 0; i < cap; i++) table[i] = -1;
        int32_t *old = g->name_table;
        int32_t old_cap = g->name_cap;
        g->name_table = table;
        g->name_cap = cap;
        for (int32_t i = 0; i < old_cap; i++)
            if (old[i] >= 0) er_tensor_bind(g, er_t(g, old[i])->name, old[i]);
    }
    uint32_t mask = (uint32_t)g->name_cap - 1;
    uint32_t i = hash_name(name) & mask;
    while (g->name_table[i] >= 0) i = (i + 1) & mask;
    g->name_table[i] = id;
    return 0;
}

int32_t er_tensor_new(er_graph *g, const char *name)
{
    er_tensor *t = er_alloc_bytes(g->pool, sizeof *t);
    if (!t) return -1;
    t->name = er_strdup(g->pool, name);
    if (!t->name) return -1;
    t->view_of = -1;
    t->twin = -1;
    t->input_index = -1;
    t->output_index = -1;
    t->first = t->last = -1;
    t->symbol = -1;
    int32_t id = er_vec_push(g->pool, &g->tensors, t);
    if (id < 0) return -1;
    t->id = id;
    return id;
}

int er_tensor_set_shape(er_graph *g, er_tensor *t, int32_t dtype, int32_t rank, const int64_t *dims)
{
    (void)g;
    if (!er_dtype_size(dtype))
        return er_fail("tensor '%s' has element type %s (%d), which edgerun does not support", t->name,
                       er_dtype_name(dtype), dtype);
    if (rank < 0 || rank > ER_MAX_RANK)
        return er_fail("tensor '%s' has rank %d; edgerun supports up to %d", t->name, rank, ER_MAX_RANK);
    /* The limit holds for the product of the non-zero dims (the count, unless
       a dim is 0): an empty tensor's other dims still become strides
       (broadcasts, slices), which must not overflow either. */
    int64_t extent = 1;
    int empty = 0;
    for (int32_t i = 0; i < rank; i++) {
        if (dims[i] < 0) return er_fail("tensor '%s' has negative dimension %lld", t->name, (long long)dims[i]);
        if (dims[i] == 0) empty = 1;
        else if (er_mul_i64(extent, dims[i], &extent) || extent > INT32_MAX)
            return er_fail("tensor '%s' has more than %d elements", t->name, INT32_MAX);
        t->dims[i] = dims[i];
    }
    const int64_t count = empty ? 0 : extent;
    int64_t bytes;
    if (er_mul_i64(count, (int64_t)er_dtype_size(dtype), &bytes) || bytes > ((int64_t)1 << 40))
        return er_fail("tensor '%s' is too large", t->name);
    t->dtype = dtype;
    t->rank = rank;
    t->count = count;
    return 0;
}

int er_tensor_set_const(er_graph *g, er_tensor *t, const void *data)
{
    size_t bytes = (size_t)t->count * er_dtype_size(t->dtype);
    void *copy = er_alloc_bytes(g->pool, bytes ? bytes : 1);
    if (!copy) return -1;
    if (bytes) memcpy(copy, data, bytes);
    t->store = ER_STORE_CONST;
    t->data = copy;
    t->splat = 0;
    t->view_of = -1;
    return 0;
}

int er_tensor_set_splat(er_graph *g, er_tensor *t, const void *value)
{
    size_t size = er_dtype_size(t->dtype);
    void *copy = er_alloc_bytes(g->pool, size);
    if (!copy) return -1;
    memcpy(copy, value, size);
    t->store = ER_STORE_CONST;
    t->data = copy;
    t->splat = 1;
    t->view_of = -1;
    return 0;
}

int32_t er_const_new(er_graph *g, const char *name, int32_t dtype, int32_t rank, const int64_t *dims,
                     const void *data)
{
    int32_t id = er_tensor_new(g, name);
    if (id < 0) return -1;
    er_tensor *t = er_t(g, id);
    if (er_tensor_set_shape(g, t, dtype, rank, dims) || er_tensor_set_const(g, t, data)) return -1;
    return id;
}

er_tensor *er_storage(const er_graph *g, er_tensor *t)
{
    while (t->store == ER_STORE_VIEW) t = er_t(g, t->view_of);
    return t;
}

int er_is_const(const er_graph *g, const er_tensor *t)
{
    return er_storage(g, (er_tensor *)t)->store == ER_STORE_CONST;
}

int er_is_static(const er_graph *g, const er_tensor *t)
{
    er_store s = er_storage(g, (er_tensor *)t)->store;
    return s == ER_STORE_CONST || s == ER_STORE_LAZY;
}

/* A graph input whose value decides a shape, taken from --values-from. */
static int bind_input(er_graph *g, er_tensor *t)
{
    size_t len;
    char *path = er_sprintf(g->pool, "%s/input_%d.pb", g->values_dir, t->input_index);
    uint8_t *bytes = path ? er_read_file(g->pool, path, (size_t)1 << 30, &len) : NULL;
    onnx_tensor *src = bytes ? onnx_read_tensor(g->pool, bytes, len) : NULL;
    if (!src) return -1;
    int64_t count = 1;
    for (int32_t i = 0; i < src->n_dims; i++) count *= src->dims[i];
    if (src->data_type != t->dtype || count != t->count)
        return er_fail("%s holds %s x %lld, graph input '%s' is %s x %lld", path, er_dtype_name(src->data_type),
                       (long long)count, t->name, er_dtype_name(t->dtype), (long long)t->count);
    void *data;
    if (onnx_tensor_data(g->pool, src, er_dtype_size(t->dtype), t->count, &data)) return -1;
    t->store = ER_STORE_CONST;
    t->data = data;
    t->splat = 0;
    t->input_index = -1;
    return 0;
}

const void *er_const_data(er_graph *g, er_tensor *t)
{
    er_tensor *s = er_storage(g, t);
    if (s->store == ER_STORE_ARENA && s->input_index >= 0 && g->values_dir && bind_input(g, s)) return NULL;
    if (s->store != ER_STORE_CONST) return NULL;
    if (s->splat) {
        /* Materialise on first need; huge splats are never asked for by value. */
        size_t size = er_dtype_size(s->dtype);
        unsigned char *full = er_alloc_array(g->pool, (size_t)(s->count ? s->count : 1), size);
        if (!full) return NULL;
        for (int64_t i = 0; i < s->count; i++) memcpy(full + (size_t)i * size, s->data, size);
        s->data = full;
        s->splat = 0;
    }
    return s->data;
}
