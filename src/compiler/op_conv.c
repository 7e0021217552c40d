/* op_conv.c - Conv and ConvTranspose: attribute parsing, output shapes, and
   the choice of kernel (im2col+GEMM with pre-packed weights, direct
   depthwise, or the N-d reference). */
#include <string.h>

#include "ops.h"

static const int32_t float_only[] = {ER_DTYPE_FLOAT, 0};

/* The spatial geometry both parameter structs share (er_conv_params, er_convt_params). */
#define SPATIAL_FIELDS(p, c, x)                                \
    for (int32_t i_ = 0; i_ < (c).nsp; i_++) {                 \
        (p).x_dims[i_] = (int32_t)(x)->dims[2 + i_];           \
        (p).y_dims[i_] = (int32_t)(c).out[i_];                 \
        (p).k[i_] = (int32_t)(c).k[i_];                        \
        (p).stride[i_] = (int32_t)(c).stride[i_];              \
        (p).dilation[i_] = (int32_t)(c).dil[i_];               \
        (p).pad[i_] = (int32_t)(c).pad_begin[i_];              \
    }

typedef struct conv_attrs {
    int32_t nsp;                   /* spatial dims */
    int64_t k[3], stride[3], dil[3], pad_begin[3], pad_end[3], out[3], out_pad[3];
    int64_t group;
} conv_attrs;

/* Shared by Conv and ConvTranspose: kernel_shape, strides, dilations, group and
   explicit pads, checked against X and W. */
static int common_attrs(er_graph *g, er_node *n, conv_attrs *c, int transposed)
{
    er_tensor *x = er_in(g, n, 0), *w = er_in(g, n, 1);
    int64_t ks[3], st[3], dl[3], pads[6];
    int32_t n_ks, n_st, n_dl, n_pads;
    memset(c, 0, sizeof *c);
    if (x->rank < 3 || x->rank > 5)
        return er_node_fail(g, n, "X must be 3-D to 5-D (N, C, spatial...), is %d-D", x->rank);
    if (w->rank != x->rank) return er_node_fail(g, n, "W has rank %d, X has rank %d", w->rank, x->rank);
    c->nsp = x->rank - 2;
    if (er_attr_ints(g, n, "kernel_shape", ks, 3, &n_ks) || er_attr_ints(g, n, "strides", st, 3, &n_st) ||
        er_attr_ints(g, n, "dilations", dl, 3, &n_dl) || er_attr_ints(g, n, "pads", pads, 6, &n_pads) ||
        er_attr_int(g, n, "group", 1, &c->group))
        return -1;
    if ((n_ks >= 0 && n_ks != c->nsp) || (n_st >= 0 && n_st != c->nsp) || (n_dl >= 0 && n_dl != c->nsp) ||
        (n_pads >= 0 && n_pads != 2 * c->nsp))
        return er_node_fail(g, n, "kernel_shape/strides/dilations/pads do not match %d spatial dims", c->nsp);
    for (int32_t i = 0; i < c->nsp; i++) {
        c->k[i] = w->dims[2 + i];
        if (n_ks >= 0 && ks[i] != c->k[i]) {
            char wb[128];
            return er_node_fail(g, n, "kernel_shape [%lld%s%lld%s%lld] does not match W %s", (long long)ks[0],
                                c->nsp > 1 ? "," : "", c->nsp > 1 ? (long long)ks[1] : 0LL, c->nsp > 2 ? "," : "",
                                c->nsp > 2 ? (long long)ks[2] : 0LL, er_shape_str(w, wb, sizeof wb));
        }
        c->stride[i] = n_st >= 0 ? st[i] : 1;
        c->dil[i] = n_dl >= 0 ? dl[i] : 1;
        c->pad_begin[i] = n_pads >= 0 ? pads[i] : 0;
        c->pad_end[i] = n_pads >= 0 ? pads[i + c->nsp] : 0;
        if (c->k[i] < 1 || c->stride[i] < 1 || c->dil[i] < 1 || c->pad_begin[i] < 0 || c->pad_end[i] < 0 ||
            c->k[i] > 65536 || c->stride[i] > 65536 || c->dil[i] > 65536 || c->pad_begin[i] > 65536 || c->pad_end[i] > 65536)
            return er_node_fail(g, n, "invalid kernel %lld, stride %lld, dilation %lld or pads %lld/%lld on axis %d",
                                (long long)c->k[i], (long long)c->stride[i], (long long)c->dil[i],
                                (long long)c->pad_begin[i], (long long)c->pad_end[i], i);
    }
    if (c->group < 1) return er_node_fail(g, n, "group %lld is invalid", (long long)c->group);
    int64_t c_in = x->dims[1];
    if (!transposed) {
        if (c_in != w->dims[1] * c->group || w->dims[0] % c->group)
            return er_node_fail(g, n, "X has %lld channels but W %lld x group %lld, or %lld outputs do not divide into groups",
                                (long long)c_in, (long long)w->dims[1], (long long)c->group, (long long)w->dims[0]);
    } else if (c_in != w->dims[0] || c_in % c->group) {
        return er_node_fail(g, n, "X has %lld channels, W has %lld, group %lld", (long long)c_in, (long long)w->dims[0],
                            (long long)c->group);
    }
    er_tensor *b = er_in(g, n, 2);
    int64_t m = transposed ? w->dims[1] * c->group : w->dims[0];
    if (b && (b->rank != 1 || b->dims[0] != m))
        return er_node_fail(g, n, "B must have %lld elements, has %lld", (long long)m, (long long)b->count);
    return 0;
}

