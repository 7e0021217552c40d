/* test_prepare.c - er_image_prepare: orientation, crop, per-axis resize, colour, normalisation.

   Expected values are worked out by hand from Pillow's definitions (and the
   3 -> 2 box case was checked against Pillow 9.4 itself); the broad
   comparison with Pillow on real files is tests/js/prepare-pillow.test.mjs. */
#include "er_runtime.h"
#include "er_test.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const float no_norm[6] = {0, 1, 0, 1, 0, 1};

static er_prepare_spec spec_of(int width, int height, int channels, int crop)
{
    er_prepare_spec s;
    s.width = width;
    s.height = height;
    s.channels = channels;
    s.crop = crop;
    memcpy(s.norm, no_norm, sizeof s.norm);
    return s;
}

/* Prepare and scale back to 0..255 (norm 0/1), so expectations read as pixels. */
static er_code prepare(const er_image *img, const er_prepare_spec *s, float *out, er_error *err)
{
    er_code rc = er_image_prepare(img, s, out, err);
    if (rc == ER_OK)
        for (int i = 0; i < s->width * s->height * s->channels; i++) out[i] *= 255.0f;
    return rc;
}

/* All |got - want| <= tol. */
static int close_to(const float *got, const float *want, int n, float tol)
{
    for (int i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= tol)) return 0;
    return 1;
}

static void prepare_should_keep_pixels_exact_when_no_resize_is_needed(void)
{
    uint8_t px[2 * 2 * 3] = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
    er_image img = {2, 2, 3, px, 1};
    er_prepare_spec s = spec_of(2, 2, 3, 0);
    float out[12];
    er_error err;
    CHECK_INT(er_image_prepare(&img, &s, out, &err), ER_OK);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 4; i++) CHECK(out[c * 4 + i] == (float)px[i * 3 + c] / 255.0f); /* NCHW */
}

static void prepare_should_normalise_each_channel_as_torchvision_does(void)
{
    uint8_t px[3] = {200, 100, 7};
    er_image img = {1, 1, 3, px, 1};
    er_prepare_spec s = spec_of(1, 1, 3, 0);
    const float norm[6] = {0.485f, 0.229f, 0.456f, 0.224f, 0.406f, 0.225f};
    memcpy(s.norm, norm, sizeof norm);
    float out[3];
    er_error err;
    CHECK_INT(er_image_prepare(&img, &s, out, &err), ER_OK);
    for (int c = 0; c < 3; c++) {
        float want = ((float)px[c] / 255.0f - norm[2 * c]) / norm[2 * c + 1];
        CHECK(out[c] == want); /* bit for bit: the same float operations */
    }
}

static void prepare_should_crop_the_centred_square_of_a_landscape_image(void)
{
    uint8_t px[5 * 3] = {0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24};
    er_image img = {5, 3, 1, px, 1};
    er_prepare_spec s = spec_of(3, 3, 1, 1);
    float out[9], want[9] = {1, 2, 3, 11, 12, 13, 21, 22, 23}; /* offset (5 - 3) / 2 = 1 */
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 9, 1e-4f));
}

static void prepare_should_crop_a_portrait_image_with_the_offset_rounded_down(void)
{
    uint8_t px[2 * 5] = {0, 1, 10, 11, 20, 21, 30, 31, 40, 41};
    er_image img = {2, 5, 1, px, 1};
    er_prepare_spec s = spec_of(2, 2, 1, 1);
    float out[4], want[4] = {10, 11, 20, 21}; /* offset (5 - 2) / 2 = 1 */
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 4, 1e-4f));
}

static void prepare_should_read_the_stored_pixels_upright_for_each_orientation(void)
{
    /* Stored 3 x 2 RGB pixels a b c / d e f; channel c of pixel p is 40p + c + 1. */
    uint8_t px[6 * 3];
    for (int i = 0; i < 18; i++) px[i] = (uint8_t)(40 * (i / 3) + i % 3 + 1);
    for (int o = 0; o <= 9; o++) { /* 0 and 9 are no orientation: as stored */
        const char *grid = test_upright[o <= 8 ? o : 1];
        int across = (int)strcspn(grid, "/"), down = ((int)strlen(grid) + 1) / (across + 1);
        er_image img = {across, down, 3, px, o};
        er_prepare_spec s = spec_of(across, down, 3, 0);
        float out[18];
        er_error err;
        CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < down; y++)
                for (int x = 0; x < across; x++) {
                    int p = grid[y * (across + 1) + x] - 'a';
                    CHECK(fabsf(out[(c * down + y) * across + x] - (float)(40 * p + c + 1)) <= 1e-4f);
                }
    }
}

