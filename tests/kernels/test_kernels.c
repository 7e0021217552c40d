/* test_kernels.c - every fast kernel against its plain reference, and the
   defined behaviour on hostile data, under ASan+UBSan.

   Buffers are allocated to their exact size so any overrun is an ASan error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "er_kernels.h"

static int failures, checks;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        checks++;                                         \
        if (!(cond)) {                                    \
            failures++;                                   \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);   \
            printf(__VA_ARGS__);                          \
            printf("\n");                                 \
        }                                                 \
    } while (0)

static uint32_t seed = 12345;
static float frand(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}
static int irand(int lo, int hi)
{
    seed = seed * 1664525u + 1013904223u;
    return lo + (int)((seed >> 8) % (uint32_t)(hi - lo + 1));
}
static float *random_floats(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}

static float max_diff(const float *a, const float *b, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= m)) m = d;
    }
    return m;
}

/* One random 2-D convolution through the fast kernel (GEMM or depthwise) and the reference. */
static void conv_case(int depthwise)
{
    er_conv_params p = {.nsp = 2, .n = irand(1, 2)};
    int groups = depthwise ? 0 : irand(1, 3);
    if (depthwise) {
        p.c_in = p.c_out = p.group = irand(1, 9);
    } else {
        p.group = groups;
        p.c_in = groups * irand(1, 6);
        p.c_out = groups * irand(1, 9);
    }
    for (int i = 0; i < 2; i++) {
        p.k[i] = irand(1, 5);
        p.stride[i] = irand(1, 3);
        p.dilation[i] = irand(1, 2);
        p.pad[i] = irand(0, p.k[i] - 1);
        p.x_dims[i] = irand(p.k[i], 19);
        int span = (p.k[i] - 1) * p.dilation[i] + 1, pad_end = irand(0, p.k[i] - 1);
        int avail = p.x_dims[i] + p.pad[i] + pad_end - span;
        if (avail < 0) { p.x_dims[i] += -avail; avail = 0; }
        p.y_dims[i] = avail / p.stride[i] + 1;
    }
    p.act = irand(0, ER_ACT_COUNT - 1);
    p.alpha = p.act == ER_ACT_CLIP ? -0.5f : 0.2f;
    p.beta = p.act == ER_ACT_CLIP ? 0.7f : 0.5f;
    size_t xn = (size_t)p.n * p.c_in * p.x_dims[0] * p.x_dims[1];
    size_t yn = (size_t)p.n * p.c_out * p.y_dims[0] * p.y_dims[1];
    size_t wn = (size_t)p.c_out * (p.c_in / p.group) * p.k[0] * p.k[1];
    float *x = random_floats(xn), *w = random_floats(wn), *b = random_floats((size_t)p.c_out);
    float *r = irand(0, 1) ? random_floats(yn) : NULL;
    float *want = malloc(yn * sizeof *want), *got = malloc(yn * sizeof *got);
    int use_bias = irand(0, 1);
    er_f32_conv__scalar(&p, x, w, use_bias ? b : NULL, r, want);
    if (depthwise) {
        er_f32_dwconv2d__vec128(&p, x, w, use_bias ? b : NULL, r, got);
    } else {
        int32_t pn = er_conv2d_gemm_packed_count(&p), sn = er_conv2d_gemm_scratch_count(&p);
        float *packed = malloc((size_t)pn * sizeof *packed);
        float *scratch = sn ? malloc((size_t)sn * sizeof *scratch) : NULL;
        er_f32_conv2d_gemm_pack(&p, w, packed);
        er_f32_conv2d_gemm__vec128(&p, x, packed, use_bias ? b : NULL, r, got, scratch);
        free(packed);
        free(scratch);
    }
    float d = max_diff(got, want, yn);
    CHECK(d <= 1e-4f, "%s conv c_in %d c_out %d group %d x %dx%d k %dx%d s %d,%d d %d,%d pad %d,%d act %d: max diff %g",
          depthwise ? "depthwise" : "gemm", p.c_in, p.c_out, p.group, p.x_dims[0], p.x_dims[1], p.k[0], p.k[1],
          p.stride[0], p.stride[1], p.dilation[0], p.dilation[1], p.pad[0], p.pad[1], p.act, d);
    free(x);
    free(w);
    free(b);
    free(r);
    free(want);
    free(got);
}

static void conv_gemm_should_match_the_reference_on_random_shapes(void)
{
    for (int i = 0; i < 300; i++) conv_case(0);
}

static void depthwise_conv_should_match_the_reference_on_random_shapes(void)
{
    for (int i = 0; i < 300; i++) conv_case(1);
}

