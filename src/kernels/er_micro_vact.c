/* er_micro_vact.c - an activation over a contiguous run of floats, in place
   (contract: er_micro.h). The fused kernels apply Relu or Clip to their
   accumulators in registers, but hand Sigmoid and SiLU to this kernel once a
   row is written (er_act_deferred): their dozen vector constants would
   spill a micro-tile's accumulators, and the e^x's dependency chain runs
   far faster in this tight loop, switched once per call and two vectors at
   a time, than interleaved with loads and multiply-adds. */
#include "er_micro.h"
#include "er_simd.h"

void er_f32_vact__scalar(int64_t n, float *y, const er_epilogue *ep)
{
    for (int64_t i = 0; i < n; i++) y[i] = er_act_scalar(y[i], ep->act, ep->alpha, ep->beta);
}

/* One vector: Sigmoid and SiLU inline (the reason this kernel exists), the
   rest as the fused kernels compute them. */
static inline __attribute__((always_inline)) er_v4f vact_1(er_v4f v, const int32_t act, float alpha, float beta)
{
    return act == ER_ACT_SIGMOID || act == ER_ACT_SILU ? er_v4_sigmoid_act(v, act) : er_act_v4(v, act, alpha, beta);
}

/* The loop for one activation, inlined with act constant; the last n % 4
   floats go through a zeroed vector so they are computed alike. */
static inline __attribute__((always_inline)) void vact_loop(int64_t n, float *y, const int32_t act, float alpha,
                                                            float beta)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const er_v4f a = er_v4_load(y + i), b = er_v4_load(y + i + 4);
        er_v4_store(y + i, vact_1(a, act, alpha, beta));
        er_v4_store(y + i + 4, vact_1(b, act, alpha, beta));
    }
    for (; i + 4 <= n; i += 4) er_v4_store(y + i, vact_1(er_v4_load(y + i), act, alpha, beta));
    if (i < n) er_v4_store_part(y + i, vact_1(er_v4_load_part(y + i, (int32_t)(n - i)), act, alpha, beta), (int32_t)(n - i));
}

void er_f32_vact__vec128(int64_t n, float *y, const er_epilogue *ep)
{
    switch (ep->act) {
    case ER_ACT_NONE: return;
    case ER_ACT_SIGMOID: vact_loop(n, y, ER_ACT_SIGMOID, 0.0f, 0.0f); return;
    case ER_ACT_SILU: vact_loop(n, y, ER_ACT_SILU, 0.0f, 0.0f); return;
    default: vact_loop(n, y, ep->act, ep->alpha, ep->beta); return;
    }
}