static void prepare_should_crop_after_turning_the_image_upright(void)
{
    /* The landscape image of the crop test above, stored with orientation 6
       (turn clockwise): upright it is 3 x 5, rows 20 10 0 / 21 11 1 / ... */
    uint8_t px[5 * 3] = {0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24};
    er_image img = {3, 5, 1, px, 6};
    er_prepare_spec s = spec_of(3, 3, 1, 1);
    float out[9], want[9] = {21, 11, 1, 22, 12, 2, 23, 13, 3}; /* upright rows 1..3 */
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 9, 1e-4f));
}

static void prepare_should_average_areas_when_shrinking(void)
{
    uint8_t px[4 * 4] = {0, 10, 100, 110, 20, 30, 120, 130, 200, 202, 0, 0, 204, 206, 0, 4};
    er_image img = {4, 4, 1, px, 1};
    er_prepare_spec s = spec_of(2, 2, 1, 0);
    float out[4], want[4] = {15, 115, 203, 1};
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 4, 1e-3f));
}

static void prepare_should_give_an_edge_sample_to_the_left_box_as_pillow_does(void)
{
    /* Pillow: Image.fromarray([[10,100,250]]).resize((2,1), Image.BOX) == [[55, 250]]. */
    uint8_t px[3] = {10, 100, 250};
    er_image img = {3, 1, 1, px, 1};
    er_prepare_spec s = spec_of(2, 1, 1, 0);
    float out[2], want[2] = {55, 250};
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 2, 1e-3f));
}

static void prepare_should_interpolate_bilinearly_when_enlarging(void)
{
    /* Half-pixel centres, the outermost outputs clamped to the edge samples. */
    uint8_t px[2] = {0, 200};
    er_image img = {2, 1, 1, px, 1};
    er_prepare_spec s = spec_of(4, 1, 1, 0);
    float out[4], want[4] = {0, 50, 150, 200};
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 4, 1e-3f));
}

static void prepare_should_shrink_one_axis_and_enlarge_the_other(void)
{
    /* 4 wide x 2 high -> 2 x 4: box pairs across, bilinear down. */
    uint8_t px[8] = {0, 20, 40, 60, 100, 120, 140, 160};
    er_image img = {4, 2, 1, px, 1};
    er_prepare_spec s = spec_of(2, 4, 1, 0);
    float out[8], want[8] = {10, 50, 35, 75, 85, 125, 110, 150};
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 8, 1e-3f));
}

static void prepare_should_composite_transparent_pixels_over_white(void)
{
    uint8_t px[3 * 4] = {100, 50, 0, 128, 9, 9, 9, 0, 1, 2, 3, 255};
    er_image img = {3, 1, 4, px, 1};
    er_prepare_spec s = spec_of(3, 1, 3, 0);
    float out[9];
    float want[9] = {100 * 128 / 255.0f + 127, 255, 1, 50 * 128 / 255.0f + 127, 255, 2, 127, 255, 3};
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 9, 1e-3f));
}

static void prepare_should_make_grey_with_itu_601_luma(void)
{
    uint8_t px[2 * 3] = {255, 0, 0, 10, 200, 30};
    er_image img = {2, 1, 3, px, 1};
    er_prepare_spec s = spec_of(2, 1, 1, 0);
    float out[2], want[2] = {255 * 0.299f, 10 * 0.299f + 200 * 0.587f + 30 * 0.114f};
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 2, 1e-3f));
}

static void prepare_should_spread_grey_and_grey_alpha_over_three_channels(void)
{
    uint8_t px[2 * 2] = {40, 255, 40, 51};
    er_image img = {2, 1, 2, px, 1};
    er_prepare_spec s = spec_of(2, 1, 3, 0);
    float out[6], a = 40 * 51 / 255.0f + 204;
    float want[6] = {40, a, 40, a, 40, a};
    er_error err;
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(close_to(out, want, 6, 1e-3f));
    s.channels = 1; /* and grey stays grey, exactly */
    CHECK_INT(prepare(&img, &s, out, &err), ER_OK);
    CHECK(out[0] == 40.0f);
}

