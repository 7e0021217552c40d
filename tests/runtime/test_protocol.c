/* test_protocol.c - er_runtime_run and the exports with the classifier fixture.

   The fixture's logit k is (k + 1) * mean of prepared channel k % 3, so for a
   uniform image the expected logits follow from the normalisation alone. */
#include "edgerun.h"
#include "er_model.h"
#include "er_runtime.h"
#include "er_test.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const float cifar_norm[6] = {0.485f, 0.229f, 0.456f, 0.224f, 0.406f, 0.225f};

/* A request for a width x height image of one colour, as PNG. */
static char *uniform_request(int width, int height, const uint8_t rgb[3], const char *extra)
{
    size_t n = (size_t)width * height, len;
    uint8_t *px = malloc(n * 3);
    for (size_t i = 0; i < n; i++) memcpy(px + 3 * i, rgb, 3);
    uint8_t *png = test_png(width, height, 3, px, &len);
    char *request = test_image_request(png, len, extra);
    free(px);
    test_free(png);
    return request;
}

/* The fixture's logits for a uniform image, normalised with norm. */
static void expected_logits(const uint8_t rgb[3], const float norm[6], float logits[10])
{
    for (int k = 0; k < 10; k++) {
        int c = k % 3;
        float v = ((float)rgb[c] / 255.0f - norm[2 * c]) / norm[2 * c + 1];
        logits[k] = (float)((k + 1) * (double)v);
    }
}

