/* er_kernels.h - the edgerun kernel library: the C functions compiled models call.

   WHAT THIS IS
     Every operator a compiled model runs ends up as a call to one of the
     functions declared here. The same functions are linked into the compiler
     (edgerun-compile), which calls them to fold constant sub-graphs and to
     pre-pack weights, so a model computes the same thing at compile time and
     at run time: there is exactly one implementation of each operator.

   USAGE
     Generated code looks like
         static const er_conv_params p = { .nsp = 2, .c_in = 16, ... };
         er_f32_conv2d_gemm__vec128(&p, x, w_packed, bias, NULL, y, scratch);
     Every kernel takes a pointer to a parameter struct first, then its tensor
     arguments (inputs, outputs, scratch) in the order its prototype names.
     All tensors are dense, row-major (NCHW for images; the _nhwc kernels
     take channels last), and must not overlap unless a kernel says
     otherwise. Optional inputs may be NULL where the prototype says so.

   NAMING (after XNNPACK)
     er_<type>_<operation>[__<implementation>]
       type:  f32, f64, i8..i64, u8..u64 for typed math; x8/x16/x32/x64 for
              kernels that only move elements of that many bits.
       implementation: __scalar is the plain reference kernel; __vec128 is the
              fast kernel written with GCC/Clang vector extensions, which
              compile to WebAssembly SIMD128 under `emcc -msimd128` and to
              SSE2 under native gcc, so the fast kernel is the same code that
              the native tests check against __scalar under the sanitizers.

   PARAMETER STRUCTS
     Each struct is declared from a field list ER_<NAME>_FIELDS(X, T), whose
     entries are X(T, kind, name), so that the compiler can print any struct
     back as a C99 designated initializer without a hand-written printer per
     struct (T is the struct type, for offsetof). Field kinds:
       I  int32_t     IA int32_t[ER_MAX_RANK]
       F  float       FA float[ER_MAX_RANK]
       L  int64_t
     Sizes are int32_t on purpose: the compiler refuses any tensor of more than
     INT32_MAX elements, and 32-bit indices are what wasm32 addresses anyway.

   LIMITS AND FAILURE
     Kernels trust their parameter structs (the compiler checked them) but not
     tensor *data*: data-dependent indices (Gather) are bounds-checked and an
     out-of-range index yields zeros; integer division by zero yields 0;
     float-to-int casts saturate and map NaN to 0. Nothing here allocates,
     prints, or aborts.

   ADDING A KERNEL
     Declare it here, implement it in the family's .c file, and list it in
     er_kernels.def (symbol, parameter struct, pointer-argument count).
*/
#ifndef ER_KERNELS_H
#define ER_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ER_MAX_RANK 8

/* ONNX TensorProto.DataType codes: the element types kernels know. */
#define ER_DTYPE_LIST(X) \
    X(FLOAT, 1, f32, float, 4) \
    X(UINT8, 2, u8, uint8_t, 1) \
    X(INT8, 3, i8, int8_t, 1) \
    X(UINT16, 4, u16, uint16_t, 2) \
    X(INT16, 5, i16, int16_t, 2) \
    X(INT32, 6, i32, int32_t, 4) \
    X(INT64, 7, i64, int64_t, 8) \
    X(BOOL, 9, b8, uint8_t, 1) \
    X(DOUBLE, 11, f64, double, 8) \
    X(UINT32, 12, u32, uint32_t, 4) \
    X(UINT64, 13, u64, uint64_t, 8)

typedef enum er_dtype {
#define ER_DTYPE_ENUM(NAME, CODE, SHORT, CTYPE, SIZE) ER_DTYPE_##NAME = CODE,
    ER_DTYPE_LIST(ER_DTYPE_ENUM)
#undef ER_DTYPE_ENUM
    ER_DTYPE_UNDEFINED = 0
} er_dtype;

/* Activation applied in a kernel epilogue (after bias and residual add). */
#define ER_ACT_LIST(X) \
    X(NONE, "none") \
    X(RELU, "Relu") \
    X(CLIP, "Clip")               /* alpha = min, beta = max */ \
    X(LEAKY_RELU, "LeakyRelu")    /* alpha = slope */ \
    X(HARD_SWISH, "HardSwish") \
    X(SIGMOID, "Sigmoid") \
    X(HARD_SIGMOID, "HardSigmoid") /* alpha, beta */ \
    X(SILU, "SiLU")               /* x * Sigmoid(x) */

typedef enum er_act {
#define ER_ACT_ENUM(NAME, STR) ER_ACT_##NAME,
    ER_ACT_LIST(ER_ACT_ENUM)
#undef ER_ACT_ENUM
    ER_ACT_COUNT
} er_act;