static void one_by_one_conv_should_read_its_input_without_im2col(void)
{
    er_conv_params p = {.nsp = 2, .n = 1, .c_in = 5, .c_out = 7, .group = 1, .x_dims = {3, 9}, .y_dims = {3, 9},
                        .k = {1, 1}, .stride = {1, 1}, .dilation = {1, 1}};
    CHECK(er_conv2d_gemm_scratch_count(&p) == 0, "a 1x1 conv needs no scratch");
    float *x = random_floats(5 * 27), *w = random_floats(35), want[7 * 27], got[7 * 27];
    float *packed = malloc((size_t)er_conv2d_gemm_packed_count(&p) * sizeof *packed);
    er_f32_conv__scalar(&p, x, w, NULL, NULL, want);
    er_f32_conv2d_gemm_pack(&p, w, packed);
    er_f32_conv2d_gemm__vec128(&p, x, packed, NULL, NULL, got, NULL);
    CHECK(max_diff(got, want, 7 * 27) <= 1e-5f, "1x1 conv differs");
    free(x);
    free(w);
    free(packed);
}

static void gather_should_zero_out_of_range_indices(void)
{
    const float x[6] = {1, 2, 3, 4, 5, 6}; /* [3, 2] */
    const int64_t idx[4] = {2, -1, 3, INT64_MIN};
    float y[8];
    er_gather_params p = {.outer = 1, .axis_len = 3, .n_idx = 4, .inner = 2, .idx_i64 = 1};
    er_x32_gather(&p, x, idx, y);
    const float want[8] = {5, 6, 5, 6, 0, 0, 0, 0};
    CHECK(!memcmp(y, want, sizeof want), "gather: %g %g %g %g %g %g %g %g", y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]);
}

static void integer_division_by_zero_should_give_zero_not_trap(void)
{
    const int32_t a[3] = {7, INT32_MIN, -7}, b[3] = {0, -1, 2};
    int32_t y[3];
    er_binary_params p = {.rank = 1, .dims = {3}, .a_strides = {1}, .b_strides = {1}};
    er_i32_div(&p, a, b, y);
    CHECK(y[0] == 0 && y[1] == INT32_MIN && y[2] == -3, "div: %d %d %d", y[0], y[1], y[2]);
    const int64_t big[2] = {INT64_MAX, INT64_MIN}, one[2] = {1, -1};
    int64_t s[2];
    er_binary_params q = {.rank = 1, .dims = {2}, .a_strides = {1}, .b_strides = {1}};
    er_i64_add(&q, big, one, s);
    CHECK(s[0] == INT64_MIN && s[1] == INT64_MAX, "add wraps: %lld %lld", (long long)s[0], (long long)s[1]);
}

static void float_to_int_casts_should_saturate_and_map_nan_to_zero(void)
{
    const float x[5] = {1e20f, -1e20f, NAN, 2.9f, -2.9f};
    int32_t y[5];
    uint8_t u[5];
    er_cast_params p = {.n = 5, .from = ER_DTYPE_FLOAT, .to = ER_DTYPE_INT32};
    er_cast(&p, x, y);
    CHECK(y[0] == INT32_MAX && y[1] == INT32_MIN && y[2] == 0 && y[3] == 2 && y[4] == -2, "cast i32: %d %d %d %d %d",
          y[0], y[1], y[2], y[3], y[4]);
    p.to = ER_DTYPE_UINT8;
    er_cast(&p, x, u);
    CHECK(u[0] == 255 && u[1] == 0 && u[2] == 0 && u[3] == 2 && u[4] == 0, "cast u8");
}

static void resample_tables_should_be_normalised_and_in_range(void)
{
    for (int filter = ER_FILTER_LINEAR; filter <= ER_FILTER_BOX; filter++)
        for (int in = 1; in <= 40; in += 3)
            for (int out = 1; out <= 40; out += 5) {
                er_resample_spec s = {.in_len = in, .out_len = out, .scale = (double)out / in, .filter = filter,
                                      .coord = ER_COORD_HALF_PIXEL, .antialias = 1, .exclude_outside = 1,
                                      .cubic_a = -0.5};
                int32_t taps = er_resample_taps(&s);
                CHECK(taps > 0, "taps for %d -> %d", in, out);
                int32_t *idx = malloc((size_t)taps * out * sizeof *idx);
                float *w = malloc((size_t)taps * out * sizeof *w);
                CHECK(er_resample_table(&s, taps, idx, w) == 0, "table %d -> %d", in, out);
                for (int j = 0; j < out; j++) {
                    double sum = 0;
                    for (int t = 0; t < taps; t++) {
                        sum += w[j * taps + t];
                        CHECK(idx[j * taps + t] >= 0 && idx[j * taps + t] < in, "index in range");
                    }
                    CHECK(fabs(sum - 1.0) < 1e-5, "filter %d %d -> %d: weights of %d sum to %g", filter, in, out, j, sum);
                }
                free(idx);
                free(w);
            }
    er_resample_spec bad = {.in_len = 0, .out_len = 4, .scale = 1.0, .filter = ER_FILTER_LINEAR};
    CHECK(er_resample_taps(&bad) < 0, "an empty input is refused");
}

/* ---- weight storage (er_weights.c) ---- */

