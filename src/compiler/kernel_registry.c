/* kernel_registry.c - the kernel table, derived from er_kernels.def.

   For each kernel: its name (printed into generated code), its parameter
   struct's field layout (printed as a designated initializer), and a thunk
   that calls it natively with untyped arguments, which is how constant
   folding runs the exact code the model will run. */
#include "ops.h"

#include <stddef.h>

#define ER_ARGS_1(a) a[0]
#define ER_ARGS_2(a) a[0], a[1]
#define ER_ARGS_3(a) a[0], a[1], a[2]
#define ER_ARGS_4(a) a[0], a[1], a[2], a[3]
#define ER_ARGS_5(a) a[0], a[1], a[2], a[3], a[4]
#define ER_ARGS_6(a) a[0], a[1], a[2], a[3], a[4], a[5]

#define ERK(sym, ptype, fields, nargs, nout) \
    static void thunk_##sym(const void *p, void *const *a) { sym((const ptype *)p, ER_ARGS_##nargs(a)); }
#include "er_kernels.def"
#undef ERK

/* Field descriptors per parameter struct, from the same field lists that declare them. */
#define ER_FIELD_KIND_I 'I'
#define ER_FIELD_KIND_L 'L'
#define ER_FIELD_KIND_F 'F'
#define ER_FIELD_KIND_IA 'i'
#define ER_FIELD_KIND_FA 'f'
#define ER_DESCRIBE(T, kind, name) {#name, ER_FIELD_KIND_##kind, offsetof(T, name)},
#define ER_FIELDS_ARRAY(ptype, FIELDS) static const er_field_desc fields_##ptype[] = {FIELDS(ER_DESCRIBE, ptype)};

#define ER_PARAM_STRUCTS(X) \
    X(er_copy_params, ER_COPY_FIELDS) X(er_fill_params, ER_FILL_FIELDS) \
    X(er_strided_params, ER_STRIDED_FIELDS) X(er_gather_params, ER_GATHER_FIELDS) \
    X(er_pad_params, ER_PAD_FIELDS) X(er_cast_params, ER_CAST_FIELDS) \
    X(er_unary_params, ER_UNARY_FIELDS) X(er_binary_params, ER_BINARY_FIELDS) \
    X(er_conv_params, ER_CONV_FIELDS) X(er_convt_params, ER_CONVT_FIELDS) \
    X(er_pool_params, ER_POOL_FIELDS) X(er_gpool_params, ER_GPOOL_FIELDS) \
    X(er_reduce_params, ER_REDUCE_FIELDS) X(er_softmax_params, ER_SOFTMAX_FIELDS) \
    X(er_norm_params, ER_NORM_FIELDS) X(er_lrn_params, ER_LRN_FIELDS) \
    X(er_gemm_params, ER_GEMM_FIELDS) X(er_resample_params, ER_RESAMPLE_FIELDS) \
    X(er_widen_params, ER_WIDEN_FIELDS) X(er_dequant_params, ER_DEQUANT_FIELDS) \
    X(er_layernorm_params, ER_LAYERNORM_FIELDS) X(er_where_params, ER_WHERE_FIELDS) X(er_argmax_params, ER_ARGMAX_FIELDS) \
    X(er_cumsum_params, ER_CUMSUM_FIELDS) X(er_scatternd_params, ER_SCATTERND_FIELDS) \
    X(er_einsum_params, ER_EINSUM_FIELDS)
ER_PARAM_STRUCTS(ER_FIELDS_ARRAY)

const er_kernel_def er_kernels[ERK_COUNT] = {
#define ERK(sym, ptype, fields, nargs, nout) \
    {#sym, #ptype, sizeof(ptype), nargs, nout, thunk_##sym, fields_##ptype, \
     (int32_t)(sizeof fields_##ptype / sizeof *fields_##ptype)},
#include "er_kernels.def"
#undef ERK
};
