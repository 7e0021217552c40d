/* er_model.h - the contract between a compiled model and the runtime.

   WHAT THIS IS
     edgerun-compile turns MODEL.onnx into one C file (plus a header) that
     defines the two symbols below. The runtime (src/runtime/) and any native
     program link against them without knowing anything else about the model:
     one compiled model per program or .wasm module.

   USAGE
     const er_model_info *m = &er_model;
     float *x = (float *)m->inputs[0].data;        // fixed buffer, m->inputs[0].bytes long
     ... write the input tensor into x ...
     er_model_run();
     const float *logits = (const float *)m->outputs[0].data;

   MEMORY
     All tensors live in one static arena inside the model (arena_bytes), laid
     out at compile time; inputs and outputs are fixed, distinct, 16-byte
     aligned regions of it. er_model_run allocates nothing. Outputs stay valid
     until the next er_model_run; inputs are not modified by it.

   LIMITS
     Shapes are static: a model is compiled for one input shape. Not reentrant
     (one arena), so one run at a time per module - the natural fit for a wasm
     instance. er_model_run cannot fail: every check happened at compile time.
*/
#ifndef ER_MODEL_H
#define ER_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ER_MODEL_ABI_VERSION 1
#define ER_MODEL_MAX_RANK 8

/* One graph input or output. dtype is the ONNX TensorProto.DataType code. */
typedef struct er_model_io {
    const char *name;
    int32_t dtype;
    int32_t rank;
    int64_t dims[ER_MODEL_MAX_RANK];
    size_t count; /* elements: product of dims */
    size_t bytes; /* count * element size */
    void *data;   /* the model's buffer for this tensor */
} er_model_io;

typedef struct er_model_info {
    int32_t abi_version;      /* ER_MODEL_ABI_VERSION */
    const char *name;         /* --name given to the compiler */
    const char *generator;    /* "edgerun-compile X.Y.Z" */
    const char *source_sha256;/* hex SHA-256 of the .onnx file */
    int64_t opset;            /* default-domain opset of the model */
    int32_t n_inputs;
    const er_model_io *inputs;
    int32_t n_outputs;
    const er_model_io *outputs;
    int32_t n_labels;         /* 0 when compiled without --labels */
    const char *const *labels;
    int32_t has_norm;         /* 1 when compiled with --norm */
    float norm[6];            /* mean_R, std_R, mean_G, std_G, mean_B, std_B */
    size_t arena_bytes;
    size_t weight_bytes;
} er_model_info;

extern const er_model_info er_model;

/* Run the model on the data in its input buffers, writing its output buffers. */
void er_model_run(void);

#ifdef __cplusplus
}
#endif
#endif /* ER_MODEL_H */
