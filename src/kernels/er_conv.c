/* er_conv.c - convolutions: the N-d reference, im2col+GEMM for 2-D, direct
   depthwise 2-D, and the transposed convolution.

   All of them end in the same epilogue: y = act(acc + bias + residual). */
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

/* ---- 2-D as im2col + GEMM ---- */

#define ER_MR 4 /* output channels per micro-tile: the packed weight layout */
#define ER_NB 128 /* columns per block, so a block of the im2col matrix stays in cache */

static int needs_im2col(const er_conv_params *p)
{
    return !(p->k[0] == 1 && p->k[1] == 1 && p->stride[0] == 1 && p->stride[1] == 1 && p->pad[0] == 0 &&
             p->pad[1] == 0 && p->x_dims[0] == p->y_dims[0] && p->x_dims[1] == p->y_dims[1]);
}

int32_t er_conv2d_gemm_packed_count(const er_conv_params *p)
{
    const int32_t cout_g = p->c_out / p->group, kk = (p->c_in / p->group) * p->k[0] * p->k[1];
    const int32_t tiles = (cout_g + ER_MR - 1) / ER_MR;
    return p->group * tiles * ER_MR * kk;
}

int32_t er_conv2d_gemm_scratch_count(const er_conv_params *p)
{
    if (!needs_im2col(p)) return 0;
    return (p->c_in / p->group) * p->k[0] * p->k[1] * p->y_dims[0] * p->y_dims[1];
}

/* W [group*cout_g][K] -> [group][tile][K][ER_MR], zero rows past cout_g, so the
   micro-kernel reads the ER_MR weights of one k as one contiguous vector. */
void er_f32_conv2d_gemm_pack(const er_conv_params *p, const float *w, float *wp)
{
    const int32_t cout_g = p->c_out / p->group, kk = (p->c_in / p->group) * p->k[0] * p->k[1];
    const int32_t tiles = (cout_g + ER_MR - 1) / ER_MR;
    for (int32_t g = 0; g < p->group; g++)
        for (int32_t t = 0; t < tiles; t++)
            for (int32_t k = 0; k < kk; k++)
                for (int32_t i = 0; i < ER_MR; i++) {
                    const int32_t m = t * ER_MR + i;
                    wp[(((int64_t)g * tiles + t) * kk + k) * ER_MR + i] =
                        m < cout_g ? w[((int64_t)g * cout_g + m) * kk + k] : 0.0f;
                }
}

/* col[(c*kh + ky)*kw + kx][oy*wo + ox] = x[c][oy*sy - py + ky*dy][ox*sx - px + kx*dx], 0 outside. */
static void im2col(const er_conv_params *p, const float *x, int32_t channels, float *col)
{
    const int32_t h = p->x_dims[0], w = p->x_dims[1], ho = p->y_dims[0], wo = p->y_dims[1];
    for (int32_t c = 0; c < channels; c++)
        for (int32_t ky = 0; ky < p->k[0]; ky++)
            for (int32_t kx = 0; kx < p->k[1]; kx++) {
                float *row = col + (((int64_t)c * p->k[0] + ky) * p->k[1] + kx) * ho * wo;
                const int32_t dx = kx * p->dilation[1] - p->pad[1];
                /* Output columns whose input column lies inside: [lo, hi). */
                int32_t lo = dx < 0 ? (-dx + p->stride[1] - 1) / p->stride[1] : 0;
                int32_t hi = w - dx <= 0 ? 0 : (w - dx + p->stride[1] - 1) / p->stride[1];
                if (hi > wo) hi = wo;
                if (lo > hi) lo = hi;
                for (int32_t oy = 0; oy < ho; oy++) {
                    float *r = row + (int64_t)oy * wo;
                    const int32_t iy = oy * p->stride[0] - p->pad[0] + ky * p->dilation[0];
                    if (iy < 0 || iy >= h) {
                        for (int32_t ox = 0; ox < wo; ox++) r[ox] = 0.0f;
                        continue;
                    }
                    const float *xr = x + ((int64_t)c * h + iy) * w + dx;
                    for (int32_t ox = 0; ox < lo; ox++) r[ox] = 0.0f;
                    if (p->stride[1] == 1) {
                        memcpy(r + lo, xr + lo, (size_t)(hi - lo) * sizeof(float));
                    } else {
                        for (int32_t ox = lo; ox < hi; ox++) r[ox] = xr[(int64_t)ox * p->stride[1]];
                    }
                    for (int32_t ox = hi; ox < wo; ox++) r[ox] = 0.0f;
                }
            }
}

