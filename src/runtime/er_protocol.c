/* er_protocol.c - one JSON request in, one JSON response out (edgerun.h).

   A request is checked completely before it costs anything: unknown or
   duplicate fields, wrong types and contradictions with the model's input
   are reported by name, so a typo ("nrom") fails loudly instead of being
   silently ignored. Memory is released as soon as each stage is done (the
   request's copy of the base64 text before the pixels are decoded), and
   everything a request allocated is freed before it returns, whatever
   happened: a warm module does not grow. */
#include "er_protocol.h"
#include "er_kernels.h"
#include "er_model.h"

#include "cJSON.h"

#include <math.h>
#include <string.h>

static uint32_t max_pixels = ER_DEFAULT_MAX_PIXELS;

uint32_t er_runtime_set_max_pixels(uint32_t limit)
{
    uint32_t previous = max_pixels;
    if (limit) max_pixels = limit;
    er_info_update_limit();
    return previous;
}

uint32_t er_runtime_max_pixels(void)
{
    return max_pixels;
}

/* ---- reading the request ------------------------------------------------- */

/* The nesting depth and object members of JSON text, counted before cJSON
   builds anything: a request of 64 MiB of '[' or of tiny members would
   otherwise cost recursion (cJSON's own nesting limit, 1000, says only
   "invalid JSON") or tens of bytes of tree per byte of text. Brackets and
   colons inside strings do not count; the text need not be valid (cJSON
   judges that next), so a stray ']' only lowers the depth. */
static er_code check_json_limits(const char *text, size_t len, er_error *err)
{
    size_t depth = 0, fields = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') i++;
            else if (c == '"') in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > ER_MAX_JSON_DEPTH)
                return er_fail(err, ER_E_LIMIT, "the request nests arrays and objects more than %d deep at offset "
                               "%zu, over the limit json_depth = %d", ER_MAX_JSON_DEPTH, i, ER_MAX_JSON_DEPTH);
        } else if (c == ']' || c == '}') {
            if (depth) depth--;
        } else if (c == ':') {
            if (++fields > ER_MAX_JSON_FIELDS)
                return er_fail(err, ER_E_LIMIT, "the request has more than %d object fields (at offset %zu), over "
                               "the limit json_fields = %d", ER_MAX_JSON_FIELDS, i, ER_MAX_JSON_FIELDS);
        }
    }
    return ER_OK;
}

static er_code parse_json(const char *text, size_t len, cJSON **root, er_error *err)
{
    *root = NULL;
    if (!text || len == 0) return er_fail(err, ER_E_JSON, "the request is empty");
    if (len > ER_MAX_REQUEST_BYTES)
        return er_fail(err, ER_E_LIMIT, "the request is %zu bytes, over the limit request_bytes = %zu", len,
                       ER_MAX_REQUEST_BYTES);
    /* cJSON would cut strings at a NUL; JSON text has no business holding one. */
    const char *nul = memchr(text, 0, len);
    if (nul) return er_fail(err, ER_E_JSON, "NUL byte at offset %zu", (size_t)(nul - text));
    er_code rc = check_json_limits(text, len, err);
    if (rc != ER_OK) return rc;
    /* cJSON allocates through er_mem_*, and fails the same way for a
       failed allocation as for bad syntax: the failure count tells them apart. */
    size_t failures = er_mem_failures();
    const char *end = NULL;
    *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!*root) {
        if (er_mem_failures() != failures) return er_fail(err, ER_E_MEMORY, "out of memory while parsing the request");
        return er_fail(err, ER_E_JSON, "invalid JSON at offset %zu", end ? (size_t)(end - text) : (size_t)0);
    }
    size_t at = (size_t)(end - text);
    while (at < len && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) at++;
    if (at < len) {
        cJSON_Delete(*root);
        *root = NULL;
        return er_fail(err, ER_E_JSON, "unexpected text after the JSON value at offset %zu", at);
    }
    return ER_OK;
}

