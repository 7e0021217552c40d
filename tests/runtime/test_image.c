/* test_image.c - er_image_decode: formats, the pixel limit, failures. */
#include "er_runtime.h"
#include "er_test.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

static void fill(uint8_t *px, size_t n)
{
    for (size_t i = 0; i < n; i++) px[i] = (uint8_t)(i * 53 + 7);
}

static void image_decode_should_read_png_with_one_to_four_channels(void)
{
    uint8_t px[5 * 3 * 4];
    fill(px, sizeof px);
    for (int channels = 1; channels <= 4; channels++) {
        size_t len;
        uint8_t *png = test_png(5, 3, channels, px, &len);
        er_image img;
        er_error err;
        er_code rc = er_image_decode(png, len, 1000, 1, &img, &err);
        test_free(png);
        CHECK_INT(rc, ER_OK);
        CHECK_INT(img.width, 5);
        CHECK_INT(img.height, 3);
        CHECK_INT(img.channels, channels);
        CHECK(memcmp(img.pixels, px, (size_t)5 * 3 * channels) == 0);
        er_image_free(&img);
        CHECK(img.pixels == NULL);
    }
}

static void image_decode_should_read_bmp(void)
{
    uint8_t px[3 * 2 * 3];
    fill(px, sizeof px);
    size_t len;
    uint8_t *bmp = test_bmp(3, 2, px, &len);
    er_image img;
    er_error err;
    er_code rc = er_image_decode(bmp, len, 1000, 1, &img, &err);
    test_free(bmp);
    CHECK_INT(rc, ER_OK);
    CHECK_INT(img.channels, 3);
    CHECK(memcmp(img.pixels, px, sizeof px) == 0);
    er_image_free(&img);
}

static void image_decode_should_refuse_an_image_over_the_limit_before_allocating(void)
{
    uint8_t px[4 * 4];
    fill(px, sizeof px);
    size_t len;
    uint8_t *png = test_png(4, 4, 1, px, &len);
    /* Claim 10,000 x 10,000 in the header; the data stays 16 pixels. */
    const uint8_t huge[8] = {0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10};
    memcpy(png + 16, huge, 8);
    er_image img;
    er_error err;
    size_t before = er_mem_live_blocks();
    /* The verdict must not depend on memory: stb's header probes may take a
       parser struct (the JPEG probe does, and gives up quietly without it),
       but nothing the size of the image. */
    er_mem_fail_after(1);
    er_code rc = er_image_decode(png, len, 50000000, 1, &img, &err);
    er_mem_fail_after(0);
    test_free(png);
    CHECK_INT(rc, ER_E_LIMIT);
    CHECK_STR(err.message, "the image is 10000x10000 = 100000000 pixels, over the limit max_pixels = 50000000");
    CHECK_INT(er_mem_live_blocks(), before);
    CHECK(img.pixels == NULL);
}

static void image_decode_should_take_the_limit_it_is_given(void)
{
    uint8_t px[4 * 4];
    fill(px, sizeof px);
    size_t len;
    uint8_t *png = test_png(4, 4, 1, px, &len);
    er_image img;
    er_error err;
    CHECK_INT(er_image_decode(png, len, 15, 1, &img, &err), ER_E_LIMIT);
    CHECK_STR(err.message, "the image is 4x4 = 16 pixels, over the limit max_pixels = 15");
    CHECK_INT(er_image_decode(png, len, 16, 1, &img, &err), ER_OK);
    er_image_free(&img);
    test_free(png);
}

static void image_decode_should_refuse_an_empty_idat_before_the_image_data(void)
{
    /* stb would memcpy 0 bytes to its NULL buffer (undefined behaviour;
       tests/fuzz/regressions/image/png-empty-idat-memcpy-null). test_png
       writes signature, IHDR (25 bytes), then IDAT: an empty IDAT goes
       between them; one after the data is harmless and still decodes. */
    uint8_t px[4 * 4];
    fill(px, sizeof px);
    size_t len;
    uint8_t *png = test_png(4, 4, 1, px, &len);
    static const uint8_t empty[12] = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xaf, 0x06, 0x1e};
    uint8_t *bad = malloc(len + 12);
    memcpy(bad, png, 33);
    memcpy(bad + 33, empty, 12);
    memcpy(bad + 45, png + 33, len - 33);
    er_image img;
    er_error err;
    size_t before = er_mem_live_blocks();
    CHECK_INT(er_image_decode(bad, len + 12, 50000000, 1, &img, &err), ER_E_DECODE);
    CHECK_STR(err.message, "corrupt PNG: an empty IDAT chunk at byte 33, before any image data");
    CHECK_INT(er_mem_live_blocks(), before);
    free(bad);
    test_free(png);
}

