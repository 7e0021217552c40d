/* fixture_classifier.c - a TEST DOUBLE of a compiled model, written by hand.

   It implements er_model.h the way edgerun-compile's output does (one static
   arena, fixed 16-byte-aligned input and output regions, no allocation) but
   computes no neural network: logit k = (k + 1) * mean of channel k % 3. That
   is enough to check everything the runtime does around a model - it looks
   like a CIFAR-10 classifier (input "input" float32 [1,3,32,32], output
   "logits" [1,10], the CIFAR-10 labels and normalisation) and its logits are
   an exact, easily recomputed function of the prepared input.
   Its module, build/fixtures/fixture-classifier.wasm, is also what the JS
   shim's tests load; keep the name and the behaviour stable. */
#include "er_model.h"

#define C 3
#define H 32
#define W 32
#define K 10

static struct {
    float input[C * H * W]; /* 12,288 bytes: the next region stays 16-byte aligned */
    float logits[K];
} arena __attribute__((aligned(16)));

static const char *const labels[K] = {"airplane", "automobile", "bird",  "cat",  "deer",
                                      "dog",      "frog",       "horse", "ship", "truck"};

static const er_model_io inputs[1] = {
    {"input", 1 /* FLOAT */, 4, {1, C, H, W}, C * H * W, sizeof arena.input, arena.input},
};
static const er_model_io outputs[1] = {
    {"logits", 1 /* FLOAT */, 2, {1, K}, K, sizeof arena.logits, arena.logits},
};

const er_model_info er_model = {
    .abi_version = ER_MODEL_ABI_VERSION,
    .name = "fixture-classifier",
    .generator = "hand-written test double (tests/runtime/fixture_classifier.c)",
    /* There is no .onnx behind a test double: this is the SHA-256 of zero bytes. */
    .source_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    .opset = 13,
    .n_inputs = 1,
    .inputs = inputs,
    .n_outputs = 1,
    .outputs = outputs,
    .n_labels = K,
    .labels = labels,
    .has_norm = 1,
    .norm = {0.485f, 0.229f, 0.456f, 0.224f, 0.406f, 0.225f},
    .arena_bytes = sizeof arena,
    .weight_bytes = 0,
};

void er_model_run(void)
{
    double mean[C];
    for (int c = 0; c < C; c++) {
        double sum = 0.0;
        for (int i = 0; i < H * W; i++) sum += arena.input[c * H * W + i];
        mean[c] = sum / (H * W);
    }
    for (int k = 0; k < K; k++) arena.logits[k] = (float)((k + 1) * mean[k % C]);
}