/* The image-only fields are F_NORM..F_EXIF. */
enum { F_TYPE, F_INPUT, F_NORM, F_WIDTH, F_HEIGHT, F_CHANNELS, F_CROP, F_EXIF, F_TOP, F_COUNT };
static const char *const field_names[F_COUNT] = {
    "type", "input", "norm", "width", "height", "channels", "crop", "exif", "top"};

typedef struct request {
    int is_tensor;
    const cJSON *field[F_COUNT]; /* NULL when absent */
} request;

static er_code read_fields(const cJSON *root, request *r, er_error *err)
{
    memset(r, 0, sizeof *r);
    if (!cJSON_IsObject(root)) return er_fail(err, ER_E_FIELD, "the request must be a JSON object");
    for (const cJSON *f = root->child; f; f = f->next) {
        int i = 0;
        while (i < F_COUNT && strcmp(f->string, field_names[i]) != 0) i++;
        if (i == F_COUNT) return er_fail(err, ER_E_FIELD, "unknown field \"%s\"", f->string);
        if (r->field[i]) return er_fail(err, ER_E_FIELD, "duplicate field \"%s\"", f->string);
        r->field[i] = f;
    }
    const cJSON *type = r->field[F_TYPE];
    if (type) {
        if (!cJSON_IsString(type) || (strcmp(type->valuestring, "image") && strcmp(type->valuestring, "tensor")))
            return er_fail(err, ER_E_FIELD, "\"type\" must be \"image\" or \"tensor\"");
        r->is_tensor = strcmp(type->valuestring, "tensor") == 0;
    }
    if (!r->field[F_INPUT]) return er_fail(err, ER_E_FIELD, "\"input\" is missing");
    if (r->is_tensor)
        for (int i = F_NORM; i <= F_EXIF; i++)
            if (r->field[i])
                return er_fail(err, ER_E_FIELD, "\"%s\" applies to image requests only", field_names[i]);
    return ER_OK;
}

/* An integral JSON number in [lo, hi]. */
static int get_int(const cJSON *item, double lo, double hi, int64_t *v)
{
    if (!cJSON_IsNumber(item)) return 0;
    double d = item->valuedouble;
    if (!(d >= lo && d <= hi) || d != floor(d)) return 0;
    *v = (int64_t)d;
    return 1;
}

/* "[1,3,32,32]" into out; 200 bytes hold any shape of rank <= ER_MODEL_MAX_RANK. */
static const char *dims_text(const er_model_io *io, char *out, size_t cap)
{
    size_t n = 0;
    out[n++] = '[';
    for (int32_t d = 0; d < io->rank && d < ER_MODEL_MAX_RANK; d++) {
        char num[24];
        size_t len = er_format_uint(num, io->dims[d] < 0 ? 0 : (uint64_t)io->dims[d]);
        if (n + len + 3 >= cap) break;
        if (d) out[n++] = ',';
        memcpy(out + n, num, len);
        n += len;
    }
    out[n++] = ']';
    out[n] = '\0';
    return out;
}

/* An optional width/height/channels must restate the model's own value. */
static er_code check_dim(const cJSON *item, const char *name, int32_t model_value, er_error *err)
{
    int64_t v;
    if (!item) return ER_OK;
    if (!get_int(item, 1, INT32_MAX, &v)) return er_fail(err, ER_E_FIELD, "\"%s\" must be a positive integer", name);
    if (v != model_value)
        return er_fail(err, ER_E_SHAPE, "%s %lld contradicts the model's input %s %d", name, (long long)v, name,
                       (int)model_value);
    return ER_OK;
}

/* An optional true/false field, default `absent`. */
static er_code get_bool(const request *r, int field, int absent, int32_t *v, er_error *err)
{
    const cJSON *item = r->field[field];
    if (item && !cJSON_IsBool(item))
        return er_fail(err, ER_E_FIELD, "\"%s\" must be true or false", field_names[field]);
    *v = item ? cJSON_IsTrue(item) : absent;
    return ER_OK;
}

