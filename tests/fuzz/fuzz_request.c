/* fuzz_request.c - libFuzzer target 1: the whole request path of a module.

   The input is the request as the shim would pass it to er_run: bytes ->
   JSON -> base64 -> image decode -> prepare -> resnet20 -> response JSON,
   through the module's own exports (edgerun.h), so the last response's
   lifetime is covered too. An input starting with the byte 0x01 is instead
   an image file, sent as {"input":"<base64>"} with options from its second
   byte, so that mutations of image bytes reach the model.

   Invariants: er_run never returns NULL; the response is a JSON object, an
   error with a known code or the classifier's answer; after each request
   the module holds exactly one block (the response) beyond what it held
   before the first; a valid answer has 10 finite probabilities. */
#include "edgerun.h"
#include "er_runtime.h"
#include "fuzz_util.h"

#include "cJSON.h"

static size_t baseline = (size_t)-1;

static char *image_request(const uint8_t *data, size_t size, size_t *len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char *const options[8] = {"", ",\"crop\":true", ",\"exif\":false", ",\"top\":10",
                                           ",\"crop\":true,\"exif\":false",
                                           ",\"norm\":[0.5,0.25,0.5,0.25,0.5,0.25]", ",\"channels\":3",
                                           ",\"type\":\"image\",\"width\":32,\"height\":32"};
    const char *opt = options[size ? data[0] % 8 : 0];
    if (size) data++, size--;
    char *out = malloc((size + 2) / 3 * 4 + strlen(opt) + 32), *o = out;
    o += sprintf(o, "{\"input\":\"");
    for (size_t i = 0; i < size; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < size) v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < size) v |= data[i + 2];
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < size ? abc[v >> 6 & 63] : '=';
        *o++ = i + 2 < size ? abc[v & 63] : '=';
    }
    o += sprintf(o, "\"%s}", opt);
    *len = (size_t)(o - out);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (baseline == (size_t)-1) {
        er_info();
        er_run("{}", 2); /* the model description and a first response exist from here on */
        baseline = er_mem_live_blocks();
    }
    char *wrapped = NULL;
    const char *request = (const char *)data;
    size_t len = size;
    if (size && data[0] == 0x01) request = wrapped = image_request(data + 1, size - 1, &len);
    const char *response = er_run(request, len);
    free(wrapped);
    FUZZ_REQUIRE(response != NULL, "er_run returned NULL");
    FUZZ_REQUIRE(er_mem_live_blocks() == baseline, "%zu blocks live after a request, %zu before",
                 er_mem_live_blocks(), baseline);
    cJSON_Hooks hooks = {malloc, free};
    cJSON_InitHooks(&hooks);
    cJSON *r = cJSON_Parse(response);
    FUZZ_REQUIRE(r && cJSON_IsObject(r), "the response is not a JSON object: %.200s", response);
    if (fuzz_is_error(response)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
        const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
        const char *message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
        int known = 0;
        for (int c = ER_OK + 1; c < ER_CODE_COUNT; c++) known |= code && !strcmp(code, er_code_name((er_code)c));
        FUZZ_REQUIRE(known && message && *message, "bad error object: %.200s", response);
    } else {
        const cJSON *output = cJSON_GetObjectItemCaseSensitive(r, "output");
        FUZZ_REQUIRE(cJSON_GetArraySize(output) == 10, "no 10 outputs: %.200s", response);
        /* A huge norm can make the logits infinite, and then the softmax
           NaN, which JSON writes as null (edgerun.h); otherwise they are
           probabilities that add up to 1. */
        double sum = 0;
        int nulls = 0;
        for (const cJSON *v = output->child; v; v = v->next) {
            nulls += cJSON_IsNull(v);
            FUZZ_REQUIRE(cJSON_IsNull(v) || (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1),
                         "bad probability: %.200s", response);
            if (cJSON_IsNumber(v)) sum += v->valuedouble;
        }
        FUZZ_REQUIRE(nulls || (sum > 0.99 && sum < 1.01), "probabilities sum to %g", sum);
    }
    cJSON_Delete(r);
    return 0;
}