static int convt_attrs_of(er_graph *g, er_node *n, conv_attrs *c);

static int conv_attrs_of(er_graph *g, er_node *n, conv_attrs *c)
{
    const char *auto_pad;
    if (common_attrs(g, n, c, 0) || er_attr_string(g, n, "auto_pad", "NOTSET", &auto_pad)) return -1;
    er_tensor *x = er_in(g, n, 0);
    for (int32_t i = 0; i < c->nsp; i++) {
        int64_t in = x->dims[2 + i], span = (c->k[i] - 1) * c->dil[i] + 1;
        if (!strcmp(auto_pad, "NOTSET")) {
            int64_t avail = in + c->pad_begin[i] + c->pad_end[i] - span;
            if (avail < 0) return er_node_fail(g, n, "kernel span %lld exceeds padded input %lld on axis %d", (long long)span,
                                               (long long)(in + c->pad_begin[i] + c->pad_end[i]), i);
            c->out[i] = avail / c->stride[i] + 1;
        } else if (!strcmp(auto_pad, "VALID")) {
            c->pad_begin[i] = c->pad_end[i] = 0;
            if (in < span) return er_node_fail(g, n, "kernel span %lld exceeds input %lld on axis %d", (long long)span, (long long)in, i);
            c->out[i] = (in - span) / c->stride[i] + 1;
        } else if (!strcmp(auto_pad, "SAME_UPPER") || !strcmp(auto_pad, "SAME_LOWER")) {
            c->out[i] = (in + c->stride[i] - 1) / c->stride[i];
            int64_t total = (c->out[i] - 1) * c->stride[i] + span - in;
            if (total < 0) total = 0;
            c->pad_begin[i] = auto_pad[5] == 'U' ? total / 2 : total - total / 2;
            c->pad_end[i] = total - c->pad_begin[i];
        } else {
            return er_node_fail(g, n, "auto_pad '%s' is not supported", auto_pad);
        }
    }
    return 0;
}

/* Output [N, C_out, spatial...] of a Conv (W [C_out, ...]) or ConvTranspose (W [C_in, C_out/group, ...]). */
static int infer_output(er_graph *g, er_node *n, int transposed)
{
    conv_attrs c;
    if (er_check_arity(g, n, 2, 3, 1, 1) || er_check_dtype(g, n, 0, float_only) || er_check_dtype(g, n, 1, float_only) ||
        (er_in(g, n, 2) && er_check_dtype(g, n, 2, float_only)) ||
        (transposed ? convt_attrs_of(g, n, &c) : conv_attrs_of(g, n, &c)))
        return -1;
    er_tensor *x = er_in(g, n, 0), *w = er_in(g, n, 1);
    int64_t dims[5] = {x->dims[0], transposed ? w->dims[1] * c.group : w->dims[0]};
    for (int32_t i = 0; i < c.nsp; i++) dims[2 + i] = c.out[i];
    return er_set_output(g, n, 0, ER_DTYPE_FLOAT, x->rank, dims);
}