static const cJSON *get(const cJSON *o, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* Run, check it left nothing allocated, and check the error code. */
#define RUN_REQUEST(var, request, code) \
    cJSON *var; \
    do { \
        long leaked_; \
        var = test_run(request, &leaked_); \
        CHECK_INT(leaked_, 0); \
        CHECK_STR(test_error_code(var), code); \
    } while (0)

static const uint8_t teal[3] = {20, 180, 170};

/* A valid request gives the right answer: run after each error. */
static int still_works(void)
{
    char *request = uniform_request(32, 32, teal, "");
    cJSON *r = test_run(request, NULL);
    float want[10];
    expected_logits(teal, cifar_norm, want);
    const cJSON *logits = get(r, "logits");
    int ok = cJSON_GetArraySize(logits) == 10;
    for (int k = 0; ok && k < 10; k++) ok = (float)cJSON_GetArrayItem(logits, k)->valuedouble == want[k];
    cJSON_Delete(r);
    free(request);
    return ok;
}

static const char *error_of(const char *request, const char *code)
{
    return test_error_of(request, code, still_works);
}

static void info_should_describe_the_model(void)
{
    cJSON_Hooks hooks = {malloc, free};
    const char *text = er_runtime_info();
    CHECK(text != NULL);
    cJSON_InitHooks(&hooks);
    cJSON *info = cJSON_Parse(text);
    CHECK(info != NULL);
    CHECK_STR(get(info, "name")->valuestring, "fixture-classifier");
    CHECK_INT(get(info, "abi")->valueint, 1);
    const cJSON *input = cJSON_GetArrayItem(get(info, "inputs"), 0);
    CHECK_STR(get(input, "name")->valuestring, "input");
    CHECK_STR(get(input, "dtype")->valuestring, "float32");
    CHECK_INT(cJSON_GetArrayItem(get(input, "dims"), 3)->valueint, 32);
    CHECK_INT(get(input, "bytes")->valueint, 12288);
    CHECK_INT(cJSON_GetArraySize(get(info, "labels")), 10);
    CHECK_STR(cJSON_GetArrayItem(get(info, "labels"), 3)->valuestring, "cat");
    CHECK((float)cJSON_GetArrayItem(get(info, "norm"), 5)->valuedouble == 0.225f);
    CHECK_INT(get(get(info, "image"), "width")->valueint, 32);
    CHECK_INT(get(get(info, "image"), "channels")->valueint, 3);
    CHECK_INT(get(info, "max_pixels")->valuedouble, 50000000);
    cJSON_Delete(info);
    /* The limit follows er_set_max_pixels, at the same address. */
    CHECK_INT(er_runtime_set_max_pixels(7), 50000000);
    CHECK(er_runtime_info() == text);
    CHECK(strstr(text, "\"max_pixels\":7}") != NULL);
    CHECK_INT(er_runtime_set_max_pixels(50000000), 7);
    CHECK(strstr(text, "\"max_pixels\":50000000}") != NULL);
}

static void image_request_should_classify_with_the_models_defaults(void)
{
    char *request = uniform_request(32, 32, teal, "");
    RUN_REQUEST(r, request, "OK");
    free(request);
    float want[10];
    expected_logits(teal, cifar_norm, want);
    const cJSON *logits = get(r, "logits"), *output = get(r, "output"), *top = get(r, "top");
    CHECK_INT(cJSON_GetArraySize(logits), 10);
    double sum = 0.0, max = -INFINITY;
    for (int k = 0; k < 10; k++) {
        CHECK((float)cJSON_GetArrayItem(logits, k)->valuedouble == want[k]);
        if (want[k] > max) max = want[k];
    }
    double denominator = 0.0;
    for (int k = 0; k < 10; k++) denominator += exp(want[k] - max);
    for (int k = 0; k < 10; k++) {
        double p = cJSON_GetArrayItem(output, k)->valuedouble;
        CHECK(fabs(p - exp(want[k] - max) / denominator) < 1e-7);
        sum += p;
    }
    CHECK(fabs(sum - 1.0) < 1e-6);
    CHECK_INT(cJSON_GetArraySize(top), 3);
    CHECK_INT(cJSON_GetArraySize(get(r, "labels")), 10);
    for (int i = 0; i < 3; i++) {
        const cJSON *entry = cJSON_GetArrayItem(top, i);
        int index = get(entry, "index")->valueint;
        CHECK_STR(get(entry, "label")->valuestring, er_model.labels[index]);
        CHECK(get(entry, "prob")->valuedouble == cJSON_GetArrayItem(output, index)->valuedouble);
        for (int k = 0; k < 10; k++) /* nothing outside the top list is more probable */
            if (i == 2 && want[k] > want[index]) {
                int listed = 0;
                for (int j = 0; j < 3; j++) listed |= get(cJSON_GetArrayItem(top, j), "index")->valueint == k;
                CHECK(listed);
            }
    }
    const cJSON *ms = get(r, "ms");
    CHECK(cJSON_IsNumber(get(ms, "decode")) && get(ms, "decode")->valuedouble >= 0);
    CHECK(cJSON_IsNumber(get(ms, "prepare")) && cJSON_IsNumber(get(ms, "infer")));
    cJSON_Delete(r);
}

static void image_request_should_honour_norm_crop_and_a_data_url(void)
{
    /* 48 x 32: a teal 32 x 32 centre between red bands of 8 pixels. */
    uint8_t *px = malloc(48 * 32 * 3);
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 48; x++) {
            static const uint8_t red[3] = {255, 0, 0};
            memcpy(px + (y * 48 + x) * 3, x >= 8 && x < 40 ? teal : red, 3);
        }
    size_t len;
    uint8_t *png = test_png(48, 32, 3, px, &len);
    char *b64 = test_base64_encode(png, len);
    char *request = malloc(strlen(b64) + 200);
    sprintf(request, "{\"type\":\"image\",\"input\":\"data:image/png;base64,%s\",\"crop\":true,"
                     "\"norm\":[0,1,0,1,0,1],\"width\":32,\"height\":32,\"channels\":3,\"top\":10}", b64);
    RUN_REQUEST(r, request, "OK");
    free(px);
    test_free(png);
    test_free(b64);
    free(request);
    const float identity[6] = {0, 1, 0, 1, 0, 1};
    float want[10];
    expected_logits(teal, identity, want);
    for (int k = 0; k < 10; k++) CHECK((float)cJSON_GetArrayItem(get(r, "logits"), k)->valuedouble == want[k]);
    const cJSON *top = get(r, "top");
    CHECK_INT(cJSON_GetArraySize(top), 10);
    for (int i = 1; i < 10; i++)
        CHECK(get(cJSON_GetArrayItem(top, i - 1), "prob")->valuedouble >=
              get(cJSON_GetArrayItem(top, i), "prob")->valuedouble);
    cJSON_Delete(r);
}

