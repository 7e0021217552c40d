/* er_elementwise.c - unary activations/math on f32, and broadcasting binary ops on every arithmetic type. */
#include <math.h>

#include "er_simd.h"

/* ---- unary (f32) ---- */

#define ER_UNARY(op, EXPR)                                                     \
    void er_f32_##op(const er_unary_params *p, const float *x, float *y)      \
    {                                                                          \
        const float alpha = p->alpha, beta = p->beta;                          \
        (void)alpha;                                                           \
        (void)beta;                                                            \
        for (int32_t i = 0; i < p->n; i++) {                                   \
            const float v = x[i];                                              \
            y[i] = (EXPR);                                                     \
        }                                                                      \
    }

ER_UNARY(relu, er_act_scalar(v, ER_ACT_RELU, 0.0f, 0.0f))
ER_UNARY(leaky_relu, er_act_scalar(v, ER_ACT_LEAKY_RELU, alpha, 0.0f))
ER_UNARY(clip, er_act_scalar(v, ER_ACT_CLIP, alpha, beta))
ER_UNARY(sigmoid, er_act_scalar(v, ER_ACT_SIGMOID, 0.0f, 0.0f))
ER_UNARY(hard_sigmoid, er_act_scalar(v, ER_ACT_HARD_SIGMOID, alpha, beta))
ER_UNARY(hard_swish, er_act_scalar(v, ER_ACT_HARD_SWISH, 0.0f, 0.0f))
ER_UNARY(tanh, tanhf(v))
ER_UNARY(elu, v < 0.0f ? alpha * expm1f(v) : v)
ER_UNARY(selu, v <= 0.0f ? beta * alpha * expm1f(v) : beta * v)
/* log(1 + e^v) without overflow for large v. */
ER_UNARY(softplus, v > 0.0f ? v + log1pf(expf(-v)) : log1pf(expf(v)))
ER_UNARY(exp, expf(v))
ER_UNARY(sqrt, sqrtf(v))
ER_UNARY(neg, -v)
ER_UNARY(abs, fabsf(v))
ER_UNARY(reciprocal, 1.0f / v)
ER_UNARY(erf, erff(v))
/* Gelu (ONNX opset 20): v * Phi(v), exactly through erf, or its tanh approximation. */
ER_UNARY(gelu, 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)))
ER_UNARY(gelu_tanh, 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v))))

/* ---- binary ---- */

/* Integer arithmetic wraps through uint64 (signed overflow is undefined in C);
   division by zero yields 0 and INT_MIN / -1 wraps, where C would trap. */
#define ER_INT_ADD(T, a, b) ((T)((uint64_t)(a) + (uint64_t)(b)))
#define ER_INT_SUB(T, a, b) ((T)((uint64_t)(a) - (uint64_t)(b)))
#define ER_INT_MUL(T, a, b) ((T)((uint64_t)(a) * (uint64_t)(b)))

/* A function, so that "negative?" on an unsigned type is not a constant comparison. */
static inline int er_is_negative(int64_t v)
{
    return v < 0;
}

#define ER_DEFINE_INT_HELPERS(t, T, is_signed)                                            \
    static inline T er_##t##_div_op(T a, T b)                                            \
    {                                                                                    \
        if (b == 0) return 0;                                                            \
        if (is_signed && b == (T)-1) return ER_INT_SUB(T, 0, a);                         \
        return (T)(a / b);                                                               \
    }                                                                                    \
    static inline T er_##t##_pow_op(T a, T b)                                            \
    {                                                                                    \
        if (is_signed && er_is_negative((int64_t)b)) return a == 1 ? 1 : a == (T)-1 ? (((uint64_t)b & 1) ? a : 1) : 0; \
        T r = 1;                                                                         \
        uint64_t e = (uint64_t)b;                                                        \
        for (T base = a; e; e >>= 1) {                                                   \
            if (e & 1) r = ER_INT_MUL(T, r, base);                                       \
            base = ER_INT_MUL(T, base, base);                                            \
        }                                                                                \
        return r;                                                                        \
    }

ER_DEFINE_INT_HELPERS(i8, int8_t, 1)
ER_DEFINE_INT_HELPERS(i16, int16_t, 1)
ER_DEFINE_INT_HELPERS(i32, int32_t, 1)
ER_DEFINE_INT_HELPERS(i64, int64_t, 1)
ER_DEFINE_INT_HELPERS(u8, uint8_t, 0)
ER_DEFINE_INT_HELPERS(u16, uint16_t, 0)
ER_DEFINE_INT_HELPERS(u32, uint32_t, 0)
ER_DEFINE_INT_HELPERS(u64, uint64_t, 0)

