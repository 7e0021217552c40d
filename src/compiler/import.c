/* import.c - ONNX model -> er_graph: local functions inlined, names resolved,
   initializers decoded, nodes topologically sorted. */
#include "ir.h"

#include <stdio.h>
#include <string.h>

#include "ops.h"

int er_tensor_from_onnx(er_graph *g, er_tensor *t, const onnx_tensor *src)
{
    const char *name = src->name[0] ? src->name : t->name;
    if (src->n_dims > ER_MAX_RANK)
        return er_fail("tensor '%s' has rank %d; edgerun supports up to %d", name, src->n_dims, ER_MAX_RANK);
    if (src->data_type == 8 || src->n_string) return er_fail("tensor '%s' holds strings, which edgerun does not support", name);
    if (er_tensor_set_shape(g, t, src->data_type, src->n_dims, src->dims)) return -1;
    void *data;
    if (onnx_tensor_data(g->pool, src, er_dtype_size(t->dtype), t->count, &data)) return -1;
    t->store = ER_STORE_CONST;
    t->data = data;
    t->splat = 0;
    return 0;
}

/* ---- function inlining ---- */

typedef struct name_map {
    const char **from, **to;
    int32_t n;
} name_map;

static const char *map_name(const name_map *m, const char *name)
{
    for (int32_t i = 0; i < m->n; i++)
        if (!strcmp(m->from[i], name)) return m->to[i];
    return NULL;
}

static const onnx_function *find_function(const onnx_model *m, const onnx_node *n)
{
    for (int32_t i = 0; i < m->n_functions; i++) {
        const onnx_function *f = &m->functions[i];
        if (!strcmp(f->name, n->op_type) && !strcmp(f->domain, n->domain)) return f;
    }
    return NULL;
}

typedef struct node_list {
    onnx_node *items;
    int64_t *opsets;
    int32_t count, cap;
} node_list;

static int list_push(er_pool *pool, node_list *l, const onnx_node *n, int64_t opset)
{
    if (l->count == l->cap) {
        int32_t cap = l->cap ? l->cap * 2 : 64;
        onnx_node *items = er_alloc_array(pool, (size_t)cap, sizeof *items);
        int64_t *opsets = er_alloc_array(pool, (size_t)cap, sizeof *opsets);
        if (!items || !opsets) return -1;
        if (l->count) {
            memcpy(items, l->items, (size_t)l->count * sizeof *items);
            memcpy(opsets, l->opsets, (size_t)l->count * sizeof *opsets);
        }
        l->items = items;
        l->opsets = opsets;
        l->cap = cap;
    }
    l->items[l->count] = *n;
    l->opsets[l->count++] = opset;
    return 0;
}

static int expand_nodes(er_pool *pool, const onnx_model *m, const onnx_node *nodes, int32_t n_nodes, int64_t opset,
                        const name_map *names, const onnx_node *caller, const onnx_function *callee,
                        const char *prefix, int depth, node_list *out);

/* Replace a call of local function f by its body. */
static int inline_call(er_pool *pool, const onnx_model *m, const onnx_node *call, const onnx_function *f,
                       int64_t opset, int depth, node_list *out)
{
    if (depth > 32)
        return er_fail("local function '%s' nests more than 32 levels deep (recursive?)", f->name);
    if (call->n_inputs > f->n_inputs || call->n_outputs > f->n_outputs)
        return er_fail("node '%s' calls function '%s' with %d inputs/%d outputs; it declares %d/%d", call->name,
                       f->name, call->n_inputs, call->n_outputs, f->n_inputs, f->n_outputs);
    /* Formal parameters map to the caller's names; everything else in the body
       gets a name unique to this call site. */
    name_map map = {0};
    int32_t cap = f->n_inputs + f->n_outputs;
    map.from = er_alloc_array(pool, (size_t)(cap ? cap : 1), sizeof *map.from);
    map.to = er_alloc_array(pool, (size_t)(cap ? cap : 1), sizeof *map.to);
    if (!map.from || !map.to) return -1;
    for (int32_t i = 0; i < f->n_inputs; i++) {
        map.from[map.n] = f->inputs[i];
        map.to[map.n++] = i < call->n_inputs ? call->inputs[i] : "";
    }
    for (int32_t i = 0; i < f->n_outputs; i++) {
        map.from[map.n] = f->outputs[i];
        map.to[map.n++] = i < call->n_outputs ? call->outputs[i] : "";
    }
    int64_t body_opset = onnx_opset_version(f->opsets, f->n_opsets, "");
    /* Body nodes are named under the call site; a nested call's name already
       carries its own prefix. */
    char *inner = er_sprintf(pool, "%s/", call->name[0] ? call->name : f->name);
    if (!inner) return -1;
    return expand_nodes(pool, m, f->nodes, f->n_nodes, body_opset ? body_opset : opset, &map, call, f, inner,
                        depth + 1, out);
}

