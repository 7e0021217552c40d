/* er_micro.h - private to src/kernels: the micro-kernels the operator
   kernels (er_conv.c, er_gemm.c) are built from, and the packed weight
   layouts they read.

   WHY APART FROM THE OPERATORS
     An operator kernel (a convolution by im2col, by Winograd, a Gemm) only
     walks its tensors and decides what to hand over; a micro-kernel does the
     arithmetic on one register tile. Keeping them apart lets several
     algorithms share one tuned inner loop, and lets each variant be checked
     against its plain reference on odd shapes (tests/kernels).

   NAMING (after XNNPACK)
     er_f32_<op>_<tile>__<isa>
       tile  4x8: 4 rows of the output (output channels) by 8 columns
             (pixels, Winograd tiles or matrix columns) held in registers.
       isa   scalar: the reference, plain C, one multiply-add at a time.
             vec128: GCC/Clang vector extensions, which compile to wasm
                     SIMD128 (emcc -msimd128; with relaxed SIMD available,
                     to its fused multiply-add) and to SSE2 natively.

   THE PACKED-A LAYOUT: a contract, independent of the ISA
     A GEMM's left operand (weights: one row per output channel) is packed
     once, at compile time, into panels of ER_GEMM_MR rows:
         packed[panel][k][i] = A[panel*ER_GEMM_MR + i][k]   (0 where the row
                                                            is past the end)
     so the ER_GEMM_MR weights a micro-kernel needs for one k are contiguous.
     The compiler packs natively with er_f32_pack_a (below) and the wasm
     kernel reads the bytes unchanged: float32, little-endian, no padding
     between panels. Changing ER_GEMM_MR changes the layout, and every packed
     constant with it (they are regenerated with the model).

   EPILOGUE
     Every micro-kernel that writes an output ends the same way:
         y = act(acc + bias[row] + residual[row][col])
     where bias and residual may be NULL; act is an er_act (er_kernels.h).
     Each output is therefore written once, except under the activations
     er_act_deferred names (Sigmoid, SiLU): the operator drivers apply those
     with er_f32_vact over each finished row, still in L1, because in the
     micro-tile their constants spill the accumulators (see er_micro_vact.c). */
#ifndef ER_MICRO_H
#define ER_MICRO_H

#include "er_kernels.h"

#define ER_GEMM_MR 4 /* rows (output channels) per packed panel and micro-tile */
#define ER_GEMM_NR 8 /* columns per micro-tile */

typedef struct er_epilogue {
    int32_t act;       /* er_act */
    float alpha, beta; /* its parameters */
} er_epilogue;

/* Activations a fused kernel leaves to er_f32_vact over its finished output
   (Sigmoid, SiLU): an operator driver passes such kernels
   er_epilogue_inner(ep) and then runs er_f32_vact__vec128 with ep. */
static inline int er_act_deferred(int32_t act)
{
    return act == ER_ACT_SIGMOID || act == ER_ACT_SILU;
}
static inline er_epilogue er_epilogue_inner(const er_epilogue *ep)
{
    const er_epilogue none = {ER_ACT_NONE, 0.0f, 0.0f};
    return er_act_deferred(ep->act) ? none : *ep;
}
/* y[i] = act(y[i]) for i < n, in place. */
void er_f32_vact__scalar(int64_t n, float *y, const er_epilogue *ep);
void er_f32_vact__vec128(int64_t n, float *y, const er_epilogue *ep);

/* One k of a 4x8 register tile, the step both GEMM micro-kernels share:
   accumulators P##00 .. P##31 (row i, half h) += s_i * v_h, for four
   splatted row values s0..s3 and the two vectors v0, v1 of 8 columns. */
#define ER_TILE_4X8_MADD(P, s0, s1, s2, s3, v0, v1) \
    do {                                            \
        P##00 = er_v4_madd(P##00, (s0), (v0));      \
        P##01 = er_v4_madd(P##01, (s0), (v1));      \
        P##10 = er_v4_madd(P##10, (s1), (v0));      \
        P##11 = er_v4_madd(P##11, (s1), (v1));      \
        P##20 = er_v4_madd(P##20, (s2), (v0));      \
        P##21 = er_v4_madd(P##21, (s2), (v1));      \
        P##30 = er_v4_madd(P##30, (s3), (v0));      \
        P##31 = er_v4_madd(P##31, (s3), (v1));      \
    } while (0)

/* Pack rows [0, rows) of a matrix (element (r, k) at a[r*rs + k*cs]) into
   ceil(rows/width) panels of kk x width floats, k-major, zero past the last
   row: packed[panel][k][i]. With width ER_GEMM_MR it is the packed-A
   layout above; with ER_GEMM_NR, applied to B transposed, the packed-B
   strips a micro-kernel reads with ldb = ER_GEMM_NR (Gemm's weights).
   Writes er_packed_panels_count floats. */
