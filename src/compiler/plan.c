/* plan.c - static memory plan: every run-time tensor gets an offset in one arena.

   Tensors whose lifetimes (first to last call touching them) overlap get
   disjoint byte ranges; others share. Placement is greedy by size, largest
   first, each at the lowest offset that fits beside the tensors already
   placed and alive at the same time - the approach of TFLite's arena
   planner, near optimal for the chain-like graphs of image models. Graph
   inputs live for the whole run (the runtime writes them before it starts
   and they are never clobbered), outputs from their producer to the end. */
#include "ir.h"

#include <stdlib.h>

#define ER_ALIGN 64

typedef struct slot {
    er_tensor *t;
    int64_t bytes;
} slot;

static int by_size_desc(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return x->t->id - y->t->id; /* deterministic */
}

int er_plan(er_graph *g, int64_t *arena_bytes, int64_t *unshared_bytes)
{
    int32_t n_calls = g->calls.count;
    for (int32_t i = 0; i < g->tensors.count; i++) {
        er_tensor *t = er_t(g, i);
        t->first = t->last = -1;
    }
    for (int32_t i = 0; i < n_calls; i++) {
        er_call *c = g->calls.items[i];
        for (int32_t a = 0; a < c->n_args; a++) {
            if (c->args[a] < 0) continue;
            er_tensor *s = er_storage(g, er_t(g, c->args[a]));
            if (s->first < 0) s->first = i;
            s->last = i;
        }
    }
    for (int32_t i = 0; i < g->n_inputs; i++) {
        er_tensor *t = er_t(g, g->inputs[i]);
        t->first = 0;
        t->last = n_calls;
    }
    for (int32_t i = 0; i < g->n_outputs; i++) {
        er_tensor *s = er_storage(g, er_t(g, g->outputs[i]));
        if (s->first < 0) s->first = 0;
        s->last = n_calls;
    }

    slot *slots = er_alloc_array(g->pool, (size_t)g->tensors.count + 1, sizeof *slots);
    if (!slots) return -1;
    int32_t n = 0;
    for (int32_t i = 0; i < g->tensors.count; i++) {
        er_tensor *t = er_t(g, i);
        if (t->store != ER_STORE_ARENA || t->first < 0) continue;
        int64_t bytes = t->count * (int64_t)er_dtype_size(t->dtype);
        bytes = (bytes + ER_ALIGN - 1) / ER_ALIGN * ER_ALIGN;
        if (!bytes) bytes = ER_ALIGN; /* empty tensors still get a distinct address */
        slots[n].t = t;
        slots[n++].bytes = bytes;
    }
    qsort(slots, (size_t)n, sizeof *slots, by_size_desc);
    *unshared_bytes = 0;
    for (int32_t i = 0; i < n; i++) *unshared_bytes += slots[i].bytes;

    int64_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        er_tensor *t = slots[i].t;
        int64_t offset = 0;
        /* Move past every placed, time-overlapping tensor that collides, until none does. */
        for (int moved = 1; moved;) {
            moved = 0;
            for (int32_t j = 0; j < i; j++) {
                er_tensor *u = slots[j].t;
                if (u->last < t->first || t->last < u->first) continue;
                if (offset < u->offset + slots[j].bytes && u->offset < offset + slots[i].bytes) {
                    offset = u->offset + slots[j].bytes;
                    moved = 1;
                }
            }
        }
        t->offset = offset;
        if (offset + slots[i].bytes > total) total = offset + slots[i].bytes;
    }
    if (total > ((int64_t)1 << 32))
        return er_fail("the activations need %lld bytes of memory, more than a wasm32 module can address",
                       (long long)total);
    *arena_bytes = total;
    return 0;
}
