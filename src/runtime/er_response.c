/* er_response.c - the response JSON of edgerun.h.

   Numbers are written in the shortest form that reads back as the value the
   model produced (float32 outputs as float32), non-finite values as null,
   which JSON cannot otherwise say. Probabilities are computed in double and
   reported at float32 precision, the precision of the logits they came from. */
#include "er_protocol.h"
#include "er_kernels.h"
#include "er_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

char *er_response_error(const er_error *err)
{
    er_buf b = {0};
    er_buf_str(&b, "{\"error\":{\"code\":");
    er_buf_json_string(&b, er_code_name(err->code));
    er_buf_str(&b, ",\"message\":");
    er_buf_json_string(&b, err->message);
    er_buf_str(&b, "}}");
    return er_buf_finish(&b);
}

/* Milliseconds to the microsecond: more digits would be noise. */
static void write_ms(er_buf *b, const char *name, double ms, int first)
{
    er_buf_str(b, first ? "\"" : ",\"");
    er_buf_str(b, name);
    er_buf_str(b, "\":");
    er_buf_real(b, nearbyint(ms * 1000.0) / 1000.0, 0);
}

static void write_timings(er_buf *b, const er_timings *ms)
{
    er_buf_str(b, ",\"ms\":{");
    write_ms(b, "decode", ms->decode, 1);
    write_ms(b, "prepare", ms->prepare, 0);
    write_ms(b, "infer", ms->infer, 0);
    er_buf_str(b, "}}");
}

char *er_response_infer_time(double infer_ms)
{
    er_buf b = {0};
    er_buf_str(&b, "{\"ms\":{");
    write_ms(&b, "infer", infer_ms, 1);
    er_buf_str(&b, "}}");
    return er_buf_finish(&b);
}

/* count elements of an ONNX dtype as JSON values. */
static void write_values(er_buf *b, int32_t dtype, const void *data, size_t count)
{
    er_buf_str(b, "[");
    for (size_t i = 0; i < count && !b->failed; i++) {
        if (i) er_buf_str(b, ",");
        switch (dtype) {
        case ER_DTYPE_FLOAT: er_buf_real(b, ((const float *)data)[i], 1); break;
        case ER_DTYPE_DOUBLE: er_buf_real(b, ((const double *)data)[i], 0); break;
        case ER_DTYPE_INT8: er_buf_int(b, ((const int8_t *)data)[i]); break;
        case ER_DTYPE_INT16: er_buf_int(b, ((const int16_t *)data)[i]); break;
        case ER_DTYPE_INT32: er_buf_int(b, ((const int32_t *)data)[i]); break;
        case ER_DTYPE_INT64: er_buf_int(b, ((const int64_t *)data)[i]); break;
        case ER_DTYPE_UINT8: er_buf_uint(b, ((const uint8_t *)data)[i]); break;
        case ER_DTYPE_UINT16: er_buf_uint(b, ((const uint16_t *)data)[i]); break;
        case ER_DTYPE_UINT32: er_buf_uint(b, ((const uint32_t *)data)[i]); break;
        case ER_DTYPE_UINT64: er_buf_uint(b, ((const uint64_t *)data)[i]); break;
        case ER_DTYPE_BOOL: er_buf_str(b, ((const uint8_t *)data)[i] ? "true" : "false"); break;
        default: er_buf_str(b, "null"); break;
        }
    }
    er_buf_str(b, "]");
}

static char *generic_response(const er_timings *ms)
{
    er_buf b = {0};
    er_buf_str(&b, "{\"outputs\":{");
    for (int32_t i = 0; i < er_model.n_outputs; i++) {
        const er_model_io *y = &er_model.outputs[i];
        if (i) er_buf_str(&b, ",");
        er_buf_json_string(&b, y->name);
        er_buf_str(&b, ":{\"dims\":");
        write_values(&b, ER_DTYPE_INT64, y->dims, (size_t)(y->rank < 0 ? 0 : y->rank));
        er_buf_str(&b, ",\"data\":");
        write_values(&b, y->dtype, y->data, y->count);
        er_buf_str(&b, "}");
    }
    er_buf_str(&b, "}");
    write_timings(&b, ms);
    return er_buf_finish(&b);
}

/* qsort has no context argument; one request runs at a time. */
static const double *sort_prob;

/* Most probable first, NaN last, ties by index: a stable, total order. */
static int by_probability(const void *pa, const void *pb)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    double x = sort_prob[a], y = sort_prob[b];
    int x_nan = isnan(x), y_nan = isnan(y);
    if (x_nan != y_nan) return x_nan - y_nan;
    if (!x_nan && x != y) return x > y ? -1 : 1;
    return (a > b) - (a < b);
}

/* Softmax in double after subtracting the largest logit: no overflow, and
   the largest term is exactly 1 so the sum is at least 1. */
static void softmax(const float *logits, int32_t k, double *prob)
{
    double max = -INFINITY, sum = 0.0;
    for (int32_t i = 0; i < k; i++)
        if (logits[i] > max) max = logits[i];
    for (int32_t i = 0; i < k; i++) sum += prob[i] = exp((double)logits[i] - max);
    for (int32_t i = 0; i < k; i++) prob[i] /= sum;
}

static char *classifier_response(const er_timings *ms, int32_t k, int32_t top)
{
    const float *logits = (const float *)er_model.outputs[0].data;
    const int has_labels = er_model.n_labels == k;
    er_buf b = {0};
    char *response = NULL;
    double *prob = NULL;
    int32_t *order = NULL;
    if ((size_t)k > SIZE_MAX / sizeof(double)) goto fail; /* k <= INT32_MAX: only on 32-bit */
    prob = er_mem_alloc((size_t)k * sizeof(double));
    order = er_mem_alloc((size_t)k * sizeof(int32_t));
    if (!prob || !order) goto fail;
    softmax(logits, k, prob);
    for (int32_t i = 0; i < k; i++) order[i] = i;
    sort_prob = prob;
    qsort(order, (size_t)k, sizeof(int32_t), by_probability);

    er_buf_str(&b, "{\"output\":[");
    for (int32_t i = 0; i < k; i++) {
        if (i) er_buf_str(&b, ",");
        er_buf_real(&b, prob[i], 1);
    }
    er_buf_str(&b, "],\"logits\":");
    write_values(&b, ER_DTYPE_FLOAT, logits, (size_t)k);
    er_buf_str(&b, ",\"labels\":");
    if (has_labels) {
        for (int32_t i = 0; i < k; i++) {
            er_buf_str(&b, i ? "," : "[");
            er_buf_json_string(&b, er_model.labels[i]);
        }
        er_buf_str(&b, "]");
    } else {
        er_buf_str(&b, "null");
    }
    er_buf_str(&b, ",\"top\":[");
    for (int32_t i = 0; i < top && i < k; i++) {
        er_buf_str(&b, i ? ",{\"index\":" : "{\"index\":");
        er_buf_int(&b, order[i]);
        er_buf_str(&b, ",\"label\":");
        er_buf_json_string(&b, has_labels ? er_model.labels[order[i]] : NULL);
        er_buf_str(&b, ",\"prob\":");
        er_buf_real(&b, prob[order[i]], 1);
        er_buf_str(&b, "}");
    }
    er_buf_str(&b, "]");
    write_timings(&b, ms);
    response = er_buf_finish(&b);
fail:
    er_buf_discard(&b);
    er_mem_free(prob);
    er_mem_free(order);
    return response;
}

char *er_response_outputs(const er_timings *ms, int32_t top)
{
    int32_t k = er_model_classes();
    return k > 0 ? classifier_response(ms, k, top) : generic_response(ms);
}