static const char *rename_value(er_pool *pool, const name_map *names, const char *prefix, const char *name)
{
    if (!names || !name[0]) return name;
    const char *mapped = map_name(names, name);
    return mapped ? mapped : er_sprintf(pool, "%s%s", prefix, name);
}

/* Resolve ref_attr_name attributes of a body node against the call site. */
static int bind_attrs(er_pool *pool, onnx_node *n, const onnx_node *caller, const onnx_function *callee)
{
    onnx_attr *attrs = er_alloc_array(pool, (size_t)(n->n_attrs ? n->n_attrs : 1), sizeof *attrs);
    if (!attrs) return -1;
    int32_t k = 0;
    for (int32_t i = 0; i < n->n_attrs; i++) {
        const onnx_attr *a = &n->attrs[i];
        if (!a->ref_attr_name) {
            attrs[k++] = *a;
            continue;
        }
        const onnx_attr *bound = NULL;
        for (int32_t j = 0; caller && j < caller->n_attrs && !bound; j++)
            if (!strcmp(caller->attrs[j].name, a->ref_attr_name)) bound = &caller->attrs[j];
        for (int32_t j = 0; callee && j < callee->n_attr_defaults && !bound; j++)
            if (!strcmp(callee->attr_defaults[j].name, a->ref_attr_name)) bound = &callee->attr_defaults[j];
        if (!bound) continue; /* unbound: the attribute is simply absent */
        attrs[k] = *bound;
        attrs[k].name = a->name;
        attrs[k].ref_attr_name = NULL;
        k++;
    }
    n->attrs = attrs;
    n->n_attrs = k;
    return 0;
}

static int expand_nodes(er_pool *pool, const onnx_model *m, const onnx_node *nodes, int32_t n_nodes, int64_t opset,
                        const name_map *names, const onnx_node *caller, const onnx_function *callee,
                        const char *prefix, int depth, node_list *out)
{
    for (int32_t i = 0; i < n_nodes; i++) {
        onnx_node n = nodes[i];
        if (names) {
            const char **in = er_alloc_array(pool, (size_t)(n.n_inputs ? n.n_inputs : 1), sizeof *in);
            const char **o = er_alloc_array(pool, (size_t)(n.n_outputs ? n.n_outputs : 1), sizeof *o);
            if (!in || !o) return -1;
            for (int32_t j = 0; j < n.n_inputs; j++)
                if (!(in[j] = rename_value(pool, names, prefix, n.inputs[j]))) return -1;
            for (int32_t j = 0; j < n.n_outputs; j++)
                if (!(o[j] = rename_value(pool, names, prefix, n.outputs[j]))) return -1;
            n.inputs = in;
            n.outputs = o;
            n.name = er_sprintf(pool, "%s%s", prefix, n.name[0] ? n.name : n.op_type);
            if (!n.name || bind_attrs(pool, &n, caller, callee)) return -1;
        }
        const onnx_function *f = find_function(m, &n);
        if (f) {
            if (inline_call(pool, m, &n, f, opset, depth, out)) return -1;
        } else if (list_push(pool, out, &n, opset)) {
            return -1;
        }
    }
    return 0;
}

/* ---- graph construction ---- */

