/* fuzz_compiler.c - libFuzzer target 3: the compiler's front end and middle.

   Input: an .onnx file. It goes through what edgerun-compile does before
   writing C: the ONNX reader, import (local functions inlined), shape
   inference and constant folding (which runs the kernels natively), fusion,
   lowering and the memory plan; nothing is emitted. Each run has its own
   pool and graph, and er_diag_reset() clears the "first failure wins"
   diagnostics, so a run depends on its input only.

   Invariants: a failure leaves exactly one message, one line naming the
   file; success leaves none; no sanitizer report; libFuzzer's -timeout
   (10 s in tests/fuzz/run.sh) holds every model to the 10 s. */
#include "ir.h"
#include "ops.h"
#include "util.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    er_diag_reset();
    /* A path no file is next to: nothing a model names can be read. */
    const char *path = "/nonexistent/fuzz.onnx";
    er_diag_set_file(path);
    er_pool *pool = er_pool_new();
    FUZZ_REQUIRE(pool != NULL, "no pool");
    /* The reader gets what er_read_file gives: the bytes and a NUL. */
    uint8_t *copy = er_alloc_bytes(pool, size + 1);
    FUZZ_REQUIRE(copy != NULL, "no copy");
    if (size) memcpy(copy, data, size);
    int failed = 1;
    onnx_model *m = onnx_read_model(pool, copy, size);
    er_graph *g = m ? er_import(pool, path, m) : NULL;
    if (g) {
        int64_t arena = 0, unshared = 0;
        failed = er_infer_and_fold(g) || er_fuse(g) || er_choose_layouts(g) || er_lower(g) || er_plan(g, &arena, &unshared);
        FUZZ_REQUIRE(failed || (arena >= 0 && arena <= unshared), "arena %lld of %lld", (long long)arena,
                     (long long)unshared);
    }
    const char *message = er_diag_message();
    if (failed) {
        FUZZ_REQUIRE(message != NULL, "a failure without a message");
        FUZZ_REQUIRE(strncmp(message, path, strlen(path)) == 0, "message names no file: %s",
                     message);
        FUZZ_REQUIRE(!strchr(message, '\n'), "message of more than one line: %s", message);
    } else {
        FUZZ_REQUIRE(message == NULL, "success with a message: %s", message);
    }
    er_pool_free(pool);
    return 0;
}
