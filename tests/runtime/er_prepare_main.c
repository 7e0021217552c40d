/* er_prepare_main.c - build/tests/er-prepare: decode + prepare image files.

     er-prepare IMAGE WIDTH HEIGHT CHANNELS CROP(0|1)
       writes the prepared tensor before normalisation (mean 0, std 1, so the
       values are pixel / 255) as raw little-endian float32, CHW, to stdout;
       on failure prints "E_CODE: message" to stderr and exits 1.
     er-prepare --damage COUNT IMAGE...
       decodes and prepares COUNT damaged copies of each image (bytes
       overwritten, bits flipped, the end cut off; a fixed sequence) and
       prints how each fared. In a JPEG with an EXIF block, every other copy
       is damaged inside that block only, so that its offsets and counts are
       the ones that lie. Each copy also goes through er_image_decode_prepare
       twice, so that JPEGs are decoded streamed at reduced scales too. Each copy is a block of its own of exactly its
       length, and the driver is built with ASan and UBSan: any read past the
       data or other memory error aborts it, which is the point.

     er-prepare --truncated IMAGE...
       cuts each image at 65 points (len * k / 64 for k = 1..63, then len - 2
       and len - 1) and decodes every cut copy (again a block of exactly its length) on
       the three paths --damage takes; prints "FILE<TAB>CUT<TAB>LEN" and per
       path the code's name, with ":HASH" of the prepared tensor when OK
       (FNV-1a of its bytes). The whole file first: its line has CUT = LEN.

     er-prepare --decode IMAGE
       writes the decoded pixels upright (EXIF orientation applied) to
       stdout: width, height and channels as three little-endian int32,
       then the rows, channels interleaved - what Pillow's
       ImageOps.exif_transpose(Image.open(IMAGE)) holds.
     er-prepare --stream IMAGE WIDTH HEIGHT CHANNELS CROP(0|1)
       as the first form, through er_image_decode_prepare (the path the
       protocol takes: large JPEGs decoded at a reduced scale and streamed).

   The driver of tests/js/prepare-pillow.test.mjs and jpeg-pillow.test.mjs. */
#include "er_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "er-prepare: %s\n", what);
    return 2;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16;
    uint8_t *data = malloc(cap);
    *len = 0;
    for (size_t n; data && (n = fread(data + *len, 1, cap - *len, f)) > 0;) {
        *len += n;
        if (*len == cap) {
            uint8_t *bigger = realloc(data, cap *= 2);
            if (!bigger) free(data);
            data = bigger;
        }
    }
    fclose(f);
    return data;
}

/* Decode (upright by EXIF) and prepare; *orientation gets the image's. */
static er_code decode_and_prepare(const uint8_t *data, size_t len, const er_prepare_spec *spec, float *out,
                                  int32_t *orientation, er_error *err)
{
    er_image img;
    er_code rc = er_image_decode(data, len, ER_DEFAULT_MAX_PIXELS, 1, &img, err);
    *orientation = img.orientation;
    if (rc == ER_OK) rc = er_image_prepare(&img, spec, out, err);
    er_image_free(&img);
    return rc;
}

/* The bytes [*start, *end) of the first APP1 "Exif\0\0" segment's contents
   after the SOI; 0 when there is none. Only for files the test wrote. */
