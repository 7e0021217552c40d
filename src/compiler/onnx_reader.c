/* onnx_reader.c - protobuf wire format reader for the ONNX messages edgerun needs.

   Wire format in brief: a message is a sequence of (key, value) pairs, key =
   field_number << 3 | wire_type; wire types 0 varint, 1 fixed64, 2 length-
   delimited (strings, bytes, sub-messages, packed repeated scalars), 5
   fixed32. Repeated scalars may arrive packed or one per key, and both forms
   must be accepted. Field numbers below are those of onnx/onnx.proto. */
#include "onnx.h"

#include <string.h>

typedef struct pb {
    const uint8_t *p, *end;
    const uint8_t *base;   /* start of the file, for offsets in messages */
    const char *msg;       /* message type being read, for messages */
} pb;

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static size_t pb_off(const pb *r)
{
    return (size_t)(r->p - r->base);
}

static int pb_varint(pb *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return er_fail("truncated varint at offset %zu in %s", pb_off(r), r->msg);
        uint8_t b = *r->p++;
        if (shift == 63 && (b & 0x7e))
            return er_fail("varint overflows 64 bits at offset %zu in %s", pb_off(r) - 1, r->msg);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return er_fail("varint longer than 10 bytes at offset %zu in %s", pb_off(r), r->msg);
}

static int pb_fixed(pb *r, size_t n, uint64_t *out)
{
    if ((size_t)(r->end - r->p) < n)
        return er_fail("truncated %zu-byte field at offset %zu in %s", n, pb_off(r), r->msg);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *out = v;
    return 0;
}

/* Next key; returns 1 with field/wire set, 0 at the end of the message, -1 on error. */
static int pb_key(pb *r, uint32_t *field, int *wire)
{
    if (r->p >= r->end) return 0;
    size_t at = pb_off(r);
    uint64_t key;
    if (pb_varint(r, &key)) return -1;
    *field = (uint32_t)(key >> 3);
    *wire = (int)(key & 7);
    if (*field == 0 || key >> 32)
        return er_fail("invalid field number at offset %zu in %s", at, r->msg);
    return 1;
}

/* The payload of a length-delimited field, as a sub-reader. */
static int pb_len(pb *r, pb *sub, const char *msg)
{
    uint64_t n;
    size_t at = pb_off(r);
    if (pb_varint(r, &n)) return -1;
    if (n > (uint64_t)(r->end - r->p))
        return er_fail("length %llu at offset %zu in %s runs past the end of its message (%zu bytes left)",
                       (unsigned long long)n, at, r->msg, (size_t)(r->end - r->p));
    sub->p = r->p;
    sub->end = r->p + n;
    sub->base = r->base;
    sub->msg = msg;
    r->p += n;
    return 0;
}

static int pb_skip(pb *r, int wire, uint32_t field)
{
    uint64_t v;
    pb sub = {0};
    switch (wire) {
    case WT_VARINT: return pb_varint(r, &v);
    case WT_I64: return pb_fixed(r, 8, &v);
    case WT_I32: return pb_fixed(r, 4, &v);
    case WT_LEN: return pb_len(r, &sub, r->msg);
    default:
        return er_fail("unsupported wire type %d for field %u at offset %zu in %s", wire, field, pb_off(r), r->msg);
    }
}

static int pb_expect(const pb *r, int wire, int want, uint32_t field)
{
    if (wire != want)
        return er_fail("field %u of %s has wire type %d, expected %d (offset %zu)", field, r->msg, wire, want,
                       pb_off(r));
    return 0;
}

static int pb_string(er_pool *pool, pb *r, int wire, uint32_t field, const char **out)
{
    pb sub = {0};
    if (pb_expect(r, wire, WT_LEN, field) || pb_len(r, &sub, r->msg)) return -1;
    size_t n = (size_t)(sub.end - sub.p);
    if (memchr(sub.p, 0, n))
        return er_fail("string field %u of %s contains a NUL byte (offset %zu)", field, r->msg, pb_off(&sub));
    *out = er_strndup(pool, (const char *)sub.p, n);
    return *out ? 0 : -1;
}