/* The logits of a request that must succeed; 0 when it did not. */
static int logits_of(const char *request, float logits[10])
{
    long leaked;
    cJSON *r = test_run(request, &leaked);
    const cJSON *l = get(r, "logits");
    int ok = leaked == 0 && cJSON_GetArraySize(l) == 10;
    for (int k = 0; ok && k < 10; k++) logits[k] = (float)cJSON_GetArrayItem(l, k)->valuedouble;
    cJSON_Delete(r);
    return ok;
}

/* The logits of width x height grey pixels sent as an RGB PNG, cropped. */
static int png_logits(int width, int height, const uint8_t *grey, float logits[10])
{
    uint8_t *rgb = malloc((size_t)width * height * 3);
    for (int i = 0; i < width * height * 3; i++) rgb[i] = grey[i / 3];
    size_t len;
    uint8_t *png = test_png(width, height, 3, rgb, &len);
    char *request = test_image_request(png, len, ",\"crop\":true");
    int ok = logits_of(request, logits);
    free(rgb);
    test_free(png);
    free(request);
    return ok;
}

static void image_request_should_see_a_jpeg_upright_unless_exif_is_false(void)
{
    /* Stored 25 x 8 in flat blocks of 8 columns (the last one column wide),
       with orientation 8 (turn anticlockwise): upright it is 8 x 25, row y
       being stored column 24 - y. The centred crops differ by one column:
       stored columns 8..15 as stored, 9..16 upright (the offset (25 - 8) / 2
       rounds down on the upright axis), so the two answers differ. Each
       must be, exactly, that of a PNG of the same pixels. */
    static const uint8_t levels[4] = {40, 120, 200, 250};
    uint8_t stored[25 * 8], upright[8 * 25], tiff[TEST_TIFF_LEN];
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 25; x++) stored[y * 25 + x] = upright[(24 - x) * 8 + y] = levels[x / 8];
    float want_stored[10], want_upright[10], got[10];
    CHECK(png_logits(25, 8, stored, want_stored));
    CHECK(png_logits(8, 25, upright, want_upright));
    CHECK(memcmp(want_stored, want_upright, sizeof got) != 0);

    size_t n, len;
    uint8_t *plain = test_jpeg(25, 8, levels, &n);
    test_tiff(tiff, 1, 8);
    uint8_t *jpeg = test_with_exif(plain, n, tiff, sizeof tiff, &len);
    static const struct {
        const char *extra;
        int upright;
    } cases[] = {{",\"crop\":true", 1}, {",\"crop\":true,\"exif\":true", 1}, {",\"crop\":true,\"exif\":false", 0}};
    for (int i = 0; i < 3; i++) {
        char *request = test_image_request(jpeg, len, cases[i].extra);
        int ok = logits_of(request, got);
        free(request);
        CHECK(ok);
        CHECK(memcmp(got, cases[i].upright ? want_upright : want_stored, sizeof got) == 0);
    }
    test_free(plain);
    test_free(jpeg);
}

