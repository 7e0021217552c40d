/* util.h - memory and diagnostics shared by every compiler pass.

   The compiler is a short-lived process that builds one graph, so all of its
   allocations come from one bump arena freed at exit: ownership never has to
   be tracked across passes, and a failure anywhere can simply return.

   Every failure is reported once, through er_fail(), as one line naming the
   file and what was wrong and where; functions return -1 (or NULL) upward. */
#ifndef ER_UTIL_H
#define ER_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ER_VERSION "0.1.0"
#define ER_GENERATOR "edgerun-compile " ER_VERSION

/* ---- bump arena ---- */
typedef struct er_pool er_pool;

er_pool *er_pool_new(void);
/* Free every allocation made from the pool, and the pool. */
void er_pool_free(er_pool *pool);
/* Zeroed allocation of n bytes, 16-byte aligned; NULL (with a diagnostic) when out of memory. */
void *er_alloc_bytes(er_pool *pool, size_t n);
/* Zeroed array of count elements of size bytes; NULL on overflow or out of memory. */
void *er_alloc_array(er_pool *pool, size_t count, size_t size);
/* Copy of n bytes of s plus a NUL, owned by the pool. */
char *er_strndup(er_pool *pool, const char *s, size_t n);
char *er_strdup(er_pool *pool, const char *s);
/* printf into a pool-owned string. */
char *er_sprintf(er_pool *pool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- diagnostics ---- */
/* The file being compiled, prefixed to every message. */
void er_diag_set_file(const char *path);
/* Record a failure (the first one wins) and return -1. */
int er_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int er_vfail(const char *fmt, va_list ap);
/* The recorded message ("FILE: what"), or NULL when nothing failed. */
const char *er_diag_message(void);
/* Forget the recorded failure and the file name: a program that compiles
   more than one model in a process (the fuzz target tests/fuzz/) calls it
   before each, so that "the first failure wins" holds per model. */
void er_diag_reset(void);

/* ---- files ---- */
/* The whole file at path (plus a NUL byte), pool-owned; NULL with a diagnostic on failure or
   when it is larger than max_bytes. */
uint8_t *er_read_file(er_pool *pool, const char *path, size_t max_bytes, size_t *len);

/* ---- checked arithmetic ---- */
/* *out = a * b; returns 0, or -1 when it overflows int64 (or either is negative). */
int er_mul_i64(int64_t a, int64_t b, int64_t *out);
int er_add_i64(int64_t a, int64_t b, int64_t *out);

/* ---- growable pointer arrays (pool-backed) ---- */
typedef struct er_vec {
    void **items;
    int32_t count, cap;
} er_vec;
/* Append p; returns its index or -1 when out of memory. */
int32_t er_vec_push(er_pool *pool, er_vec *v, void *p);

#endif
