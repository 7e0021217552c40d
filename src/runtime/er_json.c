/* er_json.c - writing JSON: a growable buffer and number formatting.

   cJSON parses the requests, but its printer formats numbers with sprintf
   ("%1.15g", then "%1.17g" with an sscanf round trip), which would link
   printf and scanf into every module and still print 0.1f as
   0.100000001490116. Responses are written here instead, with numbers in
   their shortest round-trip form for their own precision: float32 outputs
   as float32 (0.1f prints as 0.1 and reads back as the same float). */
#include "er_runtime.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers -------------------------------------------------------------- */

size_t er_format_uint(char *out, uint64_t v)
{
    char tmp[21];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* x * 10^k: one correctly rounded operation for |k| <= 22, a few more
   beyond; the round-trip tests below absorb the difference. */
static double scale10(double x, int k)
{
    for (; k > 22; k -= 22) x *= 1e22;
    for (; k < -22; k += 22) x /= 1e22;
    return k >= 0 ? x * exact_pow10[k] : x / exact_pow10[-k];
}

/* The same in long double, for doubles: 17 digits need more than 2^-53
   (it rounds at 2^-64 on x86, 2^-113 in wasm). */
static long double scale10l(long double x, int k)
{
    for (; k > 22; k -= 22) x *= 1e22L;
    for (; k < -22; k += 22) x /= 1e22L;
    return k >= 0 ? x * exact_pow10[k] : x / exact_pow10[-k];
}

/* Write mant, a number of `digits` digits, as d.ddd x 10^exp10 the way
   JavaScript's Number.prototype.toString lays numbers out; returns the length. */
static size_t layout(char *o, uint64_t mant, int digits, int exp10)
{
    char d[24], *start = o;
    while (digits > 1 && mant % 10 == 0) {
        mant /= 10;
        digits--;
    }
    er_format_uint(d, mant);
    int n = exp10 + 1; /* where the decimal point goes, counted in digits */
    if (digits <= n && n <= 21) {
        memcpy(o, d, (size_t)digits);
        o += digits;
        for (int i = digits; i < n; i++) *o++ = '0';
    } else if (0 < n && n <= 21) {
        memcpy(o, d, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, d + n, (size_t)(digits - n));
        o += digits - n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = n; i < 0; i++) *o++ = '0';
        memcpy(o, d, (size_t)digits);
        o += digits;
    } else {
        *o++ = d[0];
        if (digits > 1) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)(digits - 1));
            o += digits - 1;
        }
        *o++ = 'e';
        *o++ = n - 1 < 0 ? '-' : '+';
        o += er_format_uint(o, (uint64_t)(n - 1 < 0 ? 1 - n : n - 1));
    }
    *o = '\0';
    return (size_t)(o - start);
}

/* The fewest digits (mant, a number of that many digits, times
   10^(exp10 - digits + 1)) that read back as v > 0, a float32 value, whose
   decimal exponent is e10. Double arithmetic rounds at 2^-53, far inside a
   float32's half-ulp of 2^-25, so the round-trip test is exact - and fast,
   which matters for outputs of a million numbers. */
static int shortest_f32(double v, int e10, uint64_t *mant, int *exp10)
{
    for (int p = 1;; p++) {
        int e = e10;
        double m = nearbyint(scale10(v, p - 1 - e));
        if (m >= exact_pow10[p]) { /* 9.96 to two digits is 10: one more power */
            m /= 10;
            e++;
        }
        if (p == 9 || (float)scale10(m, e - (p - 1)) == (float)v) {
            *mant = (uint64_t)m;
            *exp10 = e;
            return p;
        }
    }
}

/* The same for a double, written at o (within out, after any sign): long
   double arithmetic proposes, and strtod, correctly rounded, decides; the
   17-digit candidate may be a unit off, hence its neighbours. */