void er_f32_pack_panels(int32_t rows, int32_t kk, const float *a, int32_t rs, int32_t cs, int32_t width, float *packed);
int64_t er_packed_panels_count(int32_t rows, int32_t kk, int32_t width);
/* The packed-A layout: er_f32_pack_panels with width ER_GEMM_MR. */
void er_f32_pack_a(int32_t m, int32_t kk, const float *a, int32_t rs, int32_t cs, float *packed);
int64_t er_packed_a_count(int32_t m, int32_t kk);

/* C[i][j] = ep(sum_k a[k*MR + i] * B(k, j) + bias[i] + r[i*ldc + j])
   for i < mr (1..MR), j < nc (any >= 0); a is one packed panel of kc rows.
   B(k, j) = b[(j / NR) * bs + k * ldb + j % NR]: columns come in groups of
   NR, bs floats apart. Packed-B strips (NR columns, k-major) have ldb = NR
   and bs = kc * NR, so one call covers a whole block of strips; a row-major
   B has bs = NR and ldb its row stride. Each row of B must be readable up
   to column nc rounded up to a multiple of 4 (strips are NR wide; callers
   with row-major B keep nc a multiple of 4): the last partial vector is
   computed whole and stored in part, so no column falls to scalar code.
   bias and r may be NULL; r is read with c's row stride. c must not
   overlap a, b or bias; it may equal r (read before written). */
typedef void er_f32_gemm_ukernel(int32_t mr, int32_t nc, int32_t kc, const float *a, const float *b, int32_t ldb,
                                 int64_t bs, const float *bias, const float *r, float *c, int32_t ldc,
                                 const er_epilogue *ep);
er_f32_gemm_ukernel er_f32_gemm_4x8__scalar;
er_f32_gemm_ukernel er_f32_gemm_4x8__vec128;
/* One row (a GEMV: a classifier's Gemm at batch 1): er_f32_gemm_ukernel with
   mr = 1, no bias, no residual, no activation; its reference is
   er_f32_gemm_4x8__scalar so called. The 4x8 tile would spend three
   quarters of its multiply-adds on a one-row panel's zero rows, and a GEMV
   reads each weight once: this one streams B with two k in flight. */
void er_f32_gemm_1x8__vec128(int32_t nc, int32_t kc, const float *a, const float *b, int32_t ldb, int64_t bs,
                             float *c);

/* Depthwise convolution of one channel plane, 3x3 or 5x5 window, stride 1
   or 2, any padding: y[oy][ox] = ep(sum w[ky][kx] * x[oy*s - pt + ky][ox*s
   - pl + kx] + bias + r[oy][ox]), zero outside x. bias is one value. */
typedef struct er_dw_geom {
    int32_t h, w, ho, wo; /* input and output plane sizes */
    int32_t pt, pl;       /* top and left padding */
} er_dw_geom;
typedef void er_f32_dwconv_ukernel(const er_dw_geom *g, const float *x, const float *w, float bias, const float *r,
                                   float *y, const er_epilogue *ep);
er_f32_dwconv_ukernel er_f32_dwconv_3x3s1__scalar, er_f32_dwconv_3x3s1__vec128;
er_f32_dwconv_ukernel er_f32_dwconv_3x3s2__scalar, er_f32_dwconv_3x3s2__vec128;
er_f32_dwconv_ukernel er_f32_dwconv_5x5s1__scalar, er_f32_dwconv_5x5s1__vec128;
er_f32_dwconv_ukernel er_f32_dwconv_5x5s2__scalar, er_f32_dwconv_5x5s2__vec128;

/* Channels-last (NHWC) micro-kernels, reading their input through an
   indirection buffer (er_micro_indirect.c).

   Indirect GEMM: for the ER_GEMM_MR pixels of a tile and the ks kernel taps,
   a[t*ER_GEMM_MR + i] points at the kc input channels tap t reads for pixel
   i (a row of kc zeros in the padding; rows i >= mr are read, not stored):
       c[i*ldc + j] = ep(sum_t sum_k a[t*MR + i][k] * W(t*kc + k, j)
                         + bias[j] + r[i*ldc + j])      i < mr, j < nc
   W in packed-B strips of ER_GEMM_NR output channels, k-major over
   (tap, channel), zero past the last channel:
       w[(j / NR) * ks*kc*NR + (t*kc + k) * NR + j % NR]
   bias (per column) and r may be NULL; c may equal r. */
