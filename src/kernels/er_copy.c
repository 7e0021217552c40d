/* er_copy.c - kernels that move elements: copy, fill, strided copy, gather, pad, cast. */
#include <math.h>
#include <string.h>

#include "er_kernels.h"
#include "er_simd.h"

void er_copy(const er_copy_params *p, const void *x, void *y)
{
    if (p->n_bytes > 0) memmove(y, x, (size_t)p->n_bytes);
}

void er_fill(const er_fill_params *p, void *y)
{
    unsigned char *out = y;
    const size_t size = (size_t)p->elem_size;
    unsigned char value[8];
    memcpy(value, &p->value_bits, sizeof value); /* little-endian: the element is the low bytes */
    if (size == 0 || size > 8) return;
    for (int32_t i = 0; i < p->n; i++) memcpy(out + (size_t)i * size, value, size);
}

/* Map output coordinate *c (already shifted by the begin pad) into [0, n)
   for edge and reflect padding; returns 0 when it falls outside in constant
   mode (or n is 0), where the fill value applies. */
static inline int pad_coord(int64_t *c, int64_t n, int32_t mode)
{
    if (*c >= 0 && *c < n) return 1;
    if (mode == ER_PAD_CONSTANT || n == 0) return 0;
    if (mode == ER_PAD_EDGE) {
        *c = *c < 0 ? 0 : n - 1;
    } else { /* reflect, without repeating the edge */
        const int64_t period = n > 1 ? 2 * (n - 1) : 1;
        *c = ((*c % period) + period) % period;
        if (*c >= n) *c = period - *c;
    }
    return 1;
}

/* Steps the odometer over dims [0, top] of a strided copy (idx, and the
   offsets xo, yo into x and y) to the next index; returns 0 past the last. */
static inline int strided_next(const er_strided_params *p, int32_t top, int32_t *idx, int64_t *xo, int64_t *yo)
{
    for (int32_t k = top; k >= 0; k--) {
        *xo += p->x_strides[k];
        *yo += p->y_strides[k];
        if (++idx[k] < p->dims[k]) return 1;
        *xo -= (int64_t)p->x_strides[k] * p->dims[k];
        *yo -= (int64_t)p->y_strides[k] * p->dims[k];
        idx[k] = 0;
    }
    return 0;
}

/* The strided copies that transpose (NCHW <-> NHWC, a matrix's transpose,
   attention's head swaps): when the last two dims read x with strides
   (1, xs) and write y with (ys, 1), y's rows are x's columns, and 4x4
   blocks move as four vector loads, eight shuffles and four vector stores
   instead of 16 strided element copies (4-byte elements, bits unchanged).
   Returns 0, having done nothing, when the copy is not of that form.
   Not inlined: a model's relayouts make it hot on the first run, and V8
   then optimises these 2 KB rather than the whole strided copy (3.6 KB,
   whose general loops the Slices use, rarely enough to stay unoptimised). */