/* y[m][n] for m in one micro-tile, n in [n0, n1): acc over k of wp[k][i] * b[k][n]. */
static void gemm_tile(const float *wp, const float *b, int32_t kk, int32_t ldb, int32_t n0, int32_t n1, int32_t rows,
                      const float *bias, const float *residual, float *y, int32_t ldy, const er_conv_params *p)
{
    int32_t n = n0;
    for (; n + 8 <= n1; n += 8) {
        er_v4f acc[ER_MR][2];
        for (int32_t i = 0; i < ER_MR; i++) acc[i][0] = acc[i][1] = er_v4_splat(0.0f);
        const float *bk = b + n;
        for (int32_t k = 0; k < kk; k++, bk += ldb) {
            const er_v4f b0 = er_v4_load(bk), b1 = er_v4_load(bk + 4);
            const float *wk = wp + (int64_t)k * ER_MR;
            for (int32_t i = 0; i < ER_MR; i++) {
                const er_v4f wv = er_v4_splat(wk[i]);
                acc[i][0] += wv * b0;
                acc[i][1] += wv * b1;
            }
        }
        for (int32_t i = 0; i < rows; i++) {
            float *yr = y + (int64_t)i * ldy + n;
            const er_v4f bv = er_v4_splat(bias ? bias[i] : 0.0f);
            er_v4f v0 = acc[i][0] + bv, v1 = acc[i][1] + bv;
            if (residual) {
                const float *rr = residual + (int64_t)i * ldy + n;
                v0 += er_v4_load(rr);
                v1 += er_v4_load(rr + 4);
            }
            er_v4_store(yr, er_act_v4(v0, p->act, p->alpha, p->beta));
            er_v4_store(yr + 4, er_act_v4(v1, p->act, p->alpha, p->beta));
        }
    }
    for (; n < n1; n++) {
        float acc[ER_MR] = {0};
        for (int32_t k = 0; k < kk; k++) {
            const float bv = b[(int64_t)k * ldb + n];
            for (int32_t i = 0; i < ER_MR; i++) acc[i] += wp[(int64_t)k * ER_MR + i] * bv;
        }
        for (int32_t i = 0; i < rows; i++) {
            float v = acc[i] + (bias ? bias[i] : 0.0f);
            if (residual) v += residual[(int64_t)i * ldy + n];
            y[(int64_t)i * ldy + n] = er_act_scalar(v, p->act, p->alpha, p->beta);
        }
    }
}

void er_f32_conv2d_gemm__vec128(const er_conv_params *p, const float *x, const float *w_packed,
                                const float *bias, const float *residual, float *y, float *scratch)
{
    const int32_t cin_g = p->c_in / p->group, cout_g = p->c_out / p->group;
    const int32_t kk = cin_g * p->k[0] * p->k[1], nn = p->y_dims[0] * p->y_dims[1];
    const int32_t tiles = (cout_g + ER_MR - 1) / ER_MR;
    const int64_t x_plane = (int64_t)p->x_dims[0] * p->x_dims[1];
    const int use_col = needs_im2col(p);
    for (int32_t n = 0; n < p->n; n++)
        for (int32_t g = 0; g < p->group; g++) {
            const float *xg = x + ((int64_t)n * p->c_in + (int64_t)g * cin_g) * x_plane;
            const float *b = xg;
            if (use_col) {
                im2col(p, xg, cin_g, scratch);
                b = scratch;
            }
            const int64_t y_off = ((int64_t)n * p->c_out + (int64_t)g * cout_g) * nn;
            for (int32_t n0 = 0; n0 < nn; n0 += ER_NB) {
                const int32_t n1 = n0 + ER_NB < nn ? n0 + ER_NB : nn;
                for (int32_t t = 0; t < tiles; t++) {
                    const int32_t m0 = t * ER_MR, rows = cout_g - m0 < ER_MR ? cout_g - m0 : ER_MR;
                    const float *wp = w_packed + ((int64_t)g * tiles + t) * kk * ER_MR;
                    gemm_tile(wp, b, kk, nn, n0, n1, rows, bias ? bias + g * cout_g + m0 : NULL,
                              residual ? residual + y_off + (int64_t)m0 * nn : NULL, y + y_off + (int64_t)m0 * nn, nn, p);
                }
            }
        }
}

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

void er_f32_dwconv2d__vec128(const er_conv_params *p, const float *x, const float *w, const float *bias,
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