typedef void er_f32_igemm_ukernel(int32_t mr, int32_t nc, int32_t kc, int32_t ks, const float *const *a,
                                  const float *w, const float *bias, const float *r, float *c, int32_t ldc,
                                  const er_epilogue *ep);
er_f32_igemm_ukernel er_f32_igemm_4x8__scalar, er_f32_igemm_4x8__vec128;

/* Depthwise, `pixels` consecutive output pixels: x[p*ks + t] points at the
   `channels` inputs tap t reads for pixel p (a zero row in the padding), w
   is [ks][cs], cs >= channels rounded up to 4 (zero past the last channel):
       y[p*channels + c] = ep(bias[c] + sum_t x[p*ks + t][c] * w[t*cs + c]
                              + r[p*channels + c])          c < channels
   bias and r may be NULL; y may equal r. */
typedef void er_f32_dwconv_nhwc_ukernel(int32_t pixels, int32_t channels, int32_t ks, const float *const *x,
                                        const float *w, int32_t cs, const float *bias, const float *r, float *y,
                                        const er_epilogue *ep);
er_f32_dwconv_nhwc_ukernel er_f32_dwconv_nhwc__scalar, er_f32_dwconv_nhwc__vec128;

/* Winograd F(2x2, 3x3) transforms, four horizontally adjacent tiles at a time
   ("a group"): lane t of every vector belongs to tile t of the group, and
   one call covers `channels` channels.
   Input: for channel c (plane x + c*x_cs, h x w), the 4x4 patches whose
   top-left corners are (r0, c0 + 2t), t < 4, read as zero outside the
   plane; writes v[c*v_cs + xi*vs + t] for the 16 transformed values
   xi = 4i + j of each tile.
   Output: for channel c, from m[c*m_cs + xi*ms + t], the 2x2 outputs of
   tile t go to y[c*y_cs + (2ty + i)*wo + 2(tx + t) + j] where inside
   [0,ho)x[0,wo), with the epilogue: bias[c] (bias may be NULL), residual r
   read at the same place as y (r may be NULL). */
typedef void er_f32_wino2x2_in_ukernel(int32_t channels, const float *x, int64_t x_cs, int32_t h, int32_t w,
                                       int32_t r0, int32_t c0, float *v, int32_t v_cs, int32_t vs);
typedef void er_f32_wino2x2_out_ukernel(int32_t channels, const float *m, int32_t m_cs, int32_t ms, const float *bias,
                                        const float *r, float *y, int64_t y_cs, int32_t ho, int32_t wo, int32_t ty,
                                        int32_t tx, const er_epilogue *ep);
er_f32_wino2x2_in_ukernel er_f32_wino2x2_in__scalar, er_f32_wino2x2_in__vec128;
er_f32_wino2x2_out_ukernel er_f32_wino2x2_out__scalar, er_f32_wino2x2_out__vec128;
/* Winograd F(4x4, 3x3): the same contracts with 6x6 patches whose top-left
   corners are (r0, c0 + 4t), 36 transformed values xi = 6i + j, and 4x4
   output tiles at (4ty + i, 4(tx + t) + j). */
er_f32_wino2x2_in_ukernel er_f32_wino4x4_in__scalar, er_f32_wino4x4_in__vec128;
er_f32_wino2x2_out_ukernel er_f32_wino4x4_out__scalar, er_f32_wino4x4_out__vec128;

/* ---- activation instances: which of them a program links ----
   Each family below has one function per activation it specialises
   (ER_ACT_INSTANCES, below), in ER_ACT_SLOTS slots: none, Relu, Clip,
   HardSwish, and one taking the activation at run time for the rest.
   ER_ACT_CALL reaches them through the table F__instances, which the
   kernels do not define: a program defines every family's table once, with
       ER_ACT_TABLES(none, relu, clip, hswish, other)
   each argument the literal 1 or 0. A slot given 0 is a null entry, so its
   instances are not linked; a slot given 1 holds weak references, so a
   family whose operator the program never calls is not linked either.
   Generated model code gives 1 to the slots its nodes' activations reach
   (er_act_slot), which keeps out the instances a model cannot call
   (resnet20: ~50 KB of its 200 KB of code); er_act_tables.c, in the kernel
   library, gives 1 to all for the programs that call kernels directly (the
   compiler, the tests), as weak definitions: where a model's C defines the
   tables too, the model's are used (from an archive the linker does not
   even take that file). A call through a null entry traps in wasm and
   crashes natively: the slots must cover every activation the program's
   kernel calls pass. */