static int pb_bytes(pb *r, int wire, uint32_t field, onnx_bytes *out)
{
    pb sub = {0};
    if (pb_expect(r, wire, WT_LEN, field) || pb_len(r, &sub, r->msg)) return -1;
    out->data = sub.p;
    out->len = (size_t)(sub.end - sub.p);
    return 0;
}

/* ---- growable arrays of any element type ---- */

typedef struct grow {
    void *items;
    int64_t count, cap;
} grow;

/* Room for one more element of `size` bytes; returns a pointer to it. */
static void *grow_push(er_pool *pool, grow *g, size_t size)
{
    if (g->count == g->cap) {
        int64_t cap = g->cap ? g->cap * 2 : 4;
        if (cap > INT32_MAX) {
            er_fail("repeated field has more than %d elements", INT32_MAX);
            return NULL;
        }
        void *items = er_alloc_array(pool, (size_t)cap, size);
        if (!items) return NULL;
        if (g->count) memcpy(items, g->items, (size_t)g->count * size);
        g->items = items;
        g->cap = cap;
    }
    return (char *)g->items + (size_t)g->count++ * size;
}

static int push_string(er_pool *pool, grow *g, pb *r, int wire, uint32_t field)
{
    const char **slot = grow_push(pool, g, sizeof(const char *));
    return slot ? pb_string(pool, r, wire, field, slot) : -1;
}

/* A repeated scalar: one element per key (wire `scalar_wire`) or packed (WT_LEN).
   `kind`: 'v' varint as int64, 'u' varint as uint64, 'i' varint as int32, 'f' fixed32 float,
   'd' fixed64 double. */
static int push_scalars(er_pool *pool, grow *g, pb *r, int wire, uint32_t field, char kind)
{
    int scalar_wire = (kind == 'f') ? WT_I32 : (kind == 'd') ? WT_I64 : WT_VARINT;
    size_t size = (kind == 'f' || kind == 'i') ? 4 : 8;
    pb sub = {0};
    if (wire == WT_LEN) {
        if (pb_len(r, &sub, r->msg)) return -1;
        /* Packed fixed-size data can be sized (and checked) before reading. */
        if (scalar_wire != WT_VARINT && (size_t)(sub.end - sub.p) % size)
            return er_fail("packed field %u of %s has %zu bytes, not a multiple of %zu (offset %zu)", field, r->msg,
                           (size_t)(sub.end - sub.p), size, pb_off(&sub));
    } else if (wire == scalar_wire) {
        sub = *r;
    } else {
        return pb_expect(r, wire, scalar_wire, field);
    }
    do {
        void *slot = grow_push(pool, g, size);
        if (!slot) return -1;
        uint64_t v = 0;
        if (scalar_wire == WT_VARINT ? pb_varint(&sub, &v) : pb_fixed(&sub, size, &v)) return -1;
        if (kind == 'i') {
            int32_t x = (int32_t)(uint32_t)v;
            memcpy(slot, &x, 4);
        } else if (kind == 'f') {
            uint32_t x = (uint32_t)v;
            memcpy(slot, &x, 4);
        } else {
            memcpy(slot, &v, 8);
        }
    } while (wire == WT_LEN && sub.p < sub.end);
    if (wire != WT_LEN) *r = sub;
    return 0;
}

static int read_int(pb *r, int wire, uint32_t field, int64_t *out)
{
    uint64_t v;
    if (pb_expect(r, wire, WT_VARINT, field) || pb_varint(r, &v)) return -1;
    *out = (int64_t)v;
    return 0;
}

/* ---- messages ---- */

