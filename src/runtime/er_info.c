/* er_info.c - what the runtime makes of the linked model, and er_info's JSON.

   The model (er_model.h) only lists its tensors; whether it takes an image
   and whether it is a classifier are decided here, once, by shape, so that
   the protocol and the description can never disagree. */
#include "er_protocol.h"
#include "er_kernels.h"
#include "er_model.h"

#include <string.h>

static const struct {
    int32_t code;
    const char *name;
    size_t size;
} dtypes[] = {
    {ER_DTYPE_FLOAT, "float32", 4}, {ER_DTYPE_UINT8, "uint8", 1},    {ER_DTYPE_INT8, "int8", 1},
    {ER_DTYPE_UINT16, "uint16", 2}, {ER_DTYPE_INT16, "int16", 2},    {ER_DTYPE_INT32, "int32", 4},
    {ER_DTYPE_INT64, "int64", 8},   {ER_DTYPE_BOOL, "bool", 1},      {ER_DTYPE_DOUBLE, "float64", 8},
    {ER_DTYPE_UINT32, "uint32", 4}, {ER_DTYPE_UINT64, "uint64", 8},
};

const char *er_dtype_name(int32_t dtype)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].code == dtype) return dtypes[i].name;
    return NULL;
}

size_t er_dtype_size(int32_t dtype)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].code == dtype) return dtypes[i].size;
    return 0;
}

int er_model_image_input(er_image_input *in)
{
    if (er_model.n_inputs != 1) return 0;
    const er_model_io *x = &er_model.inputs[0];
    if (x->dtype != ER_DTYPE_FLOAT || x->rank != 4 || x->dims[0] != 1 || (x->dims[1] != 1 && x->dims[1] != 3))
        return 0;
    /* The prepared rows (width * channels floats) are indexed with int32. */
    if (x->dims[2] < 1 || x->dims[3] < 1 || x->dims[2] > INT32_MAX || x->dims[3] * x->dims[1] > INT32_MAX)
        return 0;
    in->channels = (int32_t)x->dims[1];
    in->height = (int32_t)x->dims[2];
    in->width = (int32_t)x->dims[3];
    return 1;
}

int32_t er_model_classes(void)
{
    if (er_model.n_outputs != 1) return 0;
    const er_model_io *y = &er_model.outputs[0];
    if (y->dtype != ER_DTYPE_FLOAT) return 0;
    int64_t k;
    if (y->rank == 1)
        k = y->dims[0];
    else if (y->rank == 2 && y->dims[0] == 1)
        k = y->dims[1];
    else
        return 0;
    return k >= 1 && k <= INT32_MAX && (size_t)k == y->count ? (int32_t)k : 0;
}

static void write_ios(er_buf *b, const er_model_io *io, int32_t n)
{
    er_buf_str(b, "[");
    for (int32_t i = 0; i < n; i++) {
        er_buf_str(b, i ? ",{\"name\":" : "{\"name\":");
        er_buf_json_string(b, io[i].name);
        er_buf_str(b, ",\"dtype\":");
        er_buf_json_string(b, er_dtype_name(io[i].dtype));
        er_buf_str(b, ",\"dims\":[");
        for (int32_t d = 0; d < io[i].rank && d < ER_MODEL_MAX_RANK; d++) {
            if (d) er_buf_str(b, ",");
            er_buf_int(b, io[i].dims[d]);
        }
        er_buf_str(b, "],\"bytes\":");
        er_buf_uint(b, io[i].bytes);
        er_buf_str(b, "}");
    }
    er_buf_str(b, "]");
}

/* The description is built once; max_pixels, its last field, is rewritten in
   place when the limit changes (er_runtime_set_max_pixels), so the pointer
   stays valid for good. */
static char *info;
static size_t info_tail; /* offset of the max_pixels value */

static char *build_info(void)
{
    const er_model_info *m = &er_model;
    er_buf b = {0};
    er_buf_str(&b, "{\"abi\":");
    er_buf_int(&b, m->abi_version);
    er_buf_str(&b, ",\"name\":");
    er_buf_json_string(&b, m->name);
    er_buf_str(&b, ",\"generator\":");
    er_buf_json_string(&b, m->generator);
    er_buf_str(&b, ",\"sha256\":");
    er_buf_json_string(&b, m->source_sha256);
    er_buf_str(&b, ",\"opset\":");
    er_buf_int(&b, m->opset);
    er_buf_str(&b, ",\"inputs\":");
    write_ios(&b, m->inputs, m->n_inputs);
    er_buf_str(&b, ",\"outputs\":");
    write_ios(&b, m->outputs, m->n_outputs);
    er_buf_str(&b, ",\"labels\":");
    if (m->n_labels > 0) {
        for (int32_t i = 0; i < m->n_labels; i++) {
            er_buf_str(&b, i ? "," : "[");
            er_buf_json_string(&b, m->labels[i]);
        }
        er_buf_str(&b, "]");
    } else {
        er_buf_str(&b, "null");
    }
    er_buf_str(&b, ",\"norm\":");
    if (m->has_norm) {
        for (int i = 0; i < 6; i++) {
            er_buf_str(&b, i ? "," : "[");
            er_buf_real(&b, m->norm[i], 1);
        }
        er_buf_str(&b, "]");
    } else {
        er_buf_str(&b, "null");
    }
    er_image_input in;
    er_buf_str(&b, ",\"image\":");
    if (er_model_image_input(&in)) {
        er_buf_str(&b, "{\"channels\":");
        er_buf_int(&b, in.channels);
        er_buf_str(&b, ",\"height\":");
        er_buf_int(&b, in.height);
        er_buf_str(&b, ",\"width\":");
        er_buf_int(&b, in.width);
        er_buf_str(&b, "}");
    } else {
        er_buf_str(&b, "null");
    }
    er_buf_str(&b, ",\"arena_bytes\":");
    er_buf_uint(&b, m->arena_bytes);
    er_buf_str(&b, ",\"weight_bytes\":");
    er_buf_uint(&b, m->weight_bytes);
    er_buf_str(&b, ",\"max_pixels\":");
    info_tail = b.len;
    er_buf_raw(&b, "4294967295}", 11); /* room for any limit */
    return er_buf_finish(&b);
}

void er_info_update_limit(void)
{
    if (!info) return;
    size_t n = er_format_uint(info + info_tail, er_runtime_max_pixels());
    memcpy(info + info_tail + n, "}", 2);
}

const char *er_runtime_info(void)
{
    if (!info) {
        if (!(info = build_info())) return NULL;
        er_info_update_limit();
    }
    return info;
}