static void image_decode_should_refuse_an_idat_longer_than_the_file_before_allocating_for_it(void)
{
    /* stb grows its IDAT buffer to the declared length before reading:
       tests/fuzz/regressions/image/png-idat-length-past-the-end-oom made it
       allocate 2 GiB. Here the first IDAT's length says 0x7fffffff. */
    uint8_t px[4 * 4];
    fill(px, sizeof px);
    size_t len;
    uint8_t *png = test_png(4, 4, 1, px, &len);
    uint8_t *bad = malloc(len);
    memcpy(bad, png, len);
    CHECK(memcmp(bad + 37, "IDAT", 4) == 0); /* test_png writes IDAT right after IHDR */
    bad[33] = 0x7f, bad[34] = bad[35] = bad[36] = 0xff;
    er_image img;
    er_error err;
    size_t before = er_mem_live_blocks();
    CHECK_INT(er_image_decode(bad, len, 50000000, 1, &img, &err), ER_E_DECODE);
    CHECK_STR(err.message, "corrupt PNG: the IDAT chunk at byte 33 declares 2147483647 bytes, past the end of the file");
    CHECK_INT(er_mem_live_blocks(), before);
    free(bad);
    test_free(png);
}

static void image_decode_should_give_stbs_reason_for_data_it_cannot_read(void)
{
    er_image img;
    er_error err;
    const uint8_t text[] = "this is not an image at all";
    CHECK_INT(er_image_decode(text, sizeof text, 1000, 1, &img, &err), ER_E_DECODE);
    CHECK_STR(err.message, "not a decodable JPEG, PNG, BMP, GIF or TGA image (stb_image: unknown image type)");
    CHECK_INT(er_image_decode(text, 0, 1000, 1, &img, &err), ER_E_DECODE);
    CHECK_STR(err.message, "the image is empty (0 bytes)");

    uint8_t px[8 * 8 * 3];
    fill(px, sizeof px);
    size_t len;
    uint8_t *png = test_png(8, 8, 3, px, &len);
    size_t before = er_mem_live_blocks();
    /* Truncated inside its IDAT: refused before stb allocates for the chunk. */
    CHECK_INT(er_image_decode(png, len / 2, 1000, 1, &img, &err), ER_E_DECODE);
    CHECK(strstr(err.message, "corrupt PNG: the IDAT chunk at byte 33 declares ") == err.message);
    CHECK_INT(er_mem_live_blocks(), before);
    png[41] = 0x79; /* the zlib header's check bits no longer add up */
    CHECK_INT(er_image_decode(png, len, 1000, 1, &img, &err), ER_E_DECODE);
    CHECK_STR(err.message, "the image data is corrupt or unsupported (stb_image: bad zlib header)");
    CHECK_INT(er_mem_live_blocks(), before);
    /* A deflate block of the reserved type 3: stb fails without a reason,
       and the previous image's reason must not be reported as this one's. */
    png[41] = 0x78;
    png[43] = 7;
    CHECK_INT(er_image_decode(png, len, 1000, 1, &img, &err), ER_E_DECODE);
    CHECK_STR(err.message, "the image data is corrupt or unsupported");
    CHECK_INT(er_mem_live_blocks(), before);
    test_free(png);
}

/* A JPEG whose DHT declares 16 x 32 = 512 Huffman symbols (at most 256 fit),
   its segment length honest (declared_length 0) or too short to hold it. */
static uint8_t *oversized_dht_jpeg(int declared_length, size_t *len)
{
    uint8_t *j = calloc(4 + 4 + 17 + 512 + 2, 1), *o = j;
    *o++ = 0xff; /* a fill byte before SOI, which stb accepts */
    *o++ = 0xff;
    *o++ = 0xd8;
    int length = declared_length ? declared_length : 2 + 17 + 512;
    *o++ = 0xff;
    *o++ = 0xc4;
    *o++ = (uint8_t)(length >> 8);
    *o++ = (uint8_t)length;
    *o++ = 0x00; /* DC table 0 */
    for (int k = 0; k < 16; k++) *o++ = 32;
    for (int k = 0; k < 512; k++) *o++ = (uint8_t)k;
    *o++ = 0xff;
    *o++ = 0xd9;
    *len = (size_t)(o - j);
    return j;
}