/* ---- parameter structs ------------------------------------------------- */

#define ER_DECLARE_FIELD(T, kind, name) ER_DECLARE_FIELD_##kind(name)
#define ER_DECLARE_FIELD_I(name) int32_t name;
#define ER_DECLARE_FIELD_L(name) int64_t name;
#define ER_DECLARE_FIELD_F(name) float name;
#define ER_DECLARE_FIELD_IA(name) int32_t name[ER_MAX_RANK];
#define ER_DECLARE_FIELD_FA(name) float name[ER_MAX_RANK];
#define ER_DECLARE_PARAMS(type, FIELDS) typedef struct type { FIELDS(ER_DECLARE_FIELD, type) } type;

/* Plain byte copy. */
#define ER_COPY_FIELDS(X, T) X(T, I, n_bytes)
ER_DECLARE_PARAMS(er_copy_params, ER_COPY_FIELDS)

/* y[i0..] at y_offset + sum(i_k * y_strides[k]) = x at x_offset + sum(i_k * x_strides[k]),
   for every index of `dims`. Strides are in elements and may be 0 (broadcast) or
   negative (reversed slices). Covers Transpose, Slice, Expand, Tile, Concat,
   Split, DepthToSpace and SpaceToDepth. */
#define ER_STRIDED_FIELDS(X, T) \
    X(T, I, rank) X(T, IA, dims) X(T, I, x_offset) X(T, IA, x_strides) X(T, I, y_offset) X(T, IA, y_strides)
ER_DECLARE_PARAMS(er_strided_params, ER_STRIDED_FIELDS)

/* Gather along one axis: x viewed as [outer, axis_len, inner], indices of
   n_idx elements (int64 if idx_i64 else int32), y as [outer, n_idx, inner].
   Negative indices count from the end; out-of-range ones yield zeros. */
#define ER_GATHER_FIELDS(X, T) X(T, I, outer) X(T, I, axis_len) X(T, I, n_idx) X(T, I, inner) X(T, I, idx_i64)
ER_DECLARE_PARAMS(er_gather_params, ER_GATHER_FIELDS)

/* Pad: y_dims = x_dims + begin + end; begin/end may be negative (cropping).
   mode 0 constant (value_bits holds the element's bit pattern), 1 reflect, 2 edge. */
#define ER_PAD_FIELDS(X, T) \
    X(T, I, rank) X(T, IA, x_dims) X(T, IA, y_dims) X(T, IA, begin) X(T, I, mode) X(T, L, value_bits)
ER_DECLARE_PARAMS(er_pad_params, ER_PAD_FIELDS)
enum { ER_PAD_CONSTANT = 0, ER_PAD_REFLECT = 1, ER_PAD_EDGE = 2 };

/* Cast between any two ER_DTYPE codes. */
#define ER_CAST_FIELDS(X, T) X(T, I, n) X(T, I, from) X(T, I, to)
ER_DECLARE_PARAMS(er_cast_params, ER_CAST_FIELDS)

/* Fill n elements with value_bits (the element's bit pattern), elem_size bytes each. */
#define ER_FILL_FIELDS(X, T) X(T, I, n) X(T, I, elem_size) X(T, L, value_bits)
ER_DECLARE_PARAMS(er_fill_params, ER_FILL_FIELDS)

/* Element-wise unary float op over n elements; alpha/beta as the op defines. */
#define ER_UNARY_FIELDS(X, T) X(T, I, n) X(T, F, alpha) X(T, F, beta)
ER_DECLARE_PARAMS(er_unary_params, ER_UNARY_FIELDS)

/* Broadcasting binary op: y is dense with `dims`; a and b are read at
   sum(i_k * a_strides[k]) (strides 0 where broadcast). The compiler merges
   dimensions first so that common cases reach the kernel as rank 1 or 2. */
#define ER_BINARY_FIELDS(X, T) X(T, I, rank) X(T, IA, dims) X(T, IA, a_strides) X(T, IA, b_strides)
ER_DECLARE_PARAMS(er_binary_params, ER_BINARY_FIELDS)

/* Convolution over nsp (1..3) spatial dimensions, NC[D]HW, W as ONNX [Cout, Cin/group, k...].
   Epilogue: y = act(conv + bias[c] + residual[n,c,...]). */
