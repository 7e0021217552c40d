/* ir.h - the compiler's graph: tensors, ONNX nodes, and the kernel calls they lower to.

   Pipeline (main.c):
     onnx_read_model      bytes -> onnx_model                     (onnx_reader.c)
     er_import            onnx_model -> er_graph, functions inlined (import.c)
     er_infer_and_fold    shapes/dtypes for every node, in order;  (passes.c)
                          nodes whose inputs are all constant are
                          evaluated with the kernels and vanish
     er_fuse              BatchNorm into Conv, activations and     (fuse.c)
                          residual Adds into Conv epilogues, views
     er_choose_layouts    which convolutions run channels-last,    (layout.c)
                          and which activations are stored so
     er_lower             every remaining node -> er_call list;    (passes.c)
                          calls on constants (weight packing) fold
     er_plan              arena offsets by liveness                 (plan.c)
     er_emit_c            the C file and header                     (emit.c)

   Building the graph (import, infer, fuse) is kept apart from running it
   (calls): a node knows ONNX semantics, a call knows only a kernel and its
   parameter struct. Constant folding runs the very same calls natively. */
#ifndef ER_IR_H
#define ER_IR_H

#include "er_kernels.h"
#include "onnx.h"
#include "util.h"

/* Where a tensor's bytes live at run time. */
typedef enum er_store {
    ER_STORE_ARENA, /* activations, graph inputs/outputs, scratch: planned into the arena */
    ER_STORE_CONST, /* known at compile time: emitted as a static const array */
    ER_STORE_LAZY,  /* constant but computed once at model initialization into a static
                       buffer (huge ConstantOfShape weights and what is derived from them) */
    ER_STORE_VIEW   /* same bytes as tensor view_of, another shape (Reshape & co.) */
} er_store;

/* How a rank-4 activation's bytes are ordered. dims are always ONNX's
   [N, C, H, W]; NHWC tensors (channels last) exist only between
   convolutions that run channels-last kernels (layout.c), and no other
   operator ever reads one. */
typedef enum er_layout {
    ER_LAYOUT_NCHW, /* ONNX's order: every tensor unless layout.c says otherwise */
    ER_LAYOUT_NHWC
} er_layout;

typedef struct er_tensor {
    int32_t id;
    const char *name;   /* ONNX value name; compiler temporaries get "name:role" */
    int32_t dtype;      /* ER_DTYPE_* (ONNX codes) */
    int32_t rank;
    int64_t dims[ER_MAX_RANK];
    int64_t count;      /* product of dims */
    er_store store;
    void *data;         /* CONST: count elements, or 1 element when splat. NULL otherwise. */
    int splat;          /* CONST/LAZY: all elements equal data[0] */
    int32_t stored_as;  /* CONST: the ER_DTYPE/ONNX code its bytes encode when dtype only
                           carries them (float16 bits in a uint16 tensor); 0 otherwise */
    int32_t view_of;    /* VIEW: the tensor whose bytes this names; -1 otherwise */
    int32_t input_index;  /* graph input number, -1 if none */
    int32_t output_index; /* graph output number, -1 if none */
    int32_t n_uses;     /* after lowering, on storage tensors: calls naming it, plus graph outputs */
    int32_t layout;     /* er_layout */
    int32_t twin;       /* the same values in the other layout (a transposed copy made while
                           lowering, for readers of that layout), -1 if none */
    /* planning (plan.c) */
    int64_t offset;     /* ARENA: byte offset; LAZY: unused */
    int32_t first, last;/* first defining and last using call */
    int32_t symbol;     /* CONST/LAZY: number of its emitted array */
} er_tensor;

typedef struct er_node {
    int32_t id;
    int32_t op;                  /* er_op (ops.def) */
    const char *name, *op_type, *domain;
    int64_t opset;               /* default-domain opset that applies to it */
    int32_t n_in, n_out;
    int32_t *in, *out;           /* tensor ids; -1 for an omitted optional input/output */
    const onnx_attr *attrs;
    int32_t n_attrs;
    int dead;                    /* folded or fused away */
    /* Set by er_fuse on Conv/Gemm: epilogue work merged into this node. */
    int32_t act;                 /* er_act */
    float act_alpha, act_beta;
    int32_t residual;            /* tensor added before the activation, -1 if none */
    const char *fused;           /* what was merged, for the generated comment ("BN+Relu") */
    const char *algo;            /* algorithm chosen when lowering (Conv, Gemm, MatMul), for the comment */
    int32_t layout;              /* Conv: the er_layout its kernel reads and writes (layout.c) */
} er_node;

#define ER_MAX_ARGS 8

typedef struct er_call {
    int32_t kernel;              /* er_kernel_id (kernels.c) */
    void *params;                /* the kernel's parameter struct */
    int32_t n_args;
    int32_t args[ER_MAX_ARGS];   /* tensor ids in the kernel's argument order, -1 = NULL */
    int32_t node;                /* the node it implements */
    int init;                    /* runs once at model initialization (LAZY outputs) */
} er_call;