static void image_decode_should_refuse_huffman_tables_that_would_overrun_stb(void)
{
    /* Debian's stb_image 2.27 writes past its tables for these; under ASan
       this test crashes if the check in er_image.c is lost. */
    for (int declared = 0; declared <= 3; declared += 3) {
        size_t len;
        uint8_t *jpeg = oversized_dht_jpeg(declared, &len);
        er_image img;
        er_error err;
        er_code rc = er_image_decode(jpeg, len, 1000, 1, &img, &err);
        free(jpeg);
        CHECK_INT(rc, ER_E_DECODE);
        CHECK_STR(err.message, "corrupt JPEG: a Huffman table of more than 256 symbols at byte 7");
    }
}

static void image_decode_should_turn_any_failed_allocation_into_e_memory(void)
{
    uint8_t px[300 * 2 * 4];
    fill(px, sizeof px);
    size_t len;
    uint8_t *png = test_png(300, 2, 4, px, &len);
    size_t before = er_mem_live_blocks();
    int failures = 0;
    for (uint32_t n = 1;; n++) {
        er_image img;
        er_error err;
        er_mem_fail_after(n);
        er_code rc = er_image_decode(png, len, 1000, 1, &img, &err);
        int fired = er_mem_fail_after(0) == 0;
        CHECK(rc == ER_OK || rc == ER_E_MEMORY);
        if (rc == ER_OK) {
            CHECK(memcmp(img.pixels, px, sizeof px) == 0);
            er_image_free(&img);
        } else {
            failures++;
        }
        CHECK_INT(er_mem_live_blocks(), before);
        if (!fired) break; /* the decode needed fewer than n allocations */
    }
    test_free(png);
    CHECK(failures >= 3);
}

/* ---- EXIF orientation --------------------------------------------------- */

/* A JPEG of 24 x 16 grey pixels in six flat blocks, a b c over d e f. */
static const uint8_t block_levels[6] = {10, 50, 90, 130, 170, 210};

static uint8_t *plain_jpeg(size_t *len)
{
    return test_jpeg(24, 16, block_levels, len);
}

/* plain_jpeg with an EXIF block saying orientation o. */
static uint8_t *exif_jpeg(int big_endian, int o, size_t *len)
{
    uint8_t tiff[TEST_TIFF_LEN];
    test_tiff(tiff, big_endian, o);
    size_t n;
    uint8_t *jpeg = plain_jpeg(&n), *out = test_with_exif(jpeg, n, tiff, sizeof tiff, len);
    test_free(jpeg);
    return out;
}

/* er_exif_orientation of exactly len bytes in a block of their own, so
   that ASan sees any read past them. */
static int32_t orientation_of(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    int32_t o = er_exif_orientation(copy, len);
    free(copy);
    return o;
}

/* Where the TIFF block of exif_jpeg starts: SOI, APP1 marker and length, "Exif\0\0". */
enum { TIFF_AT = 2 + 4 + 6, APP1_END = TIFF_AT + TEST_TIFF_LEN };

static void exif_orientation_should_read_each_orientation_in_both_byte_orders(void)
{
    for (int big = 0; big <= 1; big++)
        for (int o = 1; o <= 8; o++) {
            size_t len;
            uint8_t *jpeg = exif_jpeg(big, o, &len);
            CHECK_INT(orientation_of(jpeg, len), o);
            CHECK_INT(orientation_of(jpeg, APP1_END), o); /* nothing after the block is needed */
            test_free(jpeg);
        }
}

static void exif_orientation_should_take_the_first_exif_block_that_has_the_tag(void)
{
    uint8_t tiff[TEST_TIFF_LEN];
    test_tiff(tiff, 1, 3);
    size_t n, len;
    uint8_t *six = exif_jpeg(0, 6, &n), *both = test_with_exif(six, n, tiff, sizeof tiff, &len);
    CHECK_INT(orientation_of(both, len), 3);
    both[TIFF_AT - 3] = 'x'; /* "Exix": an APP1 of some other kind (XMP is one) */
    CHECK_INT(orientation_of(both, len), 6);
    both[TIFF_AT - 3] = 'f';
    test_put(both + TIFF_AT + TEST_TIFF_ENTRY, 0x0100, 2, 1); /* the first holds no orientation */
    CHECK_INT(orientation_of(both, len), 6);
    test_free(six);
    test_free(both);
}

