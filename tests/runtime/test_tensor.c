/* test_tensor.c - tensor requests and the generic "outputs" response, with
   the two-input fixture (fixture_multi.c: sum = a + b, max and argmax of a's
   rows). Its own program, since each program links one model. */
#include "edgerun.h"
#include "er_runtime.h"
#include "er_test.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

static const cJSON *get(const cJSON *o, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* The array as "[1,2,3]" via cJSON's own printer (numbers it prints are exact here). */
static char printed[400];
static const char *print(const cJSON *item)
{
    char *s = cJSON_PrintUnformatted(item);
    test_format(printed, sizeof printed, "%s", s ? s : "(nothing)");
    cJSON_free(s);
    return printed;
}

static const char valid[] = "{\"type\":\"tensor\",\"input\":{\"b\":[10,20,30],\"a\":[1,-2,3.5,4,5,-6]}}";

static int still_works(void)
{
    cJSON *r = test_run(valid, NULL);
    int ok = strcmp(print(get(get(get(r, "outputs"), "sum"), "data")), "[11,18,33.5,14,25,24]") == 0;
    cJSON_Delete(r);
    return ok;
}

static const char *error_of(const char *request, const char *code)
{
    return test_error_of(request, code, still_works);
}

static void info_should_describe_a_model_without_image_labels_or_norm(void)
{
    const char *info = er_runtime_info();
    CHECK(strstr(info, "\"inputs\":[{\"name\":\"a\",\"dtype\":\"float32\",\"dims\":[2,3],\"bytes\":24},"
                       "{\"name\":\"b\",\"dtype\":\"float32\",\"dims\":[3],\"bytes\":12}]") != NULL);
    CHECK(strstr(info, "{\"name\":\"argmax\",\"dtype\":\"int64\",\"dims\":[2],\"bytes\":16}") != NULL);
    CHECK(strstr(info, "\"labels\":null,\"norm\":null,\"image\":null") != NULL);
}

static void tensor_request_should_fill_inputs_by_name_and_return_every_output(void)
{
    long leaked;
    cJSON *r = test_run(valid, &leaked);
    CHECK_INT(leaked, 0);
    CHECK_STR(test_error_code(r), "OK");
    const cJSON *outputs = get(r, "outputs");
    CHECK_INT(cJSON_GetArraySize(outputs), 3);
    CHECK_STR(print(get(get(outputs, "sum"), "dims")), "[2,3]");
    CHECK_STR(print(get(get(outputs, "sum"), "data")), "[11,18,33.5,14,25,24]");
    CHECK_STR(print(get(get(outputs, "max"), "dims")), "[2]");
    CHECK_STR(print(get(get(outputs, "max"), "data")), "[3.5,5]");
    CHECK_STR(print(get(get(outputs, "argmax"), "data")), "[2,1]");
    CHECK(get(r, "output") == NULL && get(r, "top") == NULL);
    CHECK(cJSON_IsNumber(get(get(r, "ms"), "infer")));
    cJSON_Delete(r);
}

static void outputs_should_be_null_where_not_finite(void)
{
    cJSON *r = test_run("{\"type\":\"tensor\",\"top\":2,\"input\":{\"a\":[3e38,0,0,0,0,0],\"b\":[3e38,0,-1]}}", NULL);
    CHECK_STR(print(get(get(get(r, "outputs"), "sum"), "data")), "[null,0,-1,3e+38,0,-1]");
    cJSON_Delete(r);
}

static void tensor_request_should_name_what_is_wrong_with_its_inputs(void)
{
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":[1,2,3]}", "E_FIELD"),
              "this model has 2 inputs: send \"input\" as an object of arrays by input name");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":{\"a\":[1,2,3,4,5,6]}}", "E_FIELD"), "input \"b\" is missing");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":{\"a\":[],\"b\":[],\"c\":[]}}", "E_FIELD"),
              "the model has no input \"c\"");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":{\"a\":[],\"b\":[],\"a\":[]}}", "E_FIELD"),
              "duplicate input \"a\"");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":{\"a\":[1,2,3,4,5,6],\"b\":[1,2]}}", "E_SHAPE"),
              "input.b has 2 numbers; the model's input \"b\" [3] takes 3");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":{\"a\":[1,2,3,4,null,6],\"b\":[1,2,3]}}", "E_FIELD"),
              "input.a[4] is not a number");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":{\"a\":7,\"b\":[1,2,3]}}", "E_FIELD"),
              "input.a must be an array of numbers");
    CHECK_STR(error_of("{\"type\":\"tensor\",\"input\":\"AAAA\"}", "E_FIELD"),
              "\"input\" must be an array of numbers, or an object of arrays by input name");
}

static void image_request_should_be_e_shape_for_a_model_without_an_image_input(void)
{
    CHECK_STR(error_of("{\"input\":\"AAAA\"}", "E_SHAPE"),
              "this model takes no image (input \"a\" is [2,3], 2 input(s)); send {\"type\":\"tensor\"}");
}

static void run_tensors_should_run_on_buffers_written_in_place(void)
{
    float *a = er_io_data(0, 0), *b = er_io_data(0, 1);
    CHECK(a && b && er_io_data(0, 2) == NULL);
    for (int i = 0; i < 6; i++) a[i] = (float)(i % 3 == 1 ? 9 : i);
    for (int i = 0; i < 3; i++) b[i] = 0.5f;
    const char *r = er_run_tensors();
    CHECK(strncmp(r, "{\"ms\":{\"infer\":", 15) == 0);
    const float *max = er_io_data(1, 1);
    const int64_t *argmax = er_io_data(1, 2);
    CHECK(max[0] == 9.0f && max[1] == 9.0f);
    CHECK(argmax[0] == 1 && argmax[1] == 1);
    CHECK(er_io_data(1, 3) == NULL);
}

int main(void)
{
    RUN(info_should_describe_a_model_without_image_labels_or_norm);
    RUN(tensor_request_should_fill_inputs_by_name_and_return_every_output);
    RUN(outputs_should_be_null_where_not_finite);
    RUN(tensor_request_should_name_what_is_wrong_with_its_inputs);
    RUN(image_request_should_be_e_shape_for_a_model_without_an_image_input);
    RUN(run_tensors_should_run_on_buffers_written_in_place);
    return er_test_summary("runtime (multi-input fixture)");
}