#define ER_CONV_FIELDS(X, T) \
    X(T, I, nsp) X(T, I, n) X(T, I, c_in) X(T, I, c_out) X(T, I, group) \
    X(T, IA, x_dims) X(T, IA, y_dims) X(T, IA, k) X(T, IA, stride) X(T, IA, dilation) X(T, IA, pad) \
    X(T, I, act) X(T, F, alpha) X(T, F, beta)
ER_DECLARE_PARAMS(er_conv_params, ER_CONV_FIELDS)

/* ConvTranspose: x [n, c_in, x_dims], W [c_in, c_out/group, k...], y [n, c_out, y_dims];
   pad holds the begin pads (output cropping). */
#define ER_CONVT_FIELDS(X, T) \
    X(T, I, nsp) X(T, I, n) X(T, I, c_in) X(T, I, c_out) X(T, I, group) \
    X(T, IA, x_dims) X(T, IA, y_dims) X(T, IA, k) X(T, IA, stride) X(T, IA, dilation) X(T, IA, pad)
ER_DECLARE_PARAMS(er_convt_params, ER_CONVT_FIELDS)

/* Pooling over nsp spatial dims of `planes` = N*C planes. pad = begin pads; a
   window is clipped to [-pad, x + pad_end) when count_include_pad, else to [0, x). */
#define ER_POOL_FIELDS(X, T) \
    X(T, I, nsp) X(T, I, planes) X(T, IA, x_dims) X(T, IA, y_dims) X(T, IA, k) X(T, IA, stride) \
    X(T, IA, dilation) X(T, IA, pad) X(T, IA, pad_end) X(T, I, count_include_pad)
ER_DECLARE_PARAMS(er_pool_params, ER_POOL_FIELDS)

/* Reductions over [planes, size] (global pools) and general reductions:
   y has `rank` dims `y_dims` (keepdims form); each output sums over `r_dims`
   (1 where kept) reading x with x_strides. */
#define ER_GPOOL_FIELDS(X, T) X(T, I, planes) X(T, I, size)
ER_DECLARE_PARAMS(er_gpool_params, ER_GPOOL_FIELDS)
#define ER_REDUCE_FIELDS(X, T) X(T, I, rank) X(T, IA, y_dims) X(T, IA, r_dims) X(T, IA, x_strides)
ER_DECLARE_PARAMS(er_reduce_params, ER_REDUCE_FIELDS)

/* Softmax family over x viewed as [outer, axis_len, inner]. */
#define ER_SOFTMAX_FIELDS(X, T) X(T, I, outer) X(T, I, axis_len) X(T, I, inner)
ER_DECLARE_PARAMS(er_softmax_params, ER_SOFTMAX_FIELDS)

/* Per-channel normalizations over x viewed as [n, c, inner]. */
#define ER_NORM_FIELDS(X, T) X(T, I, n) X(T, I, c) X(T, I, inner) X(T, F, epsilon)
ER_DECLARE_PARAMS(er_norm_params, ER_NORM_FIELDS)
#define ER_LRN_FIELDS(X, T) X(T, I, n) X(T, I, c) X(T, I, inner) X(T, I, size) X(T, F, alpha) X(T, F, beta) X(T, F, bias)
ER_DECLARE_PARAMS(er_lrn_params, ER_LRN_FIELDS)

/* Matrix product, batched with broadcasting:
     y[b, m, n] = act(alpha * sum_k A[b, m, k] * B[b, k, n] + beta * C[m, n])
   A[b,m,k] is at a + batch_offset_a(b) + m*a_rs + k*a_cs (likewise B with b_rs
   over k and b_cs over n), so transposes are only strides. C (may be NULL) is
   read at m*c_rs + n*c_cs (strides 0 broadcast). Batches: batch_rank dims
   with per-operand strides. y is dense [batch..., M, N]. */
#define ER_GEMM_FIELDS(X, T) \
    X(T, I, m) X(T, I, n) X(T, I, k) X(T, I, a_rs) X(T, I, a_cs) X(T, I, b_rs) X(T, I, b_cs) \
    X(T, I, c_rs) X(T, I, c_cs) X(T, F, alpha) X(T, F, beta) \
    X(T, I, batch_rank) X(T, IA, batch_dims) X(T, IA, a_bstrides) X(T, IA, b_bstrides) \
    X(T, I, act) X(T, F, act_alpha) X(T, F, act_beta)
ER_DECLARE_PARAMS(er_gemm_params, ER_GEMM_FIELDS)

