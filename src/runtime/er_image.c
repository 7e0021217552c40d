/* er_image.c - image decoding with stb_image, behind a pixel limit.

   The one translation unit that compiles stb_image. Only the formats the
   protocol promises are compiled in (each costs wasm bytes), allocation goes
   through er_mem_* (fault injection, leak accounting), and the header is
   read before anything else so that a 100,000 x 100,000 PNG of a few KB is
   refused before it can ask for 40 GB.

   stb_image ignores EXIF orientation, while every browser applies it: a
   phone's portrait photo is stored landscape with orientation 6. The image
   is classified as its user sees it by reading the tag here and having
   er_image_prepare walk the stored pixels in upright order. */
#include "er_runtime.h"

#include <limits.h>
#include <string.h>

#define STBI_NO_STDIO
/* The plain C paths everywhere, so native tests decode exactly as wasm does
   (stb's SSE2 paths round differently, and wasm has none). */
#define STBI_NO_SIMD
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_TGA
#define STBI_MALLOC(n) er_mem_alloc(n)
#define STBI_REALLOC(p, n) er_mem_realloc(p, n)
#define STBI_FREE(p) er_mem_free(p)
#ifdef __wasm__
/* stb's asserts guard its own invariants, not input; where one could still
   fire, stopping the instance is safer than reading out of bounds, and a trap
   does not pull fprintf into the module as assert() would. */
#define STBI_ASSERT(x) ((x) ? (void)0 : __builtin_trap())
#endif
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

/* Map a failed stb call to E_MEMORY or to E_DECODE with stb's reason. Some
   stb failures say nothing (a failed malloc in its zlib among them), so
   running out of memory is judged by the allocator's failure count, and the
   reason is cleared before each call (stb keeps the last one in this
   static, which we compile in) rather than let an earlier image's reason
   explain this one. */
static er_code decode_failure(er_error *err, size_t failures_before, const char *doing, const char *problem)
{
    const char *reason = stbi__g_failure_reason;
    if (er_mem_failures() != failures_before || (reason && strcmp(reason, "outofmem") == 0))
        return er_fail(err, ER_E_MEMORY, "out of memory while %s the image", doing);
    if (!reason) return er_fail(err, ER_E_DECODE, "%s", problem);
    return er_fail(err, ER_E_DECODE, "%s (stb_image: %s)", problem, reason);
}

/* Debian's stb_image (2.27) trusts the symbol counts of a JPEG's Huffman
   tables: a DHT segment declaring more than 256 symbols writes past its
   tables (upstream fixed it in 2.28 with exactly this check). Such files
   are refused here, before stb reads them, by walking the markers the way
   stb does: bytes up to a 0xff marker skipped, segments skipped by their
   length, except DHT, whose tables stb reads one after another for as long
   as the declared length is not used up - even past it, which is where the
   next segment then starts, and past the end of the data, which it reads
   as zeros. Returns the offset of the first table of more
   than 256 symbols, or 0 when there is none (or the data is not a JPEG). */
static size_t oversized_huffman_table(const uint8_t *d, size_t len)
{
    size_t i = 0; /* stb's SOI test: 0xff, any more 0xff, then 0xd8 */
    while (i < len && d[i] == 0xff) i++;
    if (i == 0 || i >= len || d[i] != 0xd8) return 0;
    i++;
    while (i + 3 < len) {
        if (d[i] != 0xff || d[i + 1] == 0xff) { /* entropy-coded data, fill bytes */
            i++;
            continue;
        }
        uint8_t marker = d[i + 1];
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { /* no length */
            i += 2;
            continue;
        }
        if (marker == 0xd9) break; /* EOI */
        long left = ((long)d[i + 2] << 8 | d[i + 3]) - 2;
        i += 4;
        if (marker != 0xc4) {
            i += left > 0 ? (size_t)left : 0;
            continue;
        }
        while (left > 0 && i < len) { /* class/id byte, 16 counts, the symbols */
            size_t symbols = 0;
            for (size_t k = 1; k <= 16 && i + k < len; k++) symbols += d[i + k]; /* stb reads 0 past the end */
            if (symbols > 256) return i;
            i += 17 + symbols;
            left -= 17 + (long)symbols;
        }
        if (left != 0) break; /* stb stops at a DHT that does not add up */
    }
    return 0;
}

/* An unsigned integer of `bytes` bytes at p, big- or little-endian. */
static uint32_t get(const uint8_t *p, int bytes, int big)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | p[big ? i : bytes - 1 - i];
    return v;
}

/* The Orientation entry of IFD0 in a TIFF block of len bytes: 1..8, 1 for
   a value out of range, 0 when there is no such entry. Only the standard
   form counts (type SHORT, count 1). Later IFDs are never followed, so no
   offset can send the walk round in a loop. */
