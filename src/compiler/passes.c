/* passes.c - shape inference with constant folding, lowering to kernel calls,
   folding of constant calls (weight packing), and dead-code removal. */
#include "ops.h"

#include <string.h>

/* Splat constants (ConstantOfShape) above this many elements are never
   materialised in the compiler or the C file: they become static buffers
   filled when the model initialises, and whatever is computed from them is
   computed then too. Below it they are ordinary constants. */
#define ER_SPLAT_LIMIT 65536

/* A constant the compiler may evaluate with: known, and not a huge splat. */
static int foldable(const er_graph *g, er_tensor *t)
{
    er_tensor *s = er_storage(g, t);
    return s->store == ER_STORE_CONST && !(s->splat && s->count > ER_SPLAT_LIMIT);
}

/* Run calls natively. Inputs are compile-time constants; every output gets a
   fresh buffer the first time a call writes it and becomes a constant. */
static int exec_calls(er_graph *g, er_vec *calls)
{
    for (int32_t i = 0; i < calls->count; i++) {
        er_call *c = calls->items[i];
        const er_kernel_def *kd = &er_kernels[c->kernel];
        void *argv[ER_MAX_ARGS] = {0};
        for (int32_t a = 0; a < c->n_args; a++) {
            if (c->args[a] < 0) continue;
            er_tensor *s = er_storage(g, er_t(g, c->args[a]));
            if (s->store != ER_STORE_CONST) {
                size_t size = er_dtype_size(s->dtype);
                s->data = er_alloc_array(g->pool, (size_t)(s->count ? s->count : 1), size);
                if (!s->data) return -1;
                s->store = ER_STORE_CONST;
                s->splat = 0;
            }
            argv[a] = (void *)er_const_data(g, s);
            if (!argv[a]) return -1;
        }
        kd->thunk(c->params, argv);
    }
    return 0;
}

static int all_inputs(const er_graph *g, const er_node *n, int (*pred)(const er_graph *, er_tensor *))
{
    for (int32_t i = 0; i < n->n_in; i++)
        if (n->in[i] >= 0 && !pred(g, er_t(g, n->in[i]))) return 0;
    return 1;
}

int er_infer_and_fold(er_graph *g)
{
    er_vec fold = {0};
    for (int32_t i = 0; i < g->nodes.count; i++) {
        er_node *n = er_n(g, i);
        const er_op_def *op = &er_ops[n->op];
        if (op->infer(g, n)) return -1;
        for (int32_t j = 0; j < n->n_out; j++) {
            er_tensor *t = er_out(g, n, j);
            if (t && !t->dtype) return er_node_fail(g, n, "internal error: output %d has no type after inference", j);
        }
        /* Outputs infer already made constant (Shape, Constant...) or views of constants. */
        int outputs_const = 1;
        for (int32_t j = 0; j < n->n_out; j++)
            if (n->out[j] >= 0 && !er_is_const(g, er_t(g, n->out[j]))) outputs_const = 0;
        if (outputs_const) {
            n->dead = 1;
            g->n_folded++;
            continue;
        }
        if (!all_inputs(g, n, foldable)) continue;
        fold.count = 0;
        er_set_call_sink(g, &fold);
        int rc = op->lower(g, n);
        er_set_call_sink(g, NULL);
        if (rc || exec_calls(g, &fold)) return -1;
        for (int32_t j = 0; j < n->n_out; j++) {
            er_tensor *t = er_out(g, n, j);
            /* An empty output needs no call to compute it (a Slice past the end). */
            if (t && !t->count && er_storage(g, t)->store == ER_STORE_ARENA && er_tensor_set_const(g, t, NULL)) return -1;
            if (t && !er_is_const(g, t)) return er_node_fail(g, n, "internal error: folding left output %d unset", j);
        }
        n->dead = 1;
        g->n_folded++;
    }
    return 0;
}

/* Per storage tensor: how many call arguments name it, plus one per graph output. */
static void count_uses(er_graph *g)
{
    for (int32_t i = 0; i < g->tensors.count; i++) er_t(g, i)->n_uses = 0;
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        for (int32_t a = 0; a < c->n_args; a++)
            if (c->args[a] >= 0) er_storage(g, er_t(g, c->args[a]))->n_uses++;
    }
    for (int32_t i = 0; i < g->n_outputs; i++) er_storage(g, er_t(g, g->outputs[i]))->n_uses++;
}

