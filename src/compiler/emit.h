/* emit.h - write a planned graph as one C99 file plus a header. */
#ifndef ER_EMIT_H
#define ER_EMIT_H

#include <stdio.h>

#include "ir.h"

typedef struct er_emit_options {
    const char *name;          /* --name: the model's name, also the header's guard */
    const char *source;        /* the .onnx path, for the header comment */
    const char *sha256;        /* of the .onnx bytes */
    const char *header_file;   /* the header's file name, #included by the C file */
    const char *blob_file;     /* the weight blob's file name, .incbin'ed by the C file */
    const char *const *labels; /* --labels, or NULL */
    int32_t n_labels;
    int has_norm;
    float norm[6];
    int64_t arena_bytes;
    int64_t unshared_bytes;    /* the arena without reuse, for the report */
    int profile;               /* --profile: time every node (er_profile_run, see emit.c) */
} er_emit_options;

typedef struct er_emit_stats {
    int64_t weight_bytes;      /* the weight blob's size */
    int64_t lazy_bytes;        /* static buffers filled at initialisation */
    int32_t n_calls;
} er_emit_stats;

/* Write the model's C to c_out, its header to h_out and its weight blob (the
   bytes of every constant, which the C links in by o->blob_file) to blob_out. */
int er_emit_c(er_graph *g, const er_emit_options *o, FILE *c_out, FILE *h_out, FILE *blob_out, er_emit_stats *stats);

#endif