static int32_t tiff_orientation(const uint8_t *t, size_t len)
{
    if (len < 8 || t[0] != t[1] || (t[0] != 'I' && t[0] != 'M')) return 0;
    const int big = t[0] == 'M';
    if (get(t + 2, 2, big) != 42) return 0;
    const uint32_t ifd = get(t + 4, 4, big);
    if (ifd > len - 2) return 0;
    const uint32_t count = get(t + ifd, 2, big);
    size_t at = (size_t)ifd + 2; /* at <= len from here on */
    for (uint32_t i = 0; i < count && len - at >= 12; i++, at += 12)
        if (get(t + at, 2, big) == 0x0112 && get(t + at + 2, 2, big) == 3 && get(t + at + 4, 4, big) == 1) {
            uint32_t v = get(t + at + 8, 2, big);
            return v >= 1 && v <= 8 ? (int32_t)v : 1;
        }
    return 0;
}

/* Walk the markers before the image data as libjpeg does (bytes that are
   not a marker skipped, fill bytes too); the first "Exif\0\0" APP1 with an
   orientation entry decides. */
int32_t er_exif_orientation(const uint8_t *d, size_t len)
{
    if (len < 2 || d[0] != 0xff || d[1] != 0xd8) return 1;
    size_t i = 2;
    for (;;) {
        while (i < len && d[i] != 0xff) i++;
        while (i < len && d[i] == 0xff) i++;
        if (i >= len) return 1;
        const uint8_t marker = d[i++];
        if (marker == 0xda || marker == 0xd9) return 1; /* SOS, EOI: EXIF comes before */
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; /* no length */
        if (len - i < 2) return 1;
        const size_t n = get(d + i, 2, 1);
        if (n < 2 || n > len - i) return 1;
        if (marker == 0xe1 && n >= 8 && memcmp(d + i + 2, "Exif\0\0", 6) == 0) {
            int32_t o = tiff_orientation(d + i + 8, n - 8);
            if (o) return o;
        }
        i += n;
    }
}

er_image_steps er_image_layout(const er_image *img)
{
    const int32_t o = img->orientation >= 1 && img->orientation <= 8 ? img->orientation : 1;
    const ptrdiff_t pixel = img->channels, row = (ptrdiff_t)(o >= 5 ? img->height : img->width) * pixel;
    er_image_steps s = {0, o >= 5 ? row : pixel, o >= 5 ? pixel : row}; /* 5-8: upright rows are columns */
    if (0xcc >> o & 1) { /* 2, 3, 6, 7: upright x runs backwards */
        s.origin += (size_t)(img->width - 1) * (size_t)s.right;
        s.right = -s.right;
    }
    if (0x198 >> o & 1) { /* 3, 4, 7, 8: upright y runs backwards */
        s.origin += (size_t)(img->height - 1) * (size_t)s.down;
        s.down = -s.down;
    }
    return s;
}

er_code er_image_decode(const uint8_t *data, size_t len, uint64_t max_pixels, int exif, er_image *img,
                        er_error *err)
{
    memset(img, 0, sizeof *img);
    if (len == 0) return er_fail(err, ER_E_DECODE, "the image is empty (0 bytes)");
    if (len > INT_MAX)
        return er_fail(err, ER_E_LIMIT, "the image is %zu bytes; at most %d are supported", len, INT_MAX);
    size_t bad_table = oversized_huffman_table(data, len);
    if (bad_table)
        return er_fail(err, ER_E_DECODE, "corrupt JPEG: a Huffman table of more than 256 symbols at byte %zu",
                       bad_table);
    int w, h, n;
    stbi__g_failure_reason = NULL;
    size_t failures = er_mem_failures();
    if (!stbi_info_from_memory(data, (int)len, &w, &h, &n))
        return decode_failure(err, failures, "reading the header of",
                              "not a decodable JPEG, PNG, BMP, GIF or TGA image");
    if (w <= 0 || h <= 0) return er_fail(err, ER_E_DECODE, "the image header gives an empty size %dx%d", w, h);
    uint64_t pixels = (uint64_t)w * (uint64_t)h;
    if (pixels > max_pixels)
        return er_fail(err, ER_E_LIMIT, "the image is %dx%d = %llu pixels, over the limit of %llu", w, h,
                       (unsigned long long)pixels, (unsigned long long)max_pixels);

    int dw, dh, dn;
    stbi__g_failure_reason = NULL;
    failures = er_mem_failures();
    uint8_t *pixels_out = stbi_load_from_memory(data, (int)len, &dw, &dh, &dn, 0);
    if (!pixels_out) return decode_failure(err, failures, "decoding", "the image data is corrupt or unsupported");
    /* The decoder must agree with the header it was judged by. */
    if (dw != w || dh != h || dn < 1 || dn > 4) {
        stbi_image_free(pixels_out);
        return er_fail(err, ER_E_DECODE, "the image decodes to %dx%dx%d, not the %dx%d of its header", dw, dh, dn,
                       w, h);
    }
    img->orientation = exif ? er_exif_orientation(data, len) : 1;
    img->width = img->orientation >= 5 ? dh : dw;
    img->height = img->orientation >= 5 ? dw : dh;
    img->channels = dn;
    img->pixels = pixels_out;
    return ER_OK;
}

void er_image_free(er_image *img)
{
    if (!img) return;
    stbi_image_free(img->pixels);
    memset(img, 0, sizeof *img);
}