__attribute__((noinline)) static int transpose32(const er_strided_params *p, const void *xv, void *yv)
{
    const int32_t r = p->rank, a = r - 2, b = r - 1;
    if (r < 2 || p->x_strides[a] != 1 || p->y_strides[b] != 1 || p->dims[a] < 4 || p->dims[b] < 4) return 0;
    const float *x = (const float *)xv + p->x_offset;
    float *y = (float *)yv + p->y_offset;
    const int32_t na = p->dims[a], nb = p->dims[b], na4 = na & ~3, nb4 = nb & ~3;
    const int64_t xs = p->x_strides[b], ys = p->y_strides[a];
    int32_t idx[ER_MAX_RANK] = {0};
    int64_t xo = 0, yo = 0;
    for (int32_t k = 0; k < a; k++)
        if (p->dims[k] <= 0) return 1;
    for (;;) {
        const float *xm = x + xo;
        float *ym = y + yo;
        for (int32_t i = 0; i < na4; i += 4) {
            for (int32_t j = 0; j < nb4; j += 4) {
                /* v_t holds elements (i..i+3, j+t); y's row i+l is lane l of each. */
                const float *xp = xm + i + (int64_t)j * xs;
                const er_v4f v0 = er_v4_load(xp), v1 = er_v4_load(xp + xs), v2 = er_v4_load(xp + 2 * xs),
                             v3 = er_v4_load(xp + 3 * xs);
                const er_v4f t0 = ER_V4_SHUFFLE(v0, v1, 0, 4, 1, 5), t1 = ER_V4_SHUFFLE(v2, v3, 0, 4, 1, 5);
                const er_v4f t2 = ER_V4_SHUFFLE(v0, v1, 2, 6, 3, 7), t3 = ER_V4_SHUFFLE(v2, v3, 2, 6, 3, 7);
                float *yp = ym + (int64_t)i * ys + j;
                er_v4_store(yp, ER_V4_SHUFFLE(t0, t1, 0, 1, 4, 5));
                er_v4_store(yp + ys, ER_V4_SHUFFLE(t0, t1, 2, 3, 6, 7));
                er_v4_store(yp + 2 * ys, ER_V4_SHUFFLE(t2, t3, 0, 1, 4, 5));
                er_v4_store(yp + 3 * ys, ER_V4_SHUFFLE(t2, t3, 2, 3, 6, 7));
            }
            for (int32_t l = 0; l < 4; l++)
                for (int32_t j = nb4; j < nb; j++) ym[(int64_t)(i + l) * ys + j] = xm[i + l + (int64_t)j * xs];
        }
        for (int32_t i = na4; i < na; i++)
            for (int32_t j = 0; j < nb; j++) ym[(int64_t)i * ys + j] = xm[i + (int64_t)j * xs];
        if (!strided_next(p, a - 1, idx, &xo, &yo)) return 1;
    }
}

/* One implementation per element width; the innermost dimension is a tight
   loop (a vector copy for 4-byte rows), the outer ones an odometer. */