/* One --algo NODE=ALGO option; `used` is set when a node took it. */
typedef struct er_algo_choice {
    const char *node, *algo;
    int used;
} er_algo_choice;

typedef struct er_graph {
    er_pool *pool;
    const char *path;            /* the .onnx file, for messages */
    er_vec tensors;              /* er_tensor* by id */
    er_vec nodes;                /* er_node* in topological order */
    er_vec calls;                /* er_call* in execution order (after er_lower) */
    int32_t n_inputs, n_outputs;
    int32_t *inputs, *outputs;   /* tensor ids */
    int64_t opset;
    const char *producer;
    /* name -> tensor id */
    int32_t *name_table;
    int32_t name_cap;
    int reference_kernels;       /* --reference: lower to __scalar kernels only */
    er_algo_choice *algo_forced; /* --algo NODE=ALGO choices ("*" for every node it applies to) */
    int32_t n_algo_forced;
    er_vec prologue;             /* calls made before lowering that run at initialisation,
                                    first (weight dequantisation, weights.c) */
    const char *values_dir;      /* --values-from: where graph inputs that must be constant come from */
    er_vec *call_sink;           /* where er_call_add appends: NULL for calls (er_set_call_sink); per
                                    graph, so that nothing outlives the graph's pool */
    int32_t n_folded, n_fused;   /* statistics for the report */
} er_graph;

static inline er_tensor *er_t(const er_graph *g, int32_t id)
{
    return (er_tensor *)g->tensors.items[id];
}
static inline er_node *er_n(const er_graph *g, int32_t id)
{
    return (er_node *)g->nodes.items[id];
}
/* Input i of node n, or NULL when it is omitted. */
static inline er_tensor *er_in(const er_graph *g, const er_node *n, int32_t i)
{
    return i < n->n_in && n->in[i] >= 0 ? er_t(g, n->in[i]) : NULL;
}
static inline er_tensor *er_out(const er_graph *g, const er_node *n, int32_t i)
{
    return i < n->n_out && n->out[i] >= 0 ? er_t(g, n->out[i]) : NULL;
}

/* ---- tensors ---- */
/* New tensor (ARENA, shape unset). Name is copied. Returns its id or -1. */
int32_t er_tensor_new(er_graph *g, const char *name);
int32_t er_tensor_find(const er_graph *g, const char *name);
/* Register `name` -> id for lookups (import only). */
int er_tensor_bind(er_graph *g, const char *name, int32_t id);
/* Set dtype and shape, checking the element count fits int32 kernels. */
int er_tensor_set_shape(er_graph *g, er_tensor *t, int32_t dtype, int32_t rank, const int64_t *dims);
/* Make t a constant with `data` (count elements; copied unless own != 0, then adopted). */
int er_tensor_set_const(er_graph *g, er_tensor *t, const void *data);
/* Make t a splat constant (every element = *value, one element). */
int er_tensor_set_splat(er_graph *g, er_tensor *t, const void *value);
/* New constant tensor of the given shape with a copy of data. Returns its id or -1. */
int32_t er_const_new(er_graph *g, const char *name, int32_t dtype, int32_t rank, const int64_t *dims,
                     const void *data);
/* Decode an ONNX TensorProto into t (shape, dtype, constant data), checking sizes. */
int er_tensor_from_onnx(er_graph *g, er_tensor *t, const onnx_tensor *src);
/* Follow views to the tensor that owns the bytes. */
er_tensor *er_storage(const er_graph *g, er_tensor *t);
/* Constant data of t (through views), materialising a splat; NULL if not a compile-time constant. */
const void *er_const_data(er_graph *g, er_tensor *t);
int er_is_const(const er_graph *g, const er_tensor *t);
/* Constant known at compile time or at initialization. */
int er_is_static(const er_graph *g, const er_tensor *t);

size_t er_dtype_size(int32_t dtype);
const char *er_dtype_name(int32_t dtype);    /* "float32", "int64", ... or "unsupported(N)" */
const char *er_dtype_ctype(int32_t dtype);   /* "float", "int64_t", ... */
/* "[1,3,32,32]" into buf. */
const char *er_shape_str(const er_tensor *t, char *buf, size_t n);

/* ---- passes ---- */
er_graph *er_import(er_pool *pool, const char *path, const onnx_model *m);
int er_infer_and_fold(er_graph *g);
int er_fuse(er_graph *g);
int er_choose_layouts(er_graph *g);
int er_lower(er_graph *g);
/* Compact weight storage (weights.c), --weights:
   er_weights_int8  before er_lower: Conv/Gemm/MatMul weights -> int8 + per-channel scales,
                    dequantized at initialisation (so their packing moves there too);
   er_weights_fp16  after er_lower: float constants -> IEEE half, widened at initialisation. */
int er_weights_int8(er_graph *g);
int er_weights_fp16(er_graph *g);
/* Arena offsets; *arena_bytes the arena, *unshared_bytes what it would be without reuse. */
int er_plan(er_graph *g, int64_t *arena_bytes, int64_t *unshared_bytes);

#endif
