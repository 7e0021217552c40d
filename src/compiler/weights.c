/* weights.c - compact weight storage (--weights fp16 | int8).

   By default every constant goes into the weight blob as it is (float32 for
   weights). The two compact forms trade a little precision for download size
   and restore float32 once, when the model initialises, into static buffers
   (ER_STORE_LAZY): the kernels, packing included, keep reading float32.

   int8   Conv, Gemm and MatMul weights only: symmetric (no zero point), one
          scale per output channel, scale = max|w| / 127, q = round(w / scale).
          Runs before lowering, so that the weight becomes an initialisation
          result and whatever the lowering computes from it (packing) follows
          it to initialisation instead of being folded at compile time.
   fp16   every float32 constant of at least ER_FP16_MIN elements whose values
          all fit binary16's range, rounded to nearest even. Runs after
          lowering and folding, on what the kernels read (packed weights too):
          it needs to know nothing of their layout.

   Small constants (biases, epsilons, scalars of decomposed operators) stay
   float32 either way: they cost little and matter most to precision. */
#include <math.h>
#include <string.h>

#include "ops.h"

#define ER_FP16_MIN 64
#define ER_INT8_MIN 256
#define ER_HALF_MAX 65504.0f

/* ---- int8 ---- */

/* How a weight decomposes around its output channel: [outer, channels, inner]. */
typedef struct channel_split {
    int64_t outer, channels, inner;
} channel_split;

/* Is input i of node n a weight this pass quantizes, and how does it split? */
static int weight_split(const er_graph *g, const er_node *n, int32_t i, channel_split *cs)
{
    const er_tensor *w = er_in(g, n, i);
    if (!w || i != 1 || w->dtype != ER_DTYPE_FLOAT) return 0;
    if (n->op == ER_OP_Conv) {
        /* W [C_out, C_in/group, k...] */
        if (w->rank < 3) return 0;
        cs->outer = 1;
        cs->channels = w->dims[0];
        cs->inner = w->count / (w->dims[0] ? w->dims[0] : 1);
        return 1;
    }
    if (n->op == ER_OP_Gemm || n->op == ER_OP_MatMul) {
        int64_t trans_b = 0;
        if (n->op == ER_OP_Gemm) {
            const onnx_attr *a = er_attr(n, "transB");
            if (a && a->type == ONNX_ATTR_INT) trans_b = a->i;
        }
        if (w->rank != 2) return 0;
        /* B [K, N], or [N, K] transposed: the output channel is N. */
        cs->outer = trans_b ? 1 : w->dims[0];
        cs->channels = trans_b ? w->dims[0] : w->dims[1];
        cs->inner = trans_b ? w->dims[1] : 1;
        return 1;
    }
    return 0;
}

static int same_split(const channel_split *a, const channel_split *b)
{
    return a->outer == b->outer && a->channels == b->channels && a->inner == b->inner;
}

static int quantize(er_graph *g, const er_node *n, er_tensor *s, const channel_split *cs)
{
    const float *w = er_const_data(g, s);
    if (!w) return -1;
    for (int64_t i = 0; i < s->count; i++)
        if (!isfinite(w[i])) return 0; /* nothing sensible to scale: keep float32 */
    int8_t *q = er_alloc_array(g->pool, (size_t)s->count, 1);
    float *scale = er_alloc_array(g->pool, (size_t)cs->channels, sizeof *scale);
    if (!q || !scale) return -1;
    for (int64_t c = 0; c < cs->channels; c++) {
        float amax = 0.0f;
        for (int64_t o = 0; o < cs->outer; o++)
            for (int64_t k = 0; k < cs->inner; k++) {
                float v = fabsf(w[(o * cs->channels + c) * cs->inner + k]);
                if (v > amax) amax = v;
            }
        scale[c] = amax / 127.0f;
    }
    for (int64_t o = 0; o < cs->outer; o++)
        for (int64_t c = 0; c < cs->channels; c++)
            for (int64_t k = 0; k < cs->inner; k++) {
                int64_t at = (o * cs->channels + c) * cs->inner + k;
                float r = scale[c] > 0.0f ? nearbyintf(w[at] / scale[c]) : 0.0f;
                q[at] = (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : r);
            }
    char *qname = er_sprintf(g->pool, "%s:int8", s->name), *sname = er_sprintf(g->pool, "%s:scale", s->name);
    if (!qname || !sname) return -1;
    int64_t channels = cs->channels;
    int32_t qid = er_const_new(g, qname, ER_DTYPE_INT8, s->rank, s->dims, q);
    int32_t sid = er_const_new(g, sname, ER_DTYPE_FLOAT, 1, &channels, scale);
    if (qid < 0 || sid < 0) return -1;
    er_dequant_params p = {.outer = (int32_t)cs->outer, .channels = (int32_t)cs->channels, .inner = (int32_t)cs->inner};
    er_set_call_sink(g, &g->prologue);
    int rc = ER_CALL(g, n, ERK_er_f32_dequant_i8, p, qid, sid, s->id);
    er_set_call_sink(g, NULL);
    if (rc) return -1;
    ((er_call *)g->prologue.items[g->prologue.count - 1])->init = 1;
    s->store = ER_STORE_LAZY;
    s->data = NULL;
    s->splat = 0;
    return 0;
}

