/* ops.h - how an ONNX operator is taught to the compiler.

   Each operator is registered once, in ops.def, with two functions:
     infer(g, n)  parse and check attributes and inputs, then set the dtype
                  and shape of every output. Operators whose outputs follow
                  from shapes or attributes alone (Shape, Constant, ...) set
                  them constant right here.
     lower(g, n)  append the kernel calls that compute the outputs
                  (er_call_add), creating temporaries and packed weights as
                  needed; er_lower_never for operators infer makes constant.
   One file per family (op_elementwise.c, op_conv.c, ...). The same lower()
   serves constant folding and code generation. Errors name the node:
   "Conv node 'conv1': kernel_shape [3,3] does not match W [64,3,5,5]". */
#ifndef ER_OPS_H
#define ER_OPS_H

#include "ir.h"

#define ER_OP(name, infer, lower) ER_OP_##name,
typedef enum er_op {
#include "ops.def"
    ER_OP_COUNT
} er_op;
#undef ER_OP

typedef struct er_op_def {
    const char *name;
    int (*infer)(er_graph *g, er_node *n);
    int (*lower)(er_graph *g, er_node *n);
} er_op_def;

extern const er_op_def er_ops[ER_OP_COUNT];
/* ER_OP_* for an op type of the default domain, or -1. */
int32_t er_op_lookup(const char *op_type);

#define ER_OP(name, infer, lower) \
    int infer(er_graph *g, er_node *n); \
    int lower(er_graph *g, er_node *n);
#include "ops.def"
#undef ER_OP

/* ---- kernels (kernel_registry.c, derived from er_kernels.def) ---- */
#define ERK(sym, ptype, fields, nargs, nout) ERK_##sym,
typedef enum er_kernel_id {
#include "er_kernels.def"
    ERK_COUNT
} er_kernel_id;
#undef ERK

typedef struct er_field_desc {
    const char *name;
    char kind;           /* 'I' int32, 'L' int64, 'F' float, 'i' int32[ER_MAX_RANK], 'f' float[ER_MAX_RANK] */
    size_t offset;
} er_field_desc;

typedef struct er_kernel_def {
    const char *name;
    const char *params_type;
    size_t params_size;
    int32_t n_args;
    int32_t n_out;       /* the last n_out arguments are written (outputs, scratch) */
    void (*thunk)(const void *params, void *const *args);
    const er_field_desc *fields;
    int32_t n_fields;
} er_kernel_def;

extern const er_kernel_def er_kernels[ERK_COUNT];

/* ---- helpers for infer() and lower() ---- */

/* "Conv node 'conv1': <message>" through er_fail; returns -1. */
int er_node_fail(const er_graph *g, const er_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int er_check_arity(const er_graph *g, const er_node *n, int32_t min_in, int32_t max_in, int32_t min_out,
                   int32_t max_out);
/* The input must be present and have one of the dtypes (0-terminated list). */
int er_check_dtype(const er_graph *g, const er_node *n, int32_t input, const int32_t *allowed);
int er_require_input(const er_graph *g, const er_node *n, int32_t input, const char *what);

const onnx_attr *er_attr(const er_node *n, const char *name);
/* Typed attribute getters: the default when absent, an error when of another type. */
int er_attr_int(const er_graph *g, const er_node *n, const char *name, int64_t def, int64_t *out);
int er_attr_float(const er_graph *g, const er_node *n, const char *name, float def, float *out);
int er_attr_string(const er_graph *g, const er_node *n, const char *name, const char *def, const char **out);
/* INTS attribute into out[max]; *count = -1 when absent. */
int er_attr_ints(const er_graph *g, const er_node *n, const char *name, int64_t *out, int32_t max,
                 int32_t *count);
int er_attr_floats(const er_graph *g, const er_node *n, const char *name, float *out, int32_t max,
                   int32_t *count);

/* Values of a constant integer input (int32 or int64) into out[max]. Fails, naming
   `what`, when the input is not a compile-time constant. *count = -1 if omitted. */
int er_input_ints(er_graph *g, const er_node *n, int32_t input, const char *what, int64_t *out, int32_t max,
                  int32_t *count);
/* Same for a float (float32/float64) constant input. */
int er_input_floats(er_graph *g, const er_node *n, int32_t input, const char *what, double *out,
                    int32_t max, int32_t *count);

/* Normalise a possibly negative axis against rank; fails naming the attribute. */
int er_axis(const er_graph *g, const er_node *n, int64_t axis, int32_t rank, const char *what, int32_t *out);

/* Set output i's dtype and shape. */
int er_set_output(er_graph *g, er_node *n, int32_t i, int32_t dtype, int32_t rank, const int64_t *dims);
/* Output i is a view of input j with the given shape (no data movement). */
int er_set_view(er_graph *g, er_node *n, int32_t out, int32_t in, int32_t rank, const int64_t *dims);

/* New temporary tensor (scratch, packed weights) belonging to node n. */
int32_t er_temp_new(er_graph *g, const er_node *n, const char *role, int32_t dtype, int32_t rank,
                    const int64_t *dims);

/* Append a call of kernel k to the current call sink. params (params_size bytes,
   checked against the kernel's struct) is copied; args are tensor ids, -1 for NULL. */
int er_call_add(er_graph *g, const er_node *n, int32_t k, const void *params, size_t params_size,
                int32_t n_args, const int32_t *args);
#define ER_CALL(g, n, k, params, ...) \
    er_call_add((g), (n), (k), &(params), sizeof(params), \
                (int32_t)(sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t)), (const int32_t[]){__VA_ARGS__})