static void top_should_take_any_count_from_zero_to_the_classes(void)
{
    char *request = uniform_request(8, 8, teal, ",\"top\":0");
    RUN_REQUEST(r, request, "OK");
    CHECK_INT(cJSON_GetArraySize(get(r, "top")), 0);
    cJSON_Delete(r);
    free(request);
    request = uniform_request(8, 8, teal, ",\"top\":11");
    CHECK_STR(error_of(request, "E_FIELD"), "\"top\" must be an integer from 0 to 10");
    free(request);
    request = uniform_request(8, 8, teal, ",\"top\":2.5");
    CHECK_STR(error_of(request, "E_FIELD"), "\"top\" must be an integer from 0 to 10");
    free(request);
}

static void softmax_should_stay_finite_for_huge_logits(void)
{
    /* std 1e-30 makes the prepared input, and so the logits, about 1e30. */
    const uint8_t grey[3] = {200, 200, 200};
    char *request = uniform_request(4, 4, grey, ",\"norm\":[0,1e-30,0,1e-30,0,1e-30]");
    RUN_REQUEST(r, request, "OK");
    free(request);
    const cJSON *output = get(r, "output");
    for (int k = 0; k < 10; k++) CHECK(cJSON_IsNumber(cJSON_GetArrayItem(output, k)));
    CHECK(cJSON_GetArrayItem(output, 9)->valuedouble == 1.0);
    CHECK(cJSON_GetArrayItem(output, 0)->valuedouble == 0.0);
    CHECK_INT(get(cJSON_GetArrayItem(get(r, "top"), 0), "index")->valueint, 9);
    cJSON_Delete(r);
}

static void bad_json_should_be_e_json_with_the_offset(void)
{
    CHECK_STR(error_of("{\"input\": }", "E_JSON"), "invalid JSON at offset 10");
    CHECK_STR(error_of("{\"input\": \"x\"} {", "E_JSON"), "unexpected text after the JSON value at offset 15");
    CHECK_STR(error_of("", "E_JSON"), "the request is empty");
    CHECK_STR(error_of("[1, 2", "E_JSON"), "invalid JSON at offset 4");
    long leaked;
    cJSON *r = test_run("{\"input\":\"\\u0000\"}", &leaked); /* an escaped NUL is valid JSON */
    CHECK_INT(leaked, 0);
    CHECK_STR(test_error_code(r), "E_DECODE");
    cJSON_Delete(r);
    char with_nul[] = "{\"input\":\"AAAA\"}";
    with_nul[10] = '\0';
    char *raw = er_runtime_run(with_nul, sizeof with_nul - 1);
    CHECK(strstr(raw, "NUL byte at offset 10") != NULL);
    er_mem_free(raw);
}

static void bad_fields_should_be_e_field_naming_the_field(void)
{
    CHECK_STR(error_of("[1]", "E_FIELD"), "the request must be a JSON object");
    CHECK_STR(error_of("{}", "E_FIELD"), "\"input\" is missing");
    CHECK_STR(error_of("{\"input\":5}", "E_FIELD"), "\"input\" must be a base64 string for an image request");
    CHECK_STR(error_of("{\"input\":\"\",\"nrom\":[]}", "E_FIELD"), "unknown field \"nrom\"");
    CHECK_STR(error_of("{\"input\":\"\",\"input\":\"\"}", "E_FIELD"), "duplicate field \"input\"");
    CHECK_STR(error_of("{\"type\":\"video\",\"input\":\"\"}", "E_FIELD"), "\"type\" must be \"image\" or \"tensor\"");
    CHECK_STR(error_of("{\"input\":\"\",\"crop\":\"yes\"}", "E_FIELD"), "\"crop\" must be true or false");
    CHECK_STR(error_of("{\"input\":\"\",\"exif\":0}", "E_FIELD"), "\"exif\" must be true or false");
    CHECK_STR(error_of("{\"input\":\"\",\"width\":-3}", "E_FIELD"), "\"width\" must be a positive integer");
    CHECK_STR(error_of("{\"input\":\"\",\"norm\":[0,1,0,1,0]}", "E_FIELD"),
              "\"norm\" must be an array of 6 numbers [mean_R,std_R,mean_G,std_G,mean_B,std_B]");
    CHECK_STR(error_of("{\"input\":\"\",\"norm\":[0,1,0,0,0,1]}", "E_FIELD"),
              "norm[3] (a std) must be a finite, non-zero float32 number");
    CHECK_STR(error_of("{\"input\":\"\",\"norm\":[0,1,0,1,\"0\",1]}", "E_FIELD"),
              "norm[4] (a mean) must be a finite float32 number");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":[],\"crop\":true}", "E_FIELD"),
              "\"crop\" applies to image requests only");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":[],\"exif\":false}", "E_FIELD"),
              "\"exif\" applies to image requests only");
}

