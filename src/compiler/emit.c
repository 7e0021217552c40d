/* emit.c - the generated C: deterministic, C99, warning-free, commented node by node.

   Layout of the C file:
     header comment (generator, source, hash, opset, shapes, sizes)
     weights    the layout of the weight blob (every constant, in order of
                first use) and the .incbin that links the blob in
     buffers    static arrays filled at initialisation (LAZY), the arena
     metadata   er_model (er_model.h): inputs, outputs, labels, norm
     er_model_run: one block per ONNX node (or fused group), each opening
                with a comment naming the node, then its kernel calls with
                their parameter structs as constants. */
#include "emit.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "er_micro.h"
#include "ops.h"

/* ---- text helpers ---- */

/* Write s inside a C comment: nothing that could end the comment or confuse a reader. */
static void put_comment_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (p[0] == '*' && p[1] == '/') fputs("*\\", f);
        else if (*p < 0x20 || *p >= 0x7f) fputc('?', f);
        else fputc(*p, f);
    }
}

/* Write s as a C string literal. '?' is escaped so no trigraph can form. */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '?') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) fprintf(f, "\\%03o", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* A literal for v: exact (round-trips), valid C99 ("1.0f", never "1f"). */
static int fmt_float(char *buf, size_t n, double v, int is_double)
{
    if (isnan(v)) return snprintf(buf, n, "NAN");
    if (isinf(v)) return snprintf(buf, n, "%sINFINITY", v < 0 ? "-" : "");
    if (is_double) {
        snprintf(buf, n, "%.17g", v);
    } else {
        /* The shorter of two precisions that still reads back as the same float. */
        snprintf(buf, n, "%.7g", v);
        if (strtof(buf, NULL) != (float)v) snprintf(buf, n, "%.9g", v);
    }
    if (!strpbrk(buf, ".eEn")) strcat(buf, ".0");
    if (!is_double) strcat(buf, "f");
    return (int)strlen(buf);
}

static void put_float(FILE *f, double v, int is_double)
{
    char buf[48];
    fmt_float(buf, sizeof buf, v, is_double);
    fputs(buf, f);
}

/* An int64 literal, valid C99 for every value (INT64_MIN has no literal of its own). */
static void put_int64(FILE *f, int64_t v)
{
    if (v == INT64_MIN) fputs("(-INT64_C(9223372036854775807) - 1)", f);
    else fprintf(f, "INT64_C(%" PRId64 ")", v);
}

static void put_dims(FILE *f, const er_tensor *t)
{
    char buf[200];
    fputs(er_shape_str(t, buf, sizeof buf), f);
}

/* ---- node comments ---- */

static const char *input_role(const er_node *n, int32_t i)
{
    static const char *const conv[] = {"X", "W", "B"}, *const gemm[] = {"A", "B", "C"},
                             *const bn[] = {"X", "scale", "B", "mean", "var"};
    switch (n->op) {
    case ER_OP_Conv: case ER_OP_ConvTranspose: return i < 3 ? conv[i] : "in";
    case ER_OP_Gemm: case ER_OP_MatMul: return i < 3 ? gemm[i] : "in";
    case ER_OP_BatchNormalization: return i < 5 ? bn[i] : "in";
    default: return i == 0 ? "X" : NULL;
    }
}

/* Compact attribute values: "pads 1" when all equal, "pads [0,1,0,1]" otherwise. */
static void put_attrs(FILE *f, const er_node *n)
{
    for (int32_t i = 0; i < n->n_attrs; i++) {
        const onnx_attr *a = &n->attrs[i];
        switch (a->type) {
        case ONNX_ATTR_INT:
            fputs(", ", f);
            put_comment_text(f, a->name);
            fprintf(f, " %lld", (long long)a->i);
            break;
        case ONNX_ATTR_FLOAT:
            fputs(", ", f);
            put_comment_text(f, a->name);
            fprintf(f, " %g", (double)a->f);
            break;
        case ONNX_ATTR_INTS: {
            int same = 1;
            for (int32_t k = 1; k < a->n_ints; k++) same &= a->ints[k] == a->ints[0];
            fputs(", ", f);
            put_comment_text(f, a->name);
            if (same && a->n_ints > 0 && strcmp(a->name, "kernel_shape") && strcmp(a->name, "perm") &&
                strcmp(a->name, "axes")) {
                fprintf(f, " %lld", (long long)a->ints[0]);
                break;
            }
            fputs(" [", f);
            for (int32_t k = 0; k < a->n_ints && k < 16; k++)
                fprintf(f, "%s%lld", k ? "," : "", (long long)a->ints[k]);
            fputs(a->n_ints > 16 ? ",...]" : "]", f);
            break;
        }
        case ONNX_ATTR_STRING: {
            char buf[64];
            size_t len = a->s.len < sizeof buf - 1 ? a->s.len : sizeof buf - 1;
            if (len) memcpy(buf, a->s.data, len); /* an empty string has no data (NULL) */
            buf[len] = 0;
            fputs(", ", f);
            put_comment_text(f, a->name);
            fputs(" ", f);
            put_comment_text(f, buf);
            break;
        }
        default: break;
        }
    }
}

static void put_node_comment(FILE *f, const er_graph *g, const er_node *n)
{
    fputs("    /* ", f);
    put_comment_text(f, n->op_type);
    fputs(" \"", f);
    put_comment_text(f, n->name);
    fputs("\":", f);
    for (int32_t i = 0; i < n->n_in; i++) {
        const er_tensor *t = er_in(g, n, i);
        if (!t) continue;
        const char *role = input_role(n, i);
        fputc(' ', f);
        if (role) fputs(role, f);
        put_dims(f, t);
    }
    if (n->residual >= 0) {
        fputs(" R", f);
        put_dims(f, er_t(g, n->residual));
    }
    fputs(" ->", f);
    for (int32_t i = 0; i < n->n_out; i++) {
        const er_tensor *t = er_out(g, n, i);
        if (!t) continue;
        fputs(i ? " Y" : " Y", f);
        put_dims(f, t);
    }
    put_attrs(f, n);
    if (n->fused) {
        fputs(", fused ", f);
        put_comment_text(f, n->fused);
    }
    if (n->algo) {
        fputs(", algorithm ", f);
        put_comment_text(f, n->algo);
    }
    fputs(" */\n", f);
}

/* ---- parameter structs ---- */

static void put_params(FILE *f, const er_kernel_def *kd, const void *params)
{
    const unsigned char *base = params;
    int first = 1;
    fputs("{", f);
    for (int32_t i = 0; i < kd->n_fields; i++) {
        const er_field_desc *fd = &kd->fields[i];
        const void *p = base + fd->offset;
        int32_t iv;
        int64_t lv;
        float fv;
        switch (fd->kind) {
        case 'I':
            memcpy(&iv, p, sizeof iv);
            if (!iv) continue;
            fprintf(f, "%s.%s = %" PRId32, first ? "" : ", ", fd->name, iv);
            break;
        case 'L':
            memcpy(&lv, p, sizeof lv);
            if (!lv) continue;
            fprintf(f, "%s.%s = ", first ? "" : ", ", fd->name);
            put_int64(f, lv);
            break;
        case 'F':
            memcpy(&fv, p, sizeof fv);
            if (fv == 0.0f && !signbit(fv)) continue;
            fprintf(f, "%s.%s = ", first ? "" : ", ", fd->name);
            put_float(f, fv, 0);
            break;
        case 'i': case 'f': {
            int32_t last = -1;
            for (int32_t k = 0; k < ER_MAX_RANK; k++) {
                if (fd->kind == 'i') memcpy(&iv, (const int32_t *)p + k, sizeof iv);
                else memcpy(&fv, (const float *)p + k, sizeof fv);
                if (fd->kind == 'i' ? iv != 0 : (fv != 0.0f || signbit(fv))) last = k;
            }
            if (last < 0) continue;
            fprintf(f, "%s.%s = {", first ? "" : ", ", fd->name);
            for (int32_t k = 0; k <= last; k++) {
                if (k) fputs(", ", f);
                if (fd->kind == 'i') {
                    memcpy(&iv, (const int32_t *)p + k, sizeof iv);
                    fprintf(f, "%" PRId32, iv);
                } else {
                    memcpy(&fv, (const float *)p + k, sizeof fv);
                    put_float(f, fv, 0);
                }
            }
            fputs("}", f);
            break;
        }
        default: continue;
        }
        first = 0;
    }
    fputs(first ? "0}" : "}", f);
}

/* ---- arguments ---- */

static void put_arg(FILE *f, const er_graph *g, int32_t id)
{
    if (id < 0) {
        fputs("NULL", f);
        return;
    }
    er_tensor *s = er_storage(g, er_t(g, id));
    switch (s->store) {
    case ER_STORE_CONST: fprintf(f, "er_weights.w%d", s->symbol); break;
    case ER_STORE_LAZY: fprintf(f, "er_l%d", s->symbol); break;
    default: fprintf(f, "ER_A(%lld)", (long long)s->offset); break;
    }
}

static void put_call(FILE *f, const er_graph *g, const er_call *c, const char *indent)
{
    const er_kernel_def *kd = &er_kernels[c->kernel];
    fprintf(f, "%s{\n%s    static const %s p = ", indent, indent, kd->params_type);
    put_params(f, kd, c->params);
    fprintf(f, ";\n%s    %s(&p", indent, kd->name);
    for (int32_t a = 0; a < c->n_args; a++) {
        fputs(", ", f);
        put_arg(f, g, c->args[a]);
    }
    fprintf(f, ");\n%s}\n", indent);
}

/* ---- the file ---- */

/* ---- the weight blob ----

   Constants are not C text: their bytes go to one binary file, the blob,
   which the generated C links in with the assembler's .incbin as the symbol
   er_weights. The C declares the blob as a struct with one member per
   constant, so each is named, typed and shaped in the source, and static
   assertions pin every member to the offset the blob gives it. Text costs
   about four bytes of C per weight byte and a compiler's parse of it; the
   blob costs the assembler a copy (see BENCHMARKS.md, "Building big models"). */

#define ER_BLOB_ALIGN 64 /* every constant starts on a cache line (and any SIMD width) */

typedef struct blob_layout {
    er_tensor **by_symbol; /* constant number -> tensor */
    int64_t *offset;       /* constant number -> byte offset in the blob */
    int32_t n;
    int64_t bytes;         /* the blob's size: a multiple of ER_BLOB_ALIGN */
} blob_layout;

static int64_t stored_bytes(const er_tensor *s)
{
    return (s->count ? s->count : 1) * (int64_t)er_dtype_size(s->dtype);
}

static int blob_plan(er_graph *g, int32_t n_const, blob_layout *b)
{
    b->n = n_const;
    b->bytes = 0;
    b->by_symbol = er_alloc_array(g->pool, (size_t)n_const + 1, sizeof *b->by_symbol);
    b->offset = er_alloc_array(g->pool, (size_t)n_const + 1, sizeof *b->offset);
    if (!b->by_symbol || !b->offset) return -1;
    for (int32_t i = 0; i < g->tensors.count; i++) {
        er_tensor *s = er_t(g, i);
        if (s->store == ER_STORE_CONST && s->symbol >= 0 && s->symbol < n_const) b->by_symbol[s->symbol] = s;
    }
    int64_t at = 0;
    for (int32_t k = 0; k < n_const; k++) {
        er_tensor *s = b->by_symbol[k];
        if (!s) return er_fail("internal error: constant number %d has no tensor", k);
        /* The type decides the bytes: a type without a known size is refused, never guessed. */
        if (!er_dtype_size(s->dtype) || !strcmp(er_dtype_ctype(s->dtype), "void"))
            return er_fail("constant '%s' has element type %s (%d), which edgerun cannot store", s->name,
                           er_dtype_name(s->dtype), s->dtype);
        at = (at + ER_BLOB_ALIGN - 1) / ER_BLOB_ALIGN * ER_BLOB_ALIGN;
        b->offset[k] = at;
        if (er_add_i64(at, stored_bytes(s), &at)) return er_fail("the weights overflow 64-bit sizes");
    }
    b->bytes = (at + ER_BLOB_ALIGN - 1) / ER_BLOB_ALIGN * ER_BLOB_ALIGN;
    /* wasm32 addresses 4 GiB, and part of that is code, stack and activations. */
    if (b->bytes > ((int64_t)3 << 30))
        return er_fail("the weights take %lld bytes, more than a wasm32 module can hold (3 GiB)", (long long)b->bytes);
    return 0;
}

static int put_zeros(FILE *w, int64_t n)
{
    static const unsigned char zeros[ER_BLOB_ALIGN];
    for (; n > 0; n -= ER_BLOB_ALIGN)
        if (fwrite(zeros, 1, (size_t)(n < ER_BLOB_ALIGN ? n : ER_BLOB_ALIGN), w) == 0) return -1;
    return 0;
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* The blob's bytes: every constant little-endian (the order of wasm and of
   the hosts edgerun builds on) at its offset, zeros between. */
static int write_blob(er_graph *g, const blob_layout *b, FILE *w)
{
    int64_t at = 0;
    int swap = !host_is_little_endian();
    for (int32_t k = 0; k < b->n; k++) {
        er_tensor *s = b->by_symbol[k];
        if (put_zeros(w, b->offset[k] - at)) return er_fail("write error on the weight blob");
        const unsigned char *data = er_const_data(g, s);
        if (!data) return er_fail("internal error: constant '%s' has no data", s->name);
        size_t size = er_dtype_size(s->dtype), n = (size_t)s->count;
        if (!swap || size == 1) {
            if (n && fwrite(data, size, n, w) != n) return er_fail("write error on the weight blob");
        } else {
            for (size_t i = 0; i < n; i++) {
                unsigned char e[16];
                for (size_t j = 0; j < size; j++) e[j] = data[i * size + size - 1 - j];
                if (fwrite(e, 1, size, w) != size) return er_fail("write error on the weight blob");
            }
        }
        if (!s->count && put_zeros(w, stored_bytes(s))) return er_fail("write error on the weight blob");
        at = b->offset[k] + stored_bytes(s);
    }
    if (put_zeros(w, b->bytes - at)) return er_fail("write error on the weight blob");
    return 0;
}

/* The struct naming the blob's members, the checks that pin it to the blob,
   and the assembler directives that link the blob in. */
static void put_blob(FILE *f, const er_graph *g, const er_emit_options *o, const blob_layout *b)
{
    fputs("/* ---- weights ----\n   ", f);
    put_comment_text(f, o->blob_file);
    fprintf(f, " holds the %d constants below: %lld bytes, little-endian, each at an\n"
               "   offset that is a multiple of %d. The assembler links it in as er_weights\n"
               "   (.incbin), so compile this file with -I naming the blob's directory.\n"
               "   Members: name, type and shape, offset in the blob, and how it is stored. */\n",
            b->n, (long long)b->bytes, ER_BLOB_ALIGN);
    if (!b->n) {
        fputs("\n", f);
        return;
    }
    fputs("#if !defined(__GNUC__)\n#error \"the weights are linked with GNU assembler directives: build with gcc, clang "
          "or emcc\"\n#endif\n"
          "#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__\n"
          "#error \"the weight blob is little-endian\"\n#endif\n\n",
          f);
    fputs("struct er_weights_layout {\n", f);
    for (int32_t k = 0; k < b->n; k++) {
        const er_tensor *s = b->by_symbol[k];
        fprintf(f, "    %s w%d[%lld] ER_ALIGNED; /* ", er_dtype_ctype(s->dtype), k,
                (long long)(s->count ? s->count : 1));
        put_comment_text(f, s->name);
        fprintf(f, " %s", er_dtype_name(s->stored_as ? s->stored_as : s->dtype));
        put_dims(f, s);
        fprintf(f, " @%lld", (long long)b->offset[k]);
        if (s->stored_as) fprintf(f, ", as %s", er_dtype_name(s->dtype));
        fputs(" */\n", f);
    }
    fputs("};\nextern const struct er_weights_layout er_weights __attribute__((visibility(\"hidden\")));\n", f);
    /* C99 has no _Static_assert: an array of size -1 is the compile error, and its
       name says which member left its place. */
    for (int32_t k = 0; k < b->n; k++)
        fprintf(f, "typedef char er_blob_w%d_at_%lld[offsetof(struct er_weights_layout, w%d) == %lld ? 1 : -1];\n", k,
                (long long)b->offset[k], k, (long long)b->offset[k]);
    fprintf(f, "typedef char er_blob_size_%lld[sizeof(struct er_weights_layout) == %lld ? 1 : -1];\n",
            (long long)b->bytes, (long long)b->bytes);
    /* wasm has no .pushsection; clang emits module asm before any code, and
       every definition after it names its own section. */
    fputs("#if defined(__wasm__)\n__asm__(\".section .rodata.er_weights,\\\"\\\",@\\n\"\n", f);
    fputs("        \".globl er_weights\\n.hidden er_weights\\n.p2align 6\\ner_weights:\\n\"\n        \".incbin \\\"", f);
    put_comment_text(f, o->blob_file);
    fprintf(f, "\\\"\\n.size er_weights, %lld\\n\");\n", (long long)b->bytes);
    fputs("#elif defined(__ELF__)\n__asm__(\".pushsection .rodata.er_weights,\\\"a\\\",%progbits\\n\"\n", f);
    fputs("        \".globl er_weights\\n.hidden er_weights\\n.type er_weights,%object\\n.balign 64\\ner_weights:\\n\"\n"
          "        \".incbin \\\"",
          f);
    put_comment_text(f, o->blob_file);
    fprintf(f, "\\\"\\n.size er_weights, %lld\\n.popsection\\n\");\n", (long long)b->bytes);
    fputs("#else\n#error \"the weight blob needs an ELF or wasm target\"\n#endif\n\n", f);
    (void)g;
}

static void put_io(FILE *f, const er_graph *g, const int32_t *ids, int32_t n, const char *what)
{
    fprintf(f, "static const er_model_io er_%s[%d] = {\n", what, n ? n : 1);
    for (int32_t i = 0; i < n; i++) {
        er_tensor *t = er_t(g, ids[i]);
        er_tensor *s = er_storage(g, t);
        fputs("    {.name = ", f);
        put_string(f, t->name);
        fprintf(f, ", .dtype = %d, .rank = %d, .dims = {", t->dtype, t->rank);
        for (int32_t k = 0; k < t->rank; k++) fprintf(f, "%s%lld", k ? ", " : "", (long long)t->dims[k]);
        if (!t->rank) fputs("0", f);
        fprintf(f, "}, .count = %lld, .bytes = %lld, .data = ER_A(%lld)},\n", (long long)t->count,
                (long long)(t->count * (int64_t)er_dtype_size(t->dtype)), (long long)s->offset);
    }
    if (!n) fputs("    {.name = \"\"},\n", f);
    fputs("};\n", f);
}

/* "\n   inputs: name float32[1,3,32,32] ..." for the header comment. */
static void put_signature(FILE *f, const er_graph *g, const char *what, const int32_t *ids, int32_t n)
{
    fprintf(f, "\n   %s:", what);
    for (int32_t i = 0; i < n; i++) {
        er_tensor *t = er_t(g, ids[i]);
        fputs(" ", f);
        put_comment_text(f, t->name);
        fprintf(f, " %s", er_dtype_name(t->dtype));
        put_dims(f, t);
    }
}

static char *guard_name(er_pool *pool, const char *name)
{
    char *s = er_strdup(pool, name);
    if (!s) return NULL;
    for (char *c = s; *c; c++) {
        if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
        else if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) *c = '_';
    }
    return s;
}