int conv_infer(er_graph *g, er_node *n)
{
    return infer_output(g, n, 0);
}

/* ---- how a Conv runs: the algorithm table ---- */

/* Estimated cost in multiply-add equivalents, so entries compare. Direct
   methods cost their MACs plus what they copy; Winograd F(2x2,3x3) does 16
   multiply-adds per 2x2 block and input channel instead of 36, plus
   transforms worth about 80 multiply-adds per tile and channel (fitted to
   PROFILE=1 runs of resnet20: 1.3x the GEMM path's speed at 16 channels,
   2x at 64; with 3 input channels the GEMM path wins). */
static double macs_of(const er_conv_params *p)
{
    return (double)p->n * p->c_out * p->y_dims[0] * p->y_dims[1] * (p->c_in / p->group) * p->k[0] * p->k[1];
}
static int applies_any(const er_conv_params *p)
{
    (void)p;
    return 1;
}
static int applies_2d(const er_conv_params *p)
{
    return p->nsp == 2;
}
static int applies_depthwise(const er_conv_params *p)
{
    return p->nsp == 2 && p->group == p->c_in && p->group == p->c_out;
}
static int applies_1x1(const er_conv_params *p)
{
    return p->nsp == 2 && p->k[0] == 1 && p->k[1] == 1 && p->stride[0] == 1 && p->stride[1] == 1 && p->pad[0] == 0 &&
           p->pad[1] == 0;
}
static int applies_winograd(const er_conv_params *p)
{
    return p->nsp == 2 && p->group == 1 && p->k[0] == 3 && p->k[1] == 3 && p->stride[0] == 1 && p->stride[1] == 1 &&
           p->dilation[0] == 1 && p->dilation[1] == 1;
}
static double cost_reference(const er_conv_params *p)
{
    return 8.0 * macs_of(p);
}
static double cost_depthwise(const er_conv_params *p)
{
    return macs_of(p);
}
/* Depthwise time per output in ns, fitted to interleaved PROFILE=1 runs of
   mobilenet_v2 in node (SIMD128). NCHW slides along each plane's rows:
   ~1.8 ns per 9 taps (2.5 at stride 2, whose loads are shuffled) plus a
   row's set-up spread over its wo outputs (15 ns, 29 at stride 2), so small
   planes pay most. NHWC runs four channels per vector at any plane size:
   ~2.15 ns per 9 taps, plus a pixel's set-up (47 ns) spread over its
   channels. */
static double dw_ns_nchw(const er_conv_params *p)
{
    const int s1 = p->stride[0] == 1 && p->stride[1] == 1;
    return (double)p->k[0] * p->k[1] / 9.0 * (s1 ? 1.8 : 2.5) + (s1 ? 15.0 : 29.0) / p->y_dims[1];
}
static double dw_ns_nhwc(const er_conv_params *p)
{
    return (double)p->k[0] * p->k[1] / 9.0 * 2.15 + 47.0 / p->c_in;
}
/* The GEMM packs each input column once per k: (K x pixels) copies. */
static double packed_of(const er_conv_params *p)
{
    return (double)p->n * p->group * (p->c_in / p->group) * p->k[0] * p->k[1] * p->y_dims[0] * p->y_dims[1];
}
static double cost_gemm(const er_conv_params *p)
{
    return macs_of(p) + packed_of(p);
}
/* im2col through a strided window (stride > 1, window > 1x1) copies its
   columns element by element wherever a strip of 8 crosses a row's edge,
   which at small planes is most strips: ~13 multiply-add equivalents per
   copied element in all (PROFILE=1, node: 1.5-2.5 ns each on resnet20's
   stride-2 layers; fitted with resnet18's, where the GEMM dominates). */
