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
        er_code rc = er_image_decode(png, len, 1000, &img, &err);
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
    er_code rc = er_image_decode(bmp, len, 1000, &img, &err);
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
    er_code rc = er_image_decode(png, len, 50000000, &img, &err);
    er_mem_fail_after(0);
    test_free(png);
    CHECK_INT(rc, ER_E_LIMIT);
    CHECK_STR(err.message, "the image is 10000x10000 = 100000000 pixels, over the limit of 50000000");
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
    CHECK_INT(er_image_decode(png, len, 15, &img, &err), ER_E_LIMIT);
    CHECK_STR(err.message, "the image is 4x4 = 16 pixels, over the limit of 15");
    CHECK_INT(er_image_decode(png, len, 16, &img, &err), ER_OK);
    er_image_free(&img);
    test_free(png);
}

static void image_decode_should_give_stbs_reason_for_data_it_cannot_read(void)
{
    er_image img;
    er_error err;
    const uint8_t text[] = "this is not an image at all";
    CHECK_INT(er_image_decode(text, sizeof text, 1000, &img, &err), ER_E_DECODE);
    CHECK_STR(err.message, "not a decodable JPEG, PNG, BMP, GIF or TGA image (stb_image: unknown image type)");
    CHECK_INT(er_image_decode(text, 0, 1000, &img, &err), ER_E_DECODE);
    CHECK_STR(err.message, "the image is empty (0 bytes)");

    uint8_t px[8 * 8 * 3];
    fill(px, sizeof px);
    size_t len;
    uint8_t *png = test_png(8, 8, 3, px, &len);
    size_t before = er_mem_live_blocks();
    CHECK_INT(er_image_decode(png, len / 2, 1000, &img, &err), ER_E_DECODE); /* truncated */
    CHECK(strstr(err.message, "(stb_image: ") != NULL);
    CHECK_INT(er_mem_live_blocks(), before);
    png[41] = 0x79; /* the zlib header's check bits no longer add up */
    CHECK_INT(er_image_decode(png, len, 1000, &img, &err), ER_E_DECODE);
    CHECK_STR(err.message, "the image data is corrupt or unsupported (stb_image: bad zlib header)");
    CHECK_INT(er_mem_live_blocks(), before);
    /* A deflate block of the reserved type 3: stb fails without a reason,
       and the previous image's reason must not be reported as this one's. */
    png[41] = 0x78;
    png[43] = 7;
    CHECK_INT(er_image_decode(png, len, 1000, &img, &err), ER_E_DECODE);
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
        er_code rc = er_image_decode(jpeg, len, 1000, &img, &err);
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
        er_code rc = er_image_decode(png, len, 1000, &img, &err);
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

void run_image_tests(void)
{
    RUN(image_decode_should_read_png_with_one_to_four_channels);
    RUN(image_decode_should_read_bmp);
    RUN(image_decode_should_refuse_an_image_over_the_limit_before_allocating);
    RUN(image_decode_should_take_the_limit_it_is_given);
    RUN(image_decode_should_give_stbs_reason_for_data_it_cannot_read);
    RUN(image_decode_should_refuse_huffman_tables_that_would_overrun_stb);
    RUN(image_decode_should_turn_any_failed_allocation_into_e_memory);
}