int er_weights_int8(er_graph *g)
{
    /* Per storage tensor: 0 unseen, 1 a weight so far (split[] says how), -1 used otherwise. */
    int32_t n_tensors = g->tensors.count;
    int8_t *role = er_alloc_array(g->pool, (size_t)n_tensors + 1, 1);
    channel_split *split = er_alloc_array(g->pool, (size_t)n_tensors + 1, sizeof *split);
    int32_t *user = er_alloc_array(g->pool, (size_t)n_tensors + 1, sizeof *user);
    if (!role || !split || !user) return -1;
    for (int32_t i = 0; i < g->nodes.count; i++) {
        er_node *n = er_n(g, i);
        if (n->dead) continue;
        for (int32_t k = 0; k < n->n_in; k++) {
            er_tensor *t = er_in(g, n, k);
            if (!t) continue;
            er_tensor *s = er_storage(g, t);
            channel_split cs;
            if (!weight_split(g, n, k, &cs)) role[s->id] = -1;
            else if (role[s->id] == 0) role[s->id] = 1, split[s->id] = cs, user[s->id] = n->id;
            else if (role[s->id] == 1 && !same_split(&split[s->id], &cs)) role[s->id] = -1;
        }
        if (n->residual >= 0) role[er_storage(g, er_t(g, n->residual))->id] = -1;
    }
    for (int32_t i = 0; i < g->n_outputs; i++) role[er_storage(g, er_t(g, g->outputs[i]))->id] = -1;
    for (int32_t id = 0; id < n_tensors; id++) {
        er_tensor *s = er_t(g, id);
        if (role[id] != 1 || s->store != ER_STORE_CONST || s->splat || s->count < ER_INT8_MIN) continue;
        if (split[id].outer * split[id].channels * split[id].inner != s->count)
            return er_fail("internal error: weight '%s' does not split into its channels", s->name);
        if (quantize(g, er_n(g, user[id]), s, &split[id])) return -1;
    }
    return 0;
}

/* ---- fp16 ---- */

static int fits_half(const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabsf(v[i]) <= ER_HALF_MAX)) return 0; /* also NaN and infinities: keep them exact */
    return 1;
}

int er_weights_fp16(er_graph *g)
{
    er_vec widen = {0};
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        const er_kernel_def *kd = &er_kernels[c->kernel];
        for (int32_t a = 0; a < c->n_args - kd->n_out; a++) {
            if (c->args[a] < 0) continue;
            er_tensor *s = er_storage(g, er_t(g, c->args[a]));
            if (s->store != ER_STORE_CONST || s->dtype != ER_DTYPE_FLOAT || s->splat || s->count < ER_FP16_MIN)
                continue;
            const float *v = er_const_data(g, s);
            if (!v) return -1;
            if (!fits_half(v, s->count)) continue;
            uint16_t *h = er_alloc_array(g->pool, (size_t)s->count, sizeof *h);
            char *name = er_sprintf(g->pool, "%s:fp16", s->name);
            if (!h || !name) return -1;
            for (int64_t k = 0; k < s->count; k++) h[k] = er_f16_from_f32(v[k]);
            int64_t count = s->count;
            int32_t hid = er_const_new(g, name, ER_DTYPE_UINT16, 1, &count, h);
            if (hid < 0) return -1;
            er_t(g, hid)->stored_as = 10; /* ONNX FLOAT16 */
            er_widen_params p = {.n = (int32_t)s->count};
            er_node stub = {.id = c->node, .op_type = "weights", .name = s->name};
            er_set_call_sink(g, &widen);
            int rc = ER_CALL(g, &stub, ERK_er_f32_from_f16, p, hid, s->id);
            er_set_call_sink(g, NULL);
            if (rc) return -1;
            ((er_call *)widen.items[widen.count - 1])->init = 1;
            s->store = ER_STORE_LAZY;
            s->data = NULL;
        }
    }
    /* Widening runs first: every other initialisation call may read its results. */
    for (int32_t i = 0; i < g->calls.count; i++)
        if (er_vec_push(g->pool, &widen, g->calls.items[i]) < 0) return -1;
    g->calls = widen;
    return 0;
}