static double cost_im2col(const er_conv_params *p)
{
    const int strided_window = (p->stride[0] > 1 || p->stride[1] > 1) && p->k[0] * p->k[1] > 1;
    return cost_gemm(p) + (strided_window ? 12.0 * packed_of(p) : 0.0);
}
/* Tiles of m x m outputs, rows padded to whole groups of four tiles. */
static double wino_tiles(const er_conv_params *p, int32_t m)
{
    return (double)p->n * ((p->y_dims[0] + m - 1) / m) * (((p->y_dims[1] + m - 1) / m + 3) / 4 * 4);
}
static double cost_wino2x2(const er_conv_params *p)
{
    return wino_tiles(p, 2) * (16.0 * p->c_in * p->c_out + 80.0 * (p->c_in + p->c_out));
}
static double cost_wino4x4(const er_conv_params *p)
{
    return wino_tiles(p, 4) * (36.0 * p->c_in * p->c_out + 200.0 * (p->c_in + p->c_out));
}
static int applies_igemm(const er_conv_params *p)
{
    return p->nsp == 2 && p->group == 1;
}
/* Channels-last, relative to the NCHW algorithm each competes with (fitted
   the same way). The indirect GEMM copies nothing (one pointer per tap and
   pixel) but splats its inputs from four pixel rows: against im2col+GEMM,
   0.82-0.93x the time on resnet18's stride-2 3x3 layers, 1.0-1.1x on 1x1
   layers (which the GEMM reads in place), and worse as the channels per
   tap (its inner loop) get few. */
static double cost_igemm(const er_conv_params *p)
{
    const int pointwise = p->k[0] == 1 && p->k[1] == 1;
    return cost_gemm(p) * ((pointwise ? 1.03 : 0.85) + 2.0 / p->c_in);
}
static double cost_dwconv_nhwc(const er_conv_params *p)
{
    return cost_depthwise(p) * dw_ns_nhwc(p) / dw_ns_nchw(p);
}

typedef struct conv_algo {
    er_algo id;
    int32_t layout;                                  /* er_layout of X, residual and Y */
    int (*applies)(const er_conv_params *p);
    double (*cost)(const er_conv_params *p);
    int32_t pack, run;                               /* kernels; pack -1: W as it is */
    int64_t (*packed_count)(const er_conv_params *p);
    int64_t (*scratch_count)(const er_conv_params *p); /* NULL: none */
    const char *scratch_role;
} conv_algo;

#define NCHW ER_LAYOUT_NCHW
#define NHWC ER_LAYOUT_NHWC
static const conv_algo conv_algos[] = {
    {{"reference", "any convolution"}, NCHW, applies_any, cost_reference, -1, ERK_er_f32_conv__scalar, NULL, NULL,
     NULL},
    {{"depthwise", "2-D, one channel per group"}, NCHW, applies_depthwise, cost_depthwise, -1,
     ERK_er_f32_dwconv2d__vec128, NULL, NULL, NULL},
    {{"gemm1x1", "2-D 1x1 window, stride 1, no padding"}, NCHW, applies_1x1, cost_gemm, ERK_er_f32_conv2d_gemm_pack,
     ERK_er_f32_conv2d_gemm__vec128, er_conv2d_gemm_packed_count, er_conv2d_gemm_scratch_count, "columns"},
    {{"im2col-gemm", "any 2-D convolution"}, NCHW, applies_2d, cost_im2col, ERK_er_f32_conv2d_gemm_pack,
     ERK_er_f32_conv2d_gemm__vec128, er_conv2d_gemm_packed_count, er_conv2d_gemm_scratch_count, "columns"},
    {{"winograd2x2", "2-D 3x3 window, stride 1, dilation 1, group 1"}, NCHW, applies_winograd, cost_wino2x2,
     ERK_er_f32_conv2d_wino2x2_pack, ERK_er_f32_conv2d_wino2x2__vec128, er_conv2d_wino2x2_packed_count,
     er_conv2d_wino2x2_scratch_count, "winograd"},
    {{"winograd4x4", "2-D 3x3 window, stride 1, dilation 1, group 1"}, NCHW, applies_winograd, cost_wino4x4,
     ERK_er_f32_conv2d_wino4x4_pack, ERK_er_f32_conv2d_wino4x4__vec128, er_conv2d_wino4x4_packed_count,
     er_conv2d_wino4x4_scratch_count, "winograd"},
    {{"igemm-nhwc", "2-D, group 1"}, NHWC, applies_igemm, cost_igemm, ERK_er_f32_conv2d_igemm_nhwc_pack,
     ERK_er_f32_conv2d_igemm_nhwc__vec128, er_conv2d_igemm_nhwc_packed_count, er_conv2d_igemm_nhwc_scratch_count,
     "indirection"},
    {{"dwconv-nhwc", "2-D, one channel per group"}, NHWC, applies_depthwise, cost_dwconv_nhwc,
     ERK_er_f32_dwconv2d_nhwc_pack, ERK_er_f32_dwconv2d_nhwc__vec128, er_dwconv2d_nhwc_packed_count,
     er_dwconv2d_nhwc_scratch_count, "indirection"},
};
#undef NCHW
#undef NHWC
#define N_CONV_ALGOS ((int32_t)(sizeof conv_algos / sizeof conv_algos[0]))

