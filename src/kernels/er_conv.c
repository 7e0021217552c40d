/* er_conv.c - convolutions: the N-d reference, im2col+GEMM for 2-D, direct
   depthwise 2-D, and the transposed convolution.

   All of them end in the same epilogue: y = act(acc + bias + residual). */
#include "er_micro.h"
#include "er_simd.h"

/* ---- reference: any group, dilation, padding, 1 to 3 spatial dims ---- */

/* Geometry padded to 3 spatial dims (missing ones have size 1), so one loop nest serves all. */
typedef struct geom3 {
    int32_t x[3], y[3], k[3], s[3], d[3], p[3];
} geom3;

static geom3 geom_of(int32_t nsp, const int32_t *x, const int32_t *y, const int32_t *k, const int32_t *s,
                     const int32_t *d, const int32_t *p)
{
    geom3 g;
    for (int32_t i = 0; i < 3; i++) {
        int32_t j = i - (3 - nsp);
        g.x[i] = j >= 0 ? x[j] : 1;
        g.y[i] = j >= 0 ? y[j] : 1;
        g.k[i] = j >= 0 ? k[j] : 1;
        g.s[i] = j >= 0 ? s[j] : 1;
        g.d[i] = j >= 0 ? d[j] : 1;
        g.p[i] = j >= 0 ? p[j] : 0;
    }
    return g;
}

void er_f32_conv__scalar(const er_conv_params *p, const float *x, const float *w, const float *bias,
                         const float *residual, float *y)
{
    const geom3 g = geom_of(p->nsp, p->x_dims, p->y_dims, p->k, p->stride, p->dilation, p->pad);
    const int32_t cin_g = p->c_in / p->group, cout_g = p->c_out / p->group;
    const int64_t x_plane = (int64_t)g.x[0] * g.x[1] * g.x[2], y_plane = (int64_t)g.y[0] * g.y[1] * g.y[2];
    const int64_t k_size = (int64_t)g.k[0] * g.k[1] * g.k[2];
    for (int32_t n = 0; n < p->n; n++)
        for (int32_t oc = 0; oc < p->c_out; oc++) {
            const int32_t grp = oc / cout_g;
            const float *wo = w + (int64_t)oc * cin_g * k_size;
            for (int32_t o0 = 0; o0 < g.y[0]; o0++)
                for (int32_t o1 = 0; o1 < g.y[1]; o1++)
                    for (int32_t o2 = 0; o2 < g.y[2]; o2++) {
                        float acc = bias ? bias[oc] : 0.0f;
                        for (int32_t ic = 0; ic < cin_g; ic++) {
                            const float *xc = x + ((int64_t)n * p->c_in + (int64_t)grp * cin_g + ic) * x_plane;
                            const float *wc = wo + (int64_t)ic * k_size;
                            for (int32_t k0 = 0; k0 < g.k[0]; k0++) {
                                const int32_t i0 = o0 * g.s[0] - g.p[0] + k0 * g.d[0];
                                if (i0 < 0 || i0 >= g.x[0]) continue;
                                for (int32_t k1 = 0; k1 < g.k[1]; k1++) {
                                    const int32_t i1 = o1 * g.s[1] - g.p[1] + k1 * g.d[1];
                                    if (i1 < 0 || i1 >= g.x[1]) continue;
                                    for (int32_t k2 = 0; k2 < g.k[2]; k2++) {
                                        const int32_t i2 = o2 * g.s[2] - g.p[2] + k2 * g.d[2];
                                        if (i2 < 0 || i2 >= g.x[2]) continue;
                                        acc += xc[((int64_t)i0 * g.x[1] + i1) * g.x[2] + i2] *
                                               wc[((int64_t)k0 * g.k[1] + k1) * g.k[2] + k2];
                                    }
                                }
                            }
                        }
                        const int64_t at = ((int64_t)n * p->c_out + oc) * y_plane + ((int64_t)o0 * g.y[1] + o1) * g.y[2] + o2;
                        if (residual) acc += residual[at];
                        y[at] = er_act_scalar(acc, p->act, p->alpha, p->beta);
                    }
        }
}

