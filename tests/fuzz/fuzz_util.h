/* fuzz_util.h - what the libFuzzer targets of tests/fuzz/ share.

   A target fails by FUZZ_REQUIRE: the broken invariant is printed and the
   process aborts, which libFuzzer reports as a crash and saves the input.
   (Test code only: the library itself never aborts.) */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_REQUIRE(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz invariant broken at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
            abort(); \
        } \
    } while (0)

/* Reads little pieces of the input from the front; past the end, zeros. */
typedef struct fuzz_reader {
    const uint8_t *p;
    size_t n;
} fuzz_reader;

static inline uint32_t fuzz_take(fuzz_reader *r, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v = v << 8 | (r->n ? *r->p : 0);
        if (r->n) r->p++, r->n--;
    }
    return v;
}

/* A response is one JSON object: {"error":{"code":"E_...",...}} or a result. */
static inline int fuzz_is_error(const char *response)
{
    return strncmp(response, "{\"error\":{\"code\":\"E_", 20) == 0;
}

#endif