static int read_tensor(er_pool *pool, pb *r, onnx_tensor *t)
{
    grow dims = {0}, f = {0}, i32 = {0}, i64 = {0}, d = {0}, u64 = {0};
    uint32_t field;
    int wire, k;
    int64_t v;
    t->offset = pb_off(r);
    while ((k = pb_key(r, &field, &wire)) > 0) {
        int rc = 0;
        switch (field) {
        case 1: rc = push_scalars(pool, &dims, r, wire, field, 'v'); break;
        case 2: rc = read_int(r, wire, field, &v); t->data_type = (int32_t)v; break;
        case 3: t->segmented = 1; rc = pb_skip(r, wire, field); break;
        case 4: rc = push_scalars(pool, &f, r, wire, field, 'f'); break;
        case 5: rc = push_scalars(pool, &i32, r, wire, field, 'i'); break;
        case 6: t->n_string++; rc = pb_skip(r, wire, field); break;
        case 7: rc = push_scalars(pool, &i64, r, wire, field, 'v'); break;
        case 8: rc = pb_string(pool, r, wire, field, &t->name); break;
        case 9: rc = pb_bytes(r, wire, field, &t->raw); t->has_raw = 1; break;
        case 10: rc = push_scalars(pool, &d, r, wire, field, 'd'); break;
        case 11: rc = push_scalars(pool, &u64, r, wire, field, 'u'); break;
        case 14: rc = read_int(r, wire, field, &v); t->external = (v == 1); break;
        default: rc = pb_skip(r, wire, field); break;
        }
        if (rc) return -1;
    }
    if (k < 0) return -1;
    if (dims.count > 64) return er_fail("TensorProto '%s' has %lld dims (offset %zu)", t->name ? t->name : "",
                                        (long long)dims.count, t->offset);
    t->n_dims = (int32_t)dims.count;
    t->dims = dims.items;
    t->float_data = f.items; t->n_float = f.count;
    t->int32_data = i32.items; t->n_int32 = i32.count;
    t->int64_data = i64.items; t->n_int64 = i64.count;
    t->double_data = d.items; t->n_double = d.count;
    t->uint64_data = u64.items; t->n_uint64 = u64.count;
    if (!t->name) t->name = "";
    return 0;
}

static int read_sub(er_pool *pool, pb *r, int wire, uint32_t field, const char *msg, pb *sub)
{
    (void)pool;
    return pb_expect(r, wire, WT_LEN, field) || pb_len(r, sub, msg) ? -1 : 0;
}

static int read_attr(er_pool *pool, pb *r, onnx_attr *a)
{
    grow floats = {0}, ints = {0}, strings = {0};
    uint32_t field;
    int wire, k;
    int64_t v;
    uint64_t bits = 0;
    pb sub = {0};
    while ((k = pb_key(r, &field, &wire)) > 0) {
        int rc = 0;
        switch (field) {
        case 1: rc = pb_string(pool, r, wire, field, &a->name); break;
        case 2:
            rc = pb_expect(r, wire, WT_I32, field) || pb_fixed(r, 4, &bits);
            if (!rc) { uint32_t b32 = (uint32_t)bits; memcpy(&a->f, &b32, 4); }
            break;
        case 3: rc = read_int(r, wire, field, &a->i); break;
        case 4: rc = pb_bytes(r, wire, field, &a->s); break;
        case 5:
            a->t = er_alloc_bytes(pool, sizeof *a->t);
            rc = !a->t || read_sub(pool, r, wire, field, "TensorProto", &sub) || read_tensor(pool, &sub, a->t);
            break;
        case 6: a->has_graph = 1; rc = pb_skip(r, wire, field); break;
        case 7: rc = push_scalars(pool, &floats, r, wire, field, 'f'); break;
        case 8: rc = push_scalars(pool, &ints, r, wire, field, 'v'); break;
        case 9: {
            onnx_bytes *slot = grow_push(pool, &strings, sizeof *slot);
            rc = !slot || pb_bytes(r, wire, field, slot);
            break;
        }
        case 10: a->n_tensors++; rc = pb_skip(r, wire, field); break;
        case 11: a->n_graphs++; rc = pb_skip(r, wire, field); break;
        case 20: rc = read_int(r, wire, field, &v); a->type = (int32_t)v; break;
        case 21: rc = pb_string(pool, r, wire, field, &a->ref_attr_name); break;
        default: rc = pb_skip(r, wire, field); break;
        }
        if (rc) return -1;
    }
    if (k < 0) return -1;
    if (!a->name) return er_fail("AttributeProto without a name at offset %zu", pb_off(r));
    a->floats = floats.items; a->n_floats = (int32_t)floats.count;
    a->ints = ints.items; a->n_ints = (int32_t)ints.count;
    a->strings = strings.items; a->n_strings = (int32_t)strings.count;
    /* Old writers leave `type` unset; infer it from what is present. */
    if (a->type == ONNX_ATTR_UNDEFINED) {
        if (a->n_ints) a->type = ONNX_ATTR_INTS;
        else if (a->n_floats) a->type = ONNX_ATTR_FLOATS;
        else if (a->n_strings) a->type = ONNX_ATTR_STRINGS;
        else if (a->t) a->type = ONNX_ATTR_TENSOR;
        else if (a->s.data) a->type = ONNX_ATTR_STRING;
    }
    return 0;
}