/* The innermost dimension picks a loop by its strides, the rest is an odometer. */
#define ER_BINARY(t, T, name, EXPR) ER_BINARY_TO(t, T, T, name, EXPR)
#define ER_BINARY_TO(t, T, YT, name, EXPR)                                                 \
    void er_##t##_##name(const er_binary_params *p, const T *a, const T *b, YT *y)         \
    {                                                                                      \
        const int32_t last = p->rank - 1, n = p->dims[last];                               \
        const int32_t sa = p->a_strides[last], sb = p->b_strides[last];                    \
        int32_t idx[ER_MAX_RANK] = {0};                                                    \
        int64_t ao = 0, bo = 0;                                                            \
        for (int32_t k = 0; k < p->rank; k++)                                              \
            if (p->dims[k] <= 0) return;                                                   \
        for (;;) {                                                                         \
            const T *ar = a + ao, *br = b + bo;                                            \
            if (sa == 1 && sb == 1) {                                                      \
                for (int32_t i = 0; i < n; i++) { const T x = ar[i], z = br[i]; y[i] = (EXPR); } \
            } else if (sa == 1 && sb == 0) {                                               \
                const T z = br[0];                                                         \
                for (int32_t i = 0; i < n; i++) { const T x = ar[i]; y[i] = (EXPR); }      \
            } else if (sa == 0 && sb == 1) {                                               \
                const T x = ar[0];                                                         \
                for (int32_t i = 0; i < n; i++) { const T z = br[i]; y[i] = (EXPR); }      \
            } else {                                                                       \
                for (int32_t i = 0; i < n; i++) {                                          \
                    const T x = ar[(int64_t)i * sa], z = br[(int64_t)i * sb];              \
                    y[i] = (EXPR);                                                         \
                }                                                                          \
            }                                                                              \
            y += n;                                                                        \
            int32_t k = last - 1;                                                          \
            for (; k >= 0; k--) {                                                          \
                ao += p->a_strides[k];                                                     \
                bo += p->b_strides[k];                                                     \
                if (++idx[k] < p->dims[k]) break;                                          \
                ao -= (int64_t)p->a_strides[k] * p->dims[k];                               \
                bo -= (int64_t)p->b_strides[k] * p->dims[k];                               \
                idx[k] = 0;                                                                \
            }                                                                              \
            if (k < 0) return;                                                             \
        }                                                                                  \
    }

/* max/min propagate NaN, as numpy does. */
#define ER_FLOAT_BINARIES(t, T, POW)                                      \
    ER_BINARY(t, T, add, x + z)                                           \
    ER_BINARY(t, T, sub, x - z)                                           \
    ER_BINARY(t, T, mul, x * z)                                           \
    ER_BINARY(t, T, div, x / z)                                           \
    ER_BINARY(t, T, max, (x != x || x > z) ? x : z)                       \
    ER_BINARY(t, T, min, (x != x || x < z) ? x : z)                       \
    ER_BINARY(t, T, pow, POW(x, z))