/* The prepare spec of an image request, and whether to apply EXIF orientation. */
static er_code image_spec(const request *r, er_prepare_spec *spec, int32_t *exif, er_error *err)
{
    er_image_input in;
    char dims[200];
    if (er_model.n_inputs < 1) return er_fail(err, ER_E_SHAPE, "this model has no inputs");
    if (!er_model_image_input(&in))
        return er_fail(err, ER_E_SHAPE, "this model takes no image (input \"%s\" is %s, %d input(s)); "
                       "send {\"type\":\"tensor\"}", er_model.inputs[0].name,
                       dims_text(&er_model.inputs[0], dims, sizeof dims), (int)er_model.n_inputs);
    if (!cJSON_IsString(r->field[F_INPUT]))
        return er_fail(err, ER_E_FIELD, "\"input\" must be a base64 string for an image request");
    er_code rc;
    if ((rc = check_dim(r->field[F_WIDTH], "width", in.width, err)) != ER_OK) return rc;
    if ((rc = check_dim(r->field[F_HEIGHT], "height", in.height, err)) != ER_OK) return rc;
    if ((rc = check_dim(r->field[F_CHANNELS], "channels", in.channels, err)) != ER_OK) return rc;
    spec->width = in.width;
    spec->height = in.height;
    spec->channels = in.channels;
    if ((rc = get_bool(r, F_CROP, 0, &spec->crop, err)) != ER_OK) return rc;
    if ((rc = get_bool(r, F_EXIF, 1, exif, err)) != ER_OK) return rc;

    static const float identity[6] = {0, 1, 0, 1, 0, 1};
    memcpy(spec->norm, er_model.has_norm ? er_model.norm : identity, sizeof spec->norm);
    const cJSON *norm = r->field[F_NORM];
    if (norm) {
        if (!cJSON_IsArray(norm) || cJSON_GetArraySize(norm) != 6)
            return er_fail(err, ER_E_FIELD,
                           "\"norm\" must be an array of 6 numbers [mean_R,std_R,mean_G,std_G,mean_B,std_B]");
        int i = 0;
        for (const cJSON *v = norm->child; v; v = v->next, i++) {
            double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
            float f = (float)d;
            if (!isfinite(f) || (i % 2 && f == 0.0f))
                return er_fail(err, ER_E_FIELD, "norm[%d] (%s) must be a finite%s float32 number", i,
                               i % 2 ? "a std" : "a mean", i % 2 ? ", non-zero" : "");
            spec->norm[i] = f;
        }
    }
    return ER_OK;
}

static er_code read_top(const request *r, int32_t *top, er_error *err)
{
    int32_t k = er_model_classes();
    *top = k < 3 ? k : 3;
    const cJSON *item = r->field[F_TOP];
    if (!item || k == 0) return ER_OK; /* only classifiers have a top list */
    int64_t v;
    if (!get_int(item, 0, k, &v)) return er_fail(err, ER_E_FIELD, "\"top\" must be an integer from 0 to %d", (int)k);
    *top = (int32_t)v;
    return ER_OK;
}

/* ---- tensor requests ----------------------------------------------------- */

