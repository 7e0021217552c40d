/* fuse.c - merge work into Conv/Gemm epilogues.

   A BatchNormalization after a Conv is folded into the Conv's weights and
   bias (exact up to rounding, done in double). An Add of a same-shaped
   tensor (a residual connection) and one activation after it run inside the
   convolution kernel's epilogue, so those tensors are never written to
   memory and read back. Identity and Dropout are already views. */
#include "ops.h"

#include <math.h>
#include <string.h>

/* The only live node reading tensor t, or NULL when there are zero or several. */
static er_node *sole_consumer(er_graph *g, int32_t t)
{
    er_node *found = NULL;
    if (er_t(g, t)->output_index >= 0) return NULL;
    for (int32_t i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t) return NULL;
    for (int32_t i = 0; i < g->nodes.count; i++) {
        er_node *n = er_n(g, i);
        if (n->dead) continue;
        int reads = 0;
        for (int32_t j = 0; j < n->n_in; j++) reads += n->in[j] == t;
        reads += n->residual == t;
        if (!reads) continue;
        if (found || reads > 1) return NULL;
        found = n;
    }
    return found;
}

/* Tensor t is a constant, an input, or written by a node before node `before`. */
static int defined_before(er_graph *g, int32_t t, int32_t before)
{
    er_tensor *s = er_storage(g, er_t(g, t));
    if (er_is_static(g, s) || s->input_index >= 0) return 1;
    for (int32_t i = 0; i < before; i++) {
        er_node *n = er_n(g, i);
        for (int32_t j = 0; j < n->n_out && !n->dead; j++)
            if (n->out[j] >= 0 && er_storage(g, er_t(g, n->out[j])) == s) return 1;
    }
    return 0;
}

static int consumers(er_graph *g, int32_t t, er_node **out, int max)
{
    int count = 0;
    for (int32_t i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t) return -1;
    for (int32_t i = 0; i < g->nodes.count; i++) {
        er_node *n = er_n(g, i);
        if (n->dead) continue;
        for (int32_t j = 0; j < n->n_in; j++)
            if (n->in[j] == t) {
                if (count == max) return -1;
                out[count++] = n;
                break;
            }
    }
    return count;
}

static int const_float_input(er_graph *g, const er_node *n, int32_t i)
{
    er_tensor *t = er_in(g, n, i);
    return t && t->dtype == ER_DTYPE_FLOAT && er_is_const(g, t) &&
           !(er_storage(g, t)->splat && t->count > 65536);
}

static const char *append_fused(er_graph *g, const char *fused, const char *what)
{
    return fused ? er_sprintf(g->pool, "%s+%s", fused, what) : what;
}

/* Conv -> BatchNormalization: W'[o] = W[o] * s[o], B'[o] = (B[o] - mean[o]) * s[o] + beta[o],
   s = gamma / sqrt(var + eps). */
