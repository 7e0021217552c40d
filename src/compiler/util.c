#include "util.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocations are carved from chunks; big requests get a chunk of their own
   so that a 400 MB weight tensor does not waste a 400 MB tail. */
typedef struct er_chunk {
    struct er_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} er_chunk;

struct er_pool {
    er_chunk *head;
};

#define ER_CHUNK_BYTES ((size_t)1 << 20)

er_pool *er_pool_new(void)
{
    er_pool *pool = calloc(1, sizeof *pool);
    if (!pool) er_fail("out of memory");
    return pool;
}

void er_pool_free(er_pool *pool)
{
    if (!pool) return;
    for (er_chunk *c = pool->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(pool);
}

void *er_alloc_bytes(er_pool *pool, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n) {
        er_fail("allocation of %zu bytes overflows", n);
        return NULL;
    }
    er_chunk *c = pool->head;
    if (!c || c->size - c->used < need) {
        size_t size = need > ER_CHUNK_BYTES / 4 ? need : ER_CHUNK_BYTES;
        if (size > SIZE_MAX - sizeof(er_chunk)) {
            er_fail("allocation of %zu bytes overflows", n);
            return NULL;
        }
        er_chunk *fresh = malloc(sizeof(er_chunk) + size);
        if (!fresh) {
            er_fail("out of memory allocating %zu bytes", n);
            return NULL;
        }
        fresh->size = size;
        fresh->used = 0;
        if (c && size != ER_CHUNK_BYTES) {
            /* A dedicated chunk goes behind the current one, which keeps its free space. */
            fresh->next = c->next;
            c->next = fresh;
        } else {
            fresh->next = c;
            pool->head = fresh;
        }
        c = fresh;
    }
    void *p = c->data + c->used;
    c->used += need;
    memset(p, 0, n);
    return p;
}

void *er_alloc_array(er_pool *pool, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        er_fail("allocation of %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    size_t bytes = count * size;
    return er_alloc_bytes(pool, bytes ? bytes : 1);
}

char *er_strndup(er_pool *pool, const char *s, size_t n)
{
    char *d = er_alloc_bytes(pool, n + 1);
    if (d && n) memcpy(d, s, n);
    return d;
}

char *er_strdup(er_pool *pool, const char *s)
{
    return er_strndup(pool, s, strlen(s));
}

char *er_sprintf(er_pool *pool, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : er_alloc_bytes(pool, (size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

static const char *diag_file = "<input>";
static char diag_message[1024];
static int diag_set;

void er_diag_set_file(const char *path)
{
    diag_file = path;
}

int er_vfail(const char *fmt, va_list ap)
{
    if (diag_set) return -1;
    int n = snprintf(diag_message, sizeof diag_message, "%s: ", diag_file);
    if (n < 0 || (size_t)n >= sizeof diag_message) n = 0;
    vsnprintf(diag_message + n, sizeof diag_message - (size_t)n, fmt, ap);
    /* One line, whatever the names inside contain. */
    for (char *c = diag_message; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    diag_set = 1;
    return -1;
}

int er_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    er_vfail(fmt, ap);
    va_end(ap);
    return -1;
}

const char *er_diag_message(void)
{
    return diag_set ? diag_message : NULL;
}

void er_diag_reset(void)
{
    diag_file = "<input>";
    diag_message[0] = '\0';
    diag_set = 0;
}

int er_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0) return -1;
    if (a != 0 && b > INT64_MAX / a) return -1;
    *out = a * b;
    return 0;
}

int er_add_i64(int64_t a, int64_t b, int64_t *out)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return -1;
    *out = a + b;
    return 0;
}

int32_t er_vec_push(er_pool *pool, er_vec *v, void *p)
{
    if (v->count == v->cap) {
        int32_t cap = v->cap ? v->cap * 2 : 8;
        if (cap <= v->cap) return er_fail("too many items");
        void **items = er_alloc_array(pool, (size_t)cap, sizeof *items);
        if (!items) return -1;
        if (v->count) memcpy(items, v->items, (size_t)v->count * sizeof *items);
        v->items = items;
        v->cap = cap;
    }
    v->items[v->count] = p;
    return v->count++;
}

uint8_t *er_read_file(er_pool *pool, const char *path, size_t max_bytes, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    if (!f) {
        er_fail("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    long size;
    if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0) {
        er_fail("cannot determine the size of %s", path);
        goto fail;
    }
    if ((unsigned long)size > max_bytes) {
        er_fail("%s is %ld bytes, larger than the %zu-byte limit", path, size, max_bytes);
        goto fail;
    }
    rewind(f);
    data = er_alloc_bytes(pool, (size_t)size + 1);
    if (!data) goto fail;
    if (fread(data, 1, (size_t)size, f) != (size_t)size) {
        er_fail("read error on %s", path);
        data = NULL;
        goto fail;
    }
    *len = (size_t)size;
fail:
    fclose(f);
    return data;
}