static er_algo conv_algo_ids[N_CONV_ALGOS];

/* The kernel parameters of Conv node n; a 1-D convolution runs as 2-D with
   a height of 1. *nsp is the node's own spatial rank. */
static int conv_params_of(er_graph *g, er_node *n, er_conv_params *p, int32_t *nsp)
{
    conv_attrs c;
    if (conv_attrs_of(g, n, &c)) return -1;
    er_tensor *x = er_in(g, n, 0), *w = er_in(g, n, 1);
    *p = (er_conv_params){.nsp = c.nsp, .n = (int32_t)x->dims[0], .c_in = (int32_t)x->dims[1],
                          .c_out = (int32_t)w->dims[0], .group = (int32_t)c.group, .act = n->act,
                          .alpha = n->act_alpha, .beta = n->act_beta};
    SPATIAL_FIELDS(*p, c, x);
    *nsp = c.nsp;
    if (c.nsp == 1) {
        p->nsp = 2;
        p->x_dims[1] = p->x_dims[0], p->y_dims[1] = p->y_dims[0], p->k[1] = p->k[0];
        p->stride[1] = p->stride[0], p->dilation[1] = p->dilation[0], p->pad[1] = p->pad[0];
        p->x_dims[0] = p->y_dims[0] = p->k[0] = p->stride[0] = p->dilation[0] = 1;
        p->pad[0] = 0;
    }
    return 0;
}

/* The algorithm node n runs: the one --algo forces where it applies, else
   the cheapest that applies among those of `layout` (-1: any). *forced (if
   not NULL) says --algo chose it. */
static int conv_pick(er_graph *g, er_node *n, const er_conv_params *p, int32_t nsp, int32_t layout, int32_t *pick,
                     int *forced)
{
    for (int32_t a = 0; a < N_CONV_ALGOS; a++) conv_algo_ids[a] = conv_algos[a].id;
    int by_name;
    if (er_forced_algo(g, n, conv_algo_ids, N_CONV_ALGOS, pick, &by_name)) return -1;
    if (*pick >= 0 && (g->reference_kernels || nsp > 2 ? *pick != 0 : !conv_algos[*pick].applies(p))) {
        if (by_name)
            return er_node_fail(g, n, "--algo %s does not apply: it needs %s", conv_algos[*pick].id.name,
                                g->reference_kernels ? "no --reference" : conv_algos[*pick].id.rule);
        *pick = -1;
    }
    if (forced) *forced = *pick >= 0;
    if (g->reference_kernels || nsp > 2) {
        *pick = 0;
    } else if (*pick < 0) {
        double best = 0;
        for (int32_t a = 1; a < N_CONV_ALGOS; a++)
            if ((layout < 0 || conv_algos[a].layout == layout) && conv_algos[a].applies(p) &&
                (*pick < 0 || conv_algos[a].cost(p) < best)) {
                *pick = a;
                best = conv_algos[a].cost(p);
            }
    }
    return 0;
}

