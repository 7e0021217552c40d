/* fixture_multi.c - a TEST DOUBLE of a compiled non-image model, written by hand.

   Two inputs, three outputs of two dtypes, so that tensor requests and the
   generic "outputs" response have something to chew on:
     a float32 [2,3], b float32 [3]
     sum    float32 [2,3]  sum[i][j] = a[i][j] + b[j]
     max    float32 [2]    max[i] = max_j a[i][j]
     argmax int64   [2]    the first j reaching max[i]
   Laid out like edgerun-compile's output (one arena, 16-byte-aligned regions).
   Its module, build/fixtures/fixture-multi.wasm, is also loaded by the JS
   shim's tests; keep the name and the behaviour stable. */
#include "er_model.h"

/* Every member's size is a multiple of 16 bytes, so every region is aligned. */
static struct {
    float a[8];
    float b[4];
    float sum[8];
    float max[4];
    int64_t argmax[2];
} arena __attribute__((aligned(16)));

static const er_model_io inputs[2] = {
    {"a", 1 /* FLOAT */, 2, {2, 3}, 6, 6 * sizeof(float), arena.a},
    {"b", 1 /* FLOAT */, 1, {3}, 3, 3 * sizeof(float), arena.b},
};
static const er_model_io outputs[3] = {
    {"sum", 1 /* FLOAT */, 2, {2, 3}, 6, 6 * sizeof(float), arena.sum},
    {"max", 1 /* FLOAT */, 1, {2}, 2, 2 * sizeof(float), arena.max},
    {"argmax", 7 /* INT64 */, 1, {2}, 2, 2 * sizeof(int64_t), arena.argmax},
};

const er_model_info er_model = {
    .abi_version = ER_MODEL_ABI_VERSION,
    .name = "fixture-multi",
    .generator = "hand-written test double (tests/runtime/fixture_multi.c)",
    /* There is no .onnx behind a test double: this is the SHA-256 of zero bytes. */
    .source_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    .opset = 13,
    .n_inputs = 2,
    .inputs = inputs,
    .n_outputs = 3,
    .outputs = outputs,
    .n_labels = 0,
    .labels = 0,
    .has_norm = 0,
    .arena_bytes = sizeof arena,
    .weight_bytes = 0,
};

void er_model_run(void)
{
    for (int i = 0; i < 2; i++) {
        const float *row = arena.a + 3 * i;
        int best = 0;
        for (int j = 0; j < 3; j++) {
            arena.sum[3 * i + j] = row[j] + arena.b[j];
            if (row[j] > row[best]) best = j;
        }
        arena.max[i] = row[best];
        arena.argmax[i] = best;
    }
}