/* ---- 2-D as a GEMM over packed column blocks ---- */

/* The right operand of the GEMM is the input seen as a [K][pixels] matrix,
   K = c_in/group * kh * kw (for a 1x1 convolution, the input itself). It is
   never materialised whole: block by block, `pack_block` copies NB of its
   columns into strips of ER_GEMM_NR columns stored k-major,
       bp[(strip * K + k) * NR + j]
   so the micro-kernel reads one contiguous stream per strip, whatever the
   image width (reading K rows of a wide image directly costs a cache line
   and a TLB entry per k). A block is sized to stay in L1 while every panel
   of weights passes over it. */
#if ER_GEMM_NR != 8
#error "pack_block copies whole strips as two 4-float vectors"
#endif

static int32_t block_cols(int32_t kk)
{
    int32_t nb = 8192 / (kk > 0 ? kk : 1) / ER_GEMM_NR * ER_GEMM_NR;
    return nb < ER_GEMM_NR ? ER_GEMM_NR : nb > 512 ? 512 : nb;
}

static int is_pointwise(const er_conv_params *p)
{
    return p->k[0] == 1 && p->k[1] == 1 && p->stride[0] == 1 && p->stride[1] == 1 && p->pad[0] == 0 &&
           p->pad[1] == 0 && p->x_dims[0] == p->y_dims[0] && p->x_dims[1] == p->y_dims[1];
}

int64_t er_conv2d_gemm_packed_count(const er_conv_params *p)
{
    const int32_t cout_g = p->c_out / p->group, kk = (p->c_in / p->group) * p->k[0] * p->k[1];
    return (int64_t)p->group * er_packed_a_count(cout_g, kk);
}

int64_t er_conv2d_gemm_scratch_count(const er_conv_params *p)
{
    const int32_t kk = (p->c_in / p->group) * p->k[0] * p->k[1];
    return (int64_t)kk * block_cols(kk);
}

/* W [group*cout_g][K] -> per group, the packed-A panels of er_micro.h. */
void er_f32_conv2d_gemm_pack(const er_conv_params *p, const float *w, float *wp)
{
    const int32_t cout_g = p->c_out / p->group, kk = (p->c_in / p->group) * p->k[0] * p->k[1];
    const int64_t per_group = er_packed_a_count(cout_g, kk);
    for (int32_t g = 0; g < p->group; g++)
        er_f32_pack_a(cout_g, kk, w + (int64_t)g * cout_g * kk, kk, 1, wp + g * per_group);
}

