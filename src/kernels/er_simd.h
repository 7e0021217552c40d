/* er_simd.h - private to src/kernels: 128-bit vectors through GCC/Clang vector
   extensions, and the activation epilogue every fused kernel shares.

   Vector extensions compile to WebAssembly SIMD128 under emcc -msimd128 and
   to SSE2 natively, so the __vec128 kernels that the native tests check
   under the sanitizers are the very code that runs in the browser. Loads and
   stores go through __builtin_memcpy: unaligned-safe, and compiled to one
   instruction. */
#ifndef ER_SIMD_H
#define ER_SIMD_H

#include <math.h>
#include <string.h>

#include "er_kernels.h"

typedef float er_v4f __attribute__((vector_size(16)));
typedef int32_t er_v4i __attribute__((vector_size(16)));

static inline er_v4f er_v4_load(const float *p)
{
    er_v4f v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
static inline void er_v4_store(float *p, er_v4f v)
{
    __builtin_memcpy(p, &v, sizeof v);
}
static inline er_v4f er_v4_splat(float s)
{
    return (er_v4f){s, s, s, s};
}
/* acc + a * b. With relaxed SIMD (clang-19 -mrelaxed-simd) it is one fused
   multiply-add (f32x4.relaxed_madd), which may round once instead of twice;
   elsewhere a multiply and an add. */
static inline er_v4f er_v4_madd(er_v4f acc, er_v4f a, er_v4f b)
{
#if defined(__wasm_relaxed_simd__)
    return __builtin_wasm_relaxed_madd_f32x4(a, b, acc);
#else
    return acc + a * b;
#endif
}
/* Lanes (i0..i3) of the 8-lane concatenation a:b. */
#if defined(__clang__)
#define ER_V4_SHUFFLE(a, b, i0, i1, i2, i3) __builtin_shufflevector((a), (b), i0, i1, i2, i3)
#else
#define ER_V4_SHUFFLE(a, b, i0, i1, i2, i3) __builtin_shuffle((a), (b), (er_v4i){i0, i1, i2, i3})
#endif

/* A store that clang's loop-idiom pass leaves alone: it turns loops of
   plain stores (zero-fills, copies) into calls to memset and memcpy, which
   in wasm cost tens of cycles each on rows of a few floats. The type is
   unaligned, like er_v4_store's. */
typedef float er_v4f_unaligned __attribute__((vector_size(16), aligned(4)));
static inline void er_v4_store_nolib(float *p, er_v4f v)
{
    *(volatile er_v4f_unaligned *)p = v;
}

/* The first n (1..4) lanes, the rest zero on load and untouched on store:
   a row's last partial vector, element by element so no call to memcpy. */
static inline er_v4f er_v4_load_part(const float *p, int32_t n)
{
    return (er_v4f){p[0], n > 1 ? p[1] : 0.0f, n > 2 ? p[2] : 0.0f, n > 3 ? p[3] : 0.0f};
}
static inline void er_v4_store_part(float *p, er_v4f v, int32_t n)
{
    p[0] = v[0];
    if (n > 1) p[1] = v[1];
    if (n > 2) p[2] = v[2];
    if (n > 3) p[3] = v[3];
}

/* y[0..n) = x[0..n), x and y apart: by vectors, the last 1-3 floats by
   lanes. For the short rows kernels move (a plane's padded edge, a channel
   shuffle's rows): a copy loop of plain stores would become a call to
   memcpy, and emscripten's memcpy costs a call and moves 4-byte words. */
static inline void er_v4_copy_nolib(float *y, const float *x, int32_t n)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) er_v4_store_nolib(y + i, er_v4_load(x + i));
    if (i < n) er_v4_store_part(y + i, er_v4_load_part(x + i, n - i), n - i);
}

/* Lane-wise m ? a : b for a comparison mask m (all ones or all zeros per lane). */
static inline er_v4f er_v4_select(er_v4i m, er_v4f a, er_v4f b)
{
    return (er_v4f)(((er_v4i)a & m) | ((er_v4i)b & ~m));
}
/* a > b ? a : b and a < b ? a : b, NaN in a giving b. WebAssembly's
   pseudo-min/max are exactly these selects (pmax(x, y) = x < y ? y : x) in
   one instruction, where V8 otherwise emits a compare and three logic ops
   per select: they carry every Relu and Clip epilogue. */
