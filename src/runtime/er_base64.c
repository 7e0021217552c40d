/* er_base64.c - RFC 4648 base64 with the leniency of data URLs.

   Browsers hand images over as data URLs (canvas.toDataURL, FileReader), and
   people paste base64 with line breaks, so both are accepted. Everything
   else that RFC 4648 lets a decoder reject is rejected, with the offset of
   the offending byte: a damaged or truncated upload should fail here with a
   precise message instead of later as an undecodable image. Validation runs
   first so that nothing is allocated for invalid input. */
#include "er_runtime.h"

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* b64_value as a table, made on first use: a phone photo is millions of
   characters, and the table lets both passes take four at a time. */
static int8_t value_of[256];
static void make_table(void)
{
    if (value_of['A'] == 0 && value_of['B'] == 1) return; /* made ('A' is 0, an unmade table has B at 0) */
    for (int c = 0; c < 256; c++) value_of[c] = (int8_t)b64_value((unsigned char)c);
}

/* The four values at t[i..i+3] as one 24-bit group, or -1 when any of them
   is not a data character. */
static int32_t quad(const char *t, size_t i)
{
    const int a = value_of[(unsigned char)t[i]], b = value_of[(unsigned char)t[i + 1]],
              c = value_of[(unsigned char)t[i + 2]], d = value_of[(unsigned char)t[i + 3]];
    if ((a | b | c | d) < 0) return -1;
    return (int32_t)a << 18 | (int32_t)b << 12 | (int32_t)c << 6 | (int32_t)d;
}

/* ASCII whitespace as WHATWG defines it (what atob skips). */
static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Does text[at..] start with the lower-case word w, ignoring case? */
static int starts_with(const char *text, size_t len, size_t at, const char *w)
{
    for (; *w; w++, at++)
        if (at >= len || lower((unsigned char)text[at]) != *w) return 0;
    return 1;
}

/* Skip an optional data:image/<type>[;param...];base64, prefix; *start is where
   the base64 begins. */
static er_code skip_data_prefix(const char *text, size_t len, size_t *start, er_error *err)
{
    size_t i = 0;
    while (i < len && is_space((unsigned char)text[i])) i++;
    *start = 0;
    if (!starts_with(text, len, i, "data:")) return ER_OK;
    i += 5;
    if (!starts_with(text, len, i, "image/"))
        return er_fail(err, ER_E_BASE64,
                       "data URL is not an image (expected data:image/<type>;base64,) at offset %zu", i);
    i += 6;
    size_t type_start = i;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
              c == '-' || c == '.'))
            break;
        i++;
    }
    if (i == type_start) return er_fail(err, ER_E_BASE64, "data URL has no image type at offset %zu", i);
    /* Parameters (;name=value) may come before ;base64, the last one. */
    for (;;) {
        if (i >= len) return er_fail(err, ER_E_BASE64, "data URL prefix ends without ';base64,' at offset %zu", i);
        if (text[i] == ',')
            return er_fail(err, ER_E_BASE64, "data URL is not base64-encoded (no ';base64,') at offset %zu", i);
        if (text[i] != ';')
            return er_fail(err, ER_E_BASE64, "unexpected character '%c' in the data URL prefix at offset %zu",
                           text[i], i);
        size_t param = ++i;
        while (i < len && text[i] != ';' && text[i] != ',') i++;
        if (i < len && text[i] == ',') {
            if (i - param == 6 && starts_with(text, len, param, "base64")) {
                *start = i + 1;
                return ER_OK;
            }
            return er_fail(err, ER_E_BASE64, "data URL is not base64-encoded (no ';base64,') at offset %zu", param);
        }
    }
}

er_code er_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len, er_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (!text && len) return er_fail(err, ER_E_BASE64, "no text");
    size_t start;
    er_code rc = skip_data_prefix(text, len, &start, err);
    if (rc != ER_OK) return rc;
    make_table();

    /* Pass 1: validate, count the data characters. */
    size_t n = 0, pads = 0, pad_at[3] = {0, 0, 0}, last = 0;
    int last_value = 0;
    for (size_t i = start; i < len; i++) {
        /* four data characters at once, the common case */
        while (!pads && len - i >= 4 && quad(text, i) >= 0) {
            n += 4;
            last = i + 3;
            last_value = value_of[(unsigned char)text[i + 3]];
            i += 4;
        }
        if (i >= len) break;
        unsigned char c = (unsigned char)text[i];
        if (is_space(c)) continue;
        if (c == '=') {
            pad_at[pads++] = i;
            if (pads > 2) return er_fail(err, ER_E_BASE64, "too much padding at offset %zu", i);
            continue;
        }
        int v = b64_value(c);
        if (v < 0) {
            if (c >= 0x20 && c < 0x7f)
                return er_fail(err, ER_E_BASE64, "invalid character '%c' at offset %zu", (char)c, i);
            return er_fail(err, ER_E_BASE64, "invalid byte %u at offset %zu", (unsigned)c, i);
        }
        if (pads) return er_fail(err, ER_E_BASE64, "data after padding at offset %zu", i);
        n++;
        last = i;
        last_value = v;
    }
    size_t rem = n % 4;
    if (rem == 1)
        return er_fail(err, ER_E_BASE64, "impossible length: a lone final character at offset %zu", last);
    size_t needed = rem == 2 ? 2 : rem == 3 ? 1 : 0;
    if (pads && needed == 0) return er_fail(err, ER_E_BASE64, "unexpected padding at offset %zu", pad_at[0]);
    if (pads && pads < needed) return er_fail(err, ER_E_BASE64, "incomplete padding at offset %zu", pad_at[0]);
    if (pads > needed) return er_fail(err, ER_E_BASE64, "too much padding at offset %zu", pad_at[needed]);
    /* A canonical encoder leaves the bits past the last byte zero; other bits
       mean the text was damaged (RFC 4648 section 3.5). */
    if ((rem == 2 && (last_value & 0x0f)) || (rem == 3 && (last_value & 0x03)))
        return er_fail(err, ER_E_BASE64, "non-zero unused bits in the final character at offset %zu", last);

    /* Pass 2: decode. n <= len, so n / 4 * 3 + 2 cannot overflow. */
    size_t bytes = n / 4 * 3 + (rem ? rem - 1 : 0);
    uint8_t *dst = er_mem_alloc(bytes);
    if (!dst) return er_fail(err, ER_E_MEMORY, "out of memory for %zu decoded bytes", bytes);
    uint32_t acc = 0;
    size_t got = 0, o = 0;
    for (size_t i = start; i < len; i++) {
        int32_t q;
        while (got == 0 && len - i >= 4 && (q = quad(text, i)) >= 0) {
            dst[o++] = (uint8_t)(q >> 16);
            dst[o++] = (uint8_t)(q >> 8);
            dst[o++] = (uint8_t)q;
            i += 4;
        }
        if (i >= len) break;
        int v = value_of[(unsigned char)text[i]];
        if (v < 0) continue; /* whitespace and padding, validated above */
        acc = acc << 6 | (uint32_t)v;
        if (++got == 4) {
            dst[o++] = (uint8_t)(acc >> 16);
            dst[o++] = (uint8_t)(acc >> 8);
            dst[o++] = (uint8_t)acc;
            acc = 0;
            got = 0;
        }
    }
    if (got == 2) {
        dst[o++] = (uint8_t)(acc >> 4);
    } else if (got == 3) {
        dst[o++] = (uint8_t)(acc >> 10);
        dst[o++] = (uint8_t)(acc >> 2);
    }
    *out = dst;
    *out_len = o;
    return ER_OK;
}