static int fuse_batchnorm(er_graph *g, er_node *conv, er_node *bn)
{
    if (bn->op != ER_OP_BatchNormalization || bn->n_out < 1 || (bn->n_out > 1 && bn->out[1] >= 0)) return 0;
    for (int32_t i = 1; i < 5; i++)
        if (!const_float_input(g, bn, i)) return 0;
    if (!const_float_input(g, conv, 1) || (er_in(g, conv, 2) && !const_float_input(g, conv, 2))) return 0;
    int64_t training = 0;
    float eps;
    if (er_attr_int(g, bn, "training_mode", 0, &training) || er_attr_float(g, bn, "epsilon", 1e-5f, &eps)) return -1;
    if (training) return 0;
    er_tensor *w = er_in(g, conv, 1);
    int64_t c_out = w->dims[0], per = w->count / (c_out ? c_out : 1);
    if (er_in(g, bn, 1)->count != c_out) return 0;
    const float *wd = er_const_data(g, w);
    const float *bd = er_in(g, conv, 2) ? er_const_data(g, er_in(g, conv, 2)) : NULL;
    const float *gamma = er_const_data(g, er_in(g, bn, 1)), *beta = er_const_data(g, er_in(g, bn, 2));
    const float *mean = er_const_data(g, er_in(g, bn, 3)), *var = er_const_data(g, er_in(g, bn, 4));
    float *nw = er_alloc_array(g->pool, (size_t)w->count, sizeof *nw);
    float *nb = er_alloc_array(g->pool, (size_t)c_out, sizeof *nb);
    if (!wd || !gamma || !beta || !mean || !var || !nw || !nb || (er_in(g, conv, 2) && !bd)) return -1;
    for (int64_t o = 0; o < c_out; o++) {
        double s = (double)gamma[o] / sqrt((double)var[o] + (double)eps);
        for (int64_t k = 0; k < per; k++) nw[o * per + k] = (float)((double)wd[o * per + k] * s);
        nb[o] = (float)(((bd ? (double)bd[o] : 0.0) - (double)mean[o]) * s + (double)beta[o]);
    }
    int64_t bdims[1] = {c_out};
    int32_t wid = er_const_new(g, er_sprintf(g->pool, "%s:W", conv->name), ER_DTYPE_FLOAT, w->rank, w->dims, nw);
    int32_t bid = er_const_new(g, er_sprintf(g->pool, "%s:B", conv->name), ER_DTYPE_FLOAT, 1, bdims, nb);
    if (wid < 0 || bid < 0) return -1;
    if (conv->n_in < 3) {
        int32_t *in = er_alloc_array(g->pool, 3, sizeof *in);
        if (!in) return -1;
        memcpy(in, conv->in, (size_t)conv->n_in * sizeof *in);
        conv->in = in;
        conv->n_in = 3;
    }
    conv->in[1] = wid;
    conv->in[2] = bid;
    conv->out[0] = bn->out[0];
    conv->fused = append_fused(g, conv->fused, "BN");
    bn->dead = 1;
    return 1;
}

/* Conv -> Add(conv, r) with r of the conv output's shape: r becomes the residual. */
static int fuse_residual(er_graph *g, er_node *conv, er_node *add)
{
    if (add->op != ER_OP_Add || conv->act != ER_ACT_NONE || conv->residual >= 0 || add->n_in != 2) return 0;
    int32_t y = conv->out[0];
    int32_t other = add->in[0] == y ? add->in[1] : add->in[0];
    if (other < 0 || other == y) return 0;
    er_tensor *ty = er_t(g, y), *tr = er_t(g, other), *to = er_out(g, add, 0);
    if (tr->dtype != ER_DTYPE_FLOAT || tr->rank != ty->rank || to->rank != ty->rank) return 0;
    for (int32_t i = 0; i < ty->rank; i++)
        if (tr->dims[i] != ty->dims[i] || to->dims[i] != ty->dims[i]) return 0;
    /* The residual must exist when the conv runs. When it is computed later
       (a shortcut scheduled after the main branch), the conv moves to the
       Add's place: its inputs exist there too, and the Add was its only reader. */
    if (!defined_before(g, other, conv->id)) {
        int32_t from = conv->id, to = add->id;
        g->nodes.items[from] = add;
        g->nodes.items[to] = conv;
        add->id = from;
        conv->id = to;
    }
    conv->residual = other;
    conv->out[0] = add->out[0];
    conv->fused = append_fused(g, conv->fused, "Add");
    add->dead = 1;
    return 1;
}