#define ER_ACT_SLOTS 5
static inline int32_t er_act_instance(int32_t act)
{
    return act == ER_ACT_NONE ? 0 : act == ER_ACT_RELU ? 1 : act == ER_ACT_CLIP ? 2 : act == ER_ACT_HARD_SWISH ? 3 : 4;
}
/* The slot a fused activation reaches the micro-kernels in. */
static inline int32_t er_act_slot(int32_t act)
{
    return er_act_instance(er_act_deferred(act) ? ER_ACT_NONE : act);
}
/* A micro-kernel's instances, one function each, for the activations fused
   kernels meet most, with act a compile-time constant, so that an
   always_inline body taking `const int32_t act` compiles its epilogue to
   straight-line code rather than a jump-table dispatch per vector (which V8
   does not hoist out of the loop); the last instance passes the run-time
   activation ACT for the rest.
       ER_ACT_INSTANCES(F, T, (params), ACT, args...)
   defines F__none ... F__other, each calling F(args..., act); ER_ACT_CALL(act,
   F, args...) calls the one for act through the table F__instances of T
   pointers, which the program defines (ER_ACT_TABLES below: only the
   instances it can call are linked; a new family is a line there too).
   They are separate functions reached through a table (so no inliner,
   LLVM's or binaryen's, merges them back) because engines optimise a wasm
   function once it is hot, whole: V8 compiles only the instances a model
   runs, each a fifth of the size, and the first inferences get optimised
   code sooner. resnet20 in a fresh Chromium context: first inference 31.6
   -> 16.1 ms, second 16.1 -> 5.3 (medians of 15); steady state unchanged. */
#define ER_ACT_INSTANCES(F, T, PARAMS, ACT, ...)                                  \
    extern T *const F##__instances[ER_ACT_SLOTS];                                 \
    T F##__none, F##__relu, F##__clip, F##__hswish, F##__other;                   \
    void F##__none PARAMS { F(__VA_ARGS__, ER_ACT_NONE); }                        \
    void F##__relu PARAMS { F(__VA_ARGS__, ER_ACT_RELU); }                        \
    void F##__clip PARAMS { F(__VA_ARGS__, ER_ACT_CLIP); }                        \
    void F##__hswish PARAMS { F(__VA_ARGS__, ER_ACT_HARD_SWISH); }                \
    void F##__other PARAMS { F(__VA_ARGS__, (ACT)); }
#define ER_ACT_CALL(act, F, ...) F##__instances[er_act_instance(act)](__VA_ARGS__)
/* Every family, with its micro-kernel type: one line per ER_ACT_INSTANCES. */
#define ER_ACT_FAMILIES(X, ...)                                             \
    X(gemm_4x8, er_f32_gemm_ukernel, __VA_ARGS__)                           \
    X(igemm_4x8, er_f32_igemm_ukernel, __VA_ARGS__)                         \
    X(dwconv_nhwc, er_f32_dwconv_nhwc_ukernel, __VA_ARGS__)                 \
    X(dw_vec_3x3s1, er_f32_dwconv_ukernel, __VA_ARGS__)                     \
    X(dw_vec_3x3s2, er_f32_dwconv_ukernel, __VA_ARGS__)                     \
    X(dw_vec_5x5s1, er_f32_dwconv_ukernel, __VA_ARGS__)                     \
    X(dw_vec_5x5s2, er_f32_dwconv_ukernel, __VA_ARGS__)                     \
    X(er_f32_wino2x2_out_channels, er_f32_wino2x2_out_ukernel, __VA_ARGS__) \
    X(er_f32_wino4x4_out_channels, er_f32_wino2x2_out_ukernel, __VA_ARGS__)
#define ER_ACT_ENTRY_0(f) 0
#define ER_ACT_ENTRY_1(f) f
#ifndef ER_ACT_TABLE_ATTR
#define ER_ACT_TABLE_ATTR /* er_act_tables.c: weak */
#endif
#define ER_ACT_TABLE(F, T, A, B, C, D, E)                                                         \
    extern T F##__none __attribute__((weak)), F##__relu __attribute__((weak)),                    \
        F##__clip __attribute__((weak)), F##__hswish __attribute__((weak)),                       \
        F##__other __attribute__((weak));                                                         \
    ER_ACT_TABLE_ATTR T *const F##__instances[ER_ACT_SLOTS] = {                                   \
        ER_ACT_ENTRY_##A(F##__none), ER_ACT_ENTRY_##B(F##__relu), ER_ACT_ENTRY_##C(F##__clip),   \
        ER_ACT_ENTRY_##D(F##__hswish), ER_ACT_ENTRY_##E(F##__other)};
#define ER_ACT_TABLES(A, B, C, D, E) ER_ACT_FAMILIES(ER_ACT_TABLE, A, B, C, D, E)

#endif