static int read_node(er_pool *pool, pb *r, onnx_node *n)
{
    grow in = {0}, out = {0}, attrs = {0};
    uint32_t field;
    int wire, k;
    pb sub = {0};
    n->offset = pb_off(r);
    while ((k = pb_key(r, &field, &wire)) > 0) {
        int rc = 0;
        switch (field) {
        case 1: rc = push_string(pool, &in, r, wire, field); break;
        case 2: rc = push_string(pool, &out, r, wire, field); break;
        case 3: rc = pb_string(pool, r, wire, field, &n->name); break;
        case 4: rc = pb_string(pool, r, wire, field, &n->op_type); break;
        case 5: {
            onnx_attr *a = grow_push(pool, &attrs, sizeof *a);
            rc = !a || read_sub(pool, r, wire, field, "AttributeProto", &sub) || read_attr(pool, &sub, a);
            break;
        }
        case 7: rc = pb_string(pool, r, wire, field, &n->domain); break;
        default: rc = pb_skip(r, wire, field); break;
        }
        if (rc) return -1;
    }
    if (k < 0) return -1;
    if (!n->op_type) return er_fail("NodeProto without op_type at offset %zu", n->offset);
    if (!n->name) n->name = "";
    if (!n->domain) n->domain = "";
    n->inputs = in.items; n->n_inputs = (int32_t)in.count;
    n->outputs = out.items; n->n_outputs = (int32_t)out.count;
    n->attrs = attrs.items; n->n_attrs = (int32_t)attrs.count;
    return 0;
}

static int read_shape(er_pool *pool, pb *r, onnx_value_info *vi)
{
    grow dims = {0}, params = {0};
    uint32_t field, f2;
    int wire, w2, k, k2;
    pb dim;
    while ((k = pb_key(r, &field, &wire)) > 0) {
        if (field != 1) {
            if (pb_skip(r, wire, field)) return -1;
            continue;
        }
        int64_t *d = grow_push(pool, &dims, sizeof *d);
        const char **param = grow_push(pool, &params, sizeof *param);
        if (!d || !param || read_sub(pool, r, wire, field, "TensorShapeProto.Dimension", &dim)) return -1;
        *d = -1;
        *param = NULL;
        while ((k2 = pb_key(&dim, &f2, &w2)) > 0) {
            int rc;
            if (f2 == 1) {
                rc = read_int(&dim, w2, f2, d);
                if (!rc && *d < 0) rc = er_fail("negative dimension %lld in the shape of '%s'", (long long)*d, vi->name);
            } else if (f2 == 2) {
                rc = pb_string(pool, &dim, w2, f2, param);
            } else {
                rc = pb_skip(&dim, w2, f2);
            }
            if (rc) return -1;
        }
        if (k2 < 0) return -1;
    }
    if (k < 0) return -1;
    if (dims.count > 64) return er_fail("value '%s' has rank %lld", vi->name, (long long)dims.count);
    vi->rank = (int32_t)dims.count;
    vi->dims = dims.items;
    vi->dim_params = params.items;
    return 0;
}