/* Number of calls writing each tensor's storage. */
static int32_t *count_writers(er_graph *g)
{
    int32_t *writers = er_alloc_array(g->pool, (size_t)g->tensors.count, sizeof *writers);
    if (!writers) return NULL;
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        const er_kernel_def *kd = &er_kernels[c->kernel];
        for (int32_t a = c->n_args - kd->n_out; a < c->n_args; a++)
            if (c->args[a] >= 0) writers[er_storage(g, er_t(g, c->args[a]))->id]++;
    }
    return writers;
}

/* A weight-packing call whose output is much larger than the weights it
   reads (Winograd's 4x4 per 3x3 kernel) runs at initialisation instead of
   being folded: the module then carries the compact weights, and the
   download stays small, for about a millisecond of packing at start-up. */
static int packs_larger(const er_graph *g, const er_call *c)
{
    const er_kernel_def *kd = &er_kernels[c->kernel];
    size_t len = strlen(kd->name);
    if (len < 5 || strcmp(kd->name + len - 5, "_pack")) return 0;
    int64_t in = 0, out = 0;
    for (int32_t a = 0; a < c->n_args; a++)
        if (c->args[a] >= 0) *(a >= c->n_args - kd->n_out ? &out : &in) += er_t(g, c->args[a])->count;
    return out > in + in / 4;
}

/* After lowering: calls that read only constants are folded now (weight
   packing and the like) or, when they read huge splats or would grow the
   weights (packs_larger), moved to model initialisation. Either way their
   outputs must have this call as their only writer; outputs of folded
   calls become constants, of init calls LAZY. */
static int fold_calls(er_graph *g)
{
    int32_t *writers = count_writers(g);
    if (!writers) return -1;
    er_vec kept = {0}, one = {0};
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        const er_kernel_def *kd = &er_kernels[c->kernel];
        /* Already bound to initialisation (the prologue): compact weights are
           restored in the module, never folded back here. */
        if (c->init) {
            if (er_vec_push(g->pool, &kept, c) < 0) return -1;
            continue;
        }
        int32_t first_out = c->n_args - kd->n_out;
        int single_writer = 1, inputs_fold = 1, inputs_static = 1;
        for (int32_t a = 0; a < c->n_args; a++) {
            if (c->args[a] < 0) continue;
            er_tensor *t = er_t(g, c->args[a]);
            if (a >= first_out) {
                if (writers[er_storage(g, t)->id] != 1 || t->output_index >= 0 || er_storage(g, t)->input_index >= 0)
                    single_writer = 0;
                continue;
            }
            if (!foldable(g, t)) inputs_fold = 0;
            if (!er_is_static(g, t)) inputs_static = 0;
        }
        if (single_writer && inputs_fold && !packs_larger(g, c)) {
            one.count = 0;
            if (er_vec_push(g->pool, &one, c) < 0 || exec_calls(g, &one)) return -1;
            continue;
        }
        if (single_writer && inputs_static) {
            c->init = 1;
            for (int32_t a = first_out; a < c->n_args; a++)
                if (c->args[a] >= 0) er_storage(g, er_t(g, c->args[a]))->store = ER_STORE_LAZY;
        }
        if (er_vec_push(g->pool, &kept, c) < 0) return -1;
    }
    g->calls = kept;
    return 0;
}

/* Huge splat constants that calls still read become LAZY buffers filled at initialisation. */
static int fill_lazy_splats(er_graph *g)
{
    er_vec calls = {0};
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        for (int32_t a = 0; a < c->n_args; a++) {
            if (c->args[a] < 0) continue;
            er_tensor *s = er_storage(g, er_t(g, c->args[a]));
            if (s->store != ER_STORE_CONST || !s->splat || s->count <= ER_SPLAT_LIMIT) continue;
            er_fill_params p = {.n = (int32_t)s->count, .elem_size = (int32_t)er_dtype_size(s->dtype)};
            memcpy(&p.value_bits, s->data, er_dtype_size(s->dtype));
            er_call *f = er_alloc_bytes(g->pool, sizeof *f);
            void *params = er_alloc_bytes(g->pool, sizeof p);
            if (!f || !params) return -1;
            memcpy(params, &p, sizeof p);
            f->kernel = ERK_er_fill;
            f->params = params;
            f->n_args = 1;
            f->args[0] = s->id;
            f->node = c->node;
            f->init = 1;
            s->store = ER_STORE_LAZY;
            if (er_vec_push(g->pool, &calls, f) < 0) return -1;
        }
    }
    for (int32_t i = 0; i < g->calls.count; i++)
        if (er_vec_push(g->pool, &calls, g->calls.items[i]) < 0) return -1;
    g->calls = calls;
    return 0;
}

