/* er_prepare_main.c - build/tests/er-prepare: decode + prepare one image file.

     er-prepare IMAGE WIDTH HEIGHT CHANNELS CROP(0|1)

   writes the prepared tensor before normalisation (mean 0, std 1, so the
   values are pixel / 255) as raw little-endian float32, CHW, to stdout; on
   failure prints "E_CODE: message" to stderr and exits 1. The driver of
   tests/js/prepare-pillow.test.mjs, which compares it with Pillow. */
#include "er_runtime.h"

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what)
{
    fprintf(stderr, "er-prepare: %s\n", what);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 6) return fail("usage: er-prepare IMAGE WIDTH HEIGHT CHANNELS CROP(0|1)");
    FILE *f = fopen(argv[1], "rb");
    if (!f) return fail("cannot open the image");
    size_t cap = 1 << 20, len = 0;
    uint8_t *data = malloc(cap);
    for (size_t n; data && (n = fread(data + len, 1, cap - len, f)) > 0;) {
        len += n;
        if (len == cap) data = realloc(data, cap *= 2);
    }
    fclose(f);
    if (!data) return fail("out of memory");

    er_prepare_spec spec = {atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), {0, 1, 0, 1, 0, 1}};
    size_t count = (size_t)spec.width * spec.height * spec.channels;
    float *out = malloc(count * sizeof(float));
    er_image img;
    er_error err;
    er_code rc = er_image_decode(data, len, ER_DEFAULT_MAX_PIXELS, &img, &err);
    if (rc == ER_OK && out) rc = er_image_prepare(&img, &spec, out, &err);
    er_image_free(&img);
    free(data);
    if (rc != ER_OK) {
        fprintf(stderr, "%s: %s\n", er_code_name(rc), err.message);
        free(out);
        return 1;
    }
    int ok = fwrite(out, sizeof(float), count, stdout) == count;
    free(out);
    return ok ? 0 : fail("cannot write the output");
}