static int read_value_info(er_pool *pool, pb *r, onnx_value_info *vi)
{
    uint32_t field, f2, f3;
    int wire, w2, w3, k, k2, k3;
    pb type, tensor, shape;
    vi->rank = -1;
    vi->name = "";
    while ((k = pb_key(r, &field, &wire)) > 0) {
        int rc = 0;
        if (field == 1) {
            rc = pb_string(pool, r, wire, field, &vi->name);
        } else if (field == 2) {
            if (read_sub(pool, r, wire, field, "TypeProto", &type)) return -1;
            while ((k2 = pb_key(&type, &f2, &w2)) > 0) {
                if (f2 != 1) {
                    if (pb_skip(&type, w2, f2)) return -1;
                    continue;
                }
                vi->is_tensor = 1;
                if (read_sub(pool, &type, w2, f2, "TypeProto.Tensor", &tensor)) return -1;
                while ((k3 = pb_key(&tensor, &f3, &w3)) > 0) {
                    int64_t v;
                    if (f3 == 1) {
                        if (read_int(&tensor, w3, f3, &v)) return -1;
                        vi->elem_type = (int32_t)v;
                    } else if (f3 == 2) {
                        if (read_sub(pool, &tensor, w3, f3, "TensorShapeProto", &shape) ||
                            read_shape(pool, &shape, vi))
                            return -1;
                    } else if (pb_skip(&tensor, w3, f3)) {
                        return -1;
                    }
                }
                if (k3 < 0) return -1;
            }
            if (k2 < 0) return -1;
        } else {
            rc = pb_skip(r, wire, field);
        }
        if (rc) return -1;
    }
    return k < 0 ? -1 : 0;
}

static int read_graph(er_pool *pool, pb *r, onnx_graph *g)
{
    grow nodes = {0}, inits = {0}, in = {0}, out = {0}, vis = {0};
    uint32_t field;
    int wire, k;
    pb sub = {0};
    while ((k = pb_key(r, &field, &wire)) > 0) {
        int rc = 0;
        void *slot;
        switch (field) {
        case 1:
            slot = grow_push(pool, &nodes, sizeof(onnx_node));
            rc = !slot || read_sub(pool, r, wire, field, "NodeProto", &sub) || read_node(pool, &sub, slot);
            break;
        case 2: rc = pb_string(pool, r, wire, field, &g->name); break;
        case 5:
            slot = grow_push(pool, &inits, sizeof(onnx_tensor));
            rc = !slot || read_sub(pool, r, wire, field, "TensorProto", &sub) || read_tensor(pool, &sub, slot);
            break;
        case 11: case 12: case 13:
            slot = grow_push(pool, field == 11 ? &in : field == 12 ? &out : &vis, sizeof(onnx_value_info));
            rc = !slot || read_sub(pool, r, wire, field, "ValueInfoProto", &sub) || read_value_info(pool, &sub, slot);
            break;
        case 15: g->n_sparse_initializers++; rc = pb_skip(r, wire, field); break;
        default: rc = pb_skip(r, wire, field); break;
        }
        if (rc) return -1;
    }
    if (k < 0) return -1;
    g->nodes = nodes.items; g->n_nodes = (int32_t)nodes.count;
    g->initializers = inits.items; g->n_initializers = (int32_t)inits.count;
    g->inputs = in.items; g->n_inputs = (int32_t)in.count;
    g->outputs = out.items; g->n_outputs = (int32_t)out.count;
    g->value_infos = vis.items; g->n_value_infos = (int32_t)vis.count;
    if (!g->name) g->name = "";
    return 0;
}

static int read_opset(er_pool *pool, pb *r, onnx_opset *o)
{
    uint32_t field;
    int wire, k;
    o->domain = "";
    while ((k = pb_key(r, &field, &wire)) > 0) {
        int rc = field == 1 ? pb_string(pool, r, wire, field, &o->domain)
                 : field == 2 ? read_int(r, wire, field, &o->version)
                              : pb_skip(r, wire, field);
        if (rc) return -1;
    }
    return k < 0 ? -1 : 0;
}