/* Einsum of one or two operands, the general contraction: y, dense over
   out_dims (out_rank of them), is y[o] = sum over the sum_rank summed
   indices s of A[o, s] * B[o, s], A read at sum(o_i * a_out[i]) +
   sum(s_j * a_sum[j]) (stride 0 where an index is absent or broadcast; a
   repeated index, a diagonal, has its strides added), B likewise or 1 when
   absent. The compiler maps the einsums that are batched matrix products
   to er_f32_gemm instead; this kernel runs the rest. */
#define ER_EINSUM_FIELDS(X, T) \
    X(T, I, out_rank) X(T, IA, out_dims) X(T, IA, a_out) X(T, IA, b_out) \
    X(T, I, sum_rank) X(T, IA, sum_dims) X(T, IA, a_sum) X(T, IA, b_sum)
ER_DECLARE_PARAMS(er_einsum_params, ER_EINSUM_FIELDS)

/* One separable resampling pass along one axis of x viewed as
   [outer, in_len, inner] into y [outer, out_len, inner]:
     y[o, j, i] = sum_t w[j*taps + t] * x[o, idx[j*taps + t], i]
   with idx < 0 reading `fill` (extrapolation). idx/w are tables built by
   er_resample_table (below), at compile time for ONNX Resize and at run time
   for image pre-processing. */
#define ER_RESAMPLE_FIELDS(X, T) X(T, I, outer) X(T, I, in_len) X(T, I, out_len) X(T, I, inner) X(T, I, taps) X(T, F, fill)
ER_DECLARE_PARAMS(er_resample_params, ER_RESAMPLE_FIELDS)

/* ScatterND: y = data, then each of the n_updates index tuples (k int64 each,
   negative from the end) selects a slice of `slice` elements of y, replaced by
   the next slice of updates. Out-of-range tuples are skipped. */
#define ER_SCATTERND_FIELDS(X, T) \
    X(T, I, count) X(T, I, n_updates) X(T, I, k) X(T, I, slice) X(T, IA, dims) X(T, IA, strides)
ER_DECLARE_PARAMS(er_scatternd_params, ER_SCATTERND_FIELDS)

/* CumSum: x and y as [outer, len, inner], running sums along len; exclusive
   leaves each element out of its own sum, reverse sums from the end. */
#define ER_CUMSUM_FIELDS(X, T) X(T, I, outer) X(T, I, len) X(T, I, inner) X(T, I, exclusive) X(T, I, reverse)
ER_DECLARE_PARAMS(er_cumsum_params, ER_CUMSUM_FIELDS)

/* ArgMax: x as [outer, axis_len, inner] -> int64 y [outer, inner]: the index of the
   largest value along the axis, the first of equals (the last when last != 0);
   a NaN counts as the largest. */
#define ER_ARGMAX_FIELDS(X, T) X(T, I, outer) X(T, I, axis_len) X(T, I, inner) X(T, I, last)
ER_DECLARE_PARAMS(er_argmax_params, ER_ARGMAX_FIELDS)

/* Where: y[i] = c[i] ? a[i] : b[i], all three broadcast to y's dims (strides 0 where broadcast). */
#define ER_WHERE_FIELDS(X, T) \
    X(T, I, rank) X(T, IA, dims) X(T, IA, c_strides) X(T, IA, a_strides) X(T, IA, b_strides)
ER_DECLARE_PARAMS(er_where_params, ER_WHERE_FIELDS)

/* LayerNormalization: x as [outer, inner], each row normalised over its inner
   elements; scale (and bias, when given) repeat with periods scale_n and bias_n
   along the row (they broadcast from the trailing dims). */
#define ER_LAYERNORM_FIELDS(X, T) X(T, I, outer) X(T, I, inner) X(T, I, scale_n) X(T, I, bias_n) X(T, F, epsilon)
ER_DECLARE_PARAMS(er_layernorm_params, ER_LAYERNORM_FIELDS)

/* ---- weight storage (er_weights.c): compact weights restored at initialisation ---- */
/* float16 -> float32: n IEEE half bit patterns widened exactly. */
#define ER_WIDEN_FIELDS(X, T) X(T, I, n)
ER_DECLARE_PARAMS(er_widen_params, ER_WIDEN_FIELDS)
/* Symmetric int8 -> float32, one scale per channel: q and y viewed as
   [outer, channels, inner], y = q * scale[channel]. */
#define ER_DEQUANT_FIELDS(X, T) X(T, I, outer) X(T, I, channels) X(T, I, inner)
ER_DECLARE_PARAMS(er_dequant_params, ER_DEQUANT_FIELDS)
/* ---- end weight storage ---- */

/* ---- kernels ----------------------------------------------------------- */

