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

/* JPEG entropy coding: bits from the top, 0xff stuffed with 0x00. */
typedef struct bit_writer {
    uint8_t *o;
    uint32_t acc;
    int n;
} bit_writer;

static void put_bits(bit_writer *b, uint32_t v, int n)
{
    while (n-- > 0) {
        b->acc = b->acc << 1 | (v >> n & 1);
        if (++b->n == 8) {
            *b->o++ = (uint8_t)b->acc;
            if ((uint8_t)b->acc == 0xff) *b->o++ = 0;
            b->acc = 0;
            b->n = 0;
        }
    }
}

static uint8_t *put_segment(uint8_t *o, uint8_t marker, const uint8_t *data, size_t n)
{
    *o++ = 0xff;
    *o++ = marker;
    *o++ = (uint8_t)((n + 2) >> 8);
    *o++ = (uint8_t)(n + 2);
    memcpy(o, data, n);
    return o + n;
}

uint8_t *test_jpeg(int width, int height, const uint8_t *levels, size_t *len)
{
    /* The standard DC luminance table (ITU T.81 K.3); the AC table holds only EOB. */
    static const uint8_t dht[] = {0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0,
                                  0,    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                  0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};
    static const uint8_t sos[] = {1, 1, 0x00, 0, 63, 0};
    uint32_t code[12], size[12], next = 0;
    for (int length = 1, k = 0; length <= 16; length++, next <<= 1)
        for (int i = 0; i < dht[length]; i++, k++) code[k] = next++, size[k] = (uint32_t)length;
    const int across = (width + 7) / 8, down = (height + 7) / 8;
    uint8_t dqt[65] = {0}, sof[9] = {8, (uint8_t)(height >> 8), (uint8_t)height, (uint8_t)(width >> 8),
                                      (uint8_t)width, 1, 1, 0x11, 0};
    memset(dqt + 1, 1, 64);
    uint8_t *jpeg = xmalloc(200 + (size_t)across * down * 6), *o = jpeg;
    *o++ = 0xff;
    *o++ = 0xd8;
    o = put_segment(o, 0xdb, dqt, sizeof dqt);
    o = put_segment(o, 0xc0, sof, sizeof sof);
    o = put_segment(o, 0xc4, dht, sizeof dht);
    o = put_segment(o, 0xda, sos, sizeof sos);
    bit_writer b = {o, 0, 0};
    int previous = 0;
    for (int i = 0; i < across * down; i++) {
        int dc = 8 * (levels[i] - 128), diff = dc - previous, category = 0;
        previous = dc;
        while ((abs(diff) >> category) != 0) category++;
        put_bits(&b, code[category], (int)size[category]);
        put_bits(&b, (uint32_t)(diff < 0 ? diff + (1 << category) - 1 : diff), category);
        put_bits(&b, 0, 1); /* EOB */
    }
    while (b.n) put_bits(&b, 1, 1);
    o = b.o;
    *o++ = 0xff;
    *o++ = 0xd9;
    *len = (size_t)(o - jpeg);
    return jpeg;
}

void test_put(uint8_t *p, uint32_t v, int bytes, int big_endian)
{
    for (int i = 0; i < bytes; i++) p[big_endian ? bytes - 1 - i : i] = (uint8_t)(v >> 8 * i);
}

void test_tiff(uint8_t *out, int big_endian, int orientation)
{
    memset(out, 0, TEST_TIFF_LEN); /* the next IFD's offset, at TEST_TIFF_NEXT, stays 0 */
    out[0] = out[1] = big_endian ? 'M' : 'I';
    test_put(out + 2, 42, 2, big_endian);
    test_put(out + 4, TEST_TIFF_IFD, 4, big_endian);
    test_put(out + TEST_TIFF_IFD, 1, 2, big_endian);          /* entries */
    test_put(out + TEST_TIFF_ENTRY, 0x0112, 2, big_endian);   /* Orientation */
    test_put(out + TEST_TIFF_ENTRY + 2, 3, 2, big_endian);    /* SHORT */
    test_put(out + TEST_TIFF_ENTRY + 4, 1, 4, big_endian);    /* count */
    test_put(out + TEST_TIFF_ENTRY + 8, (uint32_t)orientation, 2, big_endian);
}

const char *const test_upright[9] = {
    "abc/def", "abc/def", "cba/fed", "fed/cba", "def/abc", "ad/be/cf", "da/eb/fc", "fc/eb/da", "cf/be/ad"};

uint8_t *test_with_exif(const uint8_t *jpeg, size_t len, const uint8_t *tiff, size_t tiff_len, size_t *out_len)
{
    uint8_t *body = xmalloc(6 + tiff_len);
    memcpy(body, "Exif\0\0", 6);
    memcpy(body + 6, tiff, tiff_len);
    uint8_t *out = xmalloc(len + 10 + tiff_len), *o = out;
    memcpy(o, jpeg, 2);
    o = put_segment(o + 2, 0xe1, body, 6 + tiff_len);
    memcpy(o, jpeg + 2, len - 2);
    *out_len = len + 10 + tiff_len;
    free(body);
    return out;
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
