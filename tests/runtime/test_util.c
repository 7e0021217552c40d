/* test_util.c - see test_util.h. */
#include "test_util.h"

#include "er_runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void test_format(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

void test_free(void *p)
{
    free(p);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "test: out of memory\n");
        exit(2);
    }
    return p;
}

char *test_base64_encode(const uint8_t *bytes, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)bytes[i] << 16;
        if (i + 1 < len) v |= (uint32_t)bytes[i + 1] << 8;
        if (i + 2 < len) v |= bytes[i + 2];
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < len ? abc[v >> 6 & 63] : '=';
        *o++ = i + 2 < len ? abc[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

static void put32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

/* Append a chunk: length, type, data, CRC of type + data. */
static uint8_t *chunk(uint8_t *o, const char *type, const uint8_t *data, uint32_t n)
{
    put32be(o, n);
    memcpy(o + 4, type, 4);
    if (n) memcpy(o + 8, data, n);
    put32be(o + 8 + n, crc32(o + 4, n + 4));
    return o + 12 + n;
}

uint8_t *test_png(int width, int height, int channels, const uint8_t *pixels, size_t *len)
{
    static const uint8_t color_type[5] = {0, 0, 4, 2, 6};
    size_t row = (size_t)width * channels + 1, raw_len = row * height;
    /* Filter byte 0 (none) before each row, in 65,535-byte stored blocks. */
    uint8_t *raw = xmalloc(raw_len);
    for (int y = 0; y < height; y++) {
        raw[y * row] = 0;
        memcpy(raw + y * row + 1, pixels + (size_t)y * width * channels, row - 1);
    }
    size_t blocks = raw_len / 65535 + 1;
    size_t z_len = 2 + raw_len + 5 * blocks + 4;
    uint8_t *z = xmalloc(z_len), *zo = z;
    *zo++ = 0x78;
    *zo++ = 0x01;
    for (size_t done = 0, b = 0; b < blocks; b++) {
        size_t n = raw_len - done < 65535 ? raw_len - done : 65535;
        *zo++ = b + 1 == blocks;
        *zo++ = (uint8_t)n;
        *zo++ = (uint8_t)(n >> 8);
        *zo++ = (uint8_t)~n;
        *zo++ = (uint8_t)(~n >> 8);
        memcpy(zo, raw + done, n);
        zo += n;
        done += n;
    }
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < raw_len; i++) {
        a = (a + raw[i]) % 65521;
        b = (b + a) % 65521;
    }
    put32be(zo, b << 16 | a);
    uint8_t ihdr[13];
    put32be(ihdr, (uint32_t)width);
    put32be(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;
    ihdr[9] = color_type[channels];
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    uint8_t *png = xmalloc(8 + 25 + 12 + z_len + 12), *o = png;
    memcpy(o, "\x89PNG\r\n\x1a\n", 8);
    o = chunk(o + 8, "IHDR", ihdr, 13);
    o = chunk(o, "IDAT", z, (uint32_t)z_len);
    o = chunk(o, "IEND", NULL, 0);
    *len = (size_t)(o - png);
    free(raw);
    free(z);
    return png;
}

static void put32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i);
}

uint8_t *test_bmp(int width, int height, const uint8_t *rgb, size_t *len)
{
    size_t row = ((size_t)width * 3 + 3) / 4 * 4, size = 54 + row * height;
    uint8_t *bmp = xmalloc(size);
    memset(bmp, 0, size);
    bmp[0] = 'B';
    bmp[1] = 'M';
    put32le(bmp + 2, (uint32_t)size);
    put32le(bmp + 10, 54);
    put32le(bmp + 14, 40);
    put32le(bmp + 18, (uint32_t)width);
    put32le(bmp + 22, (uint32_t)height);
    bmp[26] = 1;
    bmp[28] = 24;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            const uint8_t *p = rgb + ((size_t)y * width + x) * 3;
            uint8_t *q = bmp + 54 + (size_t)(height - 1 - y) * row + (size_t)x * 3;
            q[0] = p[2];
            q[1] = p[1];
            q[2] = p[0];
        }
    *len = size;
    return bmp;
}

char *test_image_request(const uint8_t *bytes, size_t len, const char *extra)
{
    char *b64 = test_base64_encode(bytes, len);
    size_t n = strlen(b64) + strlen(extra) + 16;
    char *request = xmalloc(n);
    snprintf(request, n, "{\"input\":\"%s\"%s}", b64, extra);
    free(b64);
    return request;
}

cJSON *test_run(const char *request, long *leaked)
{
    size_t before = er_mem_live_blocks();
    char *response = er_runtime_run(request, strlen(request));
    if (!response) {
        fprintf(stderr, "test: er_runtime_run returned NULL\n");
        exit(2);
    }
    if (leaked) *leaked = (long)er_mem_live_blocks() - 1 - (long)before; /* less the response */
    /* Parse with the runtime's allocator too: cJSON's hooks are global, and
       the runtime sets them to er_mem_* on every run. */
    cJSON_Hooks hooks = {er_mem_alloc, er_mem_free};
    cJSON_InitHooks(&hooks);
    cJSON *parsed = cJSON_Parse(response);
    if (!parsed) {
        fprintf(stderr, "test: the response is not JSON: %s\n", response);
        exit(2);
    }
    er_mem_free(response);
    return parsed;
}

const char *test_error_code(const cJSON *response)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(response, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    return error ? (cJSON_IsString(code) ? code->valuestring : "(no code)") : "OK";
}

const char *test_error_message(const cJSON *response)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(response, "error");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
    return cJSON_IsString(message) ? message->valuestring : NULL;
}

const char *test_error_of(const char *request, const char *code, int (*still_works)(void))
{
    static char message[300];
    long leaked;
    cJSON *r = test_run(request, &leaked);
    if (leaked)
        test_format(message, sizeof message, "leaked %ld blocks", leaked);
    else if (strcmp(test_error_code(r), code) != 0)
        test_format(message, sizeof message, "code %s, not %s", test_error_code(r), code);
    else if (!still_works())
        test_format(message, sizeof message, "the next request failed");
    else
        test_format(message, sizeof message, "%s", test_error_message(r));
    cJSON_Delete(r);
    return message;
}