/* ---- profile build (--profile) ----
   Every node's calls are timed with the monotonic clock (WASI
   clock_time_get in a module, which the shim provides), and the module
   exports er_profile_run(runs): it runs the model `runs` times on whatever
   its input buffers hold and returns a tab-separated table, one line per
   node: name, operator, algorithm, output shape, MACs, total ms. */

/* Multiply-adds of one run of node n (Conv, Gemm, MatMul), else 0: for the
   profile's table and the header's NAME_MACS. */
static double node_macs(const er_graph *g, const er_node *n)
{
    const er_tensor *y = er_out(g, n, 0), *a = er_in(g, n, 0), *w = er_in(g, n, 1);
    if (!y || !a || !w) return 0;
    if (n->op == ER_OP_Conv && w->dims[0] > 0) return (double)y->count * (double)(w->count / w->dims[0]);
    if ((n->op == ER_OP_Gemm || n->op == ER_OP_MatMul) && y->rank >= 1 && a->rank >= 1) {
        int64_t k = n->op == ER_OP_MatMul ? a->dims[a->rank - 1] : (y->dims[0] ? a->count / y->dims[0] : 0);
        return (double)y->count * (double)k;
    }
    return 0;
}

static void put_profile_prelude(FILE *f, const er_graph *g)
{
    int32_t count = 0, last = -2;
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        if (!c->init && c->node != last) count++, last = c->node;
    }
    fputs("/* ---- profile (edgerun-compile --profile) ---- */\n\n#include <stdio.h>\n#include <time.h>\n\n", f);
    fprintf(f, "#define ER_PROFILE_NODES %d\n", count ? count : 1);
    fputs("static const struct {\n    const char *node, *op, *algo, *shape;\n    double macs;\n} er_profile_nodes[ER_PROFILE_NODES] = {\n", f);
    last = -2;
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        if (c->init || c->node == last) continue;
        last = c->node;
        const er_node *n = c->node >= 0 ? er_n(g, c->node) : NULL;
        const er_tensor *y = n ? er_out(g, n, 0) : NULL;
        char shape[128] = "";
        if (y) er_shape_str(y, shape, sizeof shape);
        fputs("    {", f);
        put_string(f, n ? n->name : "(output copy)");
        fputs(", ", f);
        put_string(f, n ? n->op_type : "Copy");
        fputs(", ", f);
        put_string(f, n && n->algo ? n->algo : "-");
        fputs(", ", f);
        put_string(f, shape);
        fprintf(f, ", %.0f},\n", n ? node_macs(g, n) : 0.0);
    }
    if (!count) fputs("    {\"\", \"\", \"\", \"\", 0},\n", f);
    fputs("};\nstatic double er_profile_ms[ER_PROFILE_NODES], er_profile_t0;\n"
          "static double er_profile_now(void)\n{\n    struct timespec ts;\n    clock_gettime(CLOCK_MONOTONIC, &ts);\n"
          "    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;\n}\n"
          "#define ER_PROFILE_BEGIN() (er_profile_t0 = er_profile_now())\n"
          "#define ER_PROFILE_END(i) (er_profile_ms[i] += er_profile_now() - er_profile_t0)\n\n",
          f);
}