static void bad_base64_should_be_e_base64_with_the_offset(void)
{
    CHECK_STR(error_of("{\"input\":\"iVBO@w0K\"}", "E_BASE64"), "invalid character '@' at offset 4");
    CHECK_STR(error_of("{\"input\":\"data:image/png;base64,iVBORw0KG\"}", "E_BASE64"),
              "impossible length: a lone final character at offset 30");
}

static void undecodable_bytes_should_be_e_decode(void)
{
    /* "hello world!" */
    CHECK_STR(error_of("{\"input\":\"aGVsbG8gd29ybGQh\"}", "E_DECODE"),
              "not a decodable JPEG, PNG, BMP, GIF or TGA image (stb_image: unknown image type)");
    CHECK_STR(error_of("{\"input\":\"\"}", "E_DECODE"), "the image is empty (0 bytes)");
}

static void an_image_over_the_pixel_limit_should_be_e_limit(void)
{
    char *request = uniform_request(40, 30, teal, "");
    uint32_t previous = er_set_max_pixels(1199);
    CHECK_INT(previous, 50000000);
    CHECK_INT(er_set_max_pixels(0), 1199); /* 0 keeps the limit */
    const char *message = error_of(request, "E_LIMIT");
    er_set_max_pixels(previous);
    CHECK_STR(message, "the image is 40x30 = 1200 pixels, over the limit max_pixels = 1199");
    free(request);
}

static void a_shape_other_than_the_models_should_be_e_shape(void)
{
    CHECK_STR(error_of("{\"input\":\"\",\"width\":64}", "E_SHAPE"), "width 64 contradicts the model's input width 32");
    CHECK_STR(error_of("{\"input\":\"\",\"height\":31}", "E_SHAPE"),
              "height 31 contradicts the model's input height 32");
    CHECK_STR(error_of("{\"input\":\"\",\"channels\":1}", "E_SHAPE"),
              "channels 1 contradicts the model's input channels 3");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":[1,2,3,4,5]}", "E_SHAPE"),
              "input has 5 numbers; the model's input \"input\" [1,3,32,32] takes 3072");
}

static void running_out_of_memory_anywhere_should_be_e_memory(void)
{
    /* Fail each allocation of a full request in turn (JSON, base64, decode,
       prepare, response): E_MEMORY every time, nothing leaked, and then the
       same request succeeds. */
    uint8_t px[40 * 30 * 4];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 31);
    size_t len;
    uint8_t *png = test_png(40, 30, 4, px, &len);
    char *request = test_image_request(png, len, ",\"crop\":true");
    test_free(png);
    int failures = 0;
    for (uint32_t n = 1;; n++) {
        size_t before = er_mem_live_blocks();
        er_mem_fail_after(n);
        char *response = er_runtime_run(request, strlen(request));
        int fired = er_mem_fail_after(0) == 0; /* disarmed before anything else allocates */
        CHECK(response != NULL);
        CHECK_INT(er_mem_live_blocks(), before + 1);
        int ok = strncmp(response, "{\"output\":", 10) == 0;
        if (!ok) CHECK(strncmp(response, "{\"error\":{\"code\":\"E_MEMORY\",\"message\":\"out of memory", 52) == 0);
        er_mem_free(response);
        failures += !ok;
        if (!fired) break;
    }
    free(request);
    CHECK(failures >= 10);
    CHECK(still_works());
}