/* Store one JSON value as an element of dtype; NULL, or what is wrong with it. */
static const char *store_value(int32_t dtype, void *dst, const cJSON *item)
{
    if (dtype == ER_DTYPE_BOOL) {
        double d = cJSON_IsNumber(item) ? item->valuedouble : NAN;
        if (!cJSON_IsBool(item) && d != 0.0 && d != 1.0) return "is not true, false, 0 or 1";
        *(uint8_t *)dst = cJSON_IsTrue(item) || d == 1.0;
        return NULL;
    }
    if (!cJSON_IsNumber(item)) return "is not a number";
    double d = item->valuedouble;
    if (!isfinite(d)) return "is not a finite number";
    if (dtype == ER_DTYPE_FLOAT) {
        float f = (float)d;
        if (!isfinite(f)) return "is out of range for float32";
        memcpy(dst, &f, sizeof f);
        return NULL;
    }
    if (dtype == ER_DTYPE_DOUBLE) {
        memcpy(dst, &d, sizeof d);
        return NULL;
    }
    if (d != floor(d)) return "is not an integer";
    switch (dtype) {
#define ER_STORE_INT(CODE, T, LO, HI) \
    case CODE: { \
        if (!(d >= (LO) && d <= (HI))) return "is out of range for " #T; \
        T v = (T)d; \
        memcpy(dst, &v, sizeof v); \
        return NULL; \
    }
        ER_STORE_INT(ER_DTYPE_INT8, int8_t, INT8_MIN, INT8_MAX)
        ER_STORE_INT(ER_DTYPE_INT16, int16_t, INT16_MIN, INT16_MAX)
        ER_STORE_INT(ER_DTYPE_INT32, int32_t, INT32_MIN, INT32_MAX)
        ER_STORE_INT(ER_DTYPE_UINT8, uint8_t, 0, UINT8_MAX)
        ER_STORE_INT(ER_DTYPE_UINT16, uint16_t, 0, UINT16_MAX)
        ER_STORE_INT(ER_DTYPE_UINT32, uint32_t, 0, UINT32_MAX)
        /* 2^63 and 2^64 are exact doubles; the largest doubles below them fit. */
        ER_STORE_INT(ER_DTYPE_INT64, int64_t, -9223372036854775808.0, 9223372036854774784.0)
        ER_STORE_INT(ER_DTYPE_UINT64, uint64_t, 0, 18446744073709549568.0)
#undef ER_STORE_INT
    default: return "cannot be stored: the input's dtype is not supported";
    }
}

static er_code fill_input(const er_model_io *io, const cJSON *array, const char *label, er_error *err)
{
    char dims[200];
    if (!cJSON_IsArray(array)) return er_fail(err, ER_E_FIELD, "%s must be an array of numbers", label);
    size_t count = 0;
    for (const cJSON *v = array->child; v; v = v->next) count++;
    if (count != io->count)
        return er_fail(err, ER_E_SHAPE, "%s has %zu numbers; the model's input \"%s\" %s takes %zu", label, count,
                       io->name, dims_text(io, dims, sizeof dims), io->count);
    size_t size = er_dtype_size(io->dtype);
    if (!size) return er_fail(err, ER_E_SHAPE, "the model's input \"%s\" has dtype %d, which requests cannot fill",
                              io->name, (int)io->dtype);
    size_t i = 0;
    for (const cJSON *v = array->child; v; v = v->next, i++) {
        const char *problem = store_value(io->dtype, (char *)io->data + i * size, v);
        if (problem) return er_fail(err, ER_E_FIELD, "%s[%zu] %s", label, i, problem);
    }
    return ER_OK;
}

/* "input": an array for a model with one input, or {"name": array, ...}. */
static er_code fill_inputs(const cJSON *input, er_error *err)
{
    if (cJSON_IsArray(input)) {
        if (er_model.n_inputs != 1)
            return er_fail(err, ER_E_FIELD, "this model has %d inputs: send \"input\" as an object of arrays by "
                           "input name", (int)er_model.n_inputs);
        return fill_input(&er_model.inputs[0], input, "input", err);
    }
    if (!cJSON_IsObject(input))
        return er_fail(err, ER_E_FIELD,
                       "\"input\" must be an array of numbers, or an object of arrays by input name");
    size_t children = 0;
    for (const cJSON *f = input->child; f; f = f->next, children++) {
        int32_t i = 0;
        while (i < er_model.n_inputs && strcmp(er_model.inputs[i].name, f->string) != 0) i++;
        if (i == er_model.n_inputs) return er_fail(err, ER_E_FIELD, "the model has no input \"%s\"", f->string);
    }
    /* Every name is an input's, so more names than inputs means a repeat,
       and one turns up within the first n_inputs + 1 names. */
    if (children > (size_t)er_model.n_inputs)
        for (const cJSON *f = input->child; f; f = f->next)
            for (const cJSON *g = input->child; g != f; g = g->next)
                if (strcmp(g->string, f->string) == 0)
                    return er_fail(err, ER_E_FIELD, "duplicate input \"%s\"", f->string);
    for (int32_t i = 0; i < er_model.n_inputs; i++) {
        const er_model_io *io = &er_model.inputs[i];
        const cJSON *array = cJSON_GetObjectItemCaseSensitive(input, io->name);
        if (!array) return er_fail(err, ER_E_FIELD, "input \"%s\" is missing", io->name);
        char label[96] = "input.";
        strncat(label, io->name, sizeof label - 7);
        er_code rc = fill_input(io, array, label, err);
        if (rc != ER_OK) return rc;
    }
    return ER_OK;
}