/* Algorithm tables: each operator family that has several ways to run
   (op_conv.c, op_gemm.c) lists them once, each with the rule that says
   where it applies and an estimate of its cost; lowering takes the
   cheapest that applies unless --algo forces one. */
typedef struct er_algo {
    const char *name;   /* as --algo and the generated comment spell it */
    const char *rule;   /* where it applies, for the error when forced elsewhere */
} er_algo;
/* The index in `table` of the algorithm --algo forces on node n (by its
   name, else by "*"), or -1 in *forced; *by_name says a choice named the
   node, so it must apply (a "*" choice applies where it can). Fails when a
   choice naming the node names no algorithm of `table`. */
int er_forced_algo(er_graph *g, const er_node *n, const er_algo *table, int32_t count, int32_t *forced, int *by_name);

/* Where er_call_add appends (the graph's list, or a folding list). */
void er_set_call_sink(er_graph *g, er_vec *sink);

/* Kernel of a typed family: `base` is the f32 member; returns -1 for an unsupported dtype.
   E.g. er_kernel_typed(ERK_er_f32_add, ER_DTYPE_INT64) == ERK_er_i64_add. */
int32_t er_kernel_typed(int32_t f32_kernel, int32_t dtype);
/* Element-size family (x8/x16/x32/x64) of a movement kernel, from its x32 member. */
int32_t er_kernel_sized(int32_t x32_kernel, int32_t dtype);

/* y[i] = x[x_offset + i.x_strides] over `dims` into y at y_offset + i.y_strides
   (NULL y_strides: y dense in `dims`), as one strided-copy call. */
int er_lower_strided_copy(er_graph *g, const er_node *n, int32_t x, int32_t y, int32_t rank, const int64_t *dims,
                          int64_t x_offset, const int64_t *x_strides, int64_t y_offset, const int64_t *y_strides);
/* Tensor x's values into y, of the same dims, in y's er_layout (channels
   moved last, or back), as one strided-copy call. */
int er_lower_relayout(er_graph *g, const er_node *n, int32_t x, int32_t y);

/* Conv (op_conv.c), for layout.c: cost[l] is the estimated cost of node n's
   cheapest algorithm of er_layout l, -1 where none applies; *forced the
   layout of the algorithm --algo forces on it, else -1. */
int conv_layout_costs(er_graph *g, er_node *n, double cost[2], int32_t *forced);

/* Copy of a whole tensor (same element count) as one er_copy call. */
int er_lower_copy(er_graph *g, const er_node *n, int32_t src, int32_t dst);
/* Element-wise conversion of tensor x into y (same element count, y's dtype), one er_cast call. */
int er_lower_cast(er_graph *g, const er_node *n, int32_t x, int32_t y);

/* Row-major strides of t, in elements. */
void er_strides(const er_tensor *t, int64_t *strides);
/* Broadcast shapes a and b into out (numpy rules); fails naming the node. */
int er_broadcast_shape(const er_graph *g, const er_node *n, const er_tensor *a, const er_tensor *b,
                       int32_t *rank, int64_t *dims);

#endif