static void tensor_request_should_feed_the_numbers_straight_to_the_model(void)
{
    char *request = malloc(3072 * 12 + 64), *o = request;
    o += sprintf(o, "{\"type\":\"tensor\",\"top\":1,\"input\":[");
    double sums[3] = {0, 0, 0};
    for (int i = 0; i < 3072; i++) {
        float v = (float)((i % 97) - 48) / 8.0f;
        sums[i / 1024] += v;
        o += sprintf(o, i ? ",%g" : "%g", v);
    }
    strcpy(o, "]}");
    RUN_REQUEST(r, request, "OK");
    free(request);
    for (int k = 0; k < 10; k++)
        CHECK((float)cJSON_GetArrayItem(get(r, "logits"), k)->valuedouble == (float)((k + 1) * (sums[k % 3] / 1024)));
    CHECK_INT(cJSON_GetArraySize(get(r, "top")), 1);
    CHECK_INT(get(get(r, "ms"), "decode")->type, cJSON_Number);
    cJSON_Delete(r);
}

/* {"type":"tensor","input":[0,0,...]} with element `index` written as `value`. */
static char *tensor_request(int index, const char *value)
{
    char *request = malloc(3072 * 2 + strlen(value) + 64), *o = request;
    o += sprintf(o, "{\"type\":\"tensor\",\"input\":[");
    for (int i = 0; i < 3072; i++) o += sprintf(o, "%s%s", i ? "," : "", i == index ? value : "0");
    strcpy(o, "]}");
    return request;
}

static void tensor_values_should_be_finite_float32_numbers(void)
{
    static const struct {
        const char *value, *code, *message;
    } cases[] = {
        {"t", "E_JSON", "invalid JSON at offset 30"},
        {"[]", "E_FIELD", "input[2] is not a number"},
        {"\"1\"", "E_FIELD", "input[2] is not a number"},
        {"true", "E_FIELD", "input[2] is not a number"},
        {"1e39", "E_FIELD", "input[2] is out of range for float32"},
        {"-1e999", "E_FIELD", "input[2] is not a finite number"},
        {"1e-50", "OK", NULL}, /* underflows to 0: representable, so accepted */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *request = tensor_request(2, cases[i].value);
        if (cases[i].message) {
            CHECK_STR(error_of(request, cases[i].code), cases[i].message);
        } else {
            RUN_REQUEST(r, request, "OK");
            cJSON_Delete(r);
        }
        free(request);
    }
}

static void exports_should_keep_the_response_until_the_next_run(void)
{
    char *request = uniform_request(32, 32, teal, "");
    const char *first = er_run(request, strlen(request));
    CHECK(strstr(first, "\"logits\":[") != NULL);
    size_t live = er_mem_live_blocks();
    const char *second = er_run("{", 1);
    CHECK(strstr(second, "\"E_JSON\"") != NULL);
    CHECK_INT(er_mem_live_blocks(), live); /* the first response was freed for the second */
    /* Inputs written through er_io_data, then er_run_tensors. */
    float *x = er_io_data(0, 0);
    CHECK(x == er_model.inputs[0].data);
    CHECK(er_io_data(0, 1) == NULL && er_io_data(1, 1) == NULL && er_io_data(0, -1) == NULL);
    for (int i = 0; i < 3072; i++) x[i] = (float)(i / 1024 + 1);
    const char *timing = er_run_tensors();
    CHECK(strncmp(timing, "{\"ms\":{\"infer\":", 15) == 0);
    const float *logits = er_io_data(1, 0);
    for (int k = 0; k < 10; k++) CHECK(logits[k] == (float)((k + 1) * (k % 3 + 1)));
    CHECK(er_info() == er_runtime_info());
    void *p = er_alloc(100);
    CHECK(p != NULL);
    er_free(p);
    er_free(NULL);
    free(request);
}