static inline er_v4f er_v4_max(er_v4f a, er_v4f b)
{
#if defined(__wasm_simd128__)
    return __builtin_wasm_pmax_f32x4(b, a);
#else
    return er_v4_select(a > b, a, b);
#endif
}
static inline er_v4f er_v4_min(er_v4f a, er_v4f b)
{
#if defined(__wasm_simd128__)
    return __builtin_wasm_pmin_f32x4(b, a);
#else
    return er_v4_select(a < b, a, b);
#endif
}

/* lo where v < lo, then hi where above hi: the scalar epilogue's order, so
   NaN stays NaN and lo > hi yields hi. */
static inline er_v4f er_v4_clamp(er_v4f v, er_v4f lo, er_v4f hi)
{
#if defined(__wasm_simd128__)
    return __builtin_wasm_pmin_f32x4(__builtin_wasm_pmax_f32x4(v, lo), hi);
#else
    v = er_v4_select(v < lo, lo, v);
    return er_v4_select(v > hi, hi, v);
#endif
}

/* Activations, exactly as the standalone kernels in er_elementwise.c compute them. */
static inline float er_act_scalar(float v, int32_t act, float alpha, float beta)
{
    switch (act) {
    case ER_ACT_RELU: return v > 0.0f ? v : 0.0f;
    case ER_ACT_CLIP: { /* max then min, as numpy.clip: a min above the max yields the max */
        float t = v < alpha ? alpha : v;
        return t > beta ? beta : t;
    }
    case ER_ACT_LEAKY_RELU: return v < 0.0f ? v * alpha : v;
    case ER_ACT_HARD_SWISH: {
        float t = v / 6.0f + 0.5f;
        return v * (t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t);
    }
    case ER_ACT_SIGMOID: return v >= 0.0f ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v));
    case ER_ACT_HARD_SIGMOID: {
        float t = alpha * v + beta;
        return t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
    }
    case ER_ACT_SILU: return v * er_act_scalar(v, ER_ACT_SIGMOID, 0.0f, 0.0f);
    default: return v;
    }
}

/* e^x for four lanes: 2^n * e^r with n = round(x / ln 2) and |r| <= ln(2)/2,
   e^r by its Taylor polynomial to r^6 (truncation below 1.2e-7 relative),
   2^n built in the exponent bits. x is clamped to where e^x is a normal
   float or overflows to a large one; within 2 ulp of expf elsewhere. */
/* 1 / (1 + e^-v), lane-wise, within 4e-7 relative of the scalar Sigmoid.
   It works on z = -|v| <= 0, so e^z never overflows and needs no clamp on
   top: e^z = 2^n * p(r) with n = round(z / ln 2) made by adding a magic
   bias (whose low bits then are n + 127, the exponent field: no float-to-int
   conversion, which costs V8 a long sequence on x64) and r = z - n ln 2 in
   two steps (Cody-Waite). p is a degree-5 fit of e^r on [-ln2/2, ln2/2]
   (relative error 1.9e-7 in float32), evaluated with er_v4_madd so the
   relaxed build's fused multiply-adds halve the dependency chain, which is
   what bounds this code: the exp was 3 ns per element before (latency,
   not throughput), most of a depthwise conv with a SiLU epilogue. Then
   sigmoid(|v|) = 1 - sigmoid(-|v|) for positive lanes. Below z = -87.3
   (e^z under FLT_MIN) z is clamped: the result is then 1e-38, not 0. */
