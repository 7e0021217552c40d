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
/* A baseline greyscale JPEG of width x height pixels whose 8x8 blocks are
   flat: levels gives their greys row by row, ceil(width / 8) blocks across
   and ceil(height / 8) down. Only DC coefficients, quantised by 1, so a
   decoder gives the levels back exactly. */
uint8_t *test_jpeg(int width, int height, const uint8_t *levels, size_t *len);
/* A TIFF block of TEST_TIFF_LEN bytes ("II" or "MM", 42, IFD0 at 8) whose
   IFD0 has one entry, Orientation (0x0112) = SHORT orientation, and no next
   IFD. Tests damage it through the TEST_TIFF_* offsets. */
enum { TEST_TIFF_IFD = 8, TEST_TIFF_ENTRY = 10, TEST_TIFF_NEXT = 22, TEST_TIFF_LEN = 26 };
void test_tiff(uint8_t *out, int big_endian, int orientation);
/* Write the low `bytes` bytes of v at p in the given byte order. */
void test_put(uint8_t *p, uint32_t v, int bytes, int big_endian);
/* A stored grid of 3 x 2 cells "abc/def" as it is displayed upright with
   each EXIF orientation 1..8 (rows separated by '/'), written out by hand
   from the definitions: 2 mirrors, 3 turns half round, 6 turns clockwise... */
extern const char *const test_upright[9];
/* jpeg (len bytes) with an APP1 "Exif\0\0" segment holding tiff inserted
   after its SOI. *out_len gets the size; free with test_free. */
uint8_t *test_with_exif(const uint8_t *jpeg, size_t len, const uint8_t *tiff, size_t tiff_len, size_t *out_len);
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