/* data movement (er_copy.c) */
void er_copy(const er_copy_params *p, const void *x, void *y);
void er_fill(const er_fill_params *p, void *y);
void er_x8_strided_copy(const er_strided_params *p, const void *x, void *y);
void er_x16_strided_copy(const er_strided_params *p, const void *x, void *y);
void er_x32_strided_copy(const er_strided_params *p, const void *x, void *y);
void er_x64_strided_copy(const er_strided_params *p, const void *x, void *y);
void er_x8_gather(const er_gather_params *p, const void *x, const void *idx, void *y);
void er_x16_gather(const er_gather_params *p, const void *x, const void *idx, void *y);
void er_x32_gather(const er_gather_params *p, const void *x, const void *idx, void *y);
void er_x64_gather(const er_gather_params *p, const void *x, const void *idx, void *y);
void er_x8_pad(const er_pad_params *p, const void *x, void *y);
void er_x16_pad(const er_pad_params *p, const void *x, void *y);
void er_x32_pad(const er_pad_params *p, const void *x, void *y);
void er_x64_pad(const er_pad_params *p, const void *x, void *y);
void er_cast(const er_cast_params *p, const void *x, void *y);

/* element-wise (er_elementwise.c) */
#define ER_UNARY_OP_LIST(X) \
    X(relu) X(leaky_relu) X(clip) X(sigmoid) X(tanh) X(hard_sigmoid) X(hard_swish) \
    X(elu) X(selu) X(softplus) X(exp) X(sqrt) X(neg) X(abs) X(reciprocal) \
    X(erf) X(gelu) X(gelu_tanh)
#define ER_DECLARE_UNARY(op) void er_f32_##op(const er_unary_params *p, const float *x, float *y);
ER_UNARY_OP_LIST(ER_DECLARE_UNARY)
#undef ER_DECLARE_UNARY

/* Binary ops exist for every arithmetic type; Pow is computed exactly by
   repeated squaring for integers (negative exponents give 0 unless |base| = 1). */
#define ER_BINARY_OP_LIST(X) X(add) X(sub) X(mul) X(div) X(max) X(min) X(pow)
#define ER_ARITH_TYPE_LIST(X) \
    X(f32, float) X(f64, double) X(i8, int8_t) X(i16, int16_t) X(i32, int32_t) X(i64, int64_t) \
    X(u8, uint8_t) X(u16, uint16_t) X(u32, uint32_t) X(u64, uint64_t)
#define ER_DECLARE_BINARY_T(t, ctype) \
    void er_##t##_add(const er_binary_params *p, const ctype *a, const ctype *b, ctype *y); \
    void er_##t##_sub(const er_binary_params *p, const ctype *a, const ctype *b, ctype *y); \
    void er_##t##_mul(const er_binary_params *p, const ctype *a, const ctype *b, ctype *y); \
    void er_##t##_div(const er_binary_params *p, const ctype *a, const ctype *b, ctype *y); \
    void er_##t##_max(const er_binary_params *p, const ctype *a, const ctype *b, ctype *y); \
    void er_##t##_min(const er_binary_params *p, const ctype *a, const ctype *b, ctype *y); \
    void er_##t##_pow(const er_binary_params *p, const ctype *a, const ctype *b, ctype *y);
ER_ARITH_TYPE_LIST(ER_DECLARE_BINARY_T)
#undef ER_DECLARE_BINARY_T
/* Comparisons, broadcasting like the binary ops, for every arithmetic type
   (bool compares as u8); y is bool (uint8_t 0 or 1). NaN compares false. */
#define ER_COMPARE_OP_LIST(X) X(equal) X(less) X(greater) X(less_equal) X(greater_equal)
#define ER_DECLARE_COMPARE_T(t, ctype) \
    void er_##t##_equal(const er_binary_params *p, const ctype *a, const ctype *b, uint8_t *y); \
    void er_##t##_less(const er_binary_params *p, const ctype *a, const ctype *b, uint8_t *y); \
    void er_##t##_greater(const er_binary_params *p, const ctype *a, const ctype *b, uint8_t *y); \
    void er_##t##_less_equal(const er_binary_params *p, const ctype *a, const ctype *b, uint8_t *y); \
    void er_##t##_greater_equal(const er_binary_params *p, const ctype *a, const ctype *b, uint8_t *y);