/* Columns [n0, n0 + nc) of the [K][pixels] matrix of the channels x[0..], as strips. */
static void pack_block(const er_conv_params *p, const float *x, int32_t kk, int32_t n0, int32_t nc, float *bp)
{
    const int32_t h = p->x_dims[0], w = p->x_dims[1], wo = p->y_dims[1], nr = ER_GEMM_NR;
    /* The micro-kernel reads a partial last strip whole: zeros, not stale
       scratch (which could hold denormals, slow on x86). */
    if (nc % nr) memset(bp + (int64_t)(nc / nr) * kk * nr, 0, (size_t)kk * nr * sizeof(float));
    if (is_pointwise(p)) {
        const int64_t plane = (int64_t)h * w;
        for (int32_t s = 0; s * nr < nc; s++) {
            const int32_t cols = nc - s * nr < nr ? nc - s * nr : nr;
            float *dst = bp + (int64_t)s * kk * nr;
            const float *src = x + n0 + s * nr;
            if (cols == 8) { /* two vectors, not a call to memcpy per 32 bytes */
                for (int32_t k = 0; k < kk; k++, dst += 8, src += plane) {
                    er_v4_store(dst, er_v4_load(src));
                    er_v4_store(dst + 4, er_v4_load(src + 4));
                }
            } else {
                /* Lane by lane: a call to memcpy per k for 1..7 floats costs more. */
                const int32_t lo = cols < 4 ? cols : 4;
                for (int32_t k = 0; k < kk; k++, dst += nr, src += plane) {
                    er_v4_store(dst, er_v4_load_part(src, lo));
                    if (cols > 4) er_v4_store(dst + 4, er_v4_load_part(src + 4, cols - 4));
                }
            }
        }
        return;
    }
    /* Row k of the matrix, column by column: within one output row the input
       row is fixed, so only the column test remains per element; the strip
       position advances by one, or to the next strip after NR columns. */
    const int32_t khw = p->k[0] * p->k[1], sx = p->stride[1];
    for (int32_t k = 0; k < kk; k++) {
        const int32_t c = k / khw, ky = (k % khw) / p->k[1], kx = k % p->k[1];
        const float *xc = x + (int64_t)c * h * w;
        const int32_t dy = ky * p->dilation[0] - p->pad[0], dx = kx * p->dilation[1] - p->pad[1];
        float *d = bp + (int64_t)k * nr;
        int32_t lane = 0, oy = n0 / wo, ox = n0 % wo;
        for (int32_t j = 0; j < nc;) {
            const int32_t seg = wo - ox < nc - j ? wo - ox : nc - j, iy = oy * p->stride[0] + dy;
            const float *xr = iy >= 0 && iy < h ? xc + (int64_t)iy * w : NULL;
            for (int32_t t = 0, ix = ox * sx + dx; t < seg; t++, ix += sx) {
                /* A whole strip inside the row: 8 floats at once (stride 2: the
                   even lanes of 16). */
                if (lane == 0 && xr && t + 8 <= seg && ix >= 0 && (sx == 1 ? ix + 8 : sx == 2 ? ix + 16 : w + 1) <= w) {
                    if (sx == 1) {
                        er_v4_store(d, er_v4_load(xr + ix));
                        er_v4_store(d + 4, er_v4_load(xr + ix + 4));
                    } else {
                        const er_v4f a = er_v4_load(xr + ix), b = er_v4_load(xr + ix + 4);
                        const er_v4f c2 = er_v4_load(xr + ix + 8), e = er_v4_load(xr + ix + 12);
                        er_v4_store(d, ER_V4_SHUFFLE(a, b, 0, 2, 4, 6));
                        er_v4_store(d + 4, ER_V4_SHUFFLE(c2, e, 0, 2, 4, 6));
                    }
                    d += (int64_t)kk * nr;
                    t += 7;
                    ix += 7 * sx;
                    continue;
                }
                *d = xr && ix >= 0 && ix < w ? xr[ix] : 0.0f;
                if (++lane == nr) {
                    lane = 0;
                    d += (int64_t)(kk - 1) * nr + 1;
                } else {
                    d++;
                }
            }
            j += seg;
            ox = 0;
            oy++;
        }
    }
}

void er_f32_conv2d_gemm__vec128(const er_conv_params *p, const float *x, const float *w_packed,
                                const float *bias, const float *residual, float *y, float *scratch)
{
    const int32_t cin_g = p->c_in / p->group, cout_g = p->c_out / p->group;
    const int32_t kk = cin_g * p->k[0] * p->k[1], nn = p->y_dims[0] * p->y_dims[1], nb = block_cols(kk);
    const int32_t panels = (cout_g + ER_GEMM_MR - 1) / ER_GEMM_MR, nr = ER_GEMM_NR;
    const int64_t x_plane = (int64_t)p->x_dims[0] * p->x_dims[1];
    const er_epilogue ep = {p->act, p->alpha, p->beta}, inner = er_epilogue_inner(&ep);
    for (int32_t n = 0; n < p->n; n++)
        for (int32_t g = 0; g < p->group; g++) {
            const float *xg = x + ((int64_t)n * p->c_in + (int64_t)g * cin_g) * x_plane;
            const int64_t y_off = ((int64_t)n * p->c_out + (int64_t)g * cout_g) * nn;
            const float *wg = w_packed + g * er_packed_a_count(cout_g, kk);
            for (int32_t n0 = 0; n0 < nn; n0 += nb) {
                const int32_t nc = nn - n0 < nb ? nn - n0 : nb;
                pack_block(p, xg, kk, n0, nc, scratch);
                for (int32_t t = 0; t < panels; t++) {
                    const int32_t m0 = t * ER_GEMM_MR, mr = cout_g - m0 < ER_GEMM_MR ? cout_g - m0 : ER_GEMM_MR;
                    const float *a = wg + (int64_t)t * kk * ER_GEMM_MR;
                    const float *bt = bias ? bias + g * cout_g + m0 : NULL;
                    const int64_t at = y_off + (int64_t)m0 * nn + n0;
                    er_f32_gemm_4x8__vec128(mr, nc, kk, a, scratch, nr, (int64_t)kk * nr, bt,
                                            residual ? residual + at : NULL, y + at, nn, &inner);
                    if (er_act_deferred(ep.act))
                        for (int32_t i = 0; i < mr; i++)
                            er_f32_vact__vec128(nc, y + y_off + (int64_t)(m0 + i) * nn + n0, &ep);
                }
            }
        }
}

