/* test_kernels.c - every fast kernel against its plain reference, and the
   defined behaviour on hostile data, under ASan+UBSan.

   Buffers are allocated to their exact size so any overrun is an ASan error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "er_kernels.h"
#include "er_micro.h"

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

/* [n][c][plane] <-> [n][plane][c]: to_nhwc 1 from NCHW, 0 back. */
static float *relayout(const float *a, int n, int c, int plane, int to_nhwc)
{
    float *b = malloc((size_t)n * c * plane * sizeof *b);
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
            for (int q = 0; q < plane; q++) {
                size_t nchw = ((size_t)i * c + ch) * plane + q, nhwc = ((size_t)i * plane + q) * c + ch;
                if (to_nhwc) b[nhwc] = a[nchw];
                else b[nchw] = a[nhwc];
            }
    return b;
}

enum conv_path { CONV_GEMM, CONV_DEPTHWISE, CONV_IGEMM_NHWC, CONV_DEPTHWISE_NHWC };
static const char *const conv_path_names[] = {"gemm", "depthwise", "igemm-nhwc", "depthwise-nhwc"};

/* One random 2-D convolution through a fast kernel and the reference; the
   channels-last kernels get x and residual transposed and their y back. */
static void conv_case(enum conv_path path)
{
    const int depthwise = path == CONV_DEPTHWISE || path == CONV_DEPTHWISE_NHWC;
    er_conv_params p = {.nsp = 2, .n = irand(1, 2)};
    int groups = depthwise ? 0 : path == CONV_IGEMM_NHWC ? 1 : irand(1, 3);
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
    if (path == CONV_IGEMM_NHWC || path == CONV_DEPTHWISE_NHWC) {
        const int xp = p.x_dims[0] * p.x_dims[1], yp = p.y_dims[0] * p.y_dims[1], ig = path == CONV_IGEMM_NHWC;
        float *xt = relayout(x, p.n, p.c_in, xp, 1), *rt = r ? relayout(r, p.n, p.c_out, yp, 1) : NULL;
        float *yt = malloc(yn * sizeof *yt);
        int64_t pn = ig ? er_conv2d_igemm_nhwc_packed_count(&p) : er_dwconv2d_nhwc_packed_count(&p);
        int64_t sn = ig ? er_conv2d_igemm_nhwc_scratch_count(&p) : er_dwconv2d_nhwc_scratch_count(&p);
        float *packed = malloc((size_t)pn * sizeof *packed), *scratch = malloc((size_t)sn * sizeof *scratch);
        if (ig) {
            er_f32_conv2d_igemm_nhwc_pack(&p, w, packed);
            er_f32_conv2d_igemm_nhwc__vec128(&p, xt, packed, use_bias ? b : NULL, rt, yt, scratch);
        } else {
            er_f32_dwconv2d_nhwc_pack(&p, w, packed);
            er_f32_dwconv2d_nhwc__vec128(&p, xt, packed, use_bias ? b : NULL, rt, yt, scratch);
        }
        float *back = relayout(yt, p.n, p.c_out, yp, 0);
        memcpy(got, back, yn * sizeof *got);
        free(xt), free(rt), free(yt), free(packed), free(scratch), free(back);
    } else if (depthwise) {
        er_f32_dwconv2d__vec128(&p, x, w, use_bias ? b : NULL, r, got);
    } else {
        int64_t pn = er_conv2d_gemm_packed_count(&p), sn = er_conv2d_gemm_scratch_count(&p);
        float *packed = malloc((size_t)pn * sizeof *packed);
        float *scratch = malloc((size_t)sn * sizeof *scratch);
        er_f32_conv2d_gemm_pack(&p, w, packed);
        er_f32_conv2d_gemm__vec128(&p, x, packed, use_bias ? b : NULL, r, got, scratch);
        free(packed);
        free(scratch);
    }
    float d = max_diff(got, want, yn);
    CHECK(d <= 1e-4f, "%s conv c_in %d c_out %d group %d x %dx%d k %dx%d s %d,%d d %d,%d pad %d,%d act %d: max diff %g",
          conv_path_names[path], p.c_in, p.c_out, p.group, p.x_dims[0], p.x_dims[1], p.k[0], p.k[1],
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
    for (int i = 0; i < 300; i++) conv_case(CONV_GEMM);
}

static void depthwise_conv_should_match_the_reference_on_random_shapes(void)
{
    for (int i = 0; i < 300; i++) conv_case(CONV_DEPTHWISE);
}

static void channels_last_convs_should_match_the_reference_on_random_shapes(void)
{
    for (int i = 0; i < 300; i++) conv_case(CONV_IGEMM_NHWC);
    for (int i = 0; i < 300; i++) conv_case(CONV_DEPTHWISE_NHWC);
}

static void conv_gemm_scratch_should_be_one_cache_sized_block_not_an_im2col_matrix(void)
{
    /* resnet20's first stage: im2col would need 144 x 1024 floats. */
    er_conv_params big = {.nsp = 2, .n = 1, .c_in = 16, .c_out = 16, .group = 1, .x_dims = {32, 32},
                          .y_dims = {32, 32}, .k = {3, 3}, .stride = {1, 1}, .dilation = {1, 1}, .pad = {1, 1}};
    CHECK(er_conv2d_gemm_scratch_count(&big) <= 8192, "scratch %lld floats", (long long)er_conv2d_gemm_scratch_count(&big));
    er_conv_params p = {.nsp = 2, .n = 1, .c_in = 5, .c_out = 7, .group = 1, .x_dims = {3, 9}, .y_dims = {3, 9},
                        .k = {1, 1}, .stride = {1, 1}, .dilation = {1, 1}};
    float *x = random_floats(5 * 27), *w = random_floats(35), want[7 * 27], got[7 * 27];
    float *packed = malloc((size_t)er_conv2d_gemm_packed_count(&p) * sizeof *packed);
    float *scratch = malloc((size_t)er_conv2d_gemm_scratch_count(&p) * sizeof *scratch);
    er_f32_conv__scalar(&p, x, w, NULL, NULL, want);
    er_f32_conv2d_gemm_pack(&p, w, packed);
    er_f32_conv2d_gemm__vec128(&p, x, packed, NULL, NULL, got, scratch);
    CHECK(max_diff(got, want, 7 * 27) <= 1e-5f, "1x1 conv differs");
    free(x);
    free(w);
    free(packed);
    free(scratch);
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

/* ---- micro-kernels: every variant against its scalar reference ---- */

static er_epilogue random_epilogue(void)
{
    er_epilogue ep = {irand(0, ER_ACT_COUNT - 1), 0.2f, 0.5f};
    if (ep.act == ER_ACT_CLIP) ep.alpha = -0.5f, ep.beta = 0.7f;
    return ep;
}

static void gemm_4x8_vec128_should_match_its_reference_on_odd_shapes(void)
{
    for (int i = 0; i < 400; i++) {
        const int32_t mr = irand(1, ER_GEMM_MR), nc = irand(0, 37), kc = irand(0, 40);
        const int32_t ldc = nc + irand(0, 3), groups = (nc + ER_GEMM_NR - 1) / ER_GEMM_NR;
        /* B row-major (its rows readable to nc rounded up to 4) or in packed strips of NR columns. */
        const int strips = irand(0, 1);
        const int32_t ldb = strips ? ER_GEMM_NR : (nc + 3) / 4 * 4 + irand(0, 5);
        const int64_t bs = strips ? (int64_t)kc * ER_GEMM_NR + irand(0, 3) : ER_GEMM_NR;
        const size_t bn = strips ? (size_t)(groups * bs) : (size_t)kc * ldb;
        const er_epilogue ep = random_epilogue();
        float *a = random_floats((size_t)kc * ER_GEMM_MR), *b = random_floats(bn);
        float *bias = irand(0, 1) ? random_floats((size_t)mr) : NULL;
        const size_t cn = (size_t)(mr - 1) * ldc + nc;
        float *r = irand(0, 1) ? random_floats(cn) : NULL;
        float *want = random_floats(cn), *got = malloc((cn ? cn : 1) * sizeof *got);
        memcpy(got, want, cn * sizeof *got);
        er_f32_gemm_4x8__scalar(mr, nc, kc, a, b, ldb, bs, bias, r, want, ldc, &ep);
        er_f32_gemm_4x8__vec128(mr, nc, kc, a, b, ldb, bs, bias, r, got, ldc, &ep);
        float d = max_diff(got, want, cn);
        CHECK(d <= 1e-4f, "gemm 4x8 mr %d nc %d kc %d %s act %d: max diff %g", mr, nc, kc, strips ? "strips" : "rows",
              ep.act, d);
        free(a), free(b), free(bias), free(r), free(want), free(got);
    }
}

static void gemm_1x8_vec128_should_match_the_reference_on_one_row(void)
{
    for (int i = 0; i < 300; i++) {
        const int32_t nc = irand(0, 37), kc = irand(0, 40), groups = (nc + ER_GEMM_NR - 1) / ER_GEMM_NR;
        const int strips = irand(0, 1);
        const int32_t ldb = strips ? ER_GEMM_NR : (nc + 3) / 4 * 4 + irand(0, 5);
        const int64_t bs = strips ? (int64_t)kc * ER_GEMM_NR + irand(0, 3) : ER_GEMM_NR;
        const size_t bn = strips ? (size_t)(groups * bs) : (size_t)kc * ldb;
        const er_epilogue none = {ER_ACT_NONE, 0.0f, 0.0f};
        float *a = random_floats((size_t)kc * ER_GEMM_MR), *b = random_floats(bn);
        float *want = random_floats((size_t)nc + 1), *got = malloc(((size_t)nc + 1) * sizeof *got);
        memcpy(got, want, ((size_t)nc + 1) * sizeof *got);
        er_f32_gemm_4x8__scalar(1, nc, kc, a, b, ldb, bs, NULL, NULL, want, nc, &none);
        er_f32_gemm_1x8__vec128(nc, kc, a, b, ldb, bs, got);
        float d = max_diff(got, want, (size_t)nc + 1); /* and the float past the row untouched */
        CHECK(d <= 1e-4f, "gemm 1x8 nc %d kc %d %s: max diff %g", nc, kc, strips ? "strips" : "rows", d);
        free(a), free(b), free(want), free(got);
    }
}

/* The indirection pointers point into one buffer of random rows, or at a
   zero row, as the drivers' do. */
static void igemm_4x8_vec128_should_match_its_reference_on_odd_shapes(void)
{
    for (int i = 0; i < 400; i++) {
        const int32_t mr = irand(1, ER_GEMM_MR), nc = irand(0, 37), kc = irand(0, 23), ks = irand(1, 9);
        const int32_t ldc = nc + irand(0, 3), strips = (nc + ER_GEMM_NR - 1) / ER_GEMM_NR, rows = 7;
        const er_epilogue ep = random_epilogue();
        float *src = random_floats((size_t)rows * kc), *zero = calloc((size_t)kc + 1, sizeof *zero);
        const float **a = malloc((size_t)ks * ER_GEMM_MR * sizeof *a);
        for (int32_t t = 0; t < ks * ER_GEMM_MR; t++) a[t] = irand(0, 4) ? src + (size_t)irand(0, rows - 1) * kc : zero;
        float *w = random_floats((size_t)strips * ks * kc * ER_GEMM_NR);
        float *bias = irand(0, 1) ? random_floats((size_t)nc) : NULL;
        const size_t cn = (size_t)(mr - 1) * ldc + nc;
        float *r = irand(0, 1) ? random_floats(cn) : NULL;
        float *want = random_floats(cn), *got = malloc((cn ? cn : 1) * sizeof *got);
        memcpy(got, want, cn * sizeof *got);
        er_f32_igemm_4x8__scalar(mr, nc, kc, ks, a, w, bias, r, want, ldc, &ep);
        er_f32_igemm_4x8__vec128(mr, nc, kc, ks, a, w, bias, r, got, ldc, &ep);
        float d = max_diff(got, want, cn);
        CHECK(d <= 1e-4f, "igemm 4x8 mr %d nc %d kc %d ks %d act %d: max diff %g", mr, nc, kc, ks, ep.act, d);
        free(src), free(zero), free(a), free(w), free(bias), free(r), free(want), free(got);
    }
}

static void dwconv_nhwc_vec128_should_match_its_reference_for_every_channel_count(void)
{
    for (int32_t channels = 1; channels <= 37; channels++)
        for (int rep = 0; rep < 8; rep++) {
            const int32_t ks = irand(1, 25), cs = (channels + 3) / 4 * 4 + 4 * irand(0, 1), rows = 5;
            const int32_t pixels = irand(0, 3);
            const size_t yn = (size_t)pixels * channels;
            const er_epilogue ep = random_epilogue();
            float *src = random_floats((size_t)rows * channels), *zero = calloc((size_t)channels, sizeof *zero);
            const float **x = malloc(((size_t)pixels * ks + 1) * sizeof *x);
            for (int32_t t = 0; t < pixels * ks; t++)
                x[t] = irand(0, 4) ? src + (size_t)irand(0, rows - 1) * channels : zero;
            float *w = random_floats((size_t)ks * cs), *bias = irand(0, 1) ? random_floats((size_t)channels) : NULL;
            float *r = irand(0, 1) ? random_floats(yn) : NULL;
            float *want = malloc((yn + 1) * sizeof *want), *got = malloc((yn + 1) * sizeof *got);
            er_f32_dwconv_nhwc__scalar(pixels, channels, ks, x, w, cs, bias, r, want, &ep);
            er_f32_dwconv_nhwc__vec128(pixels, channels, ks, x, w, cs, bias, r, got, &ep);
            float d = max_diff(got, want, yn);
            CHECK(d <= 1e-4f, "dwconv nhwc %d pixels channels %d ks %d cs %d act %d: max diff %g", pixels, channels, ks,
                  cs, ep.act, d);
            free(src), free(zero), free(x), free(w), free(bias), free(r), free(want), free(got);
        }
}

static void dwconv_micro_kernels_should_match_their_references(void)
{
    static const struct {
        int k, s;
        er_f32_dwconv_ukernel *ref, *vec;
    } variants[] = {
        {3, 1, er_f32_dwconv_3x3s1__scalar, er_f32_dwconv_3x3s1__vec128},
        {3, 2, er_f32_dwconv_3x3s2__scalar, er_f32_dwconv_3x3s2__vec128},
        {5, 1, er_f32_dwconv_5x5s1__scalar, er_f32_dwconv_5x5s1__vec128},
        {5, 2, er_f32_dwconv_5x5s2__scalar, er_f32_dwconv_5x5s2__vec128},
    };
    for (int v = 0; v < 4; v++)
        for (int i = 0; i < 150; i++) {
            const int k = variants[v].k, s = variants[v].s;
            /* Small planes run through a zero-padded copy, large ones in place with scalar borders: both. */
            const int big = i % 4 == 0;
            er_dw_geom g = {.h = big ? irand(60, 90) : irand(1, 23), .w = big ? irand(60, 90) : irand(1, 23),
                            .pt = irand(0, k - 1), .pl = irand(0, k - 1)};
            const int pb = irand(0, k - 1), pr = irand(0, k - 1);
            if (g.h + g.pt + pb < k) g.h = k;
            if (g.w + g.pl + pr < k) g.w = k;
            g.ho = (g.h + g.pt + pb - k) / s + 1;
            g.wo = (g.w + g.pl + pr - k) / s + 1;
            const er_epilogue ep = random_epilogue();
            const size_t yn = (size_t)g.ho * g.wo;
            float *x = random_floats((size_t)g.h * g.w), *w = random_floats((size_t)k * k);
            float *r = irand(0, 1) ? random_floats(yn) : NULL;
            float *want = malloc(yn * sizeof *want), *got = malloc(yn * sizeof *got);
            const float bias = frand();
            variants[v].ref(&g, x, w, bias, r, want, &ep);
            variants[v].vec(&g, x, w, bias, r, got, &ep);
            float d = max_diff(got, want, yn);
            CHECK(d <= 1e-5f, "dwconv %dx%ds%d %dx%d pads %d,%d act %d: max diff %g", k, k, s, g.h, g.w, g.pt, g.pl,
                  ep.act, d);
            free(x), free(w), free(r), free(want), free(got);
        }
}

static void activation_micro_kernel_should_match_its_reference_for_every_activation_and_length(void)
{
    for (int act = 0; act < ER_ACT_COUNT; act++)
        for (int n = 0; n <= 37; n++) {
            er_epilogue ep = random_epilogue();
            ep.act = act;
            /* Wide inputs, so Sigmoid's and SiLU's clamped and saturated ranges are reached too. */
            float *want = random_floats((size_t)n), *got = malloc((n ? n : 1) * sizeof *got);
            for (int i = 0; i < n; i++) want[i] *= i % 3 ? 12.0f : 120.0f;
            if (n) memcpy(got, want, (size_t)n * sizeof *got);
            er_f32_vact__scalar(n, want, &ep);
            er_f32_vact__vec128(n, got, &ep);
            float d = 0.0f;
            for (int i = 0; i < n; i++) {
                const float e = fabsf(got[i] - want[i]) / (fabsf(want[i]) > 1.0f ? fabsf(want[i]) : 1.0f);
                if (!(e <= d)) d = e;
            }
            CHECK(d <= 1e-6f, "vact act %d n %d: max relative diff %g", act, n, d);
            free(want), free(got);
        }
}

static const struct wino_variant {
    const char *name;
    int m, a;
    er_f32_wino2x2_in_ukernel *in_ref, *in_vec;
    er_f32_wino2x2_out_ukernel *out_ref, *out_vec;
    void (*run)(const er_conv_params *, const float *, const float *, const float *, const float *, float *, float *);
    void (*pack)(const er_conv_params *, const float *, float *);
    int64_t (*packed_count)(const er_conv_params *), (*scratch_count)(const er_conv_params *);
} wino_variants[] = {
    {"F(2x2,3x3)", 2, 4, er_f32_wino2x2_in__scalar, er_f32_wino2x2_in__vec128, er_f32_wino2x2_out__scalar,
     er_f32_wino2x2_out__vec128, er_f32_conv2d_wino2x2__vec128, er_f32_conv2d_wino2x2_pack,
     er_conv2d_wino2x2_packed_count, er_conv2d_wino2x2_scratch_count},
    {"F(4x4,3x3)", 4, 6, er_f32_wino4x4_in__scalar, er_f32_wino4x4_in__vec128, er_f32_wino4x4_out__scalar,
     er_f32_wino4x4_out__vec128, er_f32_conv2d_wino4x4__vec128, er_f32_conv2d_wino4x4_pack,
     er_conv2d_wino4x4_packed_count, er_conv2d_wino4x4_scratch_count},
};

static void winograd_transforms_should_match_their_references_at_every_border(void)
{
    for (int vi = 0; vi < 2; vi++) {
        const struct wino_variant *wv = &wino_variants[vi];
        const int a2 = wv->a * wv->a;
        for (int i = 0; i < 300; i++) {
            const int32_t ch = irand(1, 3), h = irand(1, 22), w = irand(1, 22), r0 = irand(-2, h), c0 = irand(-2, w);
            const int32_t vs = 4 + irand(0, 3), v_cs = a2 * vs + irand(0, 2);
            float *x = random_floats((size_t)ch * h * w);
            const size_t vn = (size_t)(ch - 1) * v_cs + (size_t)(a2 - 1) * vs + 4;
            float *want = calloc(vn, sizeof *want), *got = calloc(vn, sizeof *got);
            wv->in_ref(ch, x, (int64_t)h * w, h, w, r0, c0, want, v_cs, vs);
            wv->in_vec(ch, x, (int64_t)h * w, h, w, r0, c0, got, v_cs, vs);
            float din = max_diff(got, want, vn);
            CHECK(din <= 1e-5f, "%s input %dx%d at %d,%d: max diff %g", wv->name, h, w, r0, c0, din);

            const int32_t ho = irand(1, 22), wo = irand(1, 22);
            const int32_t ty = irand(0, (ho - 1) / wv->m), tx = irand(0, (wo - 1) / wv->m);
            const er_epilogue ep = random_epilogue();
            float *m = random_floats(vn), *bias = irand(0, 1) ? random_floats((size_t)ch) : NULL;
            const size_t yn = (size_t)ch * ho * wo;
            float *r = irand(0, 1) ? random_floats(yn) : NULL, *y0 = random_floats(yn), *y1 = malloc(yn * sizeof *y1);
            memcpy(y1, y0, yn * sizeof *y1);
            wv->out_ref(ch, m, v_cs, vs, bias, r, y0, (int64_t)ho * wo, ho, wo, ty, tx, &ep);
            wv->out_vec(ch, m, v_cs, vs, bias, r, y1, (int64_t)ho * wo, ho, wo, ty, tx, &ep);
            float d = max_diff(y1, y0, yn);
            CHECK(d <= 1e-4f, "%s output %dx%d tile %d,%d act %d: max diff %g", wv->name, ho, wo, ty, tx, ep.act, d);
            free(x), free(want), free(got), free(m), free(bias), free(r), free(y0), free(y1);
        }
    }
}

static void winograd_conv_should_match_the_reference_convolution(void)
{
    for (int vi = 0; vi < 2; vi++)
        for (int i = 0; i < 200; i++) {
            const struct wino_variant *wv = &wino_variants[vi];
            /* Every 20th has more input channels than the packing's GEMM takes at once (64). */
            er_conv_params p = {.nsp = 2, .n = irand(1, 2), .c_in = i % 20 ? irand(1, 19) : irand(60, 140),
                                .c_out = irand(1, 19), .group = 1,
                                .k = {3, 3}, .stride = {1, 1}, .dilation = {1, 1}};
            for (int d = 0; d < 2; d++) {
                p.pad[d] = irand(0, 2);
                p.x_dims[d] = irand(1, 29);
                int pad_end = irand(0, 2);
                if (p.x_dims[d] + p.pad[d] + pad_end < 3) p.x_dims[d] = 3;
                p.y_dims[d] = p.x_dims[d] + p.pad[d] + pad_end - 2;
            }
            er_epilogue ep = random_epilogue();
            p.act = ep.act, p.alpha = ep.alpha, p.beta = ep.beta;
            const size_t xn = (size_t)p.n * p.c_in * p.x_dims[0] * p.x_dims[1];
            const size_t yn = (size_t)p.n * p.c_out * p.y_dims[0] * p.y_dims[1];
            float *x = random_floats(xn), *w = random_floats((size_t)p.c_out * p.c_in * 9);
            float *b = irand(0, 1) ? random_floats((size_t)p.c_out) : NULL, *r = irand(0, 1) ? random_floats(yn) : NULL;
            float *want = malloc(yn * sizeof *want), *got = malloc(yn * sizeof *got);
            float *u = malloc((size_t)wv->packed_count(&p) * sizeof *u);
            float *scratch = malloc((size_t)wv->scratch_count(&p) * sizeof *scratch);
            er_f32_conv__scalar(&p, x, w, b, r, want);
            wv->pack(&p, w, u);
            wv->run(&p, x, u, b, r, got, scratch);
            /* Rounding grows with the terms summed (F(4x4)'s transforms amplify it most). */
            float d = max_diff(got, want, yn), tol = 1e-4f * (p.c_in > 16 ? p.c_in / 16.0f : 1.0f);
            CHECK(d <= tol, "%s conv n %d %d->%d x %dx%d pads %d,%d act %d: max diff %g", wv->name, p.n, p.c_in,
                  p.c_out, p.x_dims[0], p.x_dims[1], p.pad[0], p.pad[1], p.act, d);
            free(x), free(w), free(b), free(r), free(want), free(got), free(u), free(scratch);
        }
}

/* Random [outer][rows][cols] transposes in both directions (the NCHW <->
   NHWC relayouts), with offsets and padded row strides, against the
   definition element by element. */
static void strided_copy_should_transpose_like_the_element_loop(void)
{
    for (int i = 0; i < 300; i++) {
        const int32_t outer = irand(1, 3), rows = irand(1, 13), cols = irand(1, 13), pad = irand(0, 2);
        const int32_t x_off = irand(0, 3), y_off = irand(0, 3);
        /* x is [outer][cols][rows + pad]: element (o, i, j) at o*ox + j*(rows+pad) + i; y [outer][rows][cols]. */
        const int32_t xr = rows + pad, ox = cols * xr;
        er_strided_params p = {.rank = 3, .dims = {outer, rows, cols}, .x_offset = x_off, .x_strides = {ox, 1, xr},
                               .y_offset = y_off, .y_strides = {rows * cols, cols, 1}};
        const size_t xn = (size_t)x_off + (size_t)outer * ox, yn = (size_t)y_off + (size_t)outer * rows * cols;
        float *x = random_floats(xn), *want = random_floats(yn), *got = malloc(yn * sizeof *got);
        memcpy(got, want, yn * sizeof *got);
        for (int32_t o = 0; o < outer; o++)
            for (int32_t r = 0; r < rows; r++)
                for (int32_t c = 0; c < cols; c++)
                    want[y_off + ((size_t)o * rows + r) * cols + c] = x[x_off + (size_t)o * ox + (size_t)c * xr + r];
        er_x32_strided_copy(&p, x, got);
        CHECK(!memcmp(got, want, yn * sizeof *got), "transpose outer %d rows %d cols %d pad %d differs", outer, rows,
              cols, pad);
        free(x), free(want), free(got);
    }
}

static void pad_should_match_an_element_by_element_pad_in_every_mode(void)
{
    for (int i = 0; i < 200; i++) {
        er_pad_params p = {.rank = irand(1, 4), .mode = irand(0, 2), .value_bits = 0x3f800000};
        size_t xn = 1, yn = 1;
        for (int k = 0; k < p.rank; k++) {
            p.x_dims[k] = irand(1, 6);
            p.begin[k] = irand(-2, 3);
            int end = irand(-2, 3);
            if (p.mode != ER_PAD_CONSTANT) { /* reflect/edge: pads only */
                p.begin[k] = irand(0, p.x_dims[k] - 1);
                end = irand(0, p.x_dims[k] - 1);
            }
            p.y_dims[k] = p.x_dims[k] + p.begin[k] + end;
            if (p.y_dims[k] < 0) p.y_dims[k] = 0;
            xn *= (size_t)p.x_dims[k];
            yn *= (size_t)p.y_dims[k];
        }
        float *x = random_floats(xn), *got = malloc((yn ? yn : 1) * sizeof *got), *want = malloc((yn ? yn : 1) * sizeof *want);
        int32_t idx[ER_MAX_RANK] = {0};
        for (size_t o = 0; o < yn; o++) {
            size_t src = 0;
            int inside = 1;
            for (int k = 0; k < p.rank; k++) {
                int c = idx[k] - p.begin[k], n = p.x_dims[k];
                if (c < 0 || c >= n) {
                    if (p.mode == ER_PAD_CONSTANT) inside = 0;
                    else if (p.mode == ER_PAD_EDGE) c = c < 0 ? 0 : n - 1;
                    else c = c < 0 ? -c : 2 * (n - 1) - c;
                }
                src = src * (size_t)n + (size_t)(c < 0 ? 0 : c);
            }
            want[o] = inside ? x[src] : 1.0f;
            for (int k = p.rank - 1; k >= 0; k--) {
                if (++idx[k] < p.y_dims[k]) break;
                idx[k] = 0;
            }
        }
        er_x32_pad(&p, x, got);
        CHECK(!memcmp(got, want, yn * sizeof *got), "pad rank %d mode %d differs", p.rank, p.mode);
        free(x), free(got), free(want);
    }
}

static void packed_gemms_should_match_the_reference_with_transposes_batches_and_bias(void)
{
    for (int i = 0; i < 300; i++) {
        er_gemm_params p = {.m = irand(1, 11), .n = irand(1, 21), .k = irand(1, 19), .alpha = irand(0, 1) ? 1.0f : 0.5f,
                            .beta = irand(0, 1) ? 1.0f : 2.0f};
        const int ta = irand(0, 1), tb = irand(0, 1);
        p.a_rs = ta ? 1 : p.k, p.a_cs = ta ? p.m : 1;
        p.b_rs = tb ? 1 : p.n, p.b_cs = tb ? p.k : 1;
        p.batch_rank = irand(0, 2);
        /* A has every batch; B one per batch along some dims (attention) or one for all (weights). */
        int64_t batches = 1, b_batches = 1;
        for (int d = p.batch_rank - 1; d >= 0; d--) {
            p.batch_dims[d] = irand(1, 3);
            p.a_bstrides[d] = (int32_t)(batches * p.m * p.k);
            p.b_bstrides[d] = irand(0, 1) ? (int32_t)(b_batches * p.k * p.n) : 0;
            batches *= p.batch_dims[d];
            if (p.b_bstrides[d]) b_batches *= p.batch_dims[d];
        }
        const int use_c = irand(0, 2); /* none, [N], [M,N] */
        p.c_rs = use_c == 2 ? p.n : 0, p.c_cs = 1;
        er_epilogue ep = random_epilogue();
        p.act = ep.act, p.act_alpha = ep.alpha, p.act_beta = ep.beta;
        const size_t an = (size_t)batches * p.m * p.k, yn = (size_t)batches * p.m * p.n;
        float *a = random_floats(an), *b = random_floats((size_t)b_batches * p.k * p.n);
        float *c = use_c ? random_floats(use_c == 2 ? (size_t)p.m * p.n : (size_t)p.n) : NULL;
        float *want = malloc(yn * sizeof *want), *got = malloc(yn * sizeof *got);
        er_f32_gemm__scalar(&p, a, b, c, want);
        if (b_batches == 1) {
            float *bp = malloc((size_t)er_gemm_packed_b_count(&p) * sizeof *bp);
            float *scratch = malloc((size_t)er_gemm_packed_scratch_count(&p) * sizeof *scratch);
            er_f32_gemm_packed_pack(&p, b, bp);
            er_f32_gemm_packed__vec128(&p, a, bp, c, got, scratch);
            float d = max_diff(got, want, yn);
            CHECK(d <= 1e-4f, "packed gemm %dx%dx%d ta %d tb %d batch %d c %d act %d: max diff %g", p.m, p.n, p.k, ta,
                  tb, p.batch_rank, use_c, p.act, d);
            free(bp), free(scratch);
        }
        float *scratch = malloc((size_t)er_gemm_runtime_scratch_count(&p) * sizeof *scratch);
        er_f32_gemm_runtime__vec128(&p, a, b, c, got, scratch);
        float d = max_diff(got, want, yn);
        CHECK(d <= 1e-4f, "runtime-packed gemm %dx%dx%d ta %d tb %d batch %d (B %lld) c %d act %d: max diff %g", p.m,
              p.n, p.k, ta, tb, p.batch_rank, (long long)b_batches, use_c, p.act, d);
        free(a), free(b), free(c), free(want), free(got), free(scratch);
    }
}

static void pooling_2d_should_match_the_reference_with_padding_and_ceil_shapes(void)
{
    for (int i = 0; i < 400; i++) {
        er_pool_params p = {.nsp = 2, .planes = irand(1, 3), .count_include_pad = irand(0, 1)};
        const int common = i % 4 == 0; /* the 3x3 stride-2 window, which has a path of its own */
        for (int d = 0; d < 2; d++) {
            p.k[d] = common ? 3 : irand(1, 5);
            p.stride[d] = common ? 2 : irand(1, 2);
            p.dilation[d] = 1;
            p.pad[d] = irand(0, p.k[d] - 1);
            p.pad_end[d] = irand(0, p.k[d] - 1);
            p.x_dims[d] = irand(1, 25);
            if (p.x_dims[d] + p.pad[d] + p.pad_end[d] < p.k[d]) p.x_dims[d] = p.k[d];
            p.y_dims[d] = (p.x_dims[d] + p.pad[d] + p.pad_end[d] - p.k[d]) / p.stride[d] + 1;
        }
        const size_t xn = (size_t)p.planes * p.x_dims[0] * p.x_dims[1], yn = (size_t)p.planes * p.y_dims[0] * p.y_dims[1];
        float *x = random_floats(xn), *want = malloc(yn * sizeof *want), *got = malloc(yn * sizeof *got);
        if (irand(0, 3) == 0) x[irand(0, (int)xn - 1)] = NAN;
        if (irand(0, 3) == 0) x[irand(0, (int)xn - 1)] = INFINITY, x[irand(0, (int)xn - 1)] = -INFINITY;
        for (int avg = 0; avg < 2; avg++) {
            (avg ? er_f32_avgpool__scalar : er_f32_maxpool__scalar)(&p, x, want);
            (avg ? er_f32_avgpool2d__vec128 : er_f32_maxpool2d__vec128)(&p, x, got);
            int same = 1;
            for (size_t j = 0; j < yn; j++)
                if (!(got[j] == want[j] || (got[j] != got[j] && want[j] != want[j]))) same = 0;
            CHECK(same, "%s pool %dx%d k %dx%d s %d,%d pads %d,%d/%d,%d differs", avg ? "avg" : "max", p.x_dims[0],
                  p.x_dims[1], p.k[0], p.k[1], p.stride[0], p.stride[1], p.pad[0], p.pad[1], p.pad_end[0], p.pad_end[1]);
        }
        free(x), free(want), free(got);
    }
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
    channels_last_convs_should_match_the_reference_on_random_shapes();
    conv_gemm_scratch_should_be_one_cache_sized_block_not_an_im2col_matrix();
    gather_should_zero_out_of_range_indices();
    integer_division_by_zero_should_give_zero_not_trap();
    float_to_int_casts_should_saturate_and_map_nan_to_zero();
    resample_tables_should_be_normalised_and_in_range();
    gemm_4x8_vec128_should_match_its_reference_on_odd_shapes();
    igemm_4x8_vec128_should_match_its_reference_on_odd_shapes();
    dwconv_nhwc_vec128_should_match_its_reference_for_every_channel_count();
    dwconv_micro_kernels_should_match_their_references();
    activation_micro_kernel_should_match_its_reference_for_every_activation_and_length();
    gemm_1x8_vec128_should_match_the_reference_on_one_row();
    winograd_transforms_should_match_their_references_at_every_border();
    winograd_conv_should_match_the_reference_convolution();
    pad_should_match_an_element_by_element_pad_in_every_mode();
    strided_copy_should_transpose_like_the_element_loop();
    packed_gemms_should_match_the_reference_with_transposes_batches_and_bias();
    pooling_2d_should_match_the_reference_with_padding_and_ceil_shapes();
    f16_widening_should_be_exact_for_every_half();
    f16_narrowing_should_round_to_the_nearest_half_ties_to_even();
    int8_dequantization_should_scale_each_channel();
    printf("test-kernels: %d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
