/* er_jpeg_kernels.c - libjpeg-turbo's pixel arithmetic, bit for bit (er_jpeg.h).

   The IDCT is the "islow" algorithm: the separable 8-point inverse DCT
   factored as Loeffler, Ligtenberg and Moschytz describe (12 multiplies per
   8 points), in fixed point with 13 fractional bits for the constants
   (CONST_BITS) and 2 extra bits kept between the column and the row pass
   (PASS1_BITS); each result is rounded by adding half and shifting. Columns
   or rows whose AC terms are all zero take the shortcut libjpeg takes, which
   gives the same value as the full computation. The final clamp is libjpeg's
   range-limit table (index masked to 10 bits), computed rather than stored. */
#include "er_jpeg.h"

#define CONST_BITS 13
#define PASS1_BITS 2

/* round(x * 2^13) of the constants of the LLM factorisation. */
#define FIX_0_298631336 ((int64_t)2446)
#define FIX_0_390180644 ((int64_t)3196)
#define FIX_0_541196100 ((int64_t)4433)
#define FIX_0_765366865 ((int64_t)6270)
#define FIX_0_899976223 ((int64_t)7373)
#define FIX_1_175875602 ((int64_t)9633)
#define FIX_1_501321110 ((int64_t)12299)
#define FIX_1_847759065 ((int64_t)15137)
#define FIX_1_961570560 ((int64_t)16069)
#define FIX_2_053119869 ((int64_t)16819)
#define FIX_2_562915447 ((int64_t)20995)
#define FIX_3_072711026 ((int64_t)25172)

/* x / 2^n rounded half up, as an arithmetic shift (x is int64; the
   multiplication form keeps negative values defined). */
static inline int64_t descale(int64_t x, int n)
{
    return (x + ((int64_t)1 << (n - 1))) >> n;
}

/* libjpeg's post-IDCT range limit: v + 128 clamped to 0..255 for v in
   [-512, 511], and the table's wrap-around (index v & 1023) beyond. */
static inline uint8_t range_limit(int64_t v)
{
    const unsigned i = (unsigned)((uint64_t)v & 1023u);
    if (i < 512) return (uint8_t)(i + 128 > 255 ? 255 : i + 128);
    return (uint8_t)(i < 896 ? 0 : i - 896);
}

/* One 8-point pass: in[0..7] at stride `step`, results (before descaling)
   to r[0..7]. The even part rotates (in2, in6) by sqrt(2)*c6; the odd part
   is the transposed figure of the forward DCT. */
static inline void idct8(const int64_t in[8], int64_t r[8])
{
    int64_t z1, z2, z3, z4, z5, t0, t1, t2, t3, t10, t11, t12, t13;
    z2 = in[2];
    z3 = in[6];
    z1 = (z2 + z3) * FIX_0_541196100;
    t2 = z1 + z3 * -FIX_1_847759065;
    t3 = z1 + z2 * FIX_0_765366865;
    t0 = (in[0] + in[4]) * ((int64_t)1 << CONST_BITS);
    t1 = (in[0] - in[4]) * ((int64_t)1 << CONST_BITS);
    t10 = t0 + t3;
    t13 = t0 - t3;
    t11 = t1 + t2;
    t12 = t1 - t2;

    t0 = in[7];
    t1 = in[5];
    t2 = in[3];
    t3 = in[1];
    z1 = t0 + t3;
    z2 = t1 + t2;
    z3 = t0 + t2;
    z4 = t1 + t3;
    z5 = (z3 + z4) * FIX_1_175875602;
    t0 *= FIX_0_298631336;
    t1 *= FIX_2_053119869;
    t2 *= FIX_3_072711026;
    t3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    t0 += z1 + z3;
    t1 += z2 + z4;
    t2 += z2 + z3;
    t3 += z1 + z4;

    r[0] = t10 + t3;
    r[7] = t10 - t3;
    r[1] = t11 + t2;
    r[6] = t11 - t2;
    r[2] = t12 + t1;
    r[5] = t12 - t1;
    r[3] = t13 + t0;
    r[4] = t13 - t0;
}

