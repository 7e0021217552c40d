/* er_conv_nhwc.c - 2-D convolutions on channels-last (NHWC) tensors: any
   group-1 convolution as an indirect GEMM, and depthwise.

   x is [n][h][w][c_in] and y, residual [n][ho][wo][c_out]; the parameter
   struct is the NCHW kernels' own (er_conv_params). Both kernels build, per
   block of output pixels, the pointers their micro-kernels read input rows
   through (er_micro_indirect.c): one per kernel tap and pixel, or the zero
   row at the end of scratch where the tap falls in the padding. Pointers
   are counted as two floats each in scratch, so the compiler's 64-bit
   count also fits wasm's 32-bit pointers. */
#include "er_micro.h"
#include "er_simd.h"

/* Points ind[t * stride] (t < kh*kw) at the input rows of output pixel
   (oy, ox): x_n + (iy*w + ix)*c, or zero outside the plane. */
static void tap_rows(const er_conv_params *p, const float *x_n, int32_t c, const float *zero, int32_t oy, int32_t ox,
                     const float **ind, int32_t stride)
{
    for (int32_t ky = 0, t = 0; ky < p->k[0]; ky++) {
        const int32_t iy = oy * p->stride[0] - p->pad[0] + ky * p->dilation[0];
        for (int32_t kx = 0; kx < p->k[1]; kx++, t++) {
            const int32_t ix = ox * p->stride[1] - p->pad[1] + kx * p->dilation[1];
            const int inside = iy >= 0 && iy < p->x_dims[0] && ix >= 0 && ix < p->x_dims[1];
            ind[t * stride] = inside ? x_n + ((int64_t)iy * p->x_dims[1] + ix) * c : zero;
        }
    }
}

/* ---- indirect GEMM (group 1) ---- */

/* Output pixels per block, a multiple of the tile. The block's input rows
   (pixels x taps x c_in) stay within 64 KB, in cache while every strip of
   weights passes over them; but weights larger than a core's L2 (deep 3x3
   layers: megabytes) come from memory once per block, so there a block
   holds at least 64 pixels whatever its input. */
static int32_t igemm_block_pixels(const er_conv_params *p)
{
    const int64_t per_pixel = (int64_t)p->k[0] * p->k[1] * p->c_in;
    int64_t nb = 16384 / (per_pixel > 0 ? per_pixel : 1) / ER_GEMM_MR * ER_GEMM_MR;
    if (per_pixel * p->c_out > 131072 && nb < 64) nb = 64;
    return nb < ER_GEMM_MR ? ER_GEMM_MR : nb > 256 ? 256 : (int32_t)nb;
}

int64_t er_conv2d_igemm_nhwc_packed_count(const er_conv_params *p)
{
    return er_packed_panels_count(p->c_out, p->k[0] * p->k[1] * p->c_in, ER_GEMM_NR);
}

int64_t er_conv2d_igemm_nhwc_scratch_count(const er_conv_params *p)
{
    return 2 * (int64_t)igemm_block_pixels(p) * p->k[0] * p->k[1] + (p->c_in + 3) / 4 * 4;
}

/* W [c_out][c_in][kh][kw] -> strips of NR output channels, k = tap*c_in + channel. */
void er_f32_conv2d_igemm_nhwc_pack(const er_conv_params *p, const float *w, float *w_packed)
{
    const int32_t ks = p->k[0] * p->k[1], kc = p->c_in, strips = (p->c_out + ER_GEMM_NR - 1) / ER_GEMM_NR;
    for (int32_t s = 0; s < strips; s++)
        for (int32_t t = 0; t < ks; t++)
            for (int32_t k = 0; k < kc; k++)
                for (int32_t j = 0; j < ER_GEMM_NR; j++) {
                    const int32_t oc = s * ER_GEMM_NR + j;
                    w_packed[(((int64_t)s * ks + t) * kc + k) * ER_GEMM_NR + j] =
                        oc < p->c_out ? w[((int64_t)oc * kc + k) * ks + t] : 0.0f;
                }
}

