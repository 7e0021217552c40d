/* er_weights.c - compact weight storage, restored once at model initialisation.

   A model compiled with --weights fp16 stores its float constants as IEEE
   half and widens them into float32 buffers before the first run; with
   --weights int8 it stores Conv, Gemm and MatMul weights as int8 with one
   float scale per output channel (symmetric, no zero point) and dequantizes
   them. Either way every other kernel reads plain float32, so these run once
   and never in the inference loop. */
#include <string.h>

#include "er_kernels.h"

static float f32_from_bits(uint32_t b)
{
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static uint32_t bits_from_f32(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
static float widen(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0x1f) return f32_from_bits(sign | 0x7f800000u | (man << 13)); /* inf, NaN (payload kept) */
    if (exp) return f32_from_bits(sign | ((exp + 112u) << 23) | (man << 13));
    /* zero and subnormals: man * 2^-24, exact in float32 */
    float v = (float)man * 5.9604644775390625e-8f;
    return sign ? -v : v;
}

void er_f32_from_f16(const er_widen_params *p, const uint16_t *x, float *y)
{
    for (int32_t i = 0; i < p->n; i++) y[i] = widen(x[i]);
}

uint16_t er_f16_from_f32(float v)
{
    uint32_t b = bits_from_f32(v), sign = (b >> 16) & 0x8000u, abs = b & 0x7fffffffu;
    if (abs >= 0x7f800000u) /* inf, NaN: keep a quiet NaN's top payload bits */
        return (uint16_t)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0));
    if (abs >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds past 65504 */
    if (abs < 0x38800000u) {
        /* below the smallest normal half (2^-14): a multiple of 2^-24, ties to even */
        if (abs < 0x33000000u) return (uint16_t)sign; /* below half of 2^-24 */
        uint32_t exp = abs >> 23, man = (abs & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - exp; /* to units of 2^-24: man * 2^(exp-150) / 2^-24 */
        uint32_t q = man >> shift, rem = man & ((1u << shift) - 1u), half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (q & 1u))) q++;
        return (uint16_t)(sign | q);
    }
    /* normal: rebias and round the 13 dropped mantissa bits to nearest even */
    uint32_t h = ((abs >> 13) - (112u << 10)), rem = abs & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* may carry into the exponent: correct */
    return (uint16_t)(sign | h);
}

void er_f32_dequant_i8(const er_dequant_params *p, const int8_t *q, const float *scale, float *y)
{
    int64_t at = 0;
    for (int32_t o = 0; o < p->outer; o++)
        for (int32_t c = 0; c < p->channels; c++) {
            float s = scale[c];
            for (int32_t i = 0; i < p->inner; i++, at++) y[at] = (float)q[at] * s;
        }
}