static void exif_orientation_should_skip_fill_bytes_and_stray_bytes_before_a_marker(void)
{
    size_t len;
    uint8_t *jpeg = exif_jpeg(1, 8, &len), *padded = malloc(len + 4);
    memcpy(padded, jpeg, 2);
    memcpy(padded + 2, "\x00\x13\xff\xff\xff", 5); /* libjpeg skips both (with a warning) */
    memcpy(padded + 7, jpeg + 3, len - 3);
    CHECK_INT(orientation_of(padded, len + 4), 8);
    test_free(jpeg);
    free(padded);
}

static void exif_orientation_should_be_1_for_a_missing_tag_or_anything_absurd(void)
{
    static const struct {
        const char *what;
        int at, bytes; /* where in the TIFF block, how wide */
        uint32_t value;
    } damage[] = {
        {"no such byte order", 0, 2, 0x494d},
        {"not TIFF's 42", 2, 2, 43},
        {"IFD0 past the block", 4, 4, 0xffffffff},
        {"IFD0 at the end of the block", 4, 4, TEST_TIFF_LEN},
        {"IFD0 a byte short of its count", 4, 4, TEST_TIFF_LEN - 1},
        {"IFD0 at the last two bytes (0 entries)", 4, 4, TEST_TIFF_LEN - 2},
        {"no entries", TEST_TIFF_IFD, 2, 0},
        {"another tag", TEST_TIFF_ENTRY, 2, 0x0100},
        {"a LONG, not a SHORT", TEST_TIFF_ENTRY + 2, 2, 4},
        {"two values", TEST_TIFF_ENTRY + 4, 4, 2},
        {"a count of 2^32 - 1", TEST_TIFF_ENTRY + 4, 4, 0xffffffff},
        {"orientation 0", TEST_TIFF_ENTRY + 8, 2, 0},
        {"orientation 9", TEST_TIFF_ENTRY + 8, 2, 9},
        {"orientation 65535", TEST_TIFF_ENTRY + 8, 2, 0xffff},
    };
    for (int big = 0; big <= 1; big++)
        for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
            size_t len;
            uint8_t *jpeg = exif_jpeg(big, 6, &len);
            test_put(jpeg + TIFF_AT + damage[i].at, damage[i].value, damage[i].bytes, big);
            if (orientation_of(jpeg, len) != 1)
                er_test_fail(__FILE__, __LINE__, damage[i].what, big ? "big-endian: not 1" : "little-endian: not 1");
            test_free(jpeg);
        }
}

static void exif_orientation_should_never_read_past_the_block_whatever_its_counts_say(void)
{
    size_t len;
    uint8_t *jpeg = exif_jpeg(0, 6, &len);
    /* 65,535 entries declared, one present and in order: it is read... */
    test_put(jpeg + TIFF_AT + TEST_TIFF_IFD, 0xffff, 2, 0);
    CHECK_INT(orientation_of(jpeg, len), 6);
    CHECK_INT(orientation_of(jpeg, APP1_END), 6);
    /* ...and when it is not the tag, the walk stops at the block's end (ASan checks). */
    test_put(jpeg + TIFF_AT + TEST_TIFF_ENTRY, 0x0100, 2, 0);
    CHECK_INT(orientation_of(jpeg, APP1_END), 1);
    test_free(jpeg);

    /* Every prefix of the file: orientation 6 once the block is whole, 1 before. */
    jpeg = exif_jpeg(1, 6, &len);
    for (size_t n = 0; n <= len; n++) CHECK_INT(orientation_of(jpeg, n), n >= APP1_END ? 6 : 1);
    /* A segment length too short for "Exif\0\0" and a TIFF header, under
       the 2 bytes of the length itself, and past the end of the data. */
    static const uint16_t lengths[] = {7, 1, 0, 0xffff};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        test_put(jpeg + 4, lengths[i], 2, 1);
        CHECK_INT(orientation_of(jpeg, len), 1);
    }
    test_free(jpeg);
}

static void exif_orientation_should_follow_no_ifd_but_the_first(void)
{
    /* IFD0 holds another tag and links to an IFD1 that holds orientation 6;
       then IFD0 links to itself. Only IFD0 counts, and nothing loops. */
    uint8_t tiff[TEST_TIFF_LEN + 18];
    for (int big = 0; big <= 1; big++) {
        test_tiff(tiff, big, 6);
        memcpy(tiff + TEST_TIFF_LEN, tiff + TEST_TIFF_IFD, 18); /* IFD1: the orientation */
        test_put(tiff + TEST_TIFF_ENTRY, 0x0100, 2, big);
        test_put(tiff + TEST_TIFF_NEXT, TEST_TIFF_LEN, 4, big);
        size_t n, len;
        uint8_t *jpeg = plain_jpeg(&n), *linked = test_with_exif(jpeg, n, tiff, sizeof tiff, &len);
        CHECK_INT(orientation_of(linked, len), 1);
        test_put(linked + TIFF_AT + TEST_TIFF_NEXT, TEST_TIFF_IFD, 4, big);
        CHECK_INT(orientation_of(linked, len), 1);
        test_free(jpeg);
        test_free(linked);
    }
}