static void put_profile(FILE *f, const er_graph *g)
{
    (void)g;
    fputs("\n/* Runs the model `runs` times; returns the per-node table (see emit.c). */\n"
          "__attribute__((export_name(\"er_profile_run\"))) const char *er_profile_run(int runs);\n"
          "const char *er_profile_run(int runs)\n{\n"
          "    static char table[ER_PROFILE_NODES * 256 + 1];\n"
          "    er_model_run(); /* initialisation and a warm-up, not timed */\n"
          "    for (int i = 0; i < ER_PROFILE_NODES; i++) er_profile_ms[i] = 0;\n"
          "    for (int r = 0; r < runs; r++) er_model_run();\n"
          "    size_t at = 0;\n"
          "    for (int i = 0; i < ER_PROFILE_NODES && at < sizeof table; i++) {\n"
          "        int len = snprintf(table + at, sizeof table - at, \"%.200s\\t%s\\t%s\\t%s\\t%.0f\\t%.6f\\n\",\n"
          "                           er_profile_nodes[i].node, er_profile_nodes[i].op, er_profile_nodes[i].algo,\n"
          "                           er_profile_nodes[i].shape, er_profile_nodes[i].macs, er_profile_ms[i]);\n"
          "        if (len < 0) break;\n"
          "        at += (size_t)len;\n"
          "    }\n"
          "    return table;\n}\n",
          f);
}