#define ER_DEFINE_MOVERS(bits, T)                                                                    \
    void er_x##bits##_strided_copy(const er_strided_params *p, const void *xv, void *yv)            \
    {                                                                                                \
        if (sizeof(T) == 4 && transpose32(p, xv, yv)) return;                                        \
        const T *x = (const T *)xv + p->x_offset;                                                    \
        T *y = (T *)yv + p->y_offset;                                                                \
        const int32_t r = p->rank, last = r - 1;                                                     \
        const int32_t n = p->dims[last], xs = p->x_strides[last], ys = p->y_strides[last];           \
        int32_t idx[ER_MAX_RANK] = {0};                                                              \
        int64_t xo = 0, yo = 0;                                                                      \
        for (int32_t k = 0; k < r; k++)                                                              \
            if (p->dims[k] <= 0) return;                                                             \
        for (;;) {                                                                                   \
            const T *xr = x + xo;                                                                    \
            T *yr = y + yo;                                                                          \
            if (xs == 1 && ys == 1 && sizeof(T) == 4) {                                              \
                er_v4_copy_nolib((float *)(void *)yr, (const float *)(const void *)xr, n);          \
            } else if (xs == 1 && ys == 1) {                                                         \
                memcpy(yr, xr, (size_t)n * sizeof(T));                                               \
            } else {                                                                                 \
                for (int32_t i = 0; i < n; i++) yr[(int64_t)i * ys] = xr[(int64_t)i * xs];          \
            }                                                                                        \
            if (!strided_next(p, last - 1, idx, &xo, &yo)) return;                                   \
        }                                                                                            \
    }                                                                                                \
                                                                                                     \
    void er_x##bits##_gather(const er_gather_params *p, const void *xv, const void *iv, void *yv)    \
    {                                                                                                \
        const T *x = xv;                                                                             \
        T *y = yv;                                                                                   \
        const size_t inner = (size_t)p->inner;                                                       \
        for (int32_t o = 0; o < p->outer; o++) {                                                     \
            for (int32_t j = 0; j < p->n_idx; j++) {                                                 \
                int64_t i = p->idx_i64 ? ((const int64_t *)iv)[j] : ((const int32_t *)iv)[j];       \
                if (i < 0) i += p->axis_len;                                                         \
                T *dst = y + ((size_t)o * p->n_idx + j) * inner;                                     \
                if (i < 0 || i >= p->axis_len) { /* invalid data: defined output */                  \
                    memset(dst, 0, inner * sizeof(T));                                               \
                    continue;                                                                        \
                }                                                                                    \
                memcpy(dst, x + ((size_t)o * p->axis_len + (size_t)i) * inner, inner * sizeof(T));   \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
                                                                                                     \
    /* Row by row: the outer dims as an odometer, the last one as a fill, */    \
    /* a copy and a fill where the mode is constant. */                         \
    void er_x##bits##_pad(const er_pad_params *p, const void *xv, void *yv)                          \
    {                                                                                                \
        const T *x = xv;                                                                             \
        T *y = yv;                                                                                   \
        T fill;                                                                                      \
        memcpy(&fill, &p->value_bits, sizeof fill);                                                  \
        const int32_t last = p->rank - 1;                                                            \
        int64_t rows = 1, xstr[ER_MAX_RANK];                                                         \
        int32_t idx[ER_MAX_RANK] = {0};                                                              \
        if (p->rank < 1) {                                                                           \
            y[0] = x[0];                                                                             \
            return;                                                                                  \
        }                                                                                            \
        for (int32_t k = last, s = 1; k >= 0; k--) {                                                 \
            xstr[k] = s;                                                                             \
            s *= p->x_dims[k];                                                                       \
        }                                                                                            \
        for (int32_t k = 0; k < last; k++) rows *= p->y_dims[k];                                     \
        const int64_t yw = p->y_dims[last], xw = p->x_dims[last], b0 = p->begin[last];               \
        /* Output columns that read a column of x directly: [lo, hi). */                            \
        const int64_t lo = b0 < 0 ? 0 : b0 > yw ? yw : b0;                                           \
        const int64_t hi = b0 + xw < lo ? lo : b0 + xw > yw ? yw : b0 + xw;                          \
        for (int64_t o = 0; o < rows; o++) {                                                         \
            T *yr = y + o * yw;                                                                      \
            int64_t src = 0;                                                                         \
            int inside = 1;                                                                          \
            for (int32_t k = 0; k < last; k++) {                                                     \
                int64_t c = (int64_t)idx[k] - p->begin[k];                                           \
                if (!pad_coord(&c, p->x_dims[k], p->mode)) inside = 0;                               \
                src += c * xstr[k];                                                                  \
            }                                                                                        \
            if (!inside || xw == 0) {                                                                \
                for (int64_t i = 0; i < yw; i++) yr[i] = fill;                                       \
            } else if (p->mode == ER_PAD_CONSTANT) {                                                 \
                for (int64_t i = 0; i < lo; i++) yr[i] = fill;                                       \
                if (hi > lo) memcpy(yr + lo, x + src + (lo - b0), (size_t)(hi - lo) * sizeof(T));    \
                for (int64_t i = hi; i < yw; i++) yr[i] = fill;                                      \
            } else {                                                                                 \
                for (int64_t i = 0; i < yw; i++) {                                                   \
                    int64_t c = i - b0;                                                              \
                    pad_coord(&c, xw, p->mode);                                                      \
                    yr[i] = x[src + c];                                                              \
                }                                                                                    \
            }                                                                                        \
            for (int32_t k = last - 1; k >= 0; k--) {                                                \
                if (++idx[k] < p->y_dims[k]) break;                                                  \
                idx[k] = 0;                                                                          \
            }                                                                                        \
        }                                                                                            \
    }

ER_DEFINE_MOVERS(8, uint8_t)
ER_DEFINE_MOVERS(16, uint16_t)
ER_DEFINE_MOVERS(32, uint32_t)
ER_DEFINE_MOVERS(64, uint64_t)

/* ---- Cast ---- */

/* Every value passes through double or a 64-bit integer. Float-to-int
   conversion of out-of-range values is undefined in C and traps in wasm, so
   it saturates, and NaN becomes 0. */
static double load_f(const void *x, int32_t type, int32_t i)
{
    switch (type) {
    case ER_DTYPE_FLOAT: return ((const float *)x)[i];
    case ER_DTYPE_DOUBLE: return ((const double *)x)[i];
    default: return 0.0;
    }
}

static int64_t load_i(const void *x, int32_t type, int32_t i)
{
    switch (type) {
    case ER_DTYPE_INT8: return ((const int8_t *)x)[i];
    case ER_DTYPE_INT16: return ((const int16_t *)x)[i];
    case ER_DTYPE_INT32: return ((const int32_t *)x)[i];
    case ER_DTYPE_INT64: return ((const int64_t *)x)[i];
    case ER_DTYPE_UINT8: case ER_DTYPE_BOOL: return ((const uint8_t *)x)[i];
    case ER_DTYPE_UINT16: return ((const uint16_t *)x)[i];
    case ER_DTYPE_UINT32: return ((const uint32_t *)x)[i];
    case ER_DTYPE_UINT64: return (int64_t)((const uint64_t *)x)[i]; /* wraps above INT64_MAX, like numpy */
    default: return 0;
    }
}

static int64_t saturate(double v, double lo, double hi)
{
    if (v != v) return 0;
    if (v <= lo) return (int64_t)lo;
    if (v >= hi) return (int64_t)hi;
    return (int64_t)v;
}

void er_cast(const er_cast_params *p, const void *x, void *y)
{
    const int from_float = p->from == ER_DTYPE_FLOAT || p->from == ER_DTYPE_DOUBLE;
    for (int32_t i = 0; i < p->n; i++) {
        double f = from_float ? load_f(x, p->from, i)
                   : p->from == ER_DTYPE_UINT64 ? (double)((const uint64_t *)x)[i] : (double)load_i(x, p->from, i);
        int64_t v = from_float ? 0 : load_i(x, p->from, i);
        switch (p->to) {
        case ER_DTYPE_FLOAT: ((float *)y)[i] = (float)f; break;
        case ER_DTYPE_DOUBLE: ((double *)y)[i] = f; break;
        case ER_DTYPE_BOOL: ((uint8_t *)y)[i] = from_float ? f != 0.0 : v != 0; break;
        case ER_DTYPE_INT8: ((int8_t *)y)[i] = (int8_t)(from_float ? saturate(f, -128.0, 127.0) : v); break;
        case ER_DTYPE_INT16: ((int16_t *)y)[i] = (int16_t)(from_float ? saturate(f, -32768.0, 32767.0) : v); break;
        case ER_DTYPE_INT32:
            ((int32_t *)y)[i] = (int32_t)(from_float ? saturate(f, -2147483648.0, 2147483647.0) : v);
            break;
        case ER_DTYPE_INT64:
            ((int64_t *)y)[i] = from_float ? (f >= 9223372036854775807.0 ? INT64_MAX : saturate(f, -9223372036854775808.0, 9.2233720368547748e18)) : v;
            break;
        case ER_DTYPE_UINT8: ((uint8_t *)y)[i] = (uint8_t)(from_float ? saturate(f, 0.0, 255.0) : v); break;
        case ER_DTYPE_UINT16: ((uint16_t *)y)[i] = (uint16_t)(from_float ? saturate(f, 0.0, 65535.0) : v); break;
        case ER_DTYPE_UINT32: ((uint32_t *)y)[i] = (uint32_t)(from_float ? saturate(f, 0.0, 4294967295.0) : v); break;
        case ER_DTYPE_UINT64: {
            uint64_t u;
            if (!from_float) u = (uint64_t)v;
            else if (f != f || f <= 0.0) u = 0;
            else if (f >= 18446744073709551615.0) u = UINT64_MAX;
            else u = (uint64_t)f;
            ((uint64_t *)y)[i] = u;
            break;
        }
        default: break;
        }
    }
}

/* ---- ScatterND ---- */

#define ER_SCATTERND(bits, T)                                                                  \
    void er_x##bits##_scatternd(const er_scatternd_params *p, const void *data, const int64_t *indices, \
                                const void *updates_, void *y_)                               \
    {                                                                                          \
        const T *updates = updates_;                                                           \
        T *y = y_;                                                                             \
        if (y_ != data) memcpy(y, data, (size_t)p->count * sizeof(T));                         \
        for (int32_t u = 0; u < p->n_updates; u++) {                                           \
            int64_t off = 0;                                                                   \
            int ok = 1;                                                                        \
            for (int32_t j = 0; j < p->k; j++) {                                               \
                int64_t i = indices[(int64_t)u * p->k + j];                                    \
                if (i < 0) i += p->dims[j];                                                    \
                if (i < 0 || i >= p->dims[j]) ok = 0;                                          \
                off += i * p->strides[j];                                                      \
            }                                                                                  \
            if (ok) memcpy(y + off, updates + (int64_t)u * p->slice, (size_t)p->slice * sizeof(T)); \
        }                                                                                      \
    }
ER_SCATTERND(8, uint8_t)
ER_SCATTERND(16, uint16_t)
ER_SCATTERND(32, uint32_t)
ER_SCATTERND(64, uint64_t)