int conv_layout_costs(er_graph *g, er_node *n, double cost[2], int32_t *forced)
{
    er_conv_params p;
    int32_t nsp, pick;
    int forcing;
    if (conv_params_of(g, n, &p, &nsp) || conv_pick(g, n, &p, nsp, -1, &pick, &forcing)) return -1;
    *forced = forcing ? conv_algos[pick].layout : -1;
    for (int32_t l = 0; l < 2; l++) {
        cost[l] = -1;
        if (g->reference_kernels || nsp > 2) continue;
        for (int32_t a = 1; a < N_CONV_ALGOS; a++)
            if (conv_algos[a].layout == l && conv_algos[a].applies(&p) && (cost[l] < 0 || conv_algos[a].cost(&p) < cost[l]))
                cost[l] = conv_algos[a].cost(&p);
    }
    return 0;
}

/* A tensor of `to` layout holding tensor id's values, for node n to read as
   `role`: id itself, its twin, or a new twin filled by a transposing copy. */
static int32_t in_layout(er_graph *g, const er_node *n, int32_t id, int32_t to, const char *role)
{
    er_tensor *t = er_t(g, id);
    if (t->layout == to) return id;
    if (t->twin >= 0) return t->twin;
    int32_t twin = er_temp_new(g, n, role, t->dtype, t->rank, t->dims);
    if (twin < 0) return -1;
    er_t(g, twin)->layout = to;
    er_t(g, twin)->twin = id;
    t->twin = twin;
    if (er_lower_relayout(g, n, id, twin)) return -1;
    return twin;
}

int conv_lower(er_graph *g, er_node *n)
{
    er_conv_params p;
    int32_t nsp, pick;
    if (conv_params_of(g, n, &p, &nsp) || conv_pick(g, n, &p, nsp, n->layout, &pick, NULL)) return -1;
    er_tensor *x = er_in(g, n, 0), *w = er_in(g, n, 1), *y = er_out(g, n, 0);
    int32_t bias = n->n_in > 2 ? n->in[2] : -1, residual = n->residual;
    const conv_algo *al = &conv_algos[pick];
    n->algo = al->id.name;
    if (al->layout != n->layout)
        return er_node_fail(g, n, "internal error: algorithm %s is not of the node's layout", al->id.name);
    if (pick == 0)
        return ER_CALL(g, n, ERK_er_f32_conv__scalar, p, x->id, w->id, bias, residual, y->id);
    if (al->pack < 0) return er_call_add(g, n, al->run, &p, sizeof p, 5, (const int32_t[]){x->id, w->id, bias, residual, y->id});

    /* Channels-last: X and the residual are read, and Y written, in NHWC; a
       transposing copy stands wherever a neighbour is NCHW (layout.c decides
       where that pays). */
    int32_t xi = x->id, yi = y->id;
    if (al->layout != ER_LAYOUT_NCHW) {
        xi = in_layout(g, n, x->id, al->layout, "X:nhwc");
        residual = residual >= 0 ? in_layout(g, n, residual, al->layout, "residual:nhwc") : -1;
        if (y->layout != al->layout) {
            yi = er_temp_new(g, n, "Y:nhwc", y->dtype, y->rank, y->dims);
            if (yi < 0) return -1;
            er_t(g, yi)->layout = al->layout;
            er_t(g, yi)->twin = y->id;
            y->twin = yi;
        }
        if (xi < 0 || (n->residual >= 0 && residual < 0)) return -1;
    }
    int64_t packed_dims[1] = {al->packed_count(&p)};
    int64_t scratch_dims[1] = {al->scratch_count ? al->scratch_count(&p) : 0};
    int32_t packed = er_temp_new(g, n, "W_packed", ER_DTYPE_FLOAT, 1, packed_dims);
    int32_t scratch = scratch_dims[0] ? er_temp_new(g, n, al->scratch_role, ER_DTYPE_FLOAT, 1, scratch_dims) : -1;
    if (packed < 0 || (scratch_dims[0] && scratch < 0)) return -1;
    /* Packing reads only W: with constant weights it is folded at compile time. */
    if (er_call_add(g, n, al->pack, &p, sizeof p, 2, (const int32_t[]){w->id, packed}) ||
        er_call_add(g, n, al->run, &p, sizeof p, 6, (const int32_t[]){xi, packed, bias, residual, yi, scratch}))
        return -1;
    return yi == y->id ? 0 : er_lower_relayout(g, n, yi, y->id);
}

