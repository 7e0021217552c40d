/* er_protocol.h - internal: what er_protocol.c (requests) and er_response.c
   (responses) share. Not part of the native API (er_runtime.h). */
#ifndef ER_PROTOCOL_H
#define ER_PROTOCOL_H

#include "er_runtime.h"

/* Milliseconds spent in each stage of a request; see edgerun.h. */
typedef struct er_timings {
    double decode, prepare, infer;
} er_timings;

/* Each returns a new response string (caller frees with er_mem_free), or
   NULL when memory ran out while writing it. */

/* {"error":{"code":..,"message":..}} */
char *er_response_error(const er_error *err);
/* The model's outputs as edgerun.h describes: the classifier form when
   er_model_classes() > 0 (with `top` entries in "top"), the generic
   "outputs" form otherwise. */
char *er_response_outputs(const er_timings *ms, int32_t top);
/* {"ms":{"infer":..}} */
char *er_response_infer_time(double infer_ms);

/* Rewrite max_pixels in the model description, if it was built (er_info.c). */
void er_info_update_limit(void);

#endif /* ER_PROTOCOL_H */