static int read_function(er_pool *pool, pb *r, onnx_function *f)
{
    grow in = {0}, out = {0}, attr_names = {0}, defaults = {0}, nodes = {0}, opsets = {0};
    uint32_t field;
    int wire, k;
    pb sub = {0};
    while ((k = pb_key(r, &field, &wire)) > 0) {
        int rc = 0;
        void *slot;
        switch (field) {
        case 1: rc = pb_string(pool, r, wire, field, &f->name); break;
        case 4: rc = push_string(pool, &in, r, wire, field); break;
        case 5: rc = push_string(pool, &out, r, wire, field); break;
        case 6: rc = push_string(pool, &attr_names, r, wire, field); break;
        case 7:
            slot = grow_push(pool, &nodes, sizeof(onnx_node));
            rc = !slot || read_sub(pool, r, wire, field, "NodeProto", &sub) || read_node(pool, &sub, slot);
            break;
        case 9:
            slot = grow_push(pool, &opsets, sizeof(onnx_opset));
            rc = !slot || read_sub(pool, r, wire, field, "OperatorSetIdProto", &sub) || read_opset(pool, &sub, slot);
            break;
        case 10: rc = pb_string(pool, r, wire, field, &f->domain); break;
        case 11:
            slot = grow_push(pool, &defaults, sizeof(onnx_attr));
            rc = !slot || read_sub(pool, r, wire, field, "AttributeProto", &sub) || read_attr(pool, &sub, slot);
            break;
        case 13: rc = pb_string(pool, r, wire, field, &f->overload); break;
        default: rc = pb_skip(r, wire, field); break;
        }
        if (rc) return -1;
    }
    if (k < 0) return -1;
    if (!f->name) return er_fail("FunctionProto without a name at offset %zu", pb_off(r));
    if (!f->domain) f->domain = "";
    if (!f->overload) f->overload = "";
    f->inputs = in.items; f->n_inputs = (int32_t)in.count;
    f->outputs = out.items; f->n_outputs = (int32_t)out.count;
    f->attr_names = attr_names.items; f->n_attr_names = (int32_t)attr_names.count;
    f->attr_defaults = defaults.items; f->n_attr_defaults = (int32_t)defaults.count;
    f->nodes = nodes.items; f->n_nodes = (int32_t)nodes.count;
    f->opsets = opsets.items; f->n_opsets = (int32_t)opsets.count;
    return 0;
}

onnx_model *onnx_read_model(er_pool *pool, const uint8_t *data, size_t len)
{
    pb r = {data, data + len, data, "ModelProto"}, sub;
    grow opsets = {0}, functions = {0};
    uint32_t field;
    int wire, k;
    onnx_model *m = er_alloc_bytes(pool, sizeof *m);
    if (!m) return NULL;
    if (len == 0) {
        er_fail("empty file, not an ONNX model");
        return NULL;
    }
    while ((k = pb_key(&r, &field, &wire)) > 0) {
        int rc = 0;
        void *slot;
        switch (field) {
        case 1: rc = read_int(&r, wire, field, &m->ir_version); break;
        case 2: rc = pb_string(pool, &r, wire, field, &m->producer_name); break;
        case 3: rc = pb_string(pool, &r, wire, field, &m->producer_version); break;
        case 7:
            if (m->graph) { rc = er_fail("ModelProto has two graphs (offset %zu)", pb_off(&r)); break; }
            m->graph = er_alloc_bytes(pool, sizeof *m->graph);
            rc = !m->graph || read_sub(pool, &r, wire, field, "GraphProto", &sub) || read_graph(pool, &sub, m->graph);
            break;
        case 8:
            slot = grow_push(pool, &opsets, sizeof(onnx_opset));
            rc = !slot || read_sub(pool, &r, wire, field, "OperatorSetIdProto", &sub) || read_opset(pool, &sub, slot);
            break;
        case 25:
            slot = grow_push(pool, &functions, sizeof(onnx_function));
            rc = !slot || read_sub(pool, &r, wire, field, "FunctionProto", &sub) || read_function(pool, &sub, slot);
            break;
        default: rc = pb_skip(&r, wire, field); break;
        }
        if (rc) return NULL;
    }
    if (k < 0) return NULL;
    if (!m->graph) {
        er_fail("no graph in the model: not an ONNX ModelProto");
        return NULL;
    }
    if (!m->producer_name) m->producer_name = "";
    if (!m->producer_version) m->producer_version = "";
    m->opsets = opsets.items; m->n_opsets = (int32_t)opsets.count;
    m->functions = functions.items; m->n_functions = (int32_t)functions.count;
    return m;
}

onnx_tensor *onnx_read_tensor(er_pool *pool, const uint8_t *data, size_t len)
{
    pb r = {data, data + len, data, "TensorProto"};
    onnx_tensor *t = er_alloc_bytes(pool, sizeof *t);
    if (!t || read_tensor(pool, &r, t)) return NULL;
    return t;
}