/* The value of binary16 bits h, from its definition (sign, exponent, mantissa). */
static double half_value(uint16_t h)
{
    int exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    double v = exp ? ldexp(1.0 + man / 1024.0, exp - 15) : ldexp(man / 1024.0, -14);
    return h & 0x8000 ? -v : v;
}

static void f16_widening_should_be_exact_for_every_half(void)
{
    static uint16_t h[65536];
    static float y[65536];
    for (int i = 0; i < 65536; i++) h[i] = (uint16_t)i;
    er_widen_params p = {.n = 65536};
    er_f32_from_f16(&p, h, y);
    int bad = 0;
    for (int i = 0; i < 65536 && bad < 5; i++) {
        int exp = (i >> 10) & 0x1f;
        if (exp == 0x1f) {
            int ok = (i & 0x3ff) ? isnan(y[i]) : isinf(y[i]) && (signbit(y[i]) != 0) == ((i & 0x8000) != 0);
            if (!ok) bad++;
            CHECK(ok, "half 0x%04x (inf/NaN) widened to %g", i, y[i]);
        } else {
            int ok = (double)y[i] == half_value((uint16_t)i) && (signbit(y[i]) != 0) == ((i & 0x8000) != 0);
            if (!ok) bad++;
            CHECK(ok, "half 0x%04x widened to %.9g, is %.9g", i, y[i], half_value((uint16_t)i));
            /* and narrowing gives the same bits back */
            CHECK(er_f16_from_f32(y[i]) == i, "half 0x%04x -> %g -> 0x%04x", i, y[i], er_f16_from_f32(y[i]));
        }
    }
}

static void f16_narrowing_should_round_to_the_nearest_half_ties_to_even(void)
{
    for (int k = 0; k < 200000; k++) {
        /* magnitudes from 2^-26 to 2^17: subnormal halves, normals, overflow */
        float v = ldexpf(1.0f + frand() * 0.5f + 0.5f, irand(-26, 17)) * (k & 1 ? -1.0f : 1.0f);
        if (k % 7 == 0) { /* exact midpoints between neighbouring halves */
            uint16_t a = (uint16_t)irand(0, 0x7bfe);
            v = (float)((half_value(a) + half_value((uint16_t)(a + 1))) / 2);
        }
        uint16_t h = er_f16_from_f32(v);
        if (fabsf(v) >= 65520.0f) {
            CHECK((h & 0x7fff) == 0x7c00, "%g beyond the half range gives 0x%04x, not infinity", v, h);
            continue;
        }
        double got = fabs(half_value(h) - v);
        uint16_t up = (uint16_t)(h + 1), down = (uint16_t)(h - 1);
        double d_up = (up & 0x7fff) < 0x7c00 ? fabs(half_value(up) - v) : INFINITY;
        double d_down = (h & 0x7fff) ? fabs(half_value(down) - v) : INFINITY;
        CHECK(got <= d_up && got <= d_down, "%.9g -> 0x%04x (%.9g) is not the nearest half", v, h, half_value(h));
        if (got == d_up || got == d_down) CHECK((h & 1) == 0, "%.9g: a tie goes to the even half, got 0x%04x", v, h);
    }
    CHECK(er_f16_from_f32(65504.0f) == 0x7bff && er_f16_from_f32(-0.0f) == 0x8000 && er_f16_from_f32(1e-9f) == 0,
          "the largest half, negative zero, underflow");
}

static void int8_dequantization_should_scale_each_channel(void)
{
    /* [outer 2, channels 3, inner 2] */
    static const int8_t q[12] = {1, -1, 127, -127, 0, 5, 2, 3, -128, 4, 7, -7};
    static const float scale[3] = {0.5f, 0.25f, 2.0f};
    float y[12];
    er_dequant_params p = {.outer = 2, .channels = 3, .inner = 2};
    er_f32_dequant_i8(&p, q, scale, y);
    int ok = 1;
    for (int o = 0; o < 2; o++)
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 2; i++) {
                int at = (o * 3 + c) * 2 + i;
                ok &= y[at] == q[at] * scale[c];
            }
    CHECK(ok, "dequantized: %g %g %g %g %g %g", y[0], y[1], y[2], y[3], y[4], y[5]);
}

int main(void)
{
    conv_gemm_should_match_the_reference_on_random_shapes();
    depthwise_conv_should_match_the_reference_on_random_shapes();
    one_by_one_conv_should_read_its_input_without_im2col();
    gather_should_zero_out_of_range_indices();
    integer_division_by_zero_should_give_zero_not_trap();
    float_to_int_casts_should_saturate_and_map_nan_to_zero();
    resample_tables_should_be_normalised_and_in_range();
    f16_widening_should_be_exact_for_every_half();
    f16_narrowing_should_round_to_the_nearest_half_ties_to_even();
    int8_dequantization_should_scale_each_channel();
    printf("test-kernels: %d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