static int add_graph_input(er_graph *g, const onnx_value_info *vi, int32_t index)
{
    if (!vi->is_tensor) return er_fail("graph input '%s' is not a tensor", vi->name);
    if (vi->rank < 0)
        return er_fail("graph input '%s' has no shape; edgerun compiles static shapes, export the model with one",
                       vi->name);
    int64_t dims[ER_MAX_RANK];
    if (vi->rank > ER_MAX_RANK) return er_fail("graph input '%s' has rank %d", vi->name, vi->rank);
    for (int32_t i = 0; i < vi->rank; i++) {
        dims[i] = vi->dims[i];
        if (dims[i] >= 0) continue;
        /* A symbolic batch dimension is the one dynamic dim a single-image model can pin. */
        if (i == 0) {
            dims[i] = 1;
            continue;
        }
        const char *sym = vi->dim_params[i];
        return er_fail("graph input '%s' has %s dimension%s%s%s at axis %d: edgerun compiles static shapes "
                       "(only a symbolic batch axis 0 is pinned to 1); export the model with a fixed size",
                       vi->name, sym ? "symbolic" : "unknown", sym ? " '" : "", sym ? sym : "", sym ? "'" : "", i);
    }
    int32_t id = er_tensor_new(g, vi->name);
    if (id < 0 || er_tensor_bind(g, vi->name, id)) return -1;
    er_tensor *t = er_t(g, id);
    if (er_tensor_set_shape(g, t, vi->elem_type, vi->rank, dims)) return -1;
    t->input_index = index;
    return id;
}

