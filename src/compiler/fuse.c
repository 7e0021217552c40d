/* fuse.c - merge work into Conv/Gemm epilogues.

   A BatchNormalization after a Conv is folded into the Conv's weights and
   bias (exact up to rounding, done in double). An Add of a same-shaped
   tensor (a residual connection) and one activation after it run inside the
   convolution kernel's epilogue, so those tensors are never written to
   memory and read back. Identity and Dropout are already views.

   Before that, the chains opset-13 exporters write for LayerNormalization
   (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) and for
   exact Gelu (Div by sqrt 2, Erf, Add 1, Mul by x, Mul by 1/2) become the
   one node whose kernel computes them in a pass or two over the data. */
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

/* ---- decomposed LayerNormalization and Gelu ---- */

/* The live node writing tensor t, or NULL. */
static er_node *producer(er_graph *g, int32_t t)
{
    for (int32_t i = 0; i < g->nodes.count; i++) {
        er_node *n = er_n(g, i);
        for (int32_t j = 0; j < n->n_out && !n->dead; j++)
            if (n->out[j] == t) return n;
    }
    return NULL;
}

/* Tensor t is a float constant holding one value (or a splat), *v. */
static int scalar_const(er_graph *g, int32_t t, float *v)
{
    er_tensor *x = er_t(g, t), *s = er_storage(g, x);
    if (x->dtype != ER_DTYPE_FLOAT || !er_is_const(g, x) || !s->data || (x->count != 1 && !s->splat)) return 0;
    *v = ((const float *)s->data)[0];
    return 1;
}

/* The sole consumer of n's output if it is an `op` node, else NULL. */
static er_node *next_op(er_graph *g, const er_node *n, int32_t op)
{
    er_node *c = sole_consumer(g, n->out[0]);
    return c && c->op == op && c->n_out == 1 ? c : NULL;
}

/* Of a two-input node, the input that is not t (-1 if neither or both are t). */
static int32_t other_input(const er_node *n, int32_t t)
{
    if (n->n_in != 2) return -1;
    return n->in[0] == t && n->in[1] != t ? n->in[1] : n->in[1] == t && n->in[0] != t ? n->in[0] : -1;
}

/* A ReduceMean over the last axis of its input, keeping it. */
static int mean_over_last_axis(er_graph *g, const er_node *r)
{
    int64_t axes[ER_MAX_RANK], keep;
    int32_t count;
    if (r->op != ER_OP_ReduceMean || r->n_in != 1) return 0; /* (opset 18 takes axes as an input) */
    if (er_attr_ints(g, r, "axes", axes, ER_MAX_RANK, &count) || er_attr_int(g, r, "keepdims", 1, &keep)) return -1;
    const int32_t rank = er_in(g, r, 0)->rank;
    return count == 1 && keep && rank > 0 && (axes[0] == -1 || axes[0] == rank - 1);
}

/* Turn `last` into `op` (a fused pattern's one node) reading ins, with attrs. */
static int rewrite_as(er_graph *g, er_node *last, int32_t op, const char *op_type, const int32_t *ins, int32_t n_in,
                      onnx_attr *attrs, int32_t n_attrs, const char *what)
{
    int32_t *in = er_alloc_array(g->pool, (size_t)n_in, sizeof *in);
    if (!in) return -1;
    memcpy(in, ins, (size_t)n_in * sizeof *in);
    last->op = op;
    last->op_type = op_type;
    last->domain = "";
    last->in = in;
    last->n_in = n_in;
    last->attrs = attrs;
    last->n_attrs = n_attrs;
    last->fused = what;
    return 0;
}

