/* onnx.h - an ONNX ModelProto decoded from protobuf wire format, no protobuf library.

   onnx_read_model() parses the bytes of a .onnx file into the plain structs
   below. Only the fields edgerun uses are kept; unknown fields are skipped
   as the wire format allows. Every length, count and offset is checked
   against the buffer, so a truncated or corrupt file yields one diagnostic
   (er_diag_message) naming the message type and byte offset, never a crash.

   Ownership: everything is allocated from the caller's er_pool. Tensor
   raw_data points into the caller's file buffer, which must outlive the model. */
#ifndef ER_ONNX_H
#define ER_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* AttributeProto.AttributeType */
enum {
    ONNX_ATTR_UNDEFINED = 0, ONNX_ATTR_FLOAT = 1, ONNX_ATTR_INT = 2, ONNX_ATTR_STRING = 3,
    ONNX_ATTR_TENSOR = 4, ONNX_ATTR_GRAPH = 5, ONNX_ATTR_FLOATS = 6, ONNX_ATTR_INTS = 7,
    ONNX_ATTR_STRINGS = 8, ONNX_ATTR_TENSORS = 9, ONNX_ATTR_GRAPHS = 10,
    ONNX_ATTR_SPARSE_TENSOR = 11, ONNX_ATTR_SPARSE_TENSORS = 12, ONNX_ATTR_TYPE_PROTO = 13
};

typedef struct onnx_bytes {
    const uint8_t *data;
    size_t len;
} onnx_bytes;

typedef struct onnx_tensor {
    const char *name;
    int32_t data_type;
    int32_t n_dims;
    int64_t *dims;
    onnx_bytes raw;               /* raw_data, little-endian */
    int has_raw;
    /* The typed repeated fields, as decoded. */
    float *float_data;   int64_t n_float;
    int32_t *int32_data; int64_t n_int32;  /* also int8/16, uint8/16, bool, float16 */
    int64_t *int64_data; int64_t n_int64;
    double *double_data; int64_t n_double;
    uint64_t *uint64_data; int64_t n_uint64; /* also uint32 */
    int64_t n_string;
    int external;                 /* data_location == EXTERNAL */
    int segmented;
    size_t offset;                /* byte offset in the file, for messages */
} onnx_tensor;

typedef struct onnx_attr {
    const char *name;
    const char *ref_attr_name;    /* inside a function body: refers to the caller's attribute */
    int32_t type;
    float f;
    int64_t i;
    onnx_bytes s;
    onnx_tensor *t;
    float *floats;  int32_t n_floats;
    int64_t *ints;  int32_t n_ints;
    onnx_bytes *strings; int32_t n_strings;
    int32_t n_tensors, n_graphs;  /* counted only, to refuse them by name */
    int has_graph;
} onnx_attr;

typedef struct onnx_node {
    const char *name, *op_type, *domain;
    const char **inputs;  int32_t n_inputs;   /* "" marks an omitted optional input */
    const char **outputs; int32_t n_outputs;
    onnx_attr *attrs;     int32_t n_attrs;
    size_t offset;
} onnx_node;

typedef struct onnx_value_info {
    const char *name;
    int is_tensor;                /* TypeProto.tensor_type present */
    int32_t elem_type;
    int32_t rank;                 /* -1 when the shape is absent */
    int64_t *dims;                /* -1 for a symbolic or missing dim */
    const char **dim_params;      /* the symbol, or NULL */
} onnx_value_info;

typedef struct onnx_graph {
    const char *name;
    onnx_node *nodes;             int32_t n_nodes;
    onnx_tensor *initializers;    int32_t n_initializers;
    onnx_value_info *inputs;      int32_t n_inputs;
    onnx_value_info *outputs;     int32_t n_outputs;
    onnx_value_info *value_infos; int32_t n_value_infos;
    int32_t n_sparse_initializers;
} onnx_graph;

typedef struct onnx_opset {
    const char *domain;
    int64_t version;
} onnx_opset;

typedef struct onnx_function {
    const char *name, *domain, *overload;
    const char **inputs;  int32_t n_inputs;
    const char **outputs; int32_t n_outputs;
    const char **attr_names; int32_t n_attr_names;   /* attributes without defaults */
    onnx_attr *attr_defaults; int32_t n_attr_defaults; /* attribute_proto: with defaults */
    onnx_node *nodes;     int32_t n_nodes;
    onnx_opset *opsets;   int32_t n_opsets;
} onnx_function;

typedef struct onnx_model {
    int64_t ir_version;
    const char *producer_name, *producer_version;
    onnx_opset *opsets;        int32_t n_opsets;
    onnx_graph *graph;
    onnx_function *functions;  int32_t n_functions;
} onnx_model;

/* Parse `len` bytes of a serialized ModelProto. Returns NULL after er_fail() on malformed input. */
onnx_model *onnx_read_model(er_pool *pool, const uint8_t *data, size_t len);
/* Parse a serialized TensorProto (the .pb files of the ONNX tests). */
onnx_tensor *onnx_read_tensor(er_pool *pool, const uint8_t *data, size_t len);

/* Decode t's data (raw_data or the typed field) into a new array of n elements of
   `elem_size` bytes, checking the sizes agree. */
int onnx_tensor_data(er_pool *pool, const onnx_tensor *t, size_t elem_size, int64_t n, void **out);

/* The opset version of `domain` ("" and "ai.onnx" are the default domain), or 0. */
int64_t onnx_opset_version(const onnx_opset *opsets, int32_t n, const char *domain);
const char *onnx_attr_type_name(int32_t type);

#endif
