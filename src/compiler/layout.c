/* layout.c - which convolutions run channels-last (NHWC), and which
   activations are stored that way.

   Every tensor starts in ONNX's NCHW order. A Conv may instead run a
   channels-last algorithm (op_conv.c's table: the indirect GEMM, NHWC
   depthwise), reading X and its residual and writing Y in NHWC. Between two
   such convolutions the activation is simply stored NHWC; wherever an NHWC
   convolution meets anything else (another operator, an NCHW convolution,
   a graph input or output, a view) a transposing copy stands in between,
   made while lowering (conv_lower).

   The choice: each Conv starts in the layout of its cheapest algorithm
   (op_conv.c's cost estimates, in multiply-add equivalents), or the one
   --algo forces. Then, until nothing changes, a channels-last Conv that
   --algo did not force goes back to NCHW when what it saves does not pay
   for the transposes its neighbours now need. Nodes only ever move to
   NCHW, so this ends. Finally an NHWC Conv's output is stored NHWC only
   when every reader is an NHWC Conv reading it as X or residual. */
#include <string.h>

#include "ops.h"

/* A transposing copy, per element, in multiply-add equivalents (op_conv.c's
   cost unit): the strided copy's 4x4-block transpose moves floats NCHW <->
   NHWC at 0.4-0.8 ns each (200K in 0.074 ms, 47K in 0.039 ms, node), where
   the GEMM path does ~13 multiply-adds per ns. */
#define RELAYOUT_COST 8.0

typedef struct reader_counts {
    int32_t *all;   /* readers of each tensor (live nodes, by any input or the fused residual) */
    int32_t *nhwc;  /* of which NHWC Convs reading it as X or residual only */
    uint8_t *fixed; /* graph outputs and tensors something views: stay NCHW */
} reader_counts;

static int is_conv(const er_node *n)
{
    return !n->dead && n->op == ER_OP_Conv && n->n_in > 0 && n->in[0] >= 0 && n->n_out > 0 && n->out[0] >= 0;
}

/* Counts readers of every tensor under the current node layouts. */
static void count_readers(const er_graph *g, reader_counts *rc)
{
    memset(rc->all, 0, (size_t)g->tensors.count * sizeof *rc->all);
    memset(rc->nhwc, 0, (size_t)g->tensors.count * sizeof *rc->nhwc);
    for (int32_t i = 0; i < g->nodes.count; i++) {
        const er_node *n = er_n(g, i);
        if (n->dead) continue;
        const int nhwc_conv = is_conv(n) && n->layout == ER_LAYOUT_NHWC;
        for (int32_t k = -1; k < n->n_in; k++) {
            const int32_t id = k < 0 ? n->residual : n->in[k];
            if (id < 0) continue;
            rc->all[id]++;
            if (nhwc_conv && k <= 0) rc->nhwc[id]++;
        }
    }
}

/* Tensor id, written by an NHWC Conv, can be stored NHWC: every reader is one too. */
static int stays_nhwc(const reader_counts *rc, int32_t id)
{
    return !rc->fixed[id] && rc->all[id] == rc->nhwc[id];
}

/* Elements node n would copy in transposes with its neighbours as they are now. */
static double relayout_elements(const er_graph *g, const er_node *n, const reader_counts *rc,
                                const int32_t *nhwc_writer)
{
    double e = 0;
    const int32_t ins[2] = {n->in[0], n->residual};
    for (int32_t k = 0; k < 2; k++)
        if (ins[k] >= 0 && !(nhwc_writer[ins[k]] && stays_nhwc(rc, ins[k]))) e += (double)er_t(g, ins[k])->count;
    const int32_t y = n->out[0];
    if (!stays_nhwc(rc, y)) e += (double)er_t(g, y)->count;
    return e;
}

int er_choose_layouts(er_graph *g)
{
    const int32_t nt = g->tensors.count, nn = g->nodes.count;
    reader_counts rc = {er_alloc_array(g->pool, (size_t)nt, sizeof(int32_t)),
                        er_alloc_array(g->pool, (size_t)nt, sizeof(int32_t)), er_alloc_array(g->pool, (size_t)nt, 1)};
    double *saving = er_alloc_array(g->pool, (size_t)nn, sizeof(double));
    int32_t *forced = er_alloc_array(g->pool, (size_t)nn, sizeof(int32_t));
    int32_t *nhwc_writer = er_alloc_array(g->pool, (size_t)nt, sizeof(int32_t));
    if (!rc.all || !rc.nhwc || !rc.fixed || !saving || !forced || !nhwc_writer) return -1;
    for (int32_t i = 0; i < nt; i++) {
        const er_tensor *t = er_t(g, i);
        if (t->store == ER_STORE_VIEW && t->view_of >= 0) rc.fixed[t->view_of] = 1;
        rc.fixed[i] |= t->rank < 3 || t->store != ER_STORE_ARENA || t->input_index >= 0;
    }
    for (int32_t i = 0; i < g->n_outputs; i++) rc.fixed[g->outputs[i]] = 1;

    for (int32_t i = 0; i < nn; i++) {
        er_node *n = er_n(g, i);
        forced[i] = -1;
        if (!is_conv(n)) continue;
        double cost[2];
        if (conv_layout_costs(g, n, cost, &forced[i])) return -1;
        saving[i] = cost[ER_LAYOUT_NHWC] >= 0 ? cost[ER_LAYOUT_NCHW] - cost[ER_LAYOUT_NHWC] : 0;
        n->layout = forced[i] >= 0 ? forced[i] : saving[i] > 0 ? ER_LAYOUT_NHWC : ER_LAYOUT_NCHW;
    }
    for (int changed = 1; changed;) {
        changed = 0;
        count_readers(g, &rc);
        memset(nhwc_writer, 0, (size_t)nt * sizeof *nhwc_writer);
        for (int32_t i = 0; i < nn; i++)
            if (is_conv(er_n(g, i)) && er_n(g, i)->layout == ER_LAYOUT_NHWC) nhwc_writer[er_n(g, i)->out[0]] = 1;
        for (int32_t i = 0; i < nn; i++) {
            er_node *n = er_n(g, i);
            if (!is_conv(n) || n->layout != ER_LAYOUT_NHWC || forced[i] >= 0) continue;
            if (saving[i] <= RELAYOUT_COST * relayout_elements(g, n, &rc, nhwc_writer)) {
                n->layout = ER_LAYOUT_NCHW;
                changed = 1;
            }
        }
    }
    count_readers(g, &rc);
    for (int32_t i = 0; i < nn; i++) {
        const er_node *n = er_n(g, i);
        if (is_conv(n) && n->layout == ER_LAYOUT_NHWC && stays_nhwc(&rc, n->out[0]))
            er_t(g, n->out[0])->layout = ER_LAYOUT_NHWC;
    }
    return 0;
}