static size_t shortest_f64(char *out, char *o, double value, double v, int e10)
{
    for (int p = 1; p <= 17; p++) {
        int e = e10;
        long double m = nearbyintl(scale10l(v, p - 1 - e));
        if (m >= exact_pow10[p]) {
            m /= 10;
            e++;
        }
        if (p < 17 && (double)scale10l(m, e - (p - 1)) != v) continue;
        for (int delta = 0; delta <= (p == 17 ? 2 : 0); delta++) {
            long double c = delta == 0 ? m : delta == 1 ? m - 1 : m + 1;
            if (c < exact_pow10[p - 1] || c >= exact_pow10[p]) continue;
            size_t n = (size_t)(o - out) + layout(o, (uint64_t)c, p, e);
            if (strtod(out, NULL) == value) return n;
        }
    }
    /* Not reached: 17 correctly rounded digits always identify a double. */
    return (size_t)(o - out) + layout(o, (uint64_t)nearbyintl(scale10l(v, 16 - e10)), 17, e10);
}

size_t er_format_real(char *out, double v, int is_f32)
{
    out[0] = '\0';
    if (!isfinite(v)) return 0;
    if (is_f32) v = (float)v;
    const double value = v;
    char *o = out;
    if (v == 0.0) {
        memcpy(o, "0", 2);
        return 1;
    }
    if (v < 0) {
        *o++ = '-';
        v = -v;
    }
    int e10 = (int)floor(log10(v)); /* v = d.ddd x 10^e10 */
    if (scale10(v, -e10) >= 10.0) e10++;
    if (scale10(v, -e10) < 1.0) e10--;
    if (!is_f32) return shortest_f64(out, o, value, v, e10);
    uint64_t mant;
    int exp10, digits = shortest_f32(v, e10, &mant, &exp10);
    return (size_t)(o - out) + layout(o, mant, digits, exp10);
}

/* ---- the buffer ----------------------------------------------------------- */

/* Room for extra more bytes and a NUL; 0 (and the buffer marked failed) if not. */
static int reserve(er_buf *b, size_t extra)
{
    if (b->failed) return 0;
    if (extra > SIZE_MAX - 1 - b->len) goto fail;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 1;
    size_t cap = b->cap < 256 ? 256 : b->cap;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = er_mem_realloc(b->data, cap);
    if (!p) goto fail;
    b->data = p;
    b->cap = cap;
    return 1;
fail:
    b->failed = 1;
    return 0;
}

void er_buf_raw(er_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n)) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

void er_buf_str(er_buf *b, const char *s)
{
    er_buf_raw(b, s, strlen(s));
}

void er_buf_json_string(er_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        er_buf_str(b, "null");
        return;
    }
    er_buf_raw(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (*p) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            if (*p >= 0x20) {
                er_buf_raw(b, (const char *)p, 1);
                continue;
            }
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
            n = 6;
        }
        er_buf_raw(b, esc, n);
    }
    er_buf_raw(b, "\"", 1);
}

void er_buf_uint(er_buf *b, uint64_t v)
{
    char d[24];
    er_buf_raw(b, d, er_format_uint(d, v));
}

void er_buf_int(er_buf *b, int64_t v)
{
    if (v < 0) er_buf_raw(b, "-", 1);
    er_buf_uint(b, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

void er_buf_real(er_buf *b, double v, int is_f32)
{
    char d[32];
    size_t n = er_format_real(d, v, is_f32);
    if (n)
        er_buf_raw(b, d, n);
    else
        er_buf_str(b, "null");
}

char *er_buf_finish(er_buf *b)
{
    char *s = NULL;
    if (reserve(b, 0)) {
        b->data[b->len] = '\0';
        s = b->data;
    } else {
        er_mem_free(b->data);
    }
    memset(b, 0, sizeof *b);
    return s;
}

void er_buf_discard(er_buf *b)
{
    er_mem_free(b->data);
    memset(b, 0, sizeof *b);
}
