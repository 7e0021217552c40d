/* er_error.c - error codes and messages.

   Messages are formatted here rather than with snprintf so that a module
   does not link printf (about 10 KB of wasm with its float formatting) just
   to say "at offset 1043". The format attribute on er_fail still lets the
   compiler check every call's argument types. */
#include "er_runtime.h"

#include <stdarg.h>
#include <string.h>

const char *er_code_name(er_code code)
{
    switch (code) {
    case ER_OK: return "OK";
#define ER_CODE_CASE(name) case ER_##name: return #name;
        ER_ERROR_LIST(ER_CODE_CASE)
#undef ER_CODE_CASE
    default: return "E_UNKNOWN";
    }
}

typedef struct msg_writer {
    char *out;
    size_t len, cap; /* cap excludes the NUL */
    int truncated;
} msg_writer;

static void put(msg_writer *w, const char *s, size_t n)
{
    if (w->len + n > w->cap) {
        n = w->cap - w->len;
        w->truncated = 1;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

static void put_signed(msg_writer *w, long long v)
{
    char digits[24];
    uint64_t magnitude = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) put(w, "-", 1);
    put(w, digits, er_format_uint(digits, magnitude));
}

er_code er_fail(er_error *err, er_code code, const char *fmt, ...)
{
    if (!err) return code;
    static const char ellipsis[] = "...";
    msg_writer w = {err->message, 0, sizeof err->message - 1, 0};
    char digits[24];
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f && !w.truncated; f++) {
        if (*f != '%') {
            put(&w, f, 1);
            continue;
        }
        f++;
        if (*f == 's') {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            put(&w, s, strlen(s));
        } else if (*f == 'c') {
            char c = (char)va_arg(ap, int);
            put(&w, &c, 1);
        } else if (*f == 'd') {
            put_signed(&w, va_arg(ap, int));
        } else if (*f == 'u') {
            put(&w, digits, er_format_uint(digits, va_arg(ap, unsigned)));
        } else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'd') {
            f += 2;
            put_signed(&w, va_arg(ap, long long));
        } else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'u') {
            f += 2;
            put(&w, digits, er_format_uint(digits, va_arg(ap, unsigned long long)));
        } else if (f[0] == 'z' && f[1] == 'u') {
            f += 1;
            put(&w, digits, er_format_uint(digits, va_arg(ap, size_t)));
        } else if (*f == '%') {
            put(&w, "%", 1);
        } else {
            break; /* an unsupported conversion: stop rather than misread the arguments */
        }
    }
    va_end(ap);
    if (w.truncated && w.cap >= sizeof ellipsis - 1)
        memcpy(w.out + w.cap - (sizeof ellipsis - 1), ellipsis, sizeof ellipsis - 1);
    w.out[w.len] = '\0';
    err->code = code;
    return code;
}