ER_ARITH_TYPE_LIST(ER_DECLARE_COMPARE_T)
#undef ER_DECLARE_COMPARE_T
/* Logical ops on bool (uint8_t 0 or 1): Not (er_unary_params, n), and broadcasting And, Or, Xor. */
void er_b8_not(const er_unary_params *p, const uint8_t *x, uint8_t *y);
void er_b8_and(const er_binary_params *p, const uint8_t *a, const uint8_t *b, uint8_t *y);
void er_b8_or(const er_binary_params *p, const uint8_t *a, const uint8_t *b, uint8_t *y);
void er_b8_xor(const er_binary_params *p, const uint8_t *a, const uint8_t *b, uint8_t *y);
/* Mod, broadcasting: fmod takes the sign of the dividend (C's %, fmod()); mod,
   for integers only, the sign of the divisor (Python's %). x mod 0 is 0 for integers. */
#define ER_INT_TYPE_LIST(X) \
    X(i8, int8_t) X(i16, int16_t) X(i32, int32_t) X(i64, int64_t) X(u8, uint8_t) X(u16, uint16_t) \
    X(u32, uint32_t) X(u64, uint64_t)
#define ER_DECLARE_MOD_T(t, ctype) \
    void er_##t##_mod(const er_binary_params *p, const ctype *a, const ctype *b, ctype *y); \
    void er_##t##_fmod(const er_binary_params *p, const ctype *a, const ctype *b, ctype *y);
ER_INT_TYPE_LIST(ER_DECLARE_MOD_T)
#undef ER_DECLARE_MOD_T
void er_f32_fmod(const er_binary_params *p, const float *a, const float *b, float *y);
void er_f64_fmod(const er_binary_params *p, const double *a, const double *b, double *y);
/* ScatterND by element size (data, updates and y elements of 8 to 64 bits). */
void er_x8_scatternd(const er_scatternd_params *p, const void *data, const int64_t *indices, const void *updates, void *y);
void er_x16_scatternd(const er_scatternd_params *p, const void *data, const int64_t *indices, const void *updates, void *y);
void er_x32_scatternd(const er_scatternd_params *p, const void *data, const int64_t *indices, const void *updates, void *y);
void er_x64_scatternd(const er_scatternd_params *p, const void *data, const int64_t *indices, const void *updates, void *y);
/* Where by element size: c is bool, a, b and y elements of 8 to 64 bits. */
void er_x8_where(const er_where_params *p, const uint8_t *c, const void *a, const void *b, void *y);
void er_x16_where(const er_where_params *p, const uint8_t *c, const void *a, const void *b, void *y);
void er_x32_where(const er_where_params *p, const uint8_t *c, const void *a, const void *b, void *y);
void er_x64_where(const er_where_params *p, const uint8_t *c, const void *a, const void *b, void *y);
/* PRelu: y = a < 0 ? a * slope : a, slope broadcast like b. */
void er_f32_prelu(const er_binary_params *p, const float *a, const float *slope, float *y);

/* convolution (er_conv.c). bias and residual may be NULL. */
void er_f32_conv__scalar(const er_conv_params *p, const float *x, const float *w,
                         const float *bias, const float *residual, float *y);
/* 2-D convolution as im2col + GEMM. w_packed comes from er_f32_conv2d_gemm_pack;
   scratch holds er_conv2d_gemm_scratch_count(p) floats. */
void er_f32_conv2d_gemm__vec128(const er_conv_params *p, const float *x, const float *w_packed,
                                const float *bias, const float *residual, float *y, float *scratch);
void er_f32_conv2d_gemm_pack(const er_conv_params *p, const float *w, float *w_packed);
int64_t er_conv2d_gemm_packed_count(const er_conv_params *p);
int64_t er_conv2d_gemm_scratch_count(const er_conv_params *p);
/* 2-D convolution by Winograd F(2x2, 3x3): only for 3x3 windows, stride 1,
   dilation 1, group 1. u_packed comes from er_f32_conv2d_wino2x2_pack
   (er_conv2d_wino2x2_packed_count floats); scratch holds
   er_conv2d_wino2x2_scratch_count(p) floats. */
void er_f32_conv2d_wino2x2__vec128(const er_conv_params *p, const float *x, const float *u_packed,
                                   const float *bias, const float *residual, float *y, float *scratch);
void er_f32_conv2d_wino2x2_pack(const er_conv_params *p, const float *w, float *u_packed);
int64_t er_conv2d_wino2x2_packed_count(const er_conv_params *p);
int64_t er_conv2d_wino2x2_scratch_count(const er_conv_params *p);
/* Winograd F(4x4, 3x3): the same contract, 36 products per 16 outputs
   instead of 16 per 4; larger transforms, slightly larger rounding. */
void er_f32_conv2d_wino4x4__vec128(const er_conv_params *p, const float *x, const float *u_packed,
                                   const float *bias, const float *residual, float *y, float *scratch);