/* ---- running ------------------------------------------------------------- */

char *er_runtime_run(const char *text, size_t len)
{
    er_error err;
    er_timings ms = {0, 0, 0};
    request r;
    cJSON *root = NULL;
    uint8_t *bytes = NULL;
    size_t n_bytes = 0;
    int32_t top;
    er_code rc;
    char *response;
    double t = er_now_ms(), now;
    memset(&err, 0, sizeof err);
    /* cJSON's hooks are process-wide: set on every request, before anything
       that may allocate or free a cJSON node, so no earlier caller of
       cJSON_InitHooks (another library in a native program) decides where
       this request's memory comes from. */
    cJSON_Hooks hooks = {er_mem_alloc, er_mem_free};
    cJSON_InitHooks(&hooks);

    if ((rc = parse_json(text, len, &root, &err)) != ER_OK) goto fail;
    if ((rc = read_fields(root, &r, &err)) != ER_OK) goto fail;
    if ((rc = read_top(&r, &top, &err)) != ER_OK) goto fail;
    if (r.is_tensor) {
        now = er_now_ms();
        ms.decode = now - t;
        t = now;
        if ((rc = fill_inputs(r.field[F_INPUT], &err)) != ER_OK) goto fail;
    } else {
        er_prepare_spec spec;
        int32_t exif;
        if ((rc = image_spec(&r, &spec, &exif, &err)) != ER_OK) goto fail;
        const char *b64 = r.field[F_INPUT]->valuestring;
        if ((rc = er_base64_decode(b64, strlen(b64), &bytes, &n_bytes, &err)) != ER_OK) goto fail;
        cJSON_Delete(root); /* the text's copy goes before the pixels come */
        root = NULL;
        /* Decoding and preparing interleave for a large JPEG (its rows are
           area-averaged as they are decoded): the time spent preparing is
           measured inside, the rest is decoding. */
        double prepare_ms = 0;
        rc = er_image_decode_prepare(bytes, n_bytes, max_pixels, exif, &spec, (float *)er_model.inputs[0].data,
                                     &prepare_ms, &err);
        if (rc != ER_OK) goto fail;
        er_mem_free(bytes);
        bytes = NULL;
        now = er_now_ms();
        ms.decode = now - t - prepare_ms;
        ms.prepare = prepare_ms;
        t = now;
    }
    cJSON_Delete(root);
    root = NULL;
    now = er_now_ms();
    if (r.is_tensor) ms.prepare = now - t; /* storing the numbers */
    t = now;
    er_model_run();
    ms.infer = er_now_ms() - t;
    if ((response = er_response_outputs(&ms, top))) return response;
    er_fail(&err, ER_E_MEMORY, "out of memory for the response");
fail:
    cJSON_Delete(root);
    er_mem_free(bytes);
    return er_response_error(&err);
}

char *er_runtime_run_tensors(void)
{
    double t = er_now_ms();
    er_model_run();
    return er_response_infer_time(er_now_ms() - t);
}