/* ---- 2-D Winograd F(2x2, 3x3) and F(4x4, 3x3): stride 1, no dilation, group 1 ----

   Output tiles are m x m (m = 2 or 4) from (m+2) x (m+2) input patches;
   four horizontally adjacent tiles form a group (the lanes of the
   transform micro-kernels), so a tile row holds `gw` groups and every row
   of groups is padded to whole groups. Groups are processed in blocks of
   `slots` tiles, sized so the transformed block (V: a^2 x c_in x slots,
   a = m+2) and its products (M: a^2 x c_out x slots) stay within about
   256 KB, in cache between the transforms and the a^2 GEMMs. */
typedef struct wino_desc {
    int32_t m, a;                      /* output tile, input patch */
    er_f32_wino2x2_in_ukernel *in;
    er_f32_wino2x2_out_ukernel *out;
} wino_desc;
static const wino_desc wino2x2 = {2, 4, er_f32_wino2x2_in__vec128, er_f32_wino2x2_out__vec128};
static const wino_desc wino4x4 = {4, 6, er_f32_wino4x4_in__vec128, er_f32_wino4x4_out__vec128};

typedef struct wino_plan {
    int32_t gw, groups, block_groups;
} wino_plan;

static wino_plan wino_plan_of(const wino_desc *d, const er_conv_params *p)
{
    wino_plan w;
    const int32_t tw = (p->y_dims[1] + d->m - 1) / d->m, th = (p->y_dims[0] + d->m - 1) / d->m;
    w.gw = (tw + 3) / 4;
    w.groups = th * w.gw;
    int64_t budget = 65536 / ((int64_t)d->a * d->a * 4 * ((int64_t)p->c_in + p->c_out));
    w.block_groups = budget < 1 ? 1 : budget > w.groups ? w.groups : (int32_t)budget;
    return w;
}

static int64_t wino_scratch_count(const wino_desc *d, const er_conv_params *p)
{
    const wino_plan w = wino_plan_of(d, p);
    return (int64_t)d->a * d->a * ((int64_t)p->c_in + p->c_out) * 4 * w.block_groups;
}

/* U = G g G^T for every (c_out, c_in), as a^2 packed-A matrices [c_out][c_in],
   with G for F(2x2,3x3) and F(4x4,3x3) (Lavin & Gray):
     F(2x2): rows (1 0 0) (1/2 1/2 1/2) (1/2 -1/2 1/2) (0 0 1)
     F(4x4): rows (1/4 0 0) (-1/6 -1/6 -1/6) (-1/6 1/6 -1/6) (1/24 1/12 1/6) (1/24 -1/12 1/6) (0 0 1)
   Element (r, c) of U is a dot product of the 9 kernel values with row
   (r, c) of K = G (x) G (Kronecker), so packing is one GEMM per panel of
   four output channels: U (a^2 x [c_in][4]) = K (a^2 x 9) x Q (9 x [c_in][4]),
   Q[e][ic][i] = tap e of output channel 4t+i and input channel ic, and its
   result rows land straight in the packed layout (row xi of U is
   u_packed + xi * per_xi, columns [c_in][4] are panel t's packed-A block).
   Packing runs once, in a module's first run, before the engine has
   optimised anything; as a GEMM it runs on the micro-kernel the Winograd
   products use next (made hot early rather than a packing routine that is
   never needed again) and on er_f32_pack_panels for the transposition:
   the packing adds no function of its own for V8 to optimise during that
   first run. */