void er_f32_conv2d_wino4x4_pack(const er_conv_params *p, const float *w, float *u_packed);
int64_t er_conv2d_wino4x4_packed_count(const er_conv_params *p);
int64_t er_conv2d_wino4x4_scratch_count(const er_conv_params *p);
/* 2-D depthwise convolution (group == c_in == c_out), direct; square 3x3 and
   5x5 windows of stride 1 or 2 run specialised micro-kernels. */
void er_f32_dwconv2d__vec128(const er_conv_params *p, const float *x, const float *w,
                             const float *bias, const float *residual, float *y);
/* Channels-last 2-D convolutions (er_conv_nhwc.c): x [n][h][w][c_in], y and
   residual [n][ho][wo][c_out], in the layout the compiler gives activations
   between channels-last convolutions. Any group-1 convolution as an
   indirect GEMM, and depthwise (group == c_in == c_out), any window. Each
   takes weights from its _pack (its _packed_count floats) and scratch of
   its _scratch_count floats. */
void er_f32_conv2d_igemm_nhwc__vec128(const er_conv_params *p, const float *x, const float *w_packed,
                                      const float *bias, const float *residual, float *y, float *scratch);
void er_f32_conv2d_igemm_nhwc_pack(const er_conv_params *p, const float *w, float *w_packed);
int64_t er_conv2d_igemm_nhwc_packed_count(const er_conv_params *p);
int64_t er_conv2d_igemm_nhwc_scratch_count(const er_conv_params *p);
void er_f32_dwconv2d_nhwc__vec128(const er_conv_params *p, const float *x, const float *w_packed,
                                  const float *bias, const float *residual, float *y, float *scratch);
void er_f32_dwconv2d_nhwc_pack(const er_conv_params *p, const float *w, float *w_packed);
int64_t er_dwconv2d_nhwc_packed_count(const er_conv_params *p);
int64_t er_dwconv2d_nhwc_scratch_count(const er_conv_params *p);
void er_f32_convtranspose__scalar(const er_convt_params *p, const float *x, const float *w,
                                  const float *bias, float *y);

/* matrix product (er_gemm.c). c may be NULL. */
void er_f32_gemm__scalar(const er_gemm_params *p, const float *a, const float *b, const float *c, float *y);
/* The same product with B packed by er_f32_gemm_packed_pack
   (er_gemm_packed_b_count floats), for a B shared by all batches
   (b_bstrides all 0); scratch holds er_gemm_packed_scratch_count floats. */
void er_f32_gemm_packed__vec128(const er_gemm_params *p, const float *a, const float *b_packed, const float *c,
                                float *y, float *scratch);
void er_f32_gemm_packed_pack(const er_gemm_params *p, const float *b, float *b_packed);
/* The same product with B as it is, packed per batch at run time into
   scratch (er_gemm_runtime_scratch_count floats). */
void er_f32_gemm_runtime__vec128(const er_gemm_params *p, const float *a, const float *b, const float *c, float *y,
                                 float *scratch);
int64_t er_gemm_runtime_scratch_count(const er_gemm_params *p);
/* b may be NULL (one operand). */
void er_f32_einsum(const er_einsum_params *p, const float *a, const float *b, float *y);
int64_t er_gemm_packed_b_count(const er_gemm_params *p);
int64_t er_gemm_packed_scratch_count(const er_gemm_params *p);

/* pooling and reductions (er_pool.c) */
void er_f32_maxpool__scalar(const er_pool_params *p, const float *x, float *y);
void er_f32_avgpool__scalar(const er_pool_params *p, const float *x, float *y);
/* 2-D pooling (nsp 2) with stride 1 or 2 and no dilation, four outputs at a time. */
void er_f32_maxpool2d__vec128(const er_pool_params *p, const float *x, float *y);
void er_f32_avgpool2d__vec128(const er_pool_params *p, const float *x, float *y);
void er_f32_global_avgpool(const er_gpool_params *p, const float *x, float *y);
void er_f32_global_maxpool(const er_gpool_params *p, const float *x, float *y);
void er_f32_reduce_sum(const er_reduce_params *p, const float *x, float *y);
void er_f32_reduce_mean(const er_reduce_params *p, const float *x, float *y);
void er_f32_reduce_max(const er_reduce_params *p, const float *x, float *y);
void er_f32_reduce_sum_square(const er_reduce_params *p, const float *x, float *y);
void er_f32_reduce_l2(const er_reduce_params *p, const float *x, float *y);
void er_f32_argmax(const er_argmax_params *p, const float *x, int64_t *y);
void er_f32_reduce_prod(const er_reduce_params *p, const float *x, float *y);
void er_f32_cumsum(const er_cumsum_params *p, const float *x, float *y);
void er_f64_cumsum(const er_cumsum_params *p, const double *x, double *y);
void er_i32_cumsum(const er_cumsum_params *p, const int32_t *x, int32_t *y);
void er_i64_cumsum(const er_cumsum_params *p, const int64_t *x, int64_t *y);

