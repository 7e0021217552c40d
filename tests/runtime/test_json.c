/* test_json.c - the response writer: number formatting and string escaping. */
#include "er_runtime.h"
#include "er_test.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *real(double v, int is_f32)
{
    static char out[32];
    er_format_real(out, v, is_f32);
    return out;
}

static void format_real_should_print_float32_values_in_their_shortest_form(void)
{
    /* Expected values: numpy's repr of np.float32, laid out as JavaScript does. */
    CHECK_STR(real(0.1f, 1), "0.1");
    CHECK_STR(real(1.0f / 3.0f, 1), "0.33333334");
    CHECK_STR(real(0.3f, 1), "0.3");
    CHECK_STR(real(-2.5f, 1), "-2.5");
    CHECK_STR(real(100.0f, 1), "100");
    CHECK_STR(real(123456789.0f, 1), "123456790");
    CHECK_STR(real(16777216.0f, 1), "16777216");
    CHECK_STR(real(1e21f, 1), "1e+21");
    CHECK_STR(real(1e-7f, 1), "1e-7");
    CHECK_STR(real(5e-7f, 1), "5e-7");
    CHECK_STR(real(1e-6f, 1), "0.000001");
    CHECK_STR(real(FLT_MAX, 1), "3.4028235e+38");
    CHECK_STR(real(FLT_MIN, 1), "1.1754944e-38");
    CHECK_STR(real(1.4e-45f, 1), "1e-45");
    CHECK_STR(real(0.0, 1), "0");
}

static void format_real_should_print_doubles_in_their_shortest_form(void)
{
    CHECK_STR(real(0.1, 0), "0.1");
    CHECK_STR(real(1.0 / 3.0, 0), "0.3333333333333333");
    CHECK_STR(real(123.456, 0), "123.456");
    CHECK_STR(real(1e300, 0), "1e+300");
    CHECK_STR(real(DBL_MAX, 0), "1.7976931348623157e+308");
    CHECK_STR(real(5e-324, 0), "5e-324");
}

static void format_real_should_give_an_empty_string_for_non_finite_values(void)
{
    CHECK_STR(real(NAN, 1), "");
    CHECK_STR(real(INFINITY, 0), "");
    CHECK_STR(real(-INFINITY, 1), "");
    CHECK_INT(er_format_real((char[32]){0}, NAN, 0), 0);
}

/* xorshift64: a fixed sequence of bit patterns. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void format_real_should_round_trip_random_float32_values(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15u;
    char out[32];
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = (uint32_t)next_random(&seed);
        float f;
        memcpy(&f, &bits, sizeof f);
        if (!isfinite(f)) continue;
        size_t n = er_format_real(out, f, 1);
        CHECK(n > 0 && n < 32);
        char *end;
        float back = strtof(out, &end);
        CHECK(*end == '\0');
        if (back != f) CHECK_STR(out, "a decimal that reads back as the same float");
    }
}

static void format_real_should_round_trip_random_doubles(void)
{
    uint64_t seed = 0x2545f4914f6cdd1du;
    char out[32];
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = next_random(&seed);
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        size_t n = er_format_real(out, d, 0);
        CHECK(n > 0 && n < 32);
        char *end;
        double back = strtod(out, &end);
        CHECK(*end == '\0');
        if (back != d) CHECK_STR(out, "a decimal that reads back as the same double");
    }
}

static void json_string_should_escape_quotes_backslashes_and_control_characters(void)
{
    er_buf b = {0};
    er_buf_json_string(&b, "a\"b\\c\n\r\t\x01\x1f/\xc3\xa9");
    er_buf_str(&b, " ");
    er_buf_json_string(&b, NULL);
    char *s = er_buf_finish(&b);
    CHECK_STR(s, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f/\xc3\xa9\" null");
    er_mem_free(s);
}

static void buf_should_give_null_and_free_everything_after_an_allocation_fails(void)
{
    size_t before = er_mem_live_blocks();
    er_buf b = {0};
    er_buf_str(&b, "first");
    char big[600];
    memset(big, 'x', sizeof big);
    er_mem_fail_after(1);
    er_buf_raw(&b, big, sizeof big); /* needs to grow: fails */
    er_buf_str(&b, "later appends are ignored");
    CHECK(b.failed);
    CHECK(er_buf_finish(&b) == NULL);
    CHECK_INT(er_mem_live_blocks(), before);
    CHECK(b.data == NULL && b.len == 0);
}

static void buf_should_write_integers_of_every_size(void)
{
    er_buf b = {0};
    er_buf_int(&b, INT64_MIN);
    er_buf_str(&b, ",");
    er_buf_int(&b, 0);
    er_buf_str(&b, ",");
    er_buf_uint(&b, UINT64_MAX);
    char *s = er_buf_finish(&b);
    CHECK_STR(s, "-9223372036854775808,0,18446744073709551615");
    er_mem_free(s);
}

void run_json_tests(void)
{
    RUN(format_real_should_print_float32_values_in_their_shortest_form);
    RUN(format_real_should_print_doubles_in_their_shortest_form);
    RUN(format_real_should_give_an_empty_string_for_non_finite_values);
    RUN(format_real_should_round_trip_random_float32_values);
    RUN(format_real_should_round_trip_random_doubles);
    RUN(json_string_should_escape_quotes_backslashes_and_control_characters);
    RUN(buf_should_give_null_and_free_everything_after_an_allocation_fails);
    RUN(buf_should_write_integers_of_every_size);
}