/* A 1x1 PNG whose header declares width x height (stb_image reads no CRC). */
static char *declared_png_request(uint32_t width, uint32_t height)
{
    size_t len;
    uint8_t *png = test_png(1, 1, 3, teal, &len);
    test_put(png + 16, width, 4, 1);
    test_put(png + 20, height, 4, 1);
    char *request = test_image_request(png, len, "");
    test_free(png);
    return request;
}

static void every_limit_should_be_e_limit_naming_it(void)
{
    /* image_side, before max_pixels: a 100000 x 100000 header of a few bytes. */
    char *request = declared_png_request(100000, 100000);
    CHECK_STR(error_of(request, "E_LIMIT"), "the image is 100000x100000, over the limit image_side = 16384");
    free(request);
    request = declared_png_request(16385, 1);
    CHECK_STR(error_of(request, "E_LIMIT"), "the image is 16385x1, over the limit image_side = 16384");
    free(request);
    request = declared_png_request(16384, 16384);
    CHECK_STR(error_of(request, "E_LIMIT"), "the image is 16384x16384 = 268435456 pixels, over the limit max_pixels = "
              "50000000");
    free(request);

    /* json_depth: the object and 32 arrays are 33 deep; 31 arrays are only
       E_FIELD (the value is wrong, not too deep). */
    char deep[128];
    for (int arrays = 32; arrays >= 31; arrays--) {
        size_t n = (size_t)sprintf(deep, "{\"input\":");
        for (int i = 0; i < arrays; i++) deep[n++] = '[';
        for (int i = 0; i < arrays; i++) deep[n++] = ']';
        memcpy(deep + n, "}", 2);
        if (arrays == 32)
            CHECK_STR(error_of(deep, "E_LIMIT"), "the request nests arrays and objects more than 32 deep at offset "
                      "40, over the limit json_depth = 32");
        else
            CHECK_STR(error_of(deep, "E_FIELD"), "\"input\" must be a base64 string for an image request");
    }
    /* Brackets inside strings do not count. */
    char quoted[160] = "{\"input\":\"";
    for (int i = 0; i < 100; i++) strcat(quoted, "[");
    strcat(quoted, "\"}");
    CHECK_STR(error_of(quoted, "E_BASE64"), "invalid character '[' at offset 0");

    /* json_fields: 4097 members, counted before cJSON builds any of them. */
    size_t cap = 4097 * 12 + 16;
    char *wide = malloc(cap), *o = wide;
    o += sprintf(o, "{\"input\":\"\"");
    for (int i = 1; i < 4097; i++) o += sprintf(o, ",\"%d\":0", i);
    strcpy(o, "}");
    size_t before = er_mem_live_blocks();
    CHECK_STR(error_of(wide, "E_LIMIT"), "the request has more than 4096 object fields (at offset 35766), over the "
              "limit json_fields = 4096");
    CHECK_INT(er_mem_live_blocks(), before);
    free(wide);

    /* request_bytes: 64 MiB + 1, refused before it is even scanned. */
    size_t big = ER_MAX_REQUEST_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    char *response = er_runtime_run(huge, big);
    free(huge);
    CHECK(response != NULL);
    CHECK_STR(response, "{\"error\":{\"code\":\"E_LIMIT\",\"message\":\"the request is 67108865 bytes, over the limit "
              "request_bytes = 67108864\"}}");
    er_mem_free(response);
    CHECK(still_works());
}

static char *copy_of(const char *text)
{
    char *s = malloc(strlen(text) + 1);
    return s ? strcpy(s, text) : NULL;
}

/* The response without its timings, as text (caller frees with free()). */
static char *without_ms(const char *response)
{
    cJSON_Hooks hooks = {malloc, free};
    cJSON_InitHooks(&hooks);
    cJSON *r = cJSON_Parse(response);
    if (!r) return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(r, "ms");
    char *text = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return text;
}