#define WINO_PACK_IC 64 /* input channels per GEMM: Q on the stack is 9 KB */
#if ER_GEMM_MR != 4
#error "wino_pack takes K's rows a panel at a time: a^2 (16 or 36) must be a multiple of ER_GEMM_MR"
#endif
static void wino_pack(int32_t a, const er_conv_params *p, const float *w, float *u_packed)
{
    static const float g2[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
    static const float g4[6][3] = {{0.25f, 0, 0},
                                   {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                   {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                   {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                   {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                   {0, 0, 1}};
    const float(*g)[3] = a == 4 ? g2 : g4;
    const int32_t a2 = a * a, cin = p->c_in, panels = (p->c_out + ER_GEMM_MR - 1) / ER_GEMM_MR;
    const int64_t per_xi = er_packed_a_count(p->c_out, cin);
    const er_epilogue none = {ER_ACT_NONE, 0.0f, 0.0f};
    float k[36 * 9], q[9 * WINO_PACK_IC * ER_GEMM_MR];
    /* K in packed-A panels: element (xi, e) at k[(xi / MR * 9 + e) * MR + xi % MR]; a^2 is a multiple of MR. */
    for (int32_t xi = 0; xi < a2; xi++)
        for (int32_t e = 0; e < 9; e++)
            k[(xi / ER_GEMM_MR * 9 + e) * ER_GEMM_MR + xi % ER_GEMM_MR] = g[xi / a][e / 3] * g[xi % a][e % 3];
    for (int32_t t = 0; t < panels; t++) {
        const int32_t rows = p->c_out - t * ER_GEMM_MR < ER_GEMM_MR ? p->c_out - t * ER_GEMM_MR : ER_GEMM_MR;
        for (int32_t ic0 = 0; ic0 < cin; ic0 += WINO_PACK_IC) {
            const int32_t nb = cin - ic0 < WINO_PACK_IC ? cin - ic0 : WINO_PACK_IC, nc = nb * ER_GEMM_MR;
            const float *wt = w + ((int64_t)t * ER_GEMM_MR * cin + ic0) * 9;
            for (int32_t e = 0; e < 9; e++) er_f32_pack_panels(rows, nb, wt + e, cin * 9, 9, ER_GEMM_MR, q + e * nc);
            for (int32_t s = 0; s < a2 / ER_GEMM_MR; s++)
                er_f32_gemm_4x8__vec128(ER_GEMM_MR, nc, 9, k + s * 9 * ER_GEMM_MR, q, nc, ER_GEMM_NR, NULL, NULL,
                                        u_packed + (int64_t)s * ER_GEMM_MR * per_xi + ((int64_t)t * cin + ic0) * ER_GEMM_MR,
                                        (int32_t)per_xi, &none);
        }
    }
}

static void wino_run(const wino_desc *d, const er_conv_params *p, const float *x, const float *u_packed,
                     const float *bias, const float *residual, float *y, float *scratch)
{
    const wino_plan wp = wino_plan_of(d, p);
    const int32_t h = p->x_dims[0], w = p->x_dims[1], ho = p->y_dims[0], wo = p->y_dims[1], m = d->m, a2 = d->a * d->a;
    const int32_t cin = p->c_in, cout = p->c_out, panels = (cout + ER_GEMM_MR - 1) / ER_GEMM_MR;
    const int64_t per_xi = er_packed_a_count(cout, cin);
    const er_epilogue none = {ER_ACT_NONE, 0.0f, 0.0f}, ep = {p->act, p->alpha, p->beta};
    for (int32_t n = 0; n < p->n; n++) {
        const float *xn = x + (int64_t)n * cin * h * w;
        float *yn = y + (int64_t)n * cout * ho * wo;
        const float *rn = residual ? residual + (int64_t)n * cout * ho * wo : NULL;
        for (int32_t g0 = 0; g0 < wp.groups; g0 += wp.block_groups) {
            const int32_t ng = wp.groups - g0 < wp.block_groups ? wp.groups - g0 : wp.block_groups;
            const int32_t slots = 4 * ng; /* columns of this block's GEMMs */
            float *v = scratch, *mm = scratch + (int64_t)a2 * cin * slots;
            const int32_t vs = cin * slots, ms = cout * slots;
            for (int32_t gi = 0; gi < ng; gi++) {
                const int32_t ty = (g0 + gi) / wp.gw, tx = 4 * ((g0 + gi) % wp.gw);
                d->in(cin, xn, (int64_t)h * w, h, w, m * ty - p->pad[0], m * tx - p->pad[1], v + 4 * gi, slots, vs);
            }
            for (int32_t xi = 0; xi < a2; xi++)
                for (int32_t t = 0; t < panels; t++) {
                    const int32_t m0 = t * ER_GEMM_MR, mr = cout - m0 < ER_GEMM_MR ? cout - m0 : ER_GEMM_MR;
                    er_f32_gemm_4x8__vec128(mr, slots, cin, u_packed + xi * per_xi + (int64_t)t * cin * ER_GEMM_MR,
                                            v + (int64_t)xi * vs, slots, ER_GEMM_NR, NULL, NULL,
                                            mm + (int64_t)xi * ms + (int64_t)m0 * slots, slots, &none);
                }
            for (int32_t gi = 0; gi < ng; gi++) {
                const int32_t ty = (g0 + gi) / wp.gw, tx = 4 * ((g0 + gi) % wp.gw);
                d->out(cout, mm + 4 * gi, slots, ms, bias, rn, yn, (int64_t)ho * wo, ho, wo, ty, tx, &ep);
            }
        }
    }
}

/* The kernels generated code calls (er_kernels.def), one set per tile size. */
#define ER_WINO_KERNELS(NAME, DESC)                                                                             \
    int64_t er_conv2d_##NAME##_packed_count(const er_conv_params *p)                                           \
    {                                                                                                           \
        return (int64_t)DESC.a * DESC.a * er_packed_a_count(p->c_out, p->c_in);                                \
    }                                                                                                           \
    int64_t er_conv2d_##NAME##_scratch_count(const er_conv_params *p)                                          \
    {                                                                                                           \
        return wino_scratch_count(&DESC, p);                                                                    \
    }                                                                                                           \
    void er_f32_conv2d_##NAME##_pack(const er_conv_params *p, const float *w, float *u_packed)                 \
    {                                                                                                           \
        wino_pack(DESC.a, p, w, u_packed);                                                                      \
    }                                                                                                           \
    void er_f32_conv2d_##NAME##__vec128(const er_conv_params *p, const float *x, const float *u_packed,        \
                                        const float *bias, const float *residual, float *y, float *scratch)    \
    {                                                                                                           \
        wino_run(&DESC, p, x, u_packed, bias, residual, y, scratch);                                            \
    }
ER_WINO_KERNELS(wino2x2, wino2x2)
ER_WINO_KERNELS(wino4x4, wino4x4)

/* ---- depthwise 2-D ---- */

/* One output of channel plane xc with full bounds checks (borders, strides). */
static float dw_point(const er_conv_params *p, const float *xc, const float *wc, float b, int32_t oy, int32_t ox)
{
    const int32_t h = p->x_dims[0], wd = p->x_dims[1];
    float acc = b;
    for (int32_t ky = 0; ky < p->k[0]; ky++) {
        const int32_t iy = oy * p->stride[0] - p->pad[0] + ky * p->dilation[0];
        if (iy < 0 || iy >= h) continue;
        for (int32_t kx = 0; kx < p->k[1]; kx++) {
            const int32_t ix = ox * p->stride[1] - p->pad[1] + kx * p->dilation[1];
            if (ix < 0 || ix >= wd) continue;
            acc += xc[(int64_t)iy * wd + ix] * wc[ky * p->k[1] + kx];
        }
    }
    return acc;
}

static void dwconv2d_any(const er_conv_params *p, const float *x, const float *w, const float *bias,
                         const float *residual, float *y)
{
    const int32_t h = p->x_dims[0], wd = p->x_dims[1], ho = p->y_dims[0], wo = p->y_dims[1];
    const int32_t kh = p->k[0], kw = p->k[1], sx = p->stride[1], dx = p->dilation[1], px = p->pad[1];
    /* Output columns whose whole kernel row lies inside the input: [lo, hi). */
    int32_t lo = (px + sx - 1) / sx, hi = wd + px - (kw - 1) * dx;
    hi = hi <= 0 ? 0 : (hi - 1) / sx + 1;
    if (hi > wo) hi = wo;
    if (lo > hi) lo = hi;
    /* Stride 1 interiors go four outputs at a time, without bounds checks along x. */
    const int32_t vec_end = sx == 1 ? lo + ((hi - lo) & ~3) : lo;
    for (int32_t n = 0; n < p->n; n++)
        for (int32_t c = 0; c < p->c_in; c++) {
            const int64_t plane = (int64_t)n * p->c_in + c;
            const float *xc = x + plane * h * wd, *wc = w + (int64_t)c * kh * kw;
            float *yc = y + plane * ho * wo;
            const float *rc = residual ? residual + plane * ho * wo : NULL;
            const float b = bias ? bias[c] : 0.0f;
            for (int32_t oy = 0; oy < ho; oy++) {
                float *yr = yc + (int64_t)oy * wo;
                const float *rr = rc ? rc + (int64_t)oy * wo : NULL;
                int32_t ox = 0;
                for (; ox < lo; ox++)
                    yr[ox] = er_act_scalar(dw_point(p, xc, wc, b, oy, ox) + (rr ? rr[ox] : 0.0f), p->act, p->alpha, p->beta);
                for (; ox < vec_end; ox += 4) {
                    er_v4f acc = er_v4_splat(b);
                    for (int32_t ky = 0; ky < kh; ky++) {
                        const int32_t iy = oy * p->stride[0] - p->pad[0] + ky * p->dilation[0];
                        if (iy < 0 || iy >= h) continue;
                        const float *xr = xc + (int64_t)iy * wd + ox - px;
                        for (int32_t kx = 0; kx < kw; kx++)
                            acc += er_v4_splat(wc[ky * kw + kx]) * er_v4_load(xr + kx * dx);
                    }
                    if (rr) acc += er_v4_load(rr + ox);
                    er_v4_store(yr + ox, er_act_v4(acc, p->act, p->alpha, p->beta));
                }
                for (; ox < wo; ox++)
                    yr[ox] = er_act_scalar(dw_point(p, xc, wc, b, oy, ox) + (rr ? rr[ox] : 0.0f), p->act, p->alpha, p->beta);
            }
        }
}

/* The specialised micro-kernel for a square 3x3 or 5x5 window of stride 1
   or 2 without dilation (MobileNets, EfficientNets, ShuffleNets), or NULL. */
static er_f32_dwconv_ukernel *dw_ukernel_for(const er_conv_params *p)
{
    if (p->k[0] != p->k[1] || p->stride[0] != p->stride[1] || p->dilation[0] != 1 || p->dilation[1] != 1) return NULL;
    switch (p->k[0] * 10 + p->stride[0]) {
    case 31: return er_f32_dwconv_3x3s1__vec128;
    case 32: return er_f32_dwconv_3x3s2__vec128;
    case 51: return er_f32_dwconv_5x5s1__vec128;
    case 52: return er_f32_dwconv_5x5s2__vec128;
    default: return NULL;
    }
}

void er_f32_dwconv2d__vec128(const er_conv_params *p, const float *x, const float *w, const float *bias,
                             const float *residual, float *y)
{
    er_f32_dwconv_ukernel *uk = dw_ukernel_for(p);
    if (!uk) {
        dwconv2d_any(p, x, w, bias, residual, y);
        return;
    }
    const er_dw_geom g = {p->x_dims[0], p->x_dims[1], p->y_dims[0], p->y_dims[1], p->pad[0], p->pad[1]};
    const er_epilogue ep = {p->act, p->alpha, p->beta}, inner = er_epilogue_inner(&ep);
    const int64_t x_plane = (int64_t)g.h * g.w, y_plane = (int64_t)g.ho * g.wo, kk = (int64_t)p->k[0] * p->k[1];
    for (int32_t n = 0; n < p->n; n++)
        for (int32_t c = 0; c < p->c_in; c++) {
            const int64_t plane = (int64_t)n * p->c_in + c;
            uk(&g, x + plane * x_plane, w + c * kk, bias ? bias[c] : 0.0f, residual ? residual + plane * y_plane : NULL,
               y + plane * y_plane, &inner);
            if (er_act_deferred(ep.act)) er_f32_vact__vec128(y_plane, y + plane * y_plane, &ep);
        }
}

/* ---- transposed convolution (reference) ---- */

void er_f32_convtranspose__scalar(const er_convt_params *p, const float *x, const float *w, const float *bias,
                                  float *y)
{
    const geom3 g = geom_of(p->nsp, p->x_dims, p->y_dims, p->k, p->stride, p->dilation, p->pad);
    const int32_t cin_g = p->c_in / p->group, cout_g = p->c_out / p->group;
    const int64_t x_plane = (int64_t)g.x[0] * g.x[1] * g.x[2], y_plane = (int64_t)g.y[0] * g.y[1] * g.y[2];
    const int64_t k_size = (int64_t)g.k[0] * g.k[1] * g.k[2];
    for (int32_t n = 0; n < p->n; n++)
        for (int32_t oc = 0; oc < p->c_out; oc++) {
            float *yc = y + ((int64_t)n * p->c_out + oc) * y_plane;
            for (int64_t i = 0; i < y_plane; i++) yc[i] = bias ? bias[oc] : 0.0f;
        }
    /* Scatter: each input element adds its kernel-weighted copy into the output. */
    for (int32_t n = 0; n < p->n; n++)
        for (int32_t ic = 0; ic < p->c_in; ic++) {
            const int32_t grp = ic / cin_g;
            const float *xc = x + ((int64_t)n * p->c_in + ic) * x_plane;
            for (int32_t ocg = 0; ocg < cout_g; ocg++) {
                const int32_t oc = grp * cout_g + ocg;
                const float *wc = w + ((int64_t)ic * cout_g + ocg) * k_size;
                float *yc = y + ((int64_t)n * p->c_out + oc) * y_plane;
                for (int32_t i0 = 0; i0 < g.x[0]; i0++)
                    for (int32_t i1 = 0; i1 < g.x[1]; i1++)
                        for (int32_t i2 = 0; i2 < g.x[2]; i2++) {
                            const float v = xc[((int64_t)i0 * g.x[1] + i1) * g.x[2] + i2];
                            for (int32_t k0 = 0; k0 < g.k[0]; k0++) {
                                const int32_t o0 = i0 * g.s[0] - g.p[0] + k0 * g.d[0];
                                if (o0 < 0 || o0 >= g.y[0]) continue;
                                for (int32_t k1 = 0; k1 < g.k[1]; k1++) {
                                    const int32_t o1 = i1 * g.s[1] - g.p[1] + k1 * g.d[1];
                                    if (o1 < 0 || o1 >= g.y[1]) continue;
                                    for (int32_t k2 = 0; k2 < g.k[2]; k2++) {
                                        const int32_t o2 = i2 * g.s[2] - g.p[2] + k2 * g.d[2];
                                        if (o2 < 0 || o2 >= g.y[2]) continue;
                                        yc[((int64_t)o0 * g.y[1] + o1) * g.y[2] + o2] +=
                                            v * wc[((int64_t)k0 * g.k[1] + k1) * g.k[2] + k2];
                                    }
                                }
                            }
                        }
            }
        }
}