#define ER_INT_BINARIES(t, T)                                             \
    ER_BINARY(t, T, add, ER_INT_ADD(T, x, z))                             \
    ER_BINARY(t, T, sub, ER_INT_SUB(T, x, z))                             \
    ER_BINARY(t, T, mul, ER_INT_MUL(T, x, z))                             \
    ER_BINARY(t, T, div, er_##t##_div_op(x, z))                           \
    ER_BINARY(t, T, max, x > z ? x : z)                                   \
    ER_BINARY(t, T, min, x < z ? x : z)                                   \
    ER_BINARY(t, T, pow, er_##t##_pow_op(x, z))

ER_FLOAT_BINARIES(f32, float, powf)
ER_FLOAT_BINARIES(f64, double, pow)
ER_INT_BINARIES(i8, int8_t)
ER_INT_BINARIES(i16, int16_t)
ER_INT_BINARIES(i32, int32_t)
ER_INT_BINARIES(i64, int64_t)
ER_INT_BINARIES(u8, uint8_t)
ER_INT_BINARIES(u16, uint16_t)
ER_INT_BINARIES(u32, uint32_t)
ER_INT_BINARIES(u64, uint64_t)

ER_BINARY(f32, float, prelu, x < 0.0f ? x * z : x)

/* ---- comparisons and Where ---- */

#define ER_COMPARES(t, T)                                                 \
    ER_BINARY_TO(t, T, uint8_t, equal, (uint8_t)(x == z))                 \
    ER_BINARY_TO(t, T, uint8_t, less, (uint8_t)(x < z))                   \
    ER_BINARY_TO(t, T, uint8_t, greater, (uint8_t)(x > z))                \
    ER_BINARY_TO(t, T, uint8_t, less_equal, (uint8_t)(x <= z))            \
    ER_BINARY_TO(t, T, uint8_t, greater_equal, (uint8_t)(x >= z))
ER_ARITH_TYPE_LIST(ER_COMPARES)

#define ER_WHERE(bits, T)                                                                      \
    void er_x##bits##_where(const er_where_params *p, const uint8_t *c, const void *a_, const void *b_, void *y_) \
    {                                                                                          \
        const T *a = a_, *b = b_;                                                              \
        T *y = y_;                                                                             \
        int32_t idx[ER_MAX_RANK] = {0};                                                        \
        int64_t co = 0, ao = 0, bo = 0;                                                        \
        for (int32_t k = 0; k < p->rank; k++)                                                  \
            if (p->dims[k] <= 0) return;                                                       \
        for (;;) {                                                                             \
            *y++ = c[co] ? a[ao] : b[bo];                                                      \
            int32_t k = p->rank - 1;                                                           \
            for (; k >= 0; k--) {                                                              \
                co += p->c_strides[k], ao += p->a_strides[k], bo += p->b_strides[k];           \
                if (++idx[k] < p->dims[k]) break;                                              \
                co -= (int64_t)p->c_strides[k] * p->dims[k];                                   \
                ao -= (int64_t)p->a_strides[k] * p->dims[k];                                   \
                bo -= (int64_t)p->b_strides[k] * p->dims[k];                                   \
                idx[k] = 0;                                                                    \
            }                                                                                  \
            if (k < 0) return;                                                                 \
        }                                                                                      \
    }
/* ---- logical (bool) and Mod ---- */

void er_b8_not(const er_unary_params *p, const uint8_t *x, uint8_t *y)
{
    for (int32_t i = 0; i < p->n; i++) y[i] = (uint8_t)!x[i];
}
ER_BINARY_TO(b8, uint8_t, uint8_t, and, (uint8_t)(x && z))
ER_BINARY_TO(b8, uint8_t, uint8_t, or, (uint8_t)(x || z))
ER_BINARY_TO(b8, uint8_t, uint8_t, xor, (uint8_t)(!x != !z))

/* Functions, so that these tests on unsigned types are not constant comparisons. */
static inline int er_is_minus_one(int64_t v)
{
    return v == -1;
}
/* Through int64/uint64 so that INT_MIN % -1 (undefined in C) cannot occur. */
#define ER_DEFINE_MOD(t, T, is_signed)                                                     \
    static inline T er_##t##_fmod_op(T a, T b)                                             \
    {                                                                                      \
        if (b == 0) return 0;                                                              \
        if (is_signed) return (T)(er_is_minus_one((int64_t)b) ? 0 : (int64_t)a % (int64_t)b); \
        return (T)((uint64_t)a % (uint64_t)b);                                             \
    }                                                                                      \
    static inline T er_##t##_mod_op(T a, T b)                                              \
    {                                                                                      \
        T r = er_##t##_fmod_op(a, b);                                                      \
        if (is_signed && r != 0 && er_is_negative((int64_t)r) != er_is_negative((int64_t)b)) \
            r = ER_INT_ADD(T, r, b);                                                       \
        return r;                                                                          \
    }                                                                                      \
    ER_BINARY(t, T, mod, er_##t##_mod_op(x, z))                                            \
    ER_BINARY(t, T, fmod, er_##t##_fmod_op(x, z))
ER_DEFINE_MOD(i8, int8_t, 1)
ER_DEFINE_MOD(i16, int16_t, 1)
ER_DEFINE_MOD(i32, int32_t, 1)
ER_DEFINE_MOD(i64, int64_t, 1)
ER_DEFINE_MOD(u8, uint8_t, 0)
ER_DEFINE_MOD(u16, uint16_t, 0)
ER_DEFINE_MOD(u32, uint32_t, 0)
ER_DEFINE_MOD(u64, uint64_t, 0)
ER_BINARY(f32, float, fmod, fmodf(x, z))
ER_BINARY(f64, double, fmod, fmod(x, z))

ER_WHERE(8, uint8_t)
ER_WHERE(16, uint16_t)
ER_WHERE(32, uint32_t)
ER_WHERE(64, uint64_t)