void er_jpeg_idct_8x8(uint8_t *out, int stride, short coef[64])
{
    int ws[64]; /* libjpeg keeps the column results as int */
    int64_t in[8], r[8];
    for (int c = 0; c < 8; c++) {
        const short *col = coef + c;
        if (!(col[8] | col[16] | col[24] | col[32] | col[40] | col[48] | col[56])) {
            const int dc = (int)((int64_t)col[0] * (1 << PASS1_BITS));
            for (int k = 0; k < 8; k++) ws[8 * k + c] = dc;
            continue;
        }
        for (int k = 0; k < 8; k++) in[k] = col[8 * k];
        idct8(in, r);
        /* (int) of an out-of-range value is what libjpeg's (int) cast does:
           implementation-defined wrap, never undefined. */
        for (int k = 0; k < 8; k++) ws[8 * k + c] = (int)descale(r[k], CONST_BITS - PASS1_BITS);
    }
    for (int k = 0; k < 8; k++, out += stride) {
        const int *row = ws + 8 * k;
        if (!(row[1] | row[2] | row[3] | row[4] | row[5] | row[6] | row[7])) {
            const uint8_t v = range_limit(descale(row[0], PASS1_BITS + 3));
            for (int c = 0; c < 8; c++) out[c] = v;
            continue;
        }
        for (int c = 0; c < 8; c++) in[c] = row[c];
        idct8(in, r);
        for (int c = 0; c < 8; c++) out[c] = range_limit(descale(r[c], CONST_BITS + PASS1_BITS + 3));
    }
}

/* Reduced decoding: the mean of the exact IDCT over a rectangle ("cell")
   of a block, computed from the coefficients without the 64 pixels. The
   IDCT is linear, so the mean over columns [a, b) of row y is
   sum_u F(u) * mean_{a<=x<b} basis_u(x), basis_u(x) = C(u)/2 cos((2x+1)u pi/16),
   C(0) = 1/sqrt(2); and separably in 2-D. BASIS holds basis_u(x) in 2^20
   units. A chroma sample of 4:2:0 or 4:2:2 spans two pixels ("spread" 2):
   there the weights follow libjpeg's fancy upsampling inside the block. A whole block as one cell needs only F(0,0) (every other basis
   function sums to zero over 8 samples): that is libjpeg's DC-only scale
   1/8 (jpeg_idct_1x1), er_jpeg_idct_dc. */
static const int32_t BASIS[8][8] = {
    {370728, 370728, 370728, 370728, 370728, 370728, 370728, 370728},
    {514214, 435930, 291279, 102284, -102284, -291279, -435930, -514214},
    {484379, 200636, -200636, -484379, -484379, -200636, 200636, 484379},
    {435930, -102284, -514214, -291279, 291279, 514214, 102284, -435930},
    {370728, -370728, -370728, 370728, 370728, -370728, -370728, 370728},
    {291279, -514214, 102284, 435930, -435930, -102284, 514214, -291279},
    {200636, -484379, 484379, -200636, -200636, 484379, -484379, 200636},
    {102284, -291279, 435930, -514214, 514214, -435930, 291279, -102284},
};

void er_jpeg_cell_weights(int16_t m[8], int from, int to, int spread)
{
    const int64_t len = to - from;
    for (int u = 0; u < 8; u++) {
        int64_t sum = 0; /* 2^20 units, times 4 */
        for (int x = from; x < to; x++) {
            const int k = x / spread;
            if (spread == 2) {
                /* libjpeg's fancy upsampling, 3/4 of the nearer sample and
                   1/4 of the further; at the block's edge the further one
                   belongs to the next block, and the edge sample stands in */
                const int far = x & 1 ? (k < 7 ? k + 1 : 7) : (k > 0 ? k - 1 : 0);
                sum += 3 * (int64_t)BASIS[u][k] + BASIS[u][far];
            } else {
                sum += 4 * (int64_t)BASIS[u][k];
            }
        }
        /* mean, to 2^13 units, rounded half away from zero */
        const int64_t den = len << 9;
        m[u] = (int16_t)(sum >= 0 ? (sum + den / 2) / den : -((-sum + den / 2) / den));
    }
}

void er_jpeg_idct_dc(uint8_t *out, const short coef[64])
{
    out[0] = range_limit(descale(coef[0], 3));
}