static inline er_v4f er_v4_sigmoid(er_v4f v)
{
    const er_v4f z0 = (er_v4f)((er_v4i)v | (er_v4i)er_v4_splat(-0.0f)); /* -|v| */
    const er_v4f z = er_v4_select(z0 < er_v4_splat(-87.3f), er_v4_splat(-87.3f), z0);
    const er_v4f magic = er_v4_splat(12582912.0f + 127.0f); /* 1.5 * 2^23 + the exponent bias */
    er_v4f n = er_v4_madd(magic, z, er_v4_splat(1.44269504f));
    const er_v4i e = (er_v4i)n << 23;
    n -= magic;
    const er_v4f r = er_v4_madd(er_v4_madd(z, n, er_v4_splat(-0.693359375f)), n, er_v4_splat(2.12194440e-4f));
    er_v4f p = er_v4_madd(er_v4_splat(4.190723225e-02f), r, er_v4_splat(8.288594894e-03f));
    p = er_v4_madd(er_v4_splat(1.666771621e-01f), r, p);
    p = er_v4_madd(er_v4_splat(4.999907911e-01f), r, p);
    p = er_v4_madd(er_v4_splat(9.999996424e-01f), r, p);
    p = er_v4_madd(er_v4_splat(1.0f), r, p);
    const er_v4f ez = p * (er_v4f)e;
    const er_v4f f = ez / (ez + er_v4_splat(1.0f));
    return er_v4_select(v > er_v4_splat(0.0f), er_v4_splat(1.0f) - f, f);
}

/* Sigmoid (act ER_ACT_SIGMOID) or SiLU (ER_ACT_SILU) of v, inline: for
   er_f32_vact, which the fused kernels hand these two to (er_act_deferred).
   Anywhere else they are a call (er_act_v4): their code is long, and a
   micro-kernel's instance for a run-time activation would otherwise carry
   it at every store (18 KB of code per GEMM micro-kernel). */
static inline __attribute__((always_inline)) er_v4f er_v4_sigmoid_act(er_v4f v, int32_t act)
{
    const er_v4f s = er_v4_sigmoid(v);
    return act == ER_ACT_SILU ? v * s : s;
}
static __attribute__((noinline, unused)) er_v4f er_v4_sigmoid_act_call(er_v4f v, int32_t act)
{
    return er_v4_sigmoid_act(v, act);
}

/* The activations in vector form: exactly the scalar ones, but for Sigmoid
   and SiLU, whose vector sigmoid is within 4e-7 relative of the scalar one. */
static inline __attribute__((always_inline)) er_v4f er_act_v4(er_v4f v, int32_t act, float alpha, float beta)
{
    switch (act) {
    case ER_ACT_NONE: return v;
    case ER_ACT_RELU: return er_v4_max(v, er_v4_splat(0.0f));
    case ER_ACT_CLIP: return er_v4_clamp(v, er_v4_splat(alpha), er_v4_splat(beta));
    case ER_ACT_LEAKY_RELU: return er_v4_select(v < er_v4_splat(0.0f), v * er_v4_splat(alpha), v);
    case ER_ACT_HARD_SWISH: {
        const er_v4f t = v / er_v4_splat(6.0f) + er_v4_splat(0.5f);
        return v * er_v4_clamp(t, er_v4_splat(0.0f), er_v4_splat(1.0f));
    }
    case ER_ACT_HARD_SIGMOID: {
        const er_v4f t = er_v4_splat(alpha) * v + er_v4_splat(beta);
        return er_v4_clamp(t, er_v4_splat(0.0f), er_v4_splat(1.0f));
    }
    case ER_ACT_SIGMOID:
    case ER_ACT_SILU: return er_v4_sigmoid_act_call(v, act);
    default: {
        float lanes[4];
        er_v4_store(lanes, v);
        for (int i = 0; i < 4; i++) lanes[i] = er_act_scalar(lanes[i], act, alpha, beta);
        return er_v4_load(lanes);
    }
    }
}

/* The epilogue of one vector of outputs: plus the residual r (may be NULL),
   the activation, stored to y; only the first n (1..4) lanes are read from
   r and stored, so a row's last partial vector needs no scalar path. */
static inline __attribute__((always_inline)) void er_v4_epilogue_store(float *y, const float *r, er_v4f acc,
                                                                       int32_t n, const int32_t act, float alpha,
                                                                       float beta)
{
    if (n == 4) {
        if (r) acc += er_v4_load(r);
        er_v4_store(y, er_act_v4(acc, act, alpha, beta));
        return;
    }
    if (r) acc += er_v4_load_part(r, n);
    er_v4_store_part(y, er_act_v4(acc, act, alpha, beta), n);
}

#endif