static int exif_block(const uint8_t *d, size_t len, size_t *start, size_t *end)
{
    for (size_t i = 2; len >= 10 && i + 10 <= len; i++)
        if (d[i] == 0xff && d[i + 1] == 0xe1 && memcmp(d + i + 4, "Exif\0\0", 6) == 0) {
            *start = i + 4;
            *end = i + 2 + ((size_t)d[i + 2] << 8 | d[i + 3]);
            return *end <= len && *end > *start;
        }
    return 0;
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int damage(int count, int n_files, char **files)
{
    uint64_t seed = 0x9e3779b97f4a7c15u;
    const er_prepare_spec spec = {7, 5, 3, 0, {0, 1, 0, 1, 0, 1}}, tiny = {2, 2, 3, 1, {0, 1, 0, 1, 0, 1}};
    float out[7 * 5 * 3];
    for (int f = 0; f < n_files; f++) {
        size_t len;
        uint8_t *original = read_file(files[f], &len), *copy = malloc(len + 1);
        if (!original || !copy || len == 0) return fail("cannot read an image");
        size_t from = 0, to = len;
        int has_exif = exif_block(original, len, &from, &to), exif_damaged = 0;
        int codes[ER_CODE_COUNT] = {0}, stream_codes[ER_CODE_COUNT] = {0}, orientations[9] = {0};
        for (int i = 0; i < count; i++) {
            memcpy(copy, original, len);
            size_t n = len;
            const int in_exif = has_exif && i % 2;
            exif_damaged += in_exif;
            for (int k = 1 + (int)(next_random(&seed) % 8); k > 0; k--) {
                size_t at = in_exif ? from + next_random(&seed) % (to - from) : next_random(&seed) % len;
                switch (next_random(&seed) % 3) {
                case 0: copy[at] = (uint8_t)next_random(&seed); break;
                case 1: copy[at] ^= (uint8_t)(1u << next_random(&seed) % 8); break;
                default: copy[at] = next_random(&seed) & 1 ? 0xff : 0x00; break;
                }
            }
            if (next_random(&seed) % 4 == 0) n = next_random(&seed) % len;
            uint8_t *exact = malloc(n ? n : 1);
            if (!exact) return fail("out of memory");
            memcpy(exact, copy, n);
            er_error err;
            int32_t orientation = 0;
            er_code rc = decode_and_prepare(exact, n, &spec, out, &orientation, &err);
            /* and streamed (er_image_decode_prepare): a JPEG decodes at 1/2
               for the 7x5 output, at 1/4 or 1/8 for a 2x2 crop */
            for (int k = 0; k < 2; k++) {
                double ms;
                er_code streamed = er_image_decode_prepare(exact, n, ER_DEFAULT_MAX_PIXELS, 1, k ? &tiny : &spec,
                                                           out, &ms, &err);
                stream_codes[streamed]++;
            }
            free(exact);
            codes[rc]++;
            if (rc == ER_OK) orientations[orientation >= 1 && orientation <= 8 ? orientation : 0]++;
        }
        printf("%s: %d damaged copies (%d in the EXIF block): %d prepared, %d E_DECODE, %d E_LIMIT, %d E_MEMORY; "
               "streamed twice: %d prepared, %d E_DECODE, %d E_LIMIT, %d E_MEMORY; prepared by orientation 1-8:",
               files[f], count, exif_damaged, codes[ER_OK], codes[ER_E_DECODE], codes[ER_E_LIMIT], codes[ER_E_MEMORY],
               stream_codes[ER_OK], stream_codes[ER_E_DECODE], stream_codes[ER_E_LIMIT], stream_codes[ER_E_MEMORY]);
        for (int o = 1; o <= 8; o++) printf(" %d", orientations[o]);
        printf("\n");
        free(original);
        free(copy);
    }
    return 0;
}

/* "OK:hash" of out, or the code's name. */
static const char *outcome(er_code rc, const float *out, size_t count, char buf[32])
{
    if (rc != ER_OK) return er_code_name(rc);
    uint64_t h = 0xcbf29ce484222325u;
    const uint8_t *b = (const uint8_t *)out;
    for (size_t i = 0; i < count * sizeof *out; i++) h = (h ^ b[i]) * 0x100000001b3u;
    snprintf(buf, 32, "OK:%016llx", (unsigned long long)h);
    return buf;
}

static int truncations(int n_files, char **files)
{
    const er_prepare_spec spec = {7, 5, 3, 0, {0, 1, 0, 1, 0, 1}}, tiny = {2, 2, 3, 1, {0, 1, 0, 1, 0, 1}};
    float out[7 * 5 * 3];
    for (int f = 0; f < n_files; f++) {
        size_t len;
        uint8_t *original = read_file(files[f], &len);
        if (!original || len < 2) return fail("cannot read an image");
        size_t cuts[66] = {len}; /* the whole file first */
        for (int k = 1; k < 64; k++) cuts[k] = len * (size_t)k / 64;
        cuts[64] = len - 2;
        cuts[65] = len - 1;
        for (int i = 0; i < 66; i++) {
            const size_t n = cuts[i];
            if (n == 0) continue;
            uint8_t *exact = malloc(n);
            if (!exact) return fail("out of memory");
            memcpy(exact, original, n);
            er_error err;
            int32_t orientation;
            double ms;
            char ha[32], hb[32], hc[32];
            er_code rc = decode_and_prepare(exact, n, &spec, out, &orientation, &err);
            const char *a = outcome(rc, out, 7 * 5 * 3, ha);
            rc = er_image_decode_prepare(exact, n, ER_DEFAULT_MAX_PIXELS, 1, &spec, out, &ms, &err);
            const char *b = outcome(rc, out, 7 * 5 * 3, hb);
            rc = er_image_decode_prepare(exact, n, ER_DEFAULT_MAX_PIXELS, 1, &tiny, out, &ms, &err);
            const char *c = outcome(rc, out, 2 * 2 * 3, hc);
            printf("%s\t%zu\t%zu\t%s\t%s\t%s\n", files[f], n, len, a, b, c);
            free(exact);
        }
        free(original);
    }
    return 0;
}

/* The upright pixels of a decoded image, header first (see the usage above). */
static int decode_upright(const char *path)
{
    size_t len;
    uint8_t *data = read_file(path, &len);
    if (!data) return fail("cannot read the image");
    er_image img;
    er_error err;
    er_code rc = er_image_decode(data, len, ER_DEFAULT_MAX_PIXELS, 1, &img, &err);
    free(data);
    if (rc != ER_OK) {
        fprintf(stderr, "%s: %s\n", er_code_name(rc), err.message);
        return 1;
    }
    const int32_t head[3] = {img.width, img.height, img.channels};
    const er_image_steps at = er_image_layout(&img);
    size_t row_bytes = (size_t)img.width * (size_t)img.channels;
    uint8_t *row = malloc(row_bytes);
    int ok = row && fwrite(head, sizeof head, 1, stdout) == 1;
    for (int32_t y = 0; ok && y < img.height; y++) {
        for (int32_t x = 0; x < img.width; x++) {
            size_t from = at.origin + (size_t)x * (size_t)at.right + (size_t)y * (size_t)at.down;
            memcpy(row + (size_t)x * (size_t)img.channels, img.pixels + from, (size_t)img.channels);
        }
        ok = fwrite(row, 1, row_bytes, stdout) == row_bytes;
    }
    free(row);
    er_image_free(&img);
    return ok ? 0 : fail("cannot write the output");
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--damage") == 0) return damage(atoi(argv[2]), argc - 3, argv + 3);
    if (argc == 3 && strcmp(argv[1], "--decode") == 0) return decode_upright(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "--truncated") == 0) return truncations(argc - 2, argv + 2);
    const int stream = argc == 7 && strcmp(argv[1], "--stream") == 0;
    if (stream) {
        argv++;
        argc--;
    }
    if (argc != 6)
        return fail("usage: er-prepare [--stream] IMAGE WIDTH HEIGHT CHANNELS CROP(0|1) | er-prepare --damage COUNT "
                    "IMAGE... | er-prepare --decode IMAGE");
    size_t len;
    uint8_t *data = read_file(argv[1], &len);
    if (!data) return fail("cannot read the image");
    er_prepare_spec spec = {atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), {0, 1, 0, 1, 0, 1}};
    if (spec.width < 1 || spec.height < 1 || spec.width > 4096 || spec.height > 4096) return fail("bad size");
    size_t count = (size_t)spec.width * spec.height * (spec.channels == 1 ? 1 : 3);
    float *out = malloc(count * sizeof(float));
    er_error err;
    int32_t orientation;
    double prepare_ms;
    er_code rc = !out     ? er_fail(&err, ER_E_MEMORY, "no memory")
                 : stream ? er_image_decode_prepare(data, len, ER_DEFAULT_MAX_PIXELS, 1, &spec, out, &prepare_ms, &err)
                          : decode_and_prepare(data, len, &spec, out, &orientation, &err);
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
