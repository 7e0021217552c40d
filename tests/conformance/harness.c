/* harness.c - runs one natively compiled model (linked in: er_model.h) on
   the data of an ONNX backend test, or on raw tensors.

   usage: harness TEST_DIR [--rtol R] [--atol A]
            every TEST_DIR/test_data_set_*: input_<i>.pb -> run -> compare with output_<i>.pb
          harness --io DIR
            DIR/input_<i>.bin (raw little-endian, the input's exact byte size) -> run
            -> DIR/output_<i>.bin; for comparisons made elsewhere (onnxruntime)

          harness --describe
            the model's inputs and outputs as JSON: [{"name","dtype","dims","bytes"}...]

   Prints one line; exit 0 when everything matched, 1 on a mismatch, 2 on bad data. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "er_model.h"
#include "ir.h"
#include "onnx.h"

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        rewind(f);
        data = n >= 0 ? malloc((size_t)n + 1) : NULL;
        if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
            free(data);
            data = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return data;
}

static const char *dims_str(const int64_t *dims, int32_t rank, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "[");
    for (int32_t i = 0; i < rank && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}

static int same_dims(const onnx_tensor *t, const er_model_io *io)
{
    if (t->n_dims != io->rank) return 0;
    for (int32_t i = 0; i < t->n_dims; i++)
        if (t->dims[i] != io->dims[i]) return 0;
    return 1;
}

/* Read PATH as a TensorProto with the dtype, element count and dims of io. */
static void *load_pb(er_pool *pool, const char *path, const er_model_io *io, const char *what, char *err, size_t n_err)
{
    size_t len;
    unsigned char *bytes = slurp(path, &len);
    if (!bytes) {
        snprintf(err, n_err, "cannot read %s", path);
        return NULL;
    }
    er_diag_set_file(path);
    onnx_tensor *t = onnx_read_tensor(pool, bytes, len);
    void *data = NULL;
    int64_t count = 1;
    for (int32_t i = 0; t && i < t->n_dims; i++) count *= t->dims[i];
    if (!t) {
        snprintf(err, n_err, "%s", er_diag_message());
    } else if (t->data_type != io->dtype || count != (int64_t)io->count) {
        snprintf(err, n_err, "%s '%s': file has %s x %lld, model has %s x %zu", what, io->name,
                 er_dtype_name(t->data_type), (long long)count, er_dtype_name(io->dtype), io->count);
    } else if (!same_dims(t, io)) {
        /* The same count in another shape is still a wrong answer. */
        char file_dims[256], model_dims[256];
        snprintf(err, n_err, "%s '%s': file has dims %s, model has %s", what, io->name,
                 dims_str(t->dims, t->n_dims, file_dims, sizeof file_dims),
                 dims_str(io->dims, io->rank, model_dims, sizeof model_dims));
    } else if (onnx_tensor_data(pool, t, er_dtype_size(io->dtype), count, &data)) {
        snprintf(err, n_err, "%s", er_diag_message());
        data = NULL;
    }
    free(bytes);
    return data;
}

static double element(const void *p, int32_t dtype, size_t i)
{
    switch (dtype) {
    case ER_DTYPE_FLOAT: return ((const float *)p)[i];
    case ER_DTYPE_DOUBLE: return ((const double *)p)[i];
    case ER_DTYPE_INT8: return ((const int8_t *)p)[i];
    case ER_DTYPE_INT16: return ((const int16_t *)p)[i];
    case ER_DTYPE_INT32: return ((const int32_t *)p)[i];
    case ER_DTYPE_INT64: return (double)((const int64_t *)p)[i];
    case ER_DTYPE_UINT8: case ER_DTYPE_BOOL: return ((const uint8_t *)p)[i];
    case ER_DTYPE_UINT16: return ((const uint16_t *)p)[i];
    case ER_DTYPE_UINT32: return ((const uint32_t *)p)[i];
    case ER_DTYPE_UINT64: return (double)((const uint64_t *)p)[i];
    default: return NAN;
    }
}

/* First element outside |got - want| <= atol + rtol * |want| (exact for integers), or -1. */
static long mismatch(const er_model_io *io, const void *got, const void *want, double rtol, double atol)
{
    int is_float = io->dtype == ER_DTYPE_FLOAT || io->dtype == ER_DTYPE_DOUBLE;
    size_t size = er_dtype_size(io->dtype);
    for (size_t i = 0; i < io->count; i++) {
        if (!is_float) {
            if (memcmp((const char *)got + i * size, (const char *)want + i * size, size)) return (long)i;
            continue;
        }
        double g = element(got, io->dtype, i), w = element(want, io->dtype, i);
        if (isnan(w) && isnan(g)) continue;
        if (isinf(w) && g == w) continue;
        if (!(fabs(g - w) <= atol + rtol * fabs(w))) return (long)i;
    }
    return -1;
}

/* Position of graph input `name` among the model's non-initializer inputs: the
   number of its input_<i>.pb. The compiled model may have fewer inputs (those
   compiled in as constants with --values-from), so positions come from the .onnx. */