int64_t onnx_opset_version(const onnx_opset *opsets, int32_t n, const char *domain)
{
    int want_default = !domain[0] || !strcmp(domain, "ai.onnx");
    for (int32_t i = 0; i < n; i++) {
        const char *d = opsets[i].domain;
        int is_default = !d[0] || !strcmp(d, "ai.onnx");
        if (want_default ? is_default : !strcmp(d, domain)) return opsets[i].version;
    }
    return 0;
}

const char *onnx_attr_type_name(int32_t type)
{
    static const char *const names[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS",
                                        "INTS", "STRINGS", "TENSORS", "GRAPHS", "SPARSE_TENSOR",
                                        "SPARSE_TENSORS", "TYPE_PROTO"};
    return type >= 0 && type < (int32_t)(sizeof names / sizeof *names) ? names[type] : "unknown";
}

_Static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats expected");

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

int onnx_tensor_data(er_pool *pool, const onnx_tensor *t, size_t size, int64_t n, void **out)
{
    const char *name = t->name[0] ? t->name : "(unnamed)";
    if (t->external)
        return er_fail("tensor '%s' keeps its data in an external file, which edgerun does not read; "
                       "save the model with all tensors inside it", name);
    if (t->segmented) return er_fail("tensor '%s' is segmented, which edgerun does not support", name);
    if (!size || n < 0) return er_fail("tensor '%s' has an unsupported element type %d", name, t->data_type);
    /* The data the file holds is checked against the dims before anything is
       allocated for them: dims are only numbers, and a few bytes of them
       could otherwise ask for gigabytes that the data never fills. */
    if ((uint64_t)n > SIZE_MAX / size)
        return er_fail("tensor '%s' has %lld elements, too many to hold (offset %zu)", name, (long long)n, t->offset);
    if (t->has_raw) {
        if (t->raw.len != (size_t)n * size)
            return er_fail("tensor '%s': raw_data has %zu bytes, expected %zu for its dims (offset %zu)", name,
                           t->raw.len, (size_t)n * size, t->offset);
        if (!host_is_little_endian()) return er_fail("big-endian hosts are not supported");
    } else {
        int64_t have;
        switch (t->data_type) {
        case 1: have = t->n_float; break;                  /* FLOAT */
        case 11: have = t->n_double; break;                /* DOUBLE */
        case 7: have = t->n_int64; break;                  /* INT64 */
        case 12: case 13: have = t->n_uint64; break;       /* UINT32, UINT64 */
        default: have = t->n_int32; break;                 /* the narrow types and BOOL */
        }
        if (have != n)
            return er_fail("tensor '%s' has %lld elements of data, expected %lld for its dims (offset %zu)", name,
                           (long long)have, (long long)n, t->offset);
    }
    unsigned char *data = er_alloc_array(pool, (size_t)(n ? n : 1), size);
    if (!data) return -1;
    if (t->has_raw) {
        if (n) memcpy(data, t->raw.data, (size_t)n * size);
    } else {
        for (int64_t i = 0; i < n; i++) {
            void *dst = data + (size_t)i * size;
            switch (t->data_type) {
            case 1: memcpy(dst, &t->float_data[i], 4); break;
            case 11: memcpy(dst, &t->double_data[i], 8); break;
            case 7: memcpy(dst, &t->int64_data[i], 8); break;
            case 13: memcpy(dst, &t->uint64_data[i], 8); break;
            case 12: *(uint32_t *)dst = (uint32_t)t->uint64_data[i]; break;
            case 6: *(int32_t *)dst = t->int32_data[i]; break;
            case 5: *(int16_t *)dst = (int16_t)t->int32_data[i]; break;
            case 4: *(uint16_t *)dst = (uint16_t)t->int32_data[i]; break;
            case 3: *(int8_t *)dst = (int8_t)t->int32_data[i]; break;
            case 2: *(uint8_t *)dst = (uint8_t)t->int32_data[i]; break;
            case 9: *(uint8_t *)dst = t->int32_data[i] != 0; break;
            default: return er_fail("tensor '%s' has unsupported element type %d", name, t->data_type);
            }
        }
    }
    if (t->data_type == 9) /* BOOL: any non-zero byte is true */
        for (int64_t i = 0; i < n; i++) data[i] = data[i] != 0;
    *out = data;
    return 0;
}