static int fuse_activation(er_graph *g, er_node *conv, er_node *act)
{
    if (conv->act != ER_ACT_NONE) return 0;
    float alpha = 0, beta = 0;
    int32_t kind;
    switch (act->op) {
    case ER_OP_Relu: kind = ER_ACT_RELU; break;
    case ER_OP_Sigmoid: kind = ER_ACT_SIGMOID; break;
    case ER_OP_HardSwish: kind = ER_ACT_HARD_SWISH; break;
    case ER_OP_LeakyRelu:
        kind = ER_ACT_LEAKY_RELU;
        if (er_attr_float(g, act, "alpha", 0.01f, &alpha)) return -1;
        break;
    case ER_OP_HardSigmoid:
        kind = ER_ACT_HARD_SIGMOID;
        if (er_attr_float(g, act, "alpha", 0.2f, &alpha) || er_attr_float(g, act, "beta", 0.5f, &beta)) return -1;
        break;
    case ER_OP_Clip: {
        kind = ER_ACT_CLIP;
        alpha = -INFINITY;
        beta = INFINITY;
        if (act->opset < 11) {
            if (er_attr_float(g, act, "min", -INFINITY, &alpha) || er_attr_float(g, act, "max", INFINITY, &beta))
                return -1;
        } else {
            for (int32_t i = 1; i < 3; i++) {
                er_tensor *t = er_in(g, act, i);
                if (!t) continue;
                if (t->dtype != ER_DTYPE_FLOAT || t->count != 1 || !er_is_const(g, t)) return 0;
                const float *v = er_const_data(g, t);
                if (!v) return -1;
                *(i == 1 ? &alpha : &beta) = v[0];
            }
        }
        break;
    }
    default: return 0;
    }
    if (er_out(g, act, 0)->dtype != ER_DTYPE_FLOAT) return 0;
    conv->act = kind;
    conv->act_alpha = alpha;
    conv->act_beta = beta;
    conv->out[0] = act->out[0];
    conv->fused = append_fused(g, conv->fused, act->op_type);
    act->dead = 1;
    return 1;
}

/* x * HardSigmoid(x; 1/6, 1/2) is HardSwish (how opset-13 exporters write
   it), and x * Sigmoid(x) is SiLU (EfficientNet's activation): either way
   the product replaces the conv's output and both nodes vanish. */
static int fuse_gated_pattern(er_graph *g, er_node *conv)
{
    if (conv->act != ER_ACT_NONE) return 0;
    er_node *users[2];
    int32_t y = conv->out[0];
    if (consumers(g, y, users, 2) != 2) return 0;
    int gate_first = users[0]->op == ER_OP_HardSigmoid || users[0]->op == ER_OP_Sigmoid;
    er_node *gate = gate_first ? users[0] : users[1], *mul = gate_first ? users[1] : users[0];
    if ((gate->op != ER_OP_HardSigmoid && gate->op != ER_OP_Sigmoid) || mul->op != ER_OP_Mul) return 0;
    if (er_out(g, gate, 0)->dtype != ER_DTYPE_FLOAT || er_out(g, mul, 0)->dtype != ER_DTYPE_FLOAT) return 0;
    if (gate->op == ER_OP_HardSigmoid) {
        float alpha, beta;
        if (er_attr_float(g, gate, "alpha", 0.2f, &alpha) || er_attr_float(g, gate, "beta", 0.5f, &beta)) return -1;
        if (fabsf(alpha - 1.0f / 6.0f) > 1e-6f || beta != 0.5f) return 0;
    }
    int32_t h = gate->out[0];
    if (!((mul->in[0] == y && mul->in[1] == h) || (mul->in[0] == h && mul->in[1] == y))) return 0;
    if (sole_consumer(g, h) != mul) return 0;
    const int silu = gate->op == ER_OP_Sigmoid;
    conv->act = silu ? ER_ACT_SILU : ER_ACT_HARD_SWISH;
    conv->out[0] = mul->out[0];
    conv->fused = append_fused(g, conv->fused, silu ? "SiLU" : "HardSwish");
    gate->dead = mul->dead = 1;
    return 1;
}

int er_fuse(er_graph *g)
{
    for (int32_t i = 0; i < g->nodes.count; i++) {
        er_node *n = er_n(g, i);
        if (n->dead || (n->op != ER_OP_Conv && n->op != ER_OP_Gemm && n->op != ER_OP_MatMul)) continue;
        if (er_out(g, n, 0)->dtype != ER_DTYPE_FLOAT) continue;
        int is_conv = n->op == ER_OP_Conv;
        for (int progress = 1; progress;) {
            progress = 0;
            int rc = 0;
            er_node *next = sole_consumer(g, n->out[0]);
            if (next) {
                if (is_conv && !n->fused) rc = fuse_batchnorm(g, n, next);
                if (!rc && is_conv) rc = fuse_residual(g, n, next);
                if (!rc) rc = fuse_activation(g, n, next);
            } else if (is_conv) {
                rc = fuse_gated_pattern(g, n);
            }
            if (rc < 0) return -1;
            if (rc > 0) {
                progress = 1;
                g->n_fused++;
            }
        }
    }
    return 0;
}
