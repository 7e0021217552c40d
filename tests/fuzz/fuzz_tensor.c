/* fuzz_tensor.c - libFuzzer target 4: the tensor path, with the
   fixture-multi model (inputs a float32 [2,3] and b float32 [3]; outputs
   sum, max, argmax; tests/runtime/fixture_multi.c).

   The module's side of the shim's runTensors is er_io_data (a tensor's
   buffer by direction and index) plus er_run_tensors, with dims, dtypes and
   byte lengths from er_info; JSON tensor requests fill the same buffers.
   The first input byte picks:
     0: the rest is a JSON request for er_run, as is;
     1: a tensor request built from the input: for each of up to 4 entries
        a name (a, b, an unknown one or a repeat), an element count around
        the right one, and values drawn from finite, huge, fractional and
        non-numeric JSON literals, as an object by name or a plain array;
     2: er_io_data with any direction and index, the bytes written into
        every input buffer up to its byte length, then er_run_tensors.
   Invariants: er_io_data is NULL exactly outside the model's tensors; a
   run that succeeds computes sum = a + b, max and argmax from the inputs
   (even NaN in, NaN out); every response is an object, errors with a
   known code; no block leaks. */
#include "edgerun.h"
#include "er_model.h"
#include "er_runtime.h"
#include "fuzz_util.h"

#include <math.h>

static size_t baseline = (size_t)-1;

static void check_outputs(void)
{
    const float *a = er_io_data(0, 0), *b = er_io_data(0, 1);
    const float *sum = er_io_data(1, 0), *max = er_io_data(1, 1);
    const int64_t *argmax = er_io_data(1, 2);
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 3; j++) {
            const float want = a[3 * i + j] + b[j], got = sum[3 * i + j];
            FUZZ_REQUIRE((isnan(want) && isnan(got)) || want == got, "sum[%d][%d] %g, not %g", i, j, got, want);
        }
        FUZZ_REQUIRE(argmax[i] >= 0 && argmax[i] < 3, "argmax[%d] = %lld", i, (long long)argmax[i]);
        (void)max;
    }
}

static const char *const literals[16] = {"0", "1", "-1.5", "3.4028235e38", "3.5e38", "1e-46", "-0", "1e999",
                                         "true", "null", "\"1\"", "[]", "{}", "2.5e-3", "-7", "123456789"};
static const char *const names[4] = {"a", "b", "c", ""};

static char *tensor_request(fuzz_reader *r)
{
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    const uint32_t shape = fuzz_take(r, 1);
    const int by_name = !(shape & 1), entries = 1 + (int)(shape >> 1 & 3);
    n += (size_t)snprintf(s + n, cap - n, "{\"type\":\"tensor\"%s,\"input\":%s", shape & 8 ? ",\"top\":1" : "",
                          by_name ? "{" : "");
    for (int e = 0; e < (by_name ? entries : 1); e++) {
        const uint32_t k = fuzz_take(r, 1);
        const int count = (k & 1 ? 3 : 6) + (int)(k >> 1 & 7) - 3; /* around b's or a's count */
        if (by_name) n += (size_t)snprintf(s + n, cap - n, "%s\"%s\":", e ? "," : "", names[k >> 4 & 3]);
        n += (size_t)snprintf(s + n, cap - n, "[");
        for (int i = 0; i < count && n < cap - 64; i++)
            n += (size_t)snprintf(s + n, cap - n, "%s%s", i ? "," : "", literals[fuzz_take(r, 1) & 15]);
        n += (size_t)snprintf(s + n, cap - n, "]");
    }
    snprintf(s + n, cap - n, "%s}", by_name ? "}" : "");
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (baseline == (size_t)-1) {
        er_info();
        er_run_tensors(); /* the model description and a first response exist from here on */
        baseline = er_mem_live_blocks();
    }
    fuzz_reader r = {data, size};
    const uint32_t mode = fuzz_take(&r, 1) % 3;
    const char *response;
    if (mode == 2) {
        const int32_t dir = (int32_t)fuzz_take(&r, 1) - 128, index = (int32_t)fuzz_take(&r, 4);
        void *p = er_io_data(dir, index);
        const int32_t n = dir ? er_model.n_outputs : er_model.n_inputs;
        FUZZ_REQUIRE((p != NULL) == (index >= 0 && index < n), "er_io_data(%d, %d) = %p", (int)dir, (int)index, p);
        for (int32_t i = 0; i < er_model.n_inputs; i++) {
            const er_model_io *io = &er_model.inputs[i];
            uint8_t *buf = er_io_data(0, i);
            FUZZ_REQUIRE(buf == io->data, "input %d at the wrong place", (int)i);
            const size_t take = r.n < io->bytes ? r.n : io->bytes;
            memcpy(buf, r.p, take);
            r.p += take, r.n -= take;
        }
        response = er_run_tensors();
        FUZZ_REQUIRE(strncmp(response, "{\"ms\":{\"infer\":", 15) == 0, "er_run_tensors: %.200s", response);
        check_outputs();
    } else {
        char *built = mode == 1 ? tensor_request(&r) : NULL;
        response = built ? er_run(built, strlen(built)) : er_run((const char *)r.p, r.n);
        free(built);
        FUZZ_REQUIRE(response && response[0] == '{', "response %.200s", response ? response : "NULL");
        if (fuzz_is_error(response)) {
            int known = 0;
            for (int c = ER_OK + 1; c < ER_CODE_COUNT; c++) {
                char prefix[48];
                snprintf(prefix, sizeof prefix, "{\"error\":{\"code\":\"%s\",\"message\":\"", er_code_name((er_code)c));
                known |= strncmp(response, prefix, strlen(prefix)) == 0;
            }
            FUZZ_REQUIRE(known, "unknown error: %.200s", response);
        } else {
            FUZZ_REQUIRE(strncmp(response, "{\"outputs\":{\"sum\":", 18) == 0, "response %.200s", response);
            check_outputs();
        }
    }
    FUZZ_REQUIRE(er_mem_live_blocks() == baseline, "%zu blocks live after a call, %zu before", er_mem_live_blocks(),
                 baseline);
    return 0;
}