/* The micro-kernels' activation-instance tables (er_micro.h): a slot for
   every activation a kernel call of this model can pass, none always (the
   Winograd transforms' GEMMs, the deferred Sigmoid and SiLU), so that the
   module links no instance it cannot call. The comment names the
   activations the model's calls fuse. */
static void put_act_tables(FILE *f, const er_graph *g)
{
    static const char *const act_names[ER_ACT_COUNT] = {
#define ER_ACT_NAME(NAME, STR) STR,
        ER_ACT_LIST(ER_ACT_NAME)
#undef ER_ACT_NAME
    };
    int fused[ER_ACT_COUNT] = {[ER_ACT_NONE] = 1}, used[ER_ACT_SLOTS] = {1, 0, 0, 0, 0};
    for (int32_t i = 0; i < g->calls.count; i++) {
        const er_call *c = g->calls.items[i];
        if (c->node < 0) continue;
        const int32_t act = er_n(g, c->node)->act;
        fused[act] = 1;
        used[er_act_slot(act)] = 1;
    }
    fputs("/* ---- micro-kernel activation instances for: ", f);
    for (int32_t a = 0, first = 1; a < ER_ACT_COUNT; a++)
        if (fused[a]) fprintf(f, "%s%s", first ? "" : ", ", act_names[a]), first = 0;
    fprintf(f, " ---- */\nER_ACT_TABLES(%d, %d, %d, %d, %d)\n\n", used[0], used[1], used[2], used[3], used[4]);
}