/* ---- ConvTranspose ---- */

static int convt_attrs_of(er_graph *g, er_node *n, conv_attrs *c)
{
    const char *auto_pad;
    int64_t out_pad[3], out_shape[5];
    int32_t n_op, n_os;
    if (common_attrs(g, n, c, 1) || er_attr_string(g, n, "auto_pad", "NOTSET", &auto_pad) ||
        er_attr_ints(g, n, "output_padding", out_pad, 3, &n_op) || er_attr_ints(g, n, "output_shape", out_shape, 5, &n_os))
        return -1;
    if (n_op >= 0 && n_op != c->nsp) return er_node_fail(g, n, "output_padding needs %d values", c->nsp);
    /* output_shape may list only the spatial dims or the whole shape. */
    int32_t skip = n_os == c->nsp + 2 ? 2 : 0;
    if (n_os >= 0 && n_os != c->nsp && !skip) return er_node_fail(g, n, "output_shape needs %d values", c->nsp);
    er_tensor *x = er_in(g, n, 0);
    int same = !strcmp(auto_pad, "SAME_UPPER") || !strcmp(auto_pad, "SAME_LOWER");
    if (!same && strcmp(auto_pad, "NOTSET") && strcmp(auto_pad, "VALID"))
        return er_node_fail(g, n, "auto_pad '%s' is not supported", auto_pad);
    for (int32_t i = 0; i < c->nsp; i++) {
        int64_t in = x->dims[2 + i], span = (c->k[i] - 1) * c->dil[i] + 1;
        c->out_pad[i] = n_op >= 0 ? out_pad[i] : 0;
        if (c->out_pad[i] < 0 || c->out_pad[i] >= (c->stride[i] > c->dil[i] ? c->stride[i] : c->dil[i]))
            return er_node_fail(g, n, "output_padding %lld is invalid on axis %d", (long long)c->out_pad[i], i);
        int64_t full = c->stride[i] * (in - 1) + c->out_pad[i] + span;
        if (n_os >= 0 || same) {
            int64_t out = n_os >= 0 ? out_shape[skip + i] : in * c->stride[i];
            /* A requested output larger than the natural one makes the total
               padding negative: the output grows at the end, zero beyond the
               data (as the ONNX reference, which halves with floor division). */
            int64_t total = full - out, half = total >= 0 ? total / 2 : -((-total + 1) / 2);
            if (out < 1 || total < -full) return er_node_fail(g, n, "output_shape %lld is invalid on axis %d", (long long)out, i);
            int upper = !strcmp(auto_pad, "SAME_UPPER");
            c->pad_begin[i] = upper ? half : total - half;
            c->pad_end[i] = total - c->pad_begin[i];
            c->out[i] = out;
        } else {
            if (!strcmp(auto_pad, "VALID")) c->pad_begin[i] = c->pad_end[i] = 0;
            c->out[i] = full - c->pad_begin[i] - c->pad_end[i];
            if (c->out[i] < 0) return er_node_fail(g, n, "pads exceed the output on axis %d", i);
        }
    }
    return 0;
}

int convtranspose_infer(er_graph *g, er_node *n)
{
    return infer_output(g, n, 1);
}

int convtranspose_lower(er_graph *g, er_node *n)
{
    conv_attrs c;
    if (convt_attrs_of(g, n, &c)) return -1;
    er_tensor *x = er_in(g, n, 0), *w = er_in(g, n, 1), *y = er_out(g, n, 0);
    er_convt_params p = {.nsp = c.nsp, .n = (int32_t)x->dims[0], .c_in = (int32_t)x->dims[1],
                         .c_out = (int32_t)y->dims[1], .group = (int32_t)c.group};
    SPATIAL_FIELDS(p, c, x);
    return ER_CALL(g, n, ERK_er_f32_convtranspose__scalar, p, x->id, w->id, n->n_in > 2 ? n->in[2] : -1, y->id);
}