static void exif_orientation_should_only_be_read_before_the_image_data(void)
{
    size_t len;
    uint8_t *jpeg = exif_jpeg(1, 6, &len), *moved = malloc(len + 4);
    /* SOI, then a segment, then the APP1: found after a DQT, not after SOS. */
    memcpy(moved, "\xff\xd8\xff\xdb\x00\x02", 6);
    memcpy(moved + 6, jpeg + 2, len - 2);
    CHECK_INT(orientation_of(moved, len + 4), 6);
    moved[3] = 0xda;
    CHECK_INT(orientation_of(moved, len + 4), 1);
    moved[3] = 0xd9;
    CHECK_INT(orientation_of(moved, len + 4), 1);
    /* Not a JPEG at all. */
    jpeg[1] = 0xd9;
    CHECK_INT(orientation_of(jpeg, len), 1);
    CHECK_INT(orientation_of(jpeg, 1), 1);
    CHECK_INT(orientation_of(jpeg, 0), 1);
    test_free(jpeg);
    free(moved);
}

static void image_decode_should_turn_a_jpeg_upright_by_its_exif_orientation(void)
{
    for (int o = 1; o <= 8; o++) {
        size_t len;
        uint8_t *jpeg = exif_jpeg(o % 2, o, &len);
        for (int exif = 0; exif <= 1; exif++) {
            er_image img;
            er_error err;
            CHECK_INT(er_image_decode(jpeg, len, 1000, exif, &img, &err), ER_OK);
            const char *grid = test_upright[exif ? o : 1];
            int across = (int)strcspn(grid, "/"), down = ((int)strlen(grid) + 1) / (across + 1);
            CHECK_INT(img.width, 8 * across);
            CHECK_INT(img.height, 8 * down);
            CHECK_INT(img.orientation, exif ? o : 1);
            CHECK_INT(img.channels, 1);
            er_prepare_spec spec = {img.width, img.height, 1, 0, {0, 1, 0, 1, 0, 1}};
            float out[24 * 16];
            CHECK_INT(er_image_prepare(&img, &spec, out, &err), ER_OK);
            for (int y = 0; y < img.height; y++)
                for (int x = 0; x < img.width; x++) {
                    int level = block_levels[grid[(y / 8) * (across + 1) + x / 8] - 'a'];
                    CHECK(out[y * img.width + x] == (float)level / 255.0f);
                }
            er_image_free(&img);
        }
        test_free(jpeg);
    }
}

void run_image_tests(void)
{
    RUN(image_decode_should_read_png_with_one_to_four_channels);
    RUN(image_decode_should_read_bmp);
    RUN(image_decode_should_refuse_an_image_over_the_limit_before_allocating);
    RUN(image_decode_should_take_the_limit_it_is_given);
    RUN(image_decode_should_refuse_an_empty_idat_before_the_image_data);
    RUN(image_decode_should_refuse_an_idat_longer_than_the_file_before_allocating_for_it);
    RUN(image_decode_should_give_stbs_reason_for_data_it_cannot_read);
    RUN(image_decode_should_refuse_huffman_tables_that_would_overrun_stb);
    RUN(image_decode_should_turn_any_failed_allocation_into_e_memory);
    RUN(exif_orientation_should_read_each_orientation_in_both_byte_orders);
    RUN(exif_orientation_should_take_the_first_exif_block_that_has_the_tag);
    RUN(exif_orientation_should_skip_fill_bytes_and_stray_bytes_before_a_marker);
    RUN(exif_orientation_should_be_1_for_a_missing_tag_or_anything_absurd);
    RUN(exif_orientation_should_never_read_past_the_block_whatever_its_counts_say);
    RUN(exif_orientation_should_follow_no_ifd_but_the_first);
    RUN(exif_orientation_should_only_be_read_before_the_image_data);
    RUN(image_decode_should_turn_a_jpeg_upright_by_its_exif_orientation);
}