static void every_response_should_depend_only_on_its_own_request(void)
{
    /* Requests of different sizes and options, valid and failing (E_MEMORY
       and E_LIMIT among them, with the pixel limit changed in between and
       restored), on one module: each answer must equal the answer the same
       request got first, whatever ran in between. */
    static const uint8_t red[3] = {250, 10, 10}, grey[3] = {90, 90, 90};
    char *requests[8];
    requests[0] = uniform_request(32, 32, teal, "");
    requests[1] = uniform_request(300, 7, red, ",\"crop\":true,\"top\":5");
    requests[2] = uniform_request(5, 64, grey, ",\"norm\":[0.5,0.5,0.5,0.5,0.5,0.5],\"exif\":false");
    requests[3] = copy_of("{\"input\":\"AAAA\",\"crop\":1}");
    requests[4] = declared_png_request(100000, 100000);
    requests[5] = tensor_request(7, "3.5");
    requests[6] = copy_of("{\"input\":\"iVBORw0KGgo=\"}");
    requests[7] = uniform_request(64, 64, red, ",\"top\":0");
    enum { N = sizeof requests / sizeof requests[0] };
    char *first[N];
    for (int i = 0; i < N; i++) first[i] = without_ms(er_run(requests[i], strlen(requests[i])));
    uint32_t seed = 12345;
    for (int k = 0; k < 200; k++) {
        seed = seed * 1664525u + 1013904223u;
        const int i = (int)(seed >> 16) % N;
        const int disturb = (int)(seed >> 8) % 4;
        if (disturb == 1) { /* an allocation failure somewhere in another request */
            er_mem_fail_after(1 + (seed >> 4) % 40);
            er_run(requests[(i + 1) % N], strlen(requests[(i + 1) % N]));
            er_mem_fail_after(0);
        } else if (disturb == 2) { /* a request over a lowered pixel limit, then the limit restored */
            uint32_t previous = er_set_max_pixels(100);
            er_run(requests[1], strlen(requests[1]));
            er_set_max_pixels(previous);
        } else if (disturb == 3) {
            er_run_tensors();
        }
        char *again = without_ms(er_run(requests[i], strlen(requests[i])));
        int same = again && first[i] && strcmp(again, first[i]) == 0;
        if (!same) er_test_fail(__FILE__, __LINE__, "same answer", requests[i]);
        free(again);
        if (!same) break;
    }
    for (int i = 0; i < N; i++) {
        CHECK(first[i] != NULL);
        free(first[i]);
        free(requests[i]);
    }
}

void run_protocol_tests(void)
{
    RUN(info_should_describe_the_model);
    RUN(image_request_should_classify_with_the_models_defaults);
    RUN(image_request_should_honour_norm_crop_and_a_data_url);
    RUN(image_request_should_see_a_jpeg_upright_unless_exif_is_false);
    RUN(top_should_take_any_count_from_zero_to_the_classes);
    RUN(softmax_should_stay_finite_for_huge_logits);
    RUN(bad_json_should_be_e_json_with_the_offset);
    RUN(bad_fields_should_be_e_field_naming_the_field);
    RUN(bad_base64_should_be_e_base64_with_the_offset);
    RUN(undecodable_bytes_should_be_e_decode);
    RUN(an_image_over_the_pixel_limit_should_be_e_limit);
    RUN(a_shape_other_than_the_models_should_be_e_shape);
    RUN(running_out_of_memory_anywhere_should_be_e_memory);
    RUN(tensor_request_should_feed_the_numbers_straight_to_the_model);
    RUN(tensor_values_should_be_finite_float32_numbers);
    RUN(exports_should_keep_the_response_until_the_next_run);
    RUN(every_limit_should_be_e_limit_naming_it);
    RUN(every_response_should_depend_only_on_its_own_request);
}