/* Every graph output gets a buffer of its own in the arena, so that the
   runtime can hand out distinct, writable outputs: constants, inputs,
   repeated outputs and views of those are copied at the end of the run. */
static int own_outputs(er_graph *g)
{
    for (int32_t i = 0; i < g->n_outputs; i++) {
        er_tensor *t = er_t(g, g->outputs[i]);
        er_tensor *s = er_storage(g, t);
        int shared = 0;
        for (int32_t j = 0; j < i; j++)
            if (er_storage(g, er_t(g, g->outputs[j])) == s) shared = 1;
        if (s->store == ER_STORE_ARENA && s->input_index < 0 && !shared) {
            t->output_index = i;
            continue;
        }
        int32_t id = er_tensor_new(g, t->name);
        if (id < 0) return -1;
        er_tensor *copy = er_t(g, id);
        if (er_tensor_set_shape(g, copy, t->dtype, t->rank, t->dims)) return -1;
        copy->output_index = i;
        /* The copy is attributed to the last node, for the generated comment. */
        er_node *last = NULL;
        for (int32_t k = g->nodes.count - 1; k >= 0 && !last; k--)
            if (!er_n(g, k)->dead) last = er_n(g, k);
        er_node stub = {0};
        stub.op_type = "Output";
        stub.name = t->name;
        stub.id = -1;
        if (er_lower_copy(g, last ? last : &stub, t->id, id)) return -1;
        g->outputs[i] = id;
    }
    return 0;
}

static int drop_dead_calls(er_graph *g)
{
    /* Backwards: a call is dead when nothing reads what it writes. */
    for (int changed = 1; changed;) {
        changed = 0;
        count_uses(g);
        int32_t *writers = count_writers(g);
        if (!writers) return -1;
        er_vec kept = {0};
        for (int32_t i = 0; i < g->calls.count; i++) {
            er_call *c = g->calls.items[i];
            const er_kernel_def *kd = &er_kernels[c->kernel];
            int live = 0;
            for (int32_t a = c->n_args - kd->n_out; a < c->n_args; a++) {
                if (c->args[a] < 0) continue;
                er_tensor *s = er_storage(g, er_t(g, c->args[a]));
                /* Writing counts as a use too: live means someone else reads it.
                   Scratch is never read by another call, so it keeps nothing alive. */
                if (s->n_uses > writers[s->id] || s->output_index >= 0) live = 1;
            }
            if (live) {
                if (er_vec_push(g->pool, &kept, c) < 0) return -1;
            } else {
                changed = 1;
            }
        }
        g->calls = kept;
    }
    count_uses(g);
    return 0;
}

/* Graph inputs that became constants (--values-from) are no longer inputs. */
static void drop_bound_inputs(er_graph *g)
{
    int32_t k = 0;
    for (int32_t i = 0; i < g->n_inputs; i++)
        if (er_t(g, g->inputs[i])->store == ER_STORE_ARENA) g->inputs[k++] = g->inputs[i];
    g->n_inputs = k;
}

int er_lower(er_graph *g)
{
    drop_bound_inputs(g);
    er_set_call_sink(g, NULL);
    g->calls.count = 0;
    for (int32_t i = 0; i < g->prologue.count; i++)
        if (er_vec_push(g->pool, &g->calls, g->prologue.items[i]) < 0) return -1;
    for (int32_t i = 0; i < g->nodes.count; i++) {
        er_node *n = er_n(g, i);
        if (n->dead) continue;
        if (er_ops[n->op].lower(g, n)) return -1;
    }
    for (int32_t i = 0; i < g->n_algo_forced; i++)
        if (!g->algo_forced[i].used)
            return er_fail("--algo %s=%s: %s", g->algo_forced[i].node, g->algo_forced[i].algo,
                           strcmp(g->algo_forced[i].node, "*") ? "no Conv, Gemm or MatMul node has that name"
                                                                : "no node can run that algorithm");
    if (own_outputs(g) || fold_calls(g) || fill_lazy_splats(g) || drop_dead_calls(g)) return -1;
    /* Initialisation calls run first, in their original order. */
    er_vec ordered = {0};
    for (int pass = 0; pass < 2; pass++)
        for (int32_t i = 0; i < g->calls.count; i++) {
            er_call *c = g->calls.items[i];
            if (c->init == (pass == 0) && er_vec_push(g->pool, &ordered, c) < 0) return -1;
        }
    g->calls = ordered;
    return 0;
}

int er_lower_never(er_graph *g, er_node *n)
{
    return er_node_fail(g, n, "internal error: this operator should have been folded to a constant");
}