void er_jpeg_idct_cells(uint8_t *out, int stride, const short coef[64], const int16_t *my, int ny,
                        const int16_t *mx, int nx)
{
    int64_t ws[32][8]; /* ws[row cell][u]: the column pass, PASS1_BITS fraction bits */
    int used = 8;      /* columns u >= used are all zero: the row pass skips them */
    while (used > 1) {
        const short *col = coef + used - 1;
        if (col[0] | col[8] | col[16] | col[24] | col[32] | col[40] | col[48] | col[56]) break;
        used--;
    }
    for (int u = 0; u < used; u++) {
        const short *col = coef + u;
        int last = 7; /* rows v > last of this column are zero */
        while (last > 0 && !col[8 * last]) last--;
        for (int r = 0; r < ny; r++) {
            const int16_t *w = my + 8 * r;
            int64_t sum = (int64_t)w[0] * col[0];
            for (int v = 1; v <= last; v++) sum += (int64_t)w[v] * col[8 * v];
            ws[r][u] = descale(sum, CONST_BITS - PASS1_BITS);
        }
    }
    for (int r = 0; r < ny; r++, out += stride)
        for (int c = 0; c < nx; c++) {
            const int16_t *w = mx + 8 * c;
            int64_t sum = 0;
            for (int u = 0; u < used; u++) sum += (int64_t)w[u] * ws[r][u];
            out[c] = range_limit(descale(sum, CONST_BITS + PASS1_BITS));
        }
}

/* YCbCr -> RGB with libjpeg's tables (jdcolor.c), whose entries are, for
   x = Cb or Cr - 128 and 16 fraction bits:
     Cr->R: round(1.40200 x)            Cb->B: round(1.77200 x)
     Cr->G: -round16(0.71414) x         Cb->G: -round16(0.34414) x + 1/2
   and G = Y + ((Cb->G + Cr->G) >> 16). Computing the entries inline gives
   the same integers without 4 KB of tables. */
#define FIX16(x) ((int32_t)((x) * 65536.0 + 0.5))
void er_jpeg_ycc_to_rgb(uint8_t *out, const uint8_t *y, const uint8_t *cb, const uint8_t *cr, int count, int step)
{
    for (int i = 0; i < count; i++, out += step) {
        const int32_t Y = y[i], b = cb[i] - 128, r = cr[i] - 128;
        /* Products stay below 2^24: no overflow; >> of a negative int is
           arithmetic on every compiler we build with, as libjpeg assumes. */
        int32_t R = Y + ((FIX16(1.40200) * r + 32768) >> 16);
        int32_t G = Y + ((-FIX16(0.34414) * b + 32768 - FIX16(0.71414) * r) >> 16);
        int32_t B = Y + ((FIX16(1.77200) * b + 32768) >> 16);
        out[0] = (uint8_t)(R < 0 ? 0 : R > 255 ? 255 : R);
        out[1] = (uint8_t)(G < 0 ? 0 : G > 255 ? 255 : G);
        out[2] = (uint8_t)(B < 0 ? 0 : B > 255 ? 255 : B);
        if (step == 4) out[3] = 255;
    }
}

/* Triangle filters: each output sample is 3/4 of the nearer input and 1/4
   of the further one. libjpeg alternates the rounding (+1/+2 in one
   direction, +8/+7 in two) so that no direction is biased. */
void er_jpeg_upsample_h2v1(uint8_t *out, const uint8_t *in, int w)
{
    out[0] = in[0];
    out[1] = (uint8_t)((in[0] * 3 + in[1] + 2) >> 2);
    for (int i = 1; i < w - 1; i++) {
        const int v = in[i] * 3;
        out[2 * i] = (uint8_t)((v + in[i - 1] + 1) >> 2);
        out[2 * i + 1] = (uint8_t)((v + in[i + 1] + 2) >> 2);
    }
    out[2 * w - 2] = (uint8_t)((in[w - 1] * 3 + in[w - 2] + 1) >> 2);
    out[2 * w - 1] = in[w - 1];
}

void er_jpeg_upsample_h2v2(uint8_t *out, const uint8_t *near, const uint8_t *far, int w)
{
    int cur = near[0] * 3 + far[0], next; /* column sums, 3 near + 1 far */
    out[0] = (uint8_t)((cur * 4 + 8) >> 4);
    for (int i = 1; i < w; i++) {
        next = near[i] * 3 + far[i];
        out[2 * i - 1] = (uint8_t)((cur * 3 + next + 7) >> 4);
        out[2 * i] = (uint8_t)((next * 3 + cur + 8) >> 4);
        cur = next;
    }
    out[2 * w - 1] = (uint8_t)((cur * 4 + 7) >> 4);
}

void er_jpeg_upsample_h1v2(uint8_t *out, const uint8_t *near, const uint8_t *far, int w, int below)
{
    const int bias = below ? 2 : 1;
    for (int i = 0; i < w; i++) out[i] = (uint8_t)((near[i] * 3 + far[i] + bias) >> 2);
}
