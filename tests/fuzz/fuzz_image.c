/* fuzz_image.c - libFuzzer target 2: the image path alone.

   Input: 4 bytes of options, then an image file. The options choose the
   output size (1..64 x 1..64), grey or RGB, crop, EXIF orientation, the
   pixel limit (4 MP, or 4,096 pixels to exercise the limit) and the path:
   er_image_decode_prepare (which streams a JPEG, at a reduced DCT scale when
   the output is small enough: the scaled-decode kernels) or er_image_decode
   + er_image_prepare (every format's decoder through stb_image, the
   libjpeg-exact JPEG kernels at full size). er_exif_orientation runs on
   every input.

   Invariants: E_DECODE or E_LIMIT with a message, never E_MEMORY (4 MP
   always fits) nor E_FIELD (the spec is valid); on success, a decoded image
   within the limit and every value within the range the normalisation
   allows; no block left allocated, whatever happened. */
#include "er_runtime.h"
#include "fuzz_util.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    const uint32_t o = fuzz_take(&r, 4);
    er_prepare_spec spec = {.width = 1 + (int32_t)(o >> 24 & 63),
                            .height = 1 + (int32_t)(o >> 16 & 63),
                            .channels = o >> 8 & 1 ? 1 : 3,
                            .crop = (o >> 9 & 1) != 0,
                            .norm = {0.5f, 0.25f, 0.25f, 0.5f, 0.75f, 0.125f}};
    const int exif = !(o >> 10 & 1), two_step = o >> 11 & 1;
    const uint64_t max_pixels = o & 0x80 ? 4096 : (uint64_t)1 << 22;
    const size_t before = er_mem_live_blocks();

    const int32_t orientation = er_exif_orientation(r.p, r.n);
    FUZZ_REQUIRE(orientation >= 1 && orientation <= 8, "orientation %d", (int)orientation);

    const size_t count = (size_t)spec.channels * (size_t)spec.width * (size_t)spec.height;
    float *out = malloc(count * sizeof *out);
    er_error err = {ER_OK, ""};
    er_code rc;
    if (two_step) {
        er_image img;
        rc = er_image_decode(r.p, r.n, max_pixels, exif, &img, &err);
        if (rc == ER_OK) {
            FUZZ_REQUIRE(img.pixels && img.width > 0 && img.height > 0 && img.channels >= 1 && img.channels <= 4,
                         "decoded %dx%dx%d", (int)img.width, (int)img.height, (int)img.channels);
            FUZZ_REQUIRE((uint64_t)img.width * (uint64_t)img.height <= max_pixels, "over the limit");
            rc = er_image_prepare(&img, &spec, out, &err);
            er_image_free(&img);
        } else {
            FUZZ_REQUIRE(img.pixels == NULL, "pixels left after a failure");
        }
    } else {
        double ms = -1;
        rc = er_image_decode_prepare(r.p, r.n, max_pixels, exif, &spec, out, &ms, &err);
        FUZZ_REQUIRE(ms >= 0, "prepare time %g", ms);
    }
    FUZZ_REQUIRE(rc == err.code, "returned %d, error says %d", (int)rc, (int)err.code);
    if (rc == ER_OK) {
        /* (p/255 - mean)/std for p in 0..255 */
        for (size_t i = 0; i < count; i++) {
            const int c = spec.channels == 1 ? 0 : (int)(i / ((size_t)spec.width * (size_t)spec.height));
            const float lo = (0 - spec.norm[2 * c]) / spec.norm[2 * c + 1] - 1e-3f,
                        hi = (1 - spec.norm[2 * c]) / spec.norm[2 * c + 1] + 1e-3f;
            FUZZ_REQUIRE(out[i] >= lo && out[i] <= hi, "value %g at %zu outside [%g, %g]", out[i], i, lo, hi);
        }
    } else {
        FUZZ_REQUIRE(rc == ER_E_DECODE || rc == ER_E_LIMIT || rc == ER_E_MEMORY, "code %s: %s", er_code_name(rc),
                     err.message);
        FUZZ_REQUIRE(err.message[0] != '\0', "no message for %s", er_code_name(rc));
        FUZZ_REQUIRE(rc != ER_E_MEMORY, "out of memory: %s", err.message);
    }
    free(out);
    FUZZ_REQUIRE(er_mem_live_blocks() == before, "%zu blocks live, %zu before: %s", er_mem_live_blocks(), before,
                 err.message);
    return 0;
}
