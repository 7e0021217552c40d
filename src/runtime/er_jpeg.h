/* er_jpeg.h - JPEG pixel kernels that decode exactly as libjpeg-turbo does.

   WHY
     Pillow, and with it most Python training and serving pipelines, decodes
     JPEGs with libjpeg-turbo's defaults: the "islow" integer IDCT, its
     fixed-point YCbCr->RGB conversion and "fancy" (triangle-filter) chroma
     upsampling. stb_image rounds differently in all three, which moved 0.42%
     of the CIFAR-10 test images to another top-1 class than the reference
     (Pillow + PyTorch) gives. These kernels reproduce libjpeg-turbo's
     integer arithmetic bit for bit, so a decoded pixel equals Pillow's.
     They were written from the algorithms (the JPEG standard's IDCT, the
     Loeffler-Ligtenberg-Moschytz factorisation libjpeg uses, and the
     published constants and rounding of libjpeg's jidctint.c, jdcolor.c and
     jdsample.c), not copied.

   USAGE
     The signatures of the IDCT and the colour conversion are stb_image's
     kernel slots (stbi__jpeg's idct_block_kernel and YCbCr_to_RGB_kernel),
     so er_image.c installs them there; its own row driver calls the rest.
     Coefficients arrive dequantized, in natural (not zig-zag) order.

       er_jpeg_idct_8x8(out, stride, coef)   8x8 pixels, libjpeg's islow
       er_jpeg_cell_weights(m, from, to, spread)
       er_jpeg_idct_cells(out, stride, coef, my, ny, mx, nx)
                                  reduced decoding: ny x nx "cells" of a block,
                                  each the mean of the pixels the full IDCT
                                  gives over a rectangle, computed in the DCT
                                  domain. m (8 weights) describes the span
                                  [from, to) of one axis, in positions of
                                  `spread` per sample (2 for the chroma of
                                  4:2:0 counted in luma pixels); my and mx are
                                  ny and nx such rows (ny, nx <= 32).
       er_jpeg_idct_dc(out, coef)  the whole block as one cell: its DC
                                  coefficient alone, libjpeg's scale 1/8
                                  (jpeg_idct_1x1).
       er_jpeg_ycc_to_rgb(out, y, cb, cr, count, step)
       er_jpeg_upsample_h2v1(out, in, w)          libjpeg's h2v1_fancy_upsample
       er_jpeg_upsample_h2v2(out, near, far, w)   h2v2_fancy_upsample, one row
       er_jpeg_upsample_h1v2(out, near, far, w, below)
     The fancy upsamplers need w > 2 for h2v1 and h2v2 (libjpeg replicates
     pixels below that; er_image.c does the same) and write 2*w samples.

   Every kernel is total: any coefficient values give defined results (the
   arithmetic is 64-bit, the final range limit wraps as libjpeg's table
   does), so hostile files cannot cause undefined behaviour here. */
#ifndef ER_JPEG_H
#define ER_JPEG_H

#include <stdint.h>

void er_jpeg_idct_8x8(uint8_t *out, int stride, short coef[64]);
void er_jpeg_cell_weights(int16_t m[8], int from, int to, int spread);
void er_jpeg_idct_dc(uint8_t *out, const short coef[64]);
void er_jpeg_idct_cells(uint8_t *out, int stride, const short coef[64], const int16_t *my, int ny,
                        const int16_t *mx, int nx);
void er_jpeg_ycc_to_rgb(uint8_t *out, const uint8_t *y, const uint8_t *cb, const uint8_t *cr, int count, int step);
void er_jpeg_upsample_h2v1(uint8_t *out, const uint8_t *in, int w);
void er_jpeg_upsample_h2v2(uint8_t *out, const uint8_t *near, const uint8_t *far, int w);
/* below: 0 for the upper output row of a pair (far is the row above), 1 for
   the lower (far is the row below); libjpeg rounds them with +1 and +2. */
void er_jpeg_upsample_h1v2(uint8_t *out, const uint8_t *near, const uint8_t *far, int w, int below);

#endif /* ER_JPEG_H */