int er_emit_c(er_graph *g, const er_emit_options *o, FILE *f, FILE *h, FILE *w, er_emit_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    /* Number the static arrays in order of first use, so the file is stable. */
    int32_t n_const = 0, n_lazy = 0;
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        for (int32_t a = 0; a < c->n_args; a++) {
            if (c->args[a] < 0) continue;
            er_tensor *s = er_storage(g, er_t(g, c->args[a]));
            if (s->symbol >= 0) continue;
            if (s->store == ER_STORE_CONST) s->symbol = n_const++;
            else if (s->store == ER_STORE_LAZY) s->symbol = n_lazy++;
        }
    }
    int32_t n_nodes = 0;
    for (int32_t i = 0; i < g->nodes.count; i++) n_nodes += !er_n(g, i)->dead;

    char *guard = guard_name(g->pool, o->name);
    if (!guard) return -1;
    blob_layout blob;
    if (blob_plan(g, n_const, &blob) || write_blob(g, &blob, w)) return -1;
    stats->weight_bytes = blob.bytes;

    /* Header comment. */
    fprintf(f, "/* ");
    put_comment_text(f, o->name);
    fprintf(f, " - generated by %s. Do not edit: regenerate instead.\n", ER_GENERATOR);
    fputs("   source: ", f);
    put_comment_text(f, o->source);
    fprintf(f, "\n   sha256: %s\n   opset %lld, producer ", o->sha256, (long long)g->opset);
    put_comment_text(f, g->producer && g->producer[0] ? g->producer : "unknown");
    put_signature(f, g, "inputs", g->inputs, g->n_inputs);
    put_signature(f, g, "outputs", g->outputs, g->n_outputs);
    int32_t n_run = 0;
    for (int32_t i = 0; i < g->calls.count; i++) n_run += !((er_call *)g->calls.items[i])->init;
    fprintf(f, "\n   %d nodes left after folding %d and fusing %d; %d kernel calls per run;\n"
               "   arena %lld bytes, shared by liveness (%lld without sharing) */\n",
            n_nodes, g->n_folded, g->n_fused, n_run, (long long)o->arena_bytes, (long long)o->unshared_bytes);
    if (o->profile) fputs("#define _POSIX_C_SOURCE 199309L /* clock_gettime, for the profile */\n", f);
    fputs("#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n\n#include \"er_kernels.h\"\n"
          "#include \"er_micro.h\"\n#include \"er_model.h\"\n",
          f);
    fputs("#include ", f);
    put_string(f, o->header_file);
    fputs("\n\n#if defined(__GNUC__)\n#define ER_ALIGNED __attribute__((aligned(64)))\n#else\n#define ER_ALIGNED\n"
          "#endif\n\n",
          f);

    put_act_tables(f, g);
    put_blob(f, g, o, &blob);
    fputs("/* ---- buffers ---- */\n\n", f);
    for (int32_t k = 0; k < n_lazy; k++)
        for (int32_t i = 0; i < g->tensors.count; i++) {
            er_tensor *s = er_t(g, i);
            if (s->store != ER_STORE_LAZY || s->symbol != k) continue;
            fputs("/* ", f);
            put_comment_text(f, s->name);
            fputs(", computed at initialisation */\n", f);
            fprintf(f, "static %s er_l%d[%lld] ER_ALIGNED;\n", er_dtype_ctype(s->dtype), k,
                    (long long)(s->count ? s->count : 1));
            stats->lazy_bytes += s->count * (int64_t)er_dtype_size(s->dtype);
        }
    fprintf(f, "/* Activations, inputs, outputs and scratch, laid out by liveness. */\n"
               "static unsigned char er_arena[%lld] ER_ALIGNED;\n#define ER_A(offset) ((void *)(er_arena + (offset)))\n\n",
            (long long)(o->arena_bytes ? o->arena_bytes : 64));

    /* Metadata. */
    fputs("/* ---- metadata ---- */\n\n", f);
    put_io(f, g, g->inputs, g->n_inputs, "inputs");
    put_io(f, g, g->outputs, g->n_outputs, "outputs");
    if (o->n_labels) {
        fprintf(f, "static const char *const er_labels[%d] = {\n", o->n_labels);
        for (int32_t i = 0; i < o->n_labels; i++) {
            fputs("    ", f);
            put_string(f, o->labels[i]);
            fputs(",\n", f);
        }
        fputs("};\n", f);
    }
    fputs("const er_model_info er_model = {\n    .abi_version = ER_MODEL_ABI_VERSION,\n    .name = ", f);
    put_string(f, o->name);
    fputs(",\n    .generator = ", f);
    put_string(f, ER_GENERATOR);
    fputs(",\n    .source_sha256 = ", f);
    put_string(f, o->sha256);
    fprintf(f, ",\n    .opset = %lld,\n    .n_inputs = %d,\n    .inputs = er_inputs,\n    .n_outputs = %d,\n"
               "    .outputs = er_outputs,\n",
            (long long)g->opset, g->n_inputs, g->n_outputs);
    if (o->n_labels) fprintf(f, "    .n_labels = %d,\n    .labels = er_labels,\n", o->n_labels);
    if (o->has_norm) {
        fputs("    .has_norm = 1,\n    .norm = {", f);
        for (int i = 0; i < 6; i++) {
            if (i) fputs(", ", f);
            put_float(f, o->norm[i], 0);
        }
        fputs("},\n", f);
    }
    fprintf(f, "    .arena_bytes = %lld,\n    .weight_bytes = %lld,\n};\n\n", (long long)o->arena_bytes,
            (long long)stats->weight_bytes);

    if (o->profile) put_profile_prelude(f, g);

    /* Initialisation. */
    fputs("/* Fills the buffers computed once, before the first run. */\nstatic void er_model_init(void)\n{\n", f);
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        if (c->init) put_call(f, g, c, "    ");
    }
    fputs("}\n\n", f);

    /* The run function, node by node. */
    fputs("void er_model_run(void)\n{\n    static int initialised;\n    if (!initialised) {\n"
          "        er_model_init();\n        initialised = 1;\n    }\n",
          f);
    int32_t last_node = -2, n_prof = 0;
    for (int32_t i = 0; i < g->calls.count; i++) {
        er_call *c = g->calls.items[i];
        if (c->init) continue;
        if (c->node != last_node) {
            if (o->profile && n_prof) fprintf(f, "    ER_PROFILE_END(%d);\n", n_prof - 1);
            fputs("\n", f);
            if (c->node >= 0) {
                put_node_comment(f, g, er_n(g, c->node));
            } else {
                fputs("    /* copy to the graph output */\n", f);
            }
            if (o->profile) fprintf(f, "    ER_PROFILE_BEGIN();\n");
            n_prof++;
            last_node = c->node;
        }
        put_call(f, g, c, "    ");
        stats->n_calls++;
    }
    if (o->profile && n_prof) fprintf(f, "    ER_PROFILE_END(%d);\n", n_prof - 1);
    fputs("}\n", f);
    if (o->profile) put_profile(f, g);

    /* Header. */
    fprintf(h, "/* ");
    put_comment_text(h, o->header_file);
    fprintf(h, " - generated by %s from ", ER_GENERATOR);
    put_comment_text(h, o->source);
    fputs(".\n   The model implements er_model.h: er_model describes its inputs and outputs,\n"
          "   er_model_run() computes. Sizes below are compile-time constants for C callers. */\n",
          h);
    fprintf(h, "#ifndef ER_MODEL_%s_H\n#define ER_MODEL_%s_H\n\n#include \"er_model.h\"\n\n", guard, guard);
    fprintf(h, "#define %s_N_INPUTS %d\n#define %s_N_OUTPUTS %d\n", guard, g->n_inputs, guard, g->n_outputs);
    for (int32_t i = 0; i < g->n_inputs; i++)
        fprintf(h, "#define %s_INPUT%d_COUNT %lld\n", guard, i, (long long)er_t(g, g->inputs[i])->count);
    for (int32_t i = 0; i < g->n_outputs; i++)
        fprintf(h, "#define %s_OUTPUT%d_COUNT %lld\n", guard, i, (long long)er_t(g, g->outputs[i])->count);
    fprintf(h, "#define %s_ARENA_BYTES %lld\n#define %s_WEIGHT_BYTES %lld\n", guard, (long long)o->arena_bytes, guard,
            (long long)stats->weight_bytes);
    /* The model's size as people quote it: multiply-adds of its Conv, Gemm
       and MatMul nodes per run, and the parameters those nodes take as
       weights and biases (after BatchNorm folding), whatever their packing. */
    double macs = 0, params = 0;
    for (int32_t i = 0; i < g->nodes.count; i++) {
        const er_node *n = er_n(g, i);
        if (n->dead || (n->op != ER_OP_Conv && n->op != ER_OP_ConvTranspose && n->op != ER_OP_Gemm && n->op != ER_OP_MatMul))
            continue;
        macs += node_macs(g, n);
        for (int32_t k = 1; k < n->n_in; k++) {
            const er_tensor *t = er_in(g, n, k);
            if (t && er_is_static(g, t)) params += (double)t->count;
        }
    }
    fprintf(h, "#define %s_MACS %.0f\n#define %s_PARAMETERS %.0f\n", guard, macs, guard, params);
    /* What the model occupies in linear memory before anything runs: the
       link sizes a module's initial memory from it. */
    fprintf(h, "#define %s_STATIC_BYTES %lld\n\n#endif\n", guard,
            (long long)(stats->weight_bytes + stats->lazy_bytes + o->arena_bytes));
    return ferror(f) || ferror(h) || ferror(w) ? er_fail("write error") : 0;
}