static int input_file_index(const char *dir, const char *name)
{
    char path[4096];
    size_t len;
    int index = -1;
    snprintf(path, sizeof path, "%.4000s/model.onnx", dir);
    unsigned char *bytes = slurp(path, &len);
    er_pool *pool = er_pool_new();
    onnx_model *m = bytes && pool ? onnx_read_model(pool, bytes, len) : NULL;
    for (int32_t i = 0, k = 0; m && i < m->graph->n_inputs && index < 0; i++) {
        const char *in = m->graph->inputs[i].name;
        int is_init = 0;
        for (int32_t j = 0; j < m->graph->n_initializers; j++) is_init |= !strcmp(m->graph->initializers[j].name, in);
        if (is_init) continue;
        if (!strcmp(in, name)) index = k;
        k++;
    }
    er_pool_free(pool);
    free(bytes);
    return index;
}

static int run_test_dir(const char *dir, double rtol, double atol)
{
    const er_model_info *m = &er_model;
    char path[4096], err[1024] = "";
    int sets = 0, status = 0;
    DIR *d = opendir(dir);
    if (!d) {
        printf("ERROR %s: cannot open\n", dir);
        return 2;
    }
    /* Data sets in name order, for stable messages. */
    char names[64][256];
    int n_names = 0;
    for (struct dirent *e; (e = readdir(d)) && n_names < 64;)
        if (!strncmp(e->d_name, "test_data_set_", 14) && strlen(e->d_name) < sizeof names[0])
            strcpy(names[n_names++], e->d_name);
    closedir(d);
    qsort(names, (size_t)n_names, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    for (int s = 0; s < n_names && !status; s++) {
        er_pool *pool = er_pool_new();
        for (int32_t i = 0; i < m->n_inputs && !status; i++) {
            int file = input_file_index(dir, m->inputs[i].name);
            snprintf(path, sizeof path, "%.3000s/%.200s/input_%d.pb", dir, names[s], file);
            void *data = load_pb(pool, path, &m->inputs[i], "input", err, sizeof err);
            if (!data) status = 2;
            else memcpy(m->inputs[i].data, data, m->inputs[i].bytes);
        }
        if (!status) er_model_run();
        for (int32_t i = 0; i < m->n_outputs && !status; i++) {
            snprintf(path, sizeof path, "%.3000s/%.200s/output_%d.pb", dir, names[s], i);
            void *want = load_pb(pool, path, &m->outputs[i], "output", err, sizeof err);
            if (!want) {
                status = 2;
                break;
            }
            long at = mismatch(&m->outputs[i], m->outputs[i].data, want, rtol, atol);
            if (at >= 0) {
                snprintf(err, sizeof err, "%.200s output %d '%.200s' [%ld]: got %.9g, expected %.9g", names[s], i,
                         m->outputs[i].name, at, element(m->outputs[i].data, m->outputs[i].dtype, (size_t)at),
                         element(want, m->outputs[i].dtype, (size_t)at));
                status = 1;
            }
        }
        er_pool_free(pool);
        sets++;
    }
    if (!n_names) {
        snprintf(err, sizeof err, "no test_data_set_* in %s", dir);
        status = 2;
    }
    if (status) printf("%s %s: %s\n", status == 1 ? "FAIL" : "ERROR", dir, err);
    else printf("PASS %s (%d data sets)\n", dir, sets);
    return status;
}

static int run_io_dir(const char *dir)
{
    const er_model_info *m = &er_model;
    char path[4096];
    for (int32_t i = 0; i < m->n_inputs; i++) {
        size_t len;
        snprintf(path, sizeof path, "%s/input_%d.bin", dir, i);
        unsigned char *data = slurp(path, &len);
        if (!data || len != m->inputs[i].bytes) {
            printf("ERROR %s: needs %zu bytes for input '%s'\n", path, m->inputs[i].bytes, m->inputs[i].name);
            free(data);
            return 2;
        }
        memcpy(m->inputs[i].data, data, len);
        free(data);
    }
    er_model_run();
    for (int32_t i = 0; i < m->n_outputs; i++) {
        snprintf(path, sizeof path, "%s/output_%d.bin", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(m->outputs[i].data, 1, m->outputs[i].bytes, f) != m->outputs[i].bytes) {
            printf("ERROR cannot write %s\n", path);
            if (f) fclose(f);
            return 2;
        }
        fclose(f);
    }
    printf("OK %s\n", dir);
    return 0;
}

static void describe_io(const er_model_io *io, int32_t n)
{
    printf("[");
    for (int32_t i = 0; i < n; i++) {
        printf("%s{\"name\":\"", i ? "," : "");
        for (const char *c = io[i].name; *c; c++) printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
        printf("\",\"dtype\":\"%s\",\"dims\":[", er_dtype_name(io[i].dtype));
        for (int32_t k = 0; k < io[i].rank; k++) printf("%s%lld", k ? "," : "", (long long)io[i].dims[k]);
        printf("],\"bytes\":%zu}", io[i].bytes);
    }
    printf("]");
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--describe")) {
        printf("{\"inputs\":");
        describe_io(er_model.inputs, er_model.n_inputs);
        printf(",\"outputs\":");
        describe_io(er_model.outputs, er_model.n_outputs);
        printf("}\n");
        return 0;
    }
    double rtol = 1e-3, atol = 1e-5;
    const char *dir = NULL;
    int io = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rtol") && i + 1 < argc) rtol = atof(argv[++i]);
        else if (!strcmp(argv[i], "--atol") && i + 1 < argc) atol = atof(argv[++i]);
        else if (!strcmp(argv[i], "--io")) io = 1;
        else dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "usage: %s TEST_DIR [--rtol R] [--atol A] | --io DIR\n", argv[0]);
        return 2;
    }
    return io ? run_io_dir(dir) : run_test_dir(dir, rtol, atol);
}