void er_f32_conv2d_igemm_nhwc__vec128(const er_conv_params *p, const float *x, const float *w_packed,
                                      const float *bias, const float *residual, float *y, float *scratch)
{
    const int32_t ks = p->k[0] * p->k[1], kc = p->c_in, co = p->c_out, wo = p->y_dims[1];
    const int32_t pixels = p->y_dims[0] * wo, nb = igemm_block_pixels(p), mr = ER_GEMM_MR;
    const int64_t strip = (int64_t)ks * kc * ER_GEMM_NR;
    /* Output channels per pass over the block: as many strips as keep their
       weights within 32 KB (in L1 for every tile of the block), at least one;
       few weights make one call per tile cover every channel. */
    const int64_t fit = 8192 / (strip > 0 ? strip : 1) * ER_GEMM_NR;
    const int32_t cols = fit < ER_GEMM_NR ? ER_GEMM_NR : fit > co ? co : (int32_t)fit;
    const float **ind = (const float **)(void *)scratch;
    float *zero = scratch + 2 * (int64_t)nb * ks;
    const er_epilogue ep = {p->act, p->alpha, p->beta}, inner = er_epilogue_inner(&ep);
    for (int32_t c = 0; c < kc; c++) zero[c] = 0.0f;
    for (int32_t n = 0; n < p->n; n++) {
        const float *x_n = x + (int64_t)n * p->x_dims[0] * p->x_dims[1] * kc;
        float *y_n = y + (int64_t)n * pixels * co;
        const float *r_n = residual ? residual + (int64_t)n * pixels * co : NULL;
        for (int32_t p0 = 0; p0 < pixels; p0 += nb) {
            const int32_t np = pixels - p0 < nb ? pixels - p0 : nb, tiles = (np + mr - 1) / mr;
            /* Tile u's pointers: ind[(u*ks + t)*MR + i]; rows past the block read zeros. */
            for (int32_t u = 0; u < tiles; u++)
                for (int32_t i = 0; i < mr; i++) {
                    const float **at = ind + (int64_t)u * ks * mr + i;
                    const int32_t px = p0 + u * mr + i;
                    if (px < p0 + np) {
                        tap_rows(p, x_n, kc, zero, px / wo, px % wo, at, mr);
                    } else {
                        for (int32_t t = 0; t < ks; t++) at[t * mr] = zero;
                    }
                }
            for (int32_t j = 0; j < co; j += cols) {
                const int32_t nc = co - j < cols ? co - j : cols;
                const float *wj = w_packed + (j / ER_GEMM_NR) * strip;
                for (int32_t u = 0; u < tiles; u++) {
                    const int32_t rows = np - u * mr < mr ? np - u * mr : mr;
                    const int64_t at = (int64_t)(p0 + u * mr) * co + j;
                    er_f32_igemm_4x8__vec128(rows, nc, kc, ks, ind + (int64_t)u * ks * mr, wj, bias ? bias + j : NULL,
                                             r_n ? r_n + at : NULL, y_n + at, co, &inner);
                }
            }
            if (er_act_deferred(ep.act)) er_f32_vact__vec128((int64_t)np * co, y_n + (int64_t)p0 * co, &ep);
        }
    }
}

/* ---- depthwise (group == c_in == c_out) ---- */

static int32_t dw_channel_stride(const er_conv_params *p)
{
    return (p->c_in + 3) / 4 * 4;
}

int64_t er_dwconv2d_nhwc_packed_count(const er_conv_params *p)
{
    return (int64_t)p->k[0] * p->k[1] * dw_channel_stride(p);
}

int64_t er_dwconv2d_nhwc_scratch_count(const er_conv_params *p)
{
    return 2 * (int64_t)p->k[0] * p->k[1] * p->y_dims[1] + dw_channel_stride(p);
}

/* W [c][1][kh][kw] -> [tap][cs], zero past the last channel. */
void er_f32_dwconv2d_nhwc_pack(const er_conv_params *p, const float *w, float *w_packed)
{
    const int32_t ks = p->k[0] * p->k[1], cs = dw_channel_stride(p);
    for (int32_t t = 0; t < ks; t++)
        for (int32_t c = 0; c < cs; c++) w_packed[(int64_t)t * cs + c] = c < p->c_in ? w[(int64_t)c * ks + t] : 0.0f;
}

void er_f32_dwconv2d_nhwc__vec128(const er_conv_params *p, const float *x, const float *w_packed,
                                  const float *bias, const float *residual, float *y, float *scratch)
{
    const int32_t ks = p->k[0] * p->k[1], c = p->c_in, cs = dw_channel_stride(p);
    const int32_t ho = p->y_dims[0], wo = p->y_dims[1];
    const float **ind = (const float **)(void *)scratch;
    float *zero = scratch + 2 * (int64_t)ks * wo;
    const er_epilogue ep = {p->act, p->alpha, p->beta}, inner = er_epilogue_inner(&ep);
    for (int32_t i = 0; i < cs; i++) zero[i] = 0.0f;
    for (int32_t n = 0; n < p->n; n++) {
        const float *x_n = x + (int64_t)n * p->x_dims[0] * p->x_dims[1] * c;
        for (int32_t oy = 0; oy < ho; oy++) {
            const int64_t row = ((int64_t)n * ho + oy) * wo * c;
            for (int32_t ox = 0; ox < wo; ox++) tap_rows(p, x_n, c, zero, oy, ox, ind + (int64_t)ox * ks, 1);
            er_f32_dwconv_nhwc__vec128(wo, c, ks, ind, w_packed, cs, bias, residual ? residual + row : NULL, y + row,
                                       &inner);
            if (er_act_deferred(ep.act)) er_f32_vact__vec128((int64_t)wo * c, y + row, &ep);
        }
    }
}