/* Each returns the number of nodes it removed (0: no match), -1 on error. */
static int fuse_layernorm(er_graph *g, er_node *mean)
{
    float two, eps;
    int rc = mean_over_last_axis(g, mean);
    if (rc <= 0) return rc;
    const int32_t x = mean->in[0];
    er_node *sub = next_op(g, mean, ER_OP_Sub), *users[2];
    if (!sub || sub->in[0] != x || sub->in[1] != mean->out[0] || er_t(g, x)->dtype != ER_DTYPE_FLOAT) return 0;
    const int32_t d = sub->out[0];
    if (consumers(g, d, users, 2) != 2) return 0;
    er_node *pow = users[0]->op == ER_OP_Pow ? users[0] : users[1], *div = pow == users[0] ? users[1] : users[0];
    if (pow->op != ER_OP_Pow || div->op != ER_OP_Div || pow->in[0] != d || !scalar_const(g, pow->in[1], &two) ||
        two != 2.0f || div->in[0] != d)
        return 0;
    er_node *var = next_op(g, pow, ER_OP_ReduceMean);
    if (!var || (rc = mean_over_last_axis(g, var)) <= 0) return rc;
    er_node *add_eps = next_op(g, var, ER_OP_Add);
    if (!add_eps || !scalar_const(g, other_input(add_eps, var->out[0]), &eps) || !(eps >= 0.0f)) return 0;
    er_node *root = next_op(g, add_eps, ER_OP_Sqrt);
    if (!root || next_op(g, root, ER_OP_Div) != div || div->in[1] != root->out[0]) return 0;
    er_node *scale = next_op(g, div, ER_OP_Mul);
    const int32_t gamma = scale ? other_input(scale, div->out[0]) : -1;
    if (gamma < 0 || !const_float_input(g, scale, scale->in[0] == gamma ? 0 : 1)) return 0;
    er_node *shift = next_op(g, scale, ER_OP_Add), *last = scale;
    int32_t beta = shift ? other_input(shift, scale->out[0]) : -1;
    if (beta >= 0 && const_float_input(g, shift, shift->in[0] == beta ? 0 : 1)) last = shift;
    else beta = -1;
    const int32_t n_x = er_t(g, x)->rank, n_g = er_t(g, gamma)->rank;
    if (n_g > 1 || (n_g == 1 && er_t(g, gamma)->dims[0] != er_t(g, x)->dims[n_x - 1])) return 0;
    if (beta >= 0 && (er_t(g, beta)->rank > 1 || er_t(g, beta)->count != er_t(g, x)->dims[n_x - 1])) return 0;
    onnx_attr *attr = er_alloc_array(g->pool, 1, sizeof *attr);
    if (!attr) return -1;
    memset(attr, 0, sizeof *attr);
    attr->name = "epsilon";
    attr->type = ONNX_ATTR_FLOAT;
    attr->f = eps;
    const int32_t ins[3] = {x, gamma, beta};
    if (rewrite_as(g, last, ER_OP_LayerNormalization, "LayerNormalization", ins, beta >= 0 ? 3 : 2, attr, 1,
                   beta >= 0 ? "LayerNormalization of 9 nodes" : "LayerNormalization of 8 nodes"))
        return -1;
    er_node *gone[] = {mean, sub, pow, var, add_eps, root, div, scale};
    int removed = 0;
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++)
        if (gone[i] != last) gone[i]->dead = 1, removed++;
    return removed;
}

/* Gelu(x) = x * (1 + erf(x / sqrt 2)) / 2, as torch exports it: Div(x, sqrt 2)
   or Mul(x, 1 / sqrt 2), Erf, Add 1, Mul by x, Mul by 0.5. */
static int fuse_gelu(er_graph *g, er_node *erf)
{
    float c, one, half;
    er_node *scale = producer(g, erf->in[0]);
    if (!scale || (scale->op != ER_OP_Div && scale->op != ER_OP_Mul) || sole_consumer(g, scale->out[0]) != erf ||
        scale->n_in != 2 || !scalar_const(g, scale->in[1], &c))
        return 0;
    const int32_t x = scale->in[0];
    if (er_t(g, x)->dtype != ER_DTYPE_FLOAT ||
        fabsf(scale->op == ER_OP_Div ? c - 1.41421356f : c - 0.70710678f) > 1e-6f)
        return 0;
    er_node *plus = next_op(g, erf, ER_OP_Add);
    if (!plus || !scalar_const(g, other_input(plus, erf->out[0]), &one) || one != 1.0f) return 0;
    er_node *gate = next_op(g, plus, ER_OP_Mul);
    if (!gate || other_input(gate, plus->out[0]) != x) return 0;
    er_node *halve = next_op(g, gate, ER_OP_Mul);
    if (!halve || !scalar_const(g, other_input(halve, gate->out[0]), &half) || half != 0.5f) return 0;
    if (er_t(g, halve->out[0])->count != er_t(g, x)->count) return 0;
    const int32_t ins[1] = {x};
    if (rewrite_as(g, halve, ER_OP_Gelu, "Gelu", ins, 1, NULL, 0, "Gelu of 5 nodes")) return -1;
    scale->dead = erf->dead = plus->dead = gate->dead = 1;
    return 4;
}

int er_fuse(er_graph *g)
{
    for (int32_t i = 0; i < g->nodes.count; i++) {
        er_node *n = er_n(g, i);
        if (n->dead || (n->op != ER_OP_ReduceMean && n->op != ER_OP_Erf)) continue;
        const int removed = n->op == ER_OP_ReduceMean ? fuse_layernorm(g, n) : fuse_gelu(g, n);
        if (removed < 0) return -1;
        g->n_fused += removed;
    }
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