er_graph *er_import(er_pool *pool, const char *path, const onnx_model *m)
{
    const onnx_graph *og = m->graph;
    er_graph *g = er_alloc_bytes(pool, sizeof *g);
    if (!g) return NULL;
    g->pool = pool;
    g->path = path;
    g->producer = m->producer_name;
    g->opset = onnx_opset_version(m->opsets, m->n_opsets, "");
    if (!g->opset) g->opset = 1; /* ONNX: a model without opset_import uses opset 1 */
    if (g->opset > 25) {
        er_fail("model uses opset %lld; edgerun knows opsets up to 25", (long long)g->opset);
        return NULL;
    }
    if (og->n_sparse_initializers) {
        er_fail("graph has sparse initializers, which edgerun does not support");
        return NULL;
    }

    /* Initializers: constants. */
    for (int32_t i = 0; i < og->n_initializers; i++) {
        const onnx_tensor *src = &og->initializers[i];
        if (!src->name[0]) {
            er_fail("initializer %d has no name", i);
            return NULL;
        }
        if (er_tensor_find(g, src->name) >= 0) {
            er_fail("initializer '%s' is defined twice", src->name);
            return NULL;
        }
        int32_t id = er_tensor_new(g, src->name);
        if (id < 0 || er_tensor_bind(g, src->name, id) || er_tensor_from_onnx(g, er_t(g, id), src)) return NULL;
    }
    /* Graph inputs that are not initializers are the model's inputs. */
    g->inputs = er_alloc_array(pool, (size_t)(og->n_inputs ? og->n_inputs : 1), sizeof *g->inputs);
    if (!g->inputs) return NULL;
    for (int32_t i = 0; i < og->n_inputs; i++) {
        const onnx_value_info *vi = &og->inputs[i];
        int32_t existing = er_tensor_find(g, vi->name);
        if (existing >= 0) continue; /* an initializer listed as input (IR < 4): a constant */
        int32_t id = add_graph_input(g, vi, g->n_inputs);
        if (id < 0) return NULL;
        g->inputs[g->n_inputs++] = id;
    }

    /* Nodes, with local functions inlined. */
    node_list list = {0};
    if (expand_nodes(pool, m, og->nodes, og->n_nodes, g->opset, NULL, NULL, NULL, "", 0, &list)) return NULL;

    /* Create every node and its outputs, then resolve inputs. */
    int32_t n_nodes = list.count;
    int32_t *producer = NULL;
    for (int32_t i = 0; i < n_nodes; i++) {
        const onnx_node *on = &list.items[i];
        er_node *n = er_alloc_bytes(pool, sizeof *n);
        if (!n) return NULL;
        n->name = on->name[0] ? on->name : er_sprintf(pool, "%s_%d", on->op_type, i);
        n->op_type = on->op_type;
        n->domain = on->domain;
        n->opset = list.opsets[i];
        n->attrs = on->attrs;
        n->n_attrs = on->n_attrs;
        n->residual = -1;
        if (!n->name) return NULL;
        if (on->domain[0] && strcmp(on->domain, "ai.onnx")) {
            er_fail("node '%s' has operator '%s' of domain '%s', which edgerun does not support", n->name,
                    on->op_type, on->domain);
            return NULL;
        }
        n->op = er_op_lookup(on->op_type);
        if (n->op < 0) {
            er_fail("node '%s': operator '%s' is not supported by edgerun", n->name, on->op_type);
            return NULL;
        }
        n->n_in = on->n_inputs;
        n->n_out = on->n_outputs;
        n->in = er_alloc_array(pool, (size_t)(n->n_in ? n->n_in : 1), sizeof *n->in);
        n->out = er_alloc_array(pool, (size_t)(n->n_out ? n->n_out : 1), sizeof *n->out);
        if (!n->in || !n->out) return NULL;
        for (int32_t j = 0; j < n->n_out; j++) {
            const char *name = on->outputs[j];
            n->out[j] = -1;
            if (!name[0]) continue;
            if (er_tensor_find(g, name) >= 0) {
                er_fail("node '%s' (%s): output '%s' is already defined by another node, an initializer or an input",
                        n->name, n->op_type, name);
                return NULL;
            }
            int32_t id = er_tensor_new(g, name);
            if (id < 0 || er_tensor_bind(g, name, id)) return NULL;
            n->out[j] = id;
        }
        n->id = er_vec_push(pool, &g->nodes, n);
        if (n->id < 0) return NULL;
    }
    producer = er_alloc_array(pool, (size_t)g->tensors.count + 1, sizeof *producer);
    if (!producer) return NULL;
    for (int32_t i = 0; i < g->tensors.count; i++) producer[i] = -1;
    for (int32_t i = 0; i < n_nodes; i++)
        for (int32_t j = 0; j < er_n(g, i)->n_out; j++)
            if (er_n(g, i)->out[j] >= 0) producer[er_n(g, i)->out[j]] = i;
    for (int32_t i = 0; i < n_nodes; i++) {
        er_node *n = er_n(g, i);
        const onnx_node *on = &list.items[i];
        for (int32_t j = 0; j < n->n_in; j++) {
            const char *name = on->inputs[j];
            n->in[j] = name[0] ? er_tensor_find(g, name) : -1;
            if (name[0] && n->in[j] < 0) {
                er_fail("node '%s' (%s): input '%s' is not a graph input, an initializer or the output of any node",
                        n->name, n->op_type, name);
                return NULL;
            }
        }
    }

    /* Topological order (Kahn); ONNX requires it, but sorting costs little. */
    int32_t *pending = er_alloc_array(pool, (size_t)(n_nodes ? n_nodes : 1), sizeof *pending);
    int32_t *order = er_alloc_array(pool, (size_t)(n_nodes ? n_nodes : 1), sizeof *order);
    if (!pending || !order) return NULL;
    int32_t done = 0;
    while (done < n_nodes) {
        int32_t before = done;
        for (int32_t i = 0; i < n_nodes; i++) {
            if (pending[i]) continue;
            er_node *n = er_n(g, i);
            int ready = 1;
            for (int32_t j = 0; j < n->n_in && ready; j++) {
                int32_t p = n->in[j] >= 0 ? producer[n->in[j]] : -1;
                if (p >= 0 && !pending[p]) ready = 0;
            }
            if (ready) {
                pending[i] = 1;
                order[done++] = i;
            }
        }
        if (done == before) {
            for (int32_t i = 0; i < n_nodes; i++)
                if (!pending[i]) {
                    er_fail("node '%s' (%s) is part of a cycle", er_n(g, i)->name, er_n(g, i)->op_type);
                    return NULL;
                }
        }
    }
    void **sorted = er_alloc_array(pool, (size_t)(n_nodes ? n_nodes : 1), sizeof *sorted);
    if (!sorted) return NULL;
    for (int32_t i = 0; i < n_nodes; i++) {
        sorted[i] = g->nodes.items[order[i]];
        ((er_node *)sorted[i])->id = i;
    }
    if (n_nodes) memcpy(g->nodes.items, sorted, (size_t)n_nodes * sizeof *sorted); /* items is NULL for 0 nodes */

    /* Graph outputs. */
    if (!og->n_outputs) {
        er_fail("the graph has no outputs");
        return NULL;
    }
    g->outputs = er_alloc_array(pool, (size_t)og->n_outputs, sizeof *g->outputs);
    if (!g->outputs) return NULL;
    for (int32_t i = 0; i < og->n_outputs; i++) {
        int32_t id = er_tensor_find(g, og->outputs[i].name);
        if (id < 0) {
            er_fail("graph output '%s' is not produced by any node", og->outputs[i].name);
            return NULL;
        }
        g->outputs[g->n_outputs++] = id;
    }
    return g;
}