/* normalization family (er_norm.c) */
void er_f32_softmax(const er_softmax_params *p, const float *x, float *y);
void er_f32_logsoftmax(const er_softmax_params *p, const float *x, float *y);
void er_f32_batchnorm(const er_norm_params *p, const float *x, const float *scale, const float *bias,
                      const float *mean, const float *var, float *y);
void er_f32_instancenorm(const er_norm_params *p, const float *x, const float *scale, const float *bias,
                         float *y);
void er_f32_lrn(const er_lrn_params *p, const float *x, float *y);
/* y = (x - mean) / sqrt(var + epsilon) * scale + bias per row; bias may be NULL;
   mean and inv_std (one per row, 1/sqrt(var + epsilon)) are written when not NULL. */
void er_f32_layernorm(const er_layernorm_params *p, const float *x, const float *scale, const float *bias, float *y,
                      float *mean, float *inv_std);

/* resampling (er_resample.c) */
void er_f32_resample_axis(const er_resample_params *p, const float *x, const int32_t *idx,
                          const float *w, float *y);

/* ---- weight storage (er_weights.c) ---- */
/* y[i] = x[i], an IEEE binary16 bit pattern widened to float32 (exact, NaN and infinities kept). */
void er_f32_from_f16(const er_widen_params *p, const uint16_t *x, float *y);
/* y = q * scale[c] for q, y as [outer, channels, inner]. */
void er_f32_dequant_i8(const er_dequant_params *p, const int8_t *q, const float *scale, float *y);
/* The nearest binary16 to v (ties to even; beyond the half range: infinity). Not a
   kernel: the compiler stores fp16 weights with it, the tests check the kernel by it. */
uint16_t er_f16_from_f32(float v);
/* ---- end weight storage ---- */

/* ---- resampling tables (not a kernel: called by the compiler and the runtime) ---- */

typedef enum er_resample_filter {
    ER_FILTER_NEAREST,  /* one tap; rounding per er_resample_spec.nearest_mode */
    ER_FILTER_LINEAR,   /* triangle, support 1 */
    ER_FILTER_CUBIC,    /* Keys cubic with coefficient cubic_a, support 2 */
    ER_FILTER_BOX       /* box, support 1/2: area averaging when shrinking */
} er_resample_filter;

typedef enum er_resample_coord {   /* ONNX coordinate_transformation_mode */
    ER_COORD_HALF_PIXEL, ER_COORD_HALF_PIXEL_SYMMETRIC, ER_COORD_PYTORCH_HALF_PIXEL,
    ER_COORD_ALIGN_CORNERS, ER_COORD_ASYMMETRIC, ER_COORD_TF_CROP_AND_RESIZE
} er_resample_coord;

typedef enum er_resample_nearest { /* ONNX nearest_mode */
    ER_NEAREST_ROUND_PREFER_FLOOR, ER_NEAREST_ROUND_PREFER_CEIL, ER_NEAREST_FLOOR, ER_NEAREST_CEIL
} er_resample_nearest;

typedef struct er_resample_spec {
    int32_t in_len, out_len;
    double scale;             /* out/in as the caller defines it (ONNX: the scales input) */
    int32_t filter;           /* er_resample_filter */
    int32_t coord;            /* er_resample_coord */
    int32_t nearest_mode;     /* er_resample_nearest */
    int32_t antialias;        /* widen the filter by 1/scale when shrinking (Pillow, ONNX antialias) */
    int32_t exclude_outside;  /* drop taps outside [0, in_len) and renormalise */
    double cubic_a;
    double roi_start, roi_end; /* only for ER_COORD_TF_CROP_AND_RESIZE, in [0,1] */
} er_resample_spec;

/* Number of taps per output the table for `s` needs (>= 1), or -1 when the spec is invalid. */
int32_t er_resample_taps(const er_resample_spec *s);
/* Fill idx/w (out_len * taps entries each, caller-owned) for `s`. Returns 0, or -1 on an invalid spec. */
int er_resample_table(const er_resample_spec *s, int32_t taps, int32_t *idx, float *w);

#ifdef __cplusplus
}
#endif
#endif /* ER_KERNELS_H */