static void prepare_should_reject_a_spec_it_cannot_honour(void)
{
    uint8_t px[3] = {1, 2, 3};
    er_image img = {1, 1, 3, px, 1};
    float out[3];
    er_error err;
    er_prepare_spec s = spec_of(1, 1, 2, 0);
    CHECK_INT(er_image_prepare(&img, &s, out, &err), ER_E_FIELD);
    CHECK_STR(err.message, "channels is 2; 1 (grey) or 3 (RGB) are supported");
    s = spec_of(0, 1, 3, 0);
    CHECK_INT(er_image_prepare(&img, &s, out, &err), ER_E_FIELD);
    CHECK_STR(err.message, "the output size 0x1 is empty");
    s = spec_of(1, 1, 3, 0);
    s.norm[3] = 0.0f;
    CHECK_INT(er_image_prepare(&img, &s, out, &err), ER_E_FIELD);
    CHECK_STR(err.message, "norm[3] (a std) must be finite and non-zero");
    s.norm[3] = 1.0f;
    s.norm[4] = NAN;
    CHECK_INT(er_image_prepare(&img, &s, out, &err), ER_E_FIELD);
    CHECK_STR(err.message, "norm[4] (a mean) is not finite");
}

static void prepare_should_refuse_sizes_the_resize_cannot_index(void)
{
    uint8_t px[3] = {1, 2, 3};
    er_image img = {1, 1, 3, px, 1};
    er_error err;
    er_prepare_spec s = spec_of(INT32_MAX / 2, 1, 3, 0);
    CHECK_INT(er_image_prepare(&img, &s, NULL, &err), ER_E_LIMIT);
    CHECK_STR(err.message, "the output width 1073741823 is too large");
}

static void prepare_should_refuse_a_shrink_too_steep_for_one_pass(void)
{
    const int width = 100000; /* 100,000 -> 4 pixels needs 50,000 taps per output */
    uint8_t *px = calloc(width, 1);
    CHECK(px);
    er_image img = {width, 1, 1, px, 1};
    er_prepare_spec s = spec_of(4, 1, 1, 0);
    float out[4];
    er_error err;
    size_t before = er_mem_live_blocks();
    er_code rc = er_image_prepare(&img, &s, out, &err);
    free(px);
    CHECK_INT(rc, ER_E_LIMIT);
    CHECK_STR(err.message, "cannot resize 100000 pixels to 4 in one pass (the ratio is too large)");
    CHECK_INT(er_mem_live_blocks(), before);
}

static void prepare_should_free_everything_whichever_allocation_fails(void)
{
    uint8_t px[7 * 5 * 4];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 37);
    er_image img = {7, 5, 4, px, 1};
    er_prepare_spec s = spec_of(3, 9, 3, 1); /* crop, shrink across, enlarge down: every buffer */
    float out[3 * 9 * 3], want[3 * 9 * 3];
    er_error err;
    CHECK_INT(er_image_prepare(&img, &s, want, &err), ER_OK);
    size_t before = er_mem_live_blocks();
    int failures = 0;
    for (uint32_t n = 1;; n++) {
        er_mem_fail_after(n);
        er_code rc = er_image_prepare(&img, &s, out, &err);
        int fired = er_mem_fail_after(0) == 0;
        CHECK_INT(er_mem_live_blocks(), before);
        CHECK(rc == ER_OK || rc == ER_E_MEMORY);
        failures += rc == ER_E_MEMORY;
        if (!fired) break;
    }
    CHECK(failures >= 5); /* two tables per axis, the row, the intermediate, the result */
    CHECK(memcmp(out, want, sizeof out) == 0);
}


/* ---- er_image_decode_prepare: JPEGs streamed, at reduced scales ---------- */

/* A grey JPEG of width x height in flat 8x8 blocks of pseudo-random levels
   (test_jpeg): every block's pixels equal its DC, so a reduced-scale decode
   loses nothing and must agree with the full-size path. */
static uint8_t *blocky_jpeg(int width, int height, size_t *len)
{
    const int blocks = ((width + 7) / 8) * ((height + 7) / 8);
    uint8_t *levels = malloc((size_t)blocks);
    for (int i = 0; i < blocks; i++) levels[i] = (uint8_t)(40 + (i * 97 + i / 7 * 31) % 180);
    uint8_t *jpeg = test_jpeg(width, height, levels, len);
    free(levels);
    return jpeg;
}

