/* test_base64.c - er_base64_decode: RFC 4648, data URLs, and every rejection. */
#include "er_runtime.h"
#include "er_test.h"
#include "test_util.h"

#include <string.h>

/* The decoded text, "E_CODE: message" on failure. */
static const char *decode(const char *text, size_t len)
{
    static char result[400];
    uint8_t *out;
    size_t n;
    er_error err;
    if (er_base64_decode(text, len, &out, &n, &err) != ER_OK) {
        test_format(result, sizeof result, "%s: %s", er_code_name(err.code), err.message);
        return result;
    }
    if (n >= sizeof result) n = sizeof result - 1;
    memcpy(result, out, n);
    result[n] = '\0';
    er_mem_free(out);
    return result;
}
#define DECODE(text) decode(text, strlen(text))

static void base64_should_decode_the_rfc4648_test_vectors(void)
{
    CHECK_STR(DECODE(""), "");
    CHECK_STR(DECODE("Zg=="), "f");
    CHECK_STR(DECODE("Zm8="), "fo");
    CHECK_STR(DECODE("Zm9v"), "foo");
    CHECK_STR(DECODE("Zm9vYg=="), "foob");
    CHECK_STR(DECODE("Zm9vYmE="), "fooba");
    CHECK_STR(DECODE("Zm9vYmFy"), "foobar");
}

static void base64_should_accept_input_without_padding(void)
{
    CHECK_STR(DECODE("Zg"), "f");
    CHECK_STR(DECODE("Zm8"), "fo");
    CHECK_STR(DECODE("Zm9vYmE"), "fooba");
}

static void base64_should_skip_ascii_whitespace_anywhere(void)
{
    CHECK_STR(DECODE(" \tZm9v\r\nYm\fFy \n"), "foobar");
    CHECK_STR(DECODE("Zg=\n="), "f");
    CHECK_STR(DECODE("Z m 8 ="), "fo");
}

static void base64_should_decode_every_byte_value(void)
{
    uint8_t bytes[256 * 3 + 2];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 7 + i / 256);
    for (size_t len = sizeof bytes - 2; len <= sizeof bytes; len++) {
        char *text = test_base64_encode(bytes, len);
        uint8_t *out;
        size_t n;
        er_error err;
        CHECK_INT(er_base64_decode(text, strlen(text), &out, &n, &err), ER_OK);
        CHECK_INT(n, len);
        CHECK(memcmp(out, bytes, len) == 0);
        er_mem_free(out);
        test_free(text);
    }
}

static void base64_should_read_past_a_data_url_prefix(void)
{
    CHECK_STR(DECODE("data:image/png;base64,Zm9v"), "foo");
    CHECK_STR(DECODE("  DATA:Image/SVG+xml;BASE64,Zm9v"), "foo");
    CHECK_STR(DECODE("data:image/jpeg;name=cat.jpg;charset=x;base64,Zm9v"), "foo");
    CHECK_STR(DECODE("data:image/x-icon;base64,"), "");
}

static void base64_should_name_the_offset_of_an_invalid_character(void)
{
    CHECK_STR(DECODE("Zm9v#mFy"), "E_BASE64: invalid character '#' at offset 4");
    CHECK_STR(DECODE("Zm\xc3\xa9"), "E_BASE64: invalid byte 195 at offset 2");
    CHECK_STR(DECODE("Zm9v-_"), "E_BASE64: invalid character '-' at offset 4"); /* base64url is not base64 */
    CHECK_STR(decode("Zm\0v", 4), "E_BASE64: invalid byte 0 at offset 2");
}

static void base64_should_reject_misplaced_or_wrong_padding(void)
{
    CHECK_STR(DECODE("Zg==Zg=="), "E_BASE64: data after padding at offset 4");
    CHECK_STR(DECODE("Zg==="), "E_BASE64: too much padding at offset 4");
    CHECK_STR(DECODE("Zm8=="), "E_BASE64: too much padding at offset 4");
    CHECK_STR(DECODE("Zm9v="), "E_BASE64: unexpected padding at offset 4");
    CHECK_STR(DECODE("=Zm9v"), "E_BASE64: data after padding at offset 1");
    CHECK_STR(DECODE("Zg="), "E_BASE64: incomplete padding at offset 2");
}

static void base64_should_reject_an_impossible_length(void)
{
    CHECK_STR(DECODE("Zm9vY"), "E_BASE64: impossible length: a lone final character at offset 4");
    CHECK_STR(DECODE("Zm9vY==="), "E_BASE64: too much padding at offset 7");
    CHECK_STR(DECODE("Zm9vY=="), "E_BASE64: impossible length: a lone final character at offset 4");
}

static void base64_should_reject_non_zero_unused_bits(void)
{
    CHECK_STR(DECODE("Zh=="), "E_BASE64: non-zero unused bits in the final character at offset 1");
    CHECK_STR(DECODE("Zm9="), "E_BASE64: non-zero unused bits in the final character at offset 2");
}

static void base64_should_reject_a_data_url_that_is_not_a_base64_image(void)
{
    CHECK_STR(DECODE("data:text/plain;base64,Zm9v"),
              "E_BASE64: data URL is not an image (expected data:image/<type>;base64,) at offset 5");
    CHECK_STR(DECODE("data:image/;base64,Zm9v"), "E_BASE64: data URL has no image type at offset 11");
    CHECK_STR(DECODE("data:image/png,Zm9v"), "E_BASE64: data URL is not base64-encoded (no ';base64,') at offset 14");
    CHECK_STR(DECODE("data:image/png;utf8,Zm9v"),
              "E_BASE64: data URL is not base64-encoded (no ';base64,') at offset 15");
    CHECK_STR(DECODE("data:image/png;base64"), "E_BASE64: data URL prefix ends without ';base64,' at offset 21");
    CHECK_STR(DECODE("data:image/png base64,Zm9v"),
              "E_BASE64: unexpected character ' ' in the data URL prefix at offset 14");
}

static void base64_should_allocate_nothing_for_invalid_input(void)
{
    size_t before = er_mem_live_blocks();
    CHECK_STR(DECODE("Zm9v#"), "E_BASE64: invalid character '#' at offset 4");
    CHECK_INT(er_mem_live_blocks(), before);
}

static void base64_should_report_running_out_of_memory(void)
{
    size_t before = er_mem_live_blocks();
    er_mem_fail_after(1);
    CHECK_STR(DECODE("Zm9vYmFy"), "E_MEMORY: out of memory for 6 decoded bytes");
    CHECK_INT(er_mem_live_blocks(), before);
    CHECK_STR(DECODE("Zm9vYmFy"), "foobar");
}

void run_base64_tests(void)
{
    RUN(base64_should_decode_the_rfc4648_test_vectors);
    RUN(base64_should_accept_input_without_padding);
    RUN(base64_should_skip_ascii_whitespace_anywhere);
    RUN(base64_should_decode_every_byte_value);
    RUN(base64_should_read_past_a_data_url_prefix);
    RUN(base64_should_name_the_offset_of_an_invalid_character);
    RUN(base64_should_reject_misplaced_or_wrong_padding);
    RUN(base64_should_reject_an_impossible_length);
    RUN(base64_should_reject_non_zero_unused_bits);
    RUN(base64_should_reject_a_data_url_that_is_not_a_base64_image);
    RUN(base64_should_allocate_nothing_for_invalid_input);
    RUN(base64_should_report_running_out_of_memory);
}
