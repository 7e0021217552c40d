/* test_util.h - test-side helpers: an independent base64 encoder and PNG/BMP
   writers (so tests build their inputs without the code under test), and a
   request runner that checks a request gave back all its memory. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"

/* snprintf into out. */
void test_format(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Standard padded base64 of bytes; free with test_free. */
char *test_base64_encode(const uint8_t *bytes, size_t len);
void test_free(void *p);

/* An 8-bit PNG (stored deflate blocks, real CRCs and Adler-32) of
   width x height pixels of `channels` interleaved samples: 1 grey, 2 grey+alpha,
   3 RGB, 4 RGBA. *len gets its size; free with test_free. */
uint8_t *test_png(int width, int height, int channels, const uint8_t *pixels, size_t *len);
/* A 24-bit bottom-up BMP of RGB pixels. */
uint8_t *test_bmp(int width, int height, const uint8_t *rgb, size_t *len);
/* {"input":"<base64 of bytes>"<extra>} where extra is more fields (",\"crop\":true") or "". */
char *test_image_request(const uint8_t *bytes, size_t len, const char *extra);

/* Run a request through er_runtime_run and parse the response. The response
   string is freed; *leaked gets the number of blocks the request left live
   (0 when it cleaned up). Free the result with cJSON_Delete. */
cJSON *test_run(const char *request, long *leaked);
/* The response's error code ("E_JSON", ...) or "OK" when it has none. */
const char *test_error_code(const cJSON *response);
const char *test_error_message(const cJSON *response);
/* The error message of request, which must fail with code, leave nothing
   allocated and be followed by a request that still_works() - otherwise a
   sentence saying which of these went wrong. Valid until the next call. */
const char *test_error_of(const char *request, const char *code, int (*still_works)(void));

#endif /* TEST_UTIL_H */