static void decode_prepare_should_agree_with_the_two_step_path_at_every_scale(void)
{
    size_t len;
    uint8_t *jpeg = blocky_jpeg(300, 212, &len);
    /* crop 212: 32 -> scale 1/2 (106 >= 64), 12 -> 1/8 (26 >= 24), 100 -> 1
       (212/2 < 200), 60x40 uncropped -> 1/2 */
    const int sizes[][3] = {{32, 32, 1}, {12, 12, 1}, {100, 100, 1}, {60, 40, 0}, {5, 3, 0}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        er_prepare_spec spec = spec_of(sizes[k][0], sizes[k][1], 3, sizes[k][2]);
        const size_t n = (size_t)3 * spec.width * spec.height;
        float *two_step = malloc(n * sizeof(float)), *streamed = malloc(n * sizeof(float));
        er_image img;
        er_error err;
        CHECK_INT(er_image_decode(jpeg, len, 1000000, 1, &img, &err), ER_OK);
        CHECK_INT(er_image_prepare(&img, &spec, two_step, &err), ER_OK);
        er_image_free(&img);
        double ms = -1;
        size_t before = er_mem_live_blocks();
        CHECK_INT(er_image_decode_prepare(jpeg, len, 1000000, 1, &spec, streamed, &ms, &err), ER_OK);
        CHECK_INT(er_mem_live_blocks(), before);
        CHECK(ms >= 0);
        float worst = 0;
        for (size_t i = 0; i < n; i++) worst = fmaxf(worst, fabsf(two_step[i] - streamed[i]) * 255.0f);
        CHECK(worst < 0.01f); /* flat blocks: the cells' means are exact */
        free(two_step);
        free(streamed);
    }
    test_free(jpeg);
}

static void decode_prepare_should_refuse_an_image_over_the_limit(void)
{
    size_t len;
    uint8_t *jpeg = blocky_jpeg(64, 48, &len);
    er_prepare_spec spec = spec_of(8, 8, 3, 1);
    float out[3 * 8 * 8];
    er_error err;
    double ms;
    CHECK_INT(er_image_decode_prepare(jpeg, len, 64 * 48 - 1, 1, &spec, out, &ms, &err), ER_E_LIMIT);
    CHECK_STR(err.message, "the image is 64x48 = 3072 pixels, over the limit max_pixels = 3071");
    test_free(jpeg);
}

static void decode_prepare_should_free_everything_whichever_allocation_fails(void)
{
    size_t len;
    uint8_t *jpeg = blocky_jpeg(200, 120, &len);
    er_prepare_spec spec = spec_of(16, 16, 3, 1); /* scale 1/2: the cell path */
    float out[3 * 16 * 16];
    int failures = 0;
    for (uint32_t n = 1;; n++) {
        size_t before = er_mem_live_blocks();
        er_error err;
        double ms;
        er_mem_fail_after(n);
        er_code rc = er_image_decode_prepare(jpeg, len, 1000000, 1, &spec, out, &ms, &err);
        int fired = er_mem_fail_after(0) == 0;
        CHECK_INT(er_mem_live_blocks(), before);
        if (rc != ER_OK) {
            CHECK_INT(rc, ER_E_MEMORY);
            failures++;
        }
        if (!fired) break;
    }
    CHECK(failures >= 10);
    test_free(jpeg);
}

void run_prepare_tests(void)
{
    RUN(prepare_should_keep_pixels_exact_when_no_resize_is_needed);
    RUN(prepare_should_normalise_each_channel_as_torchvision_does);
    RUN(prepare_should_crop_the_centred_square_of_a_landscape_image);
    RUN(prepare_should_crop_a_portrait_image_with_the_offset_rounded_down);
    RUN(prepare_should_read_the_stored_pixels_upright_for_each_orientation);
    RUN(prepare_should_crop_after_turning_the_image_upright);
    RUN(prepare_should_average_areas_when_shrinking);
    RUN(prepare_should_give_an_edge_sample_to_the_left_box_as_pillow_does);
    RUN(prepare_should_interpolate_bilinearly_when_enlarging);
    RUN(prepare_should_shrink_one_axis_and_enlarge_the_other);
    RUN(prepare_should_composite_transparent_pixels_over_white);
    RUN(prepare_should_make_grey_with_itu_601_luma);
    RUN(prepare_should_spread_grey_and_grey_alpha_over_three_channels);
    RUN(prepare_should_reject_a_spec_it_cannot_honour);
    RUN(prepare_should_refuse_sizes_the_resize_cannot_index);
    RUN(prepare_should_refuse_a_shrink_too_steep_for_one_pass);
    RUN(prepare_should_free_everything_whichever_allocation_fails);
    RUN(decode_prepare_should_agree_with_the_two_step_path_at_every_scale);
    RUN(decode_prepare_should_refuse_an_image_over_the_limit);
    RUN(decode_prepare_should_free_everything_whichever_allocation_fails);
}
