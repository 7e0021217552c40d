/* emit.c - the generated C: deterministic, C99, warning-free, commented node by node.

   Layout of the C file:
     header comment (generator, source, hash, opset, shapes, sizes)
     constants  static const arrays, in order of first use
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

static int fmt_element(char *buf, size_t n, int32_t dtype, const void *p)
{
    switch (dtype) {
    case ER_DTYPE_FLOAT: return fmt_float(buf, n, *(const float *)p, 0);
    case ER_DTYPE_DOUBLE: return fmt_float(buf, n, *(const double *)p, 1);
    case ER_DTYPE_INT8: return snprintf(buf, n, "%d", *(const int8_t *)p);
    case ER_DTYPE_INT16: return snprintf(buf, n, "%d", *(const int16_t *)p);
    case ER_DTYPE_INT32: {
        int32_t v = *(const int32_t *)p;
        return v == INT32_MIN ? snprintf(buf, n, "(-2147483647 - 1)") : snprintf(buf, n, "%" PRId32, v);
    }
    case ER_DTYPE_INT64: {
        int64_t v = *(const int64_t *)p;
        return v == INT64_MIN ? snprintf(buf, n, "(-INT64_C(9223372036854775807) - 1)")
                              : snprintf(buf, n, "INT64_C(%" PRId64 ")", v);
    }
    case ER_DTYPE_UINT8: case ER_DTYPE_BOOL: return snprintf(buf, n, "%u", *(const uint8_t *)p);
    case ER_DTYPE_UINT16: return snprintf(buf, n, "%u", *(const uint16_t *)p);
    case ER_DTYPE_UINT32: return snprintf(buf, n, "%" PRIu32 "u", *(const uint32_t *)p);
    case ER_DTYPE_UINT64: return snprintf(buf, n, "UINT64_C(%" PRIu64 ")", *(const uint64_t *)p);
    default: return snprintf(buf, n, "0");
    }
}

static void put_float(FILE *f, double v, int is_double)
{
    char buf[48];
    fmt_float(buf, sizeof buf, v, is_double);
    fputs(buf, f);
}

static void put_element(FILE *f, int32_t dtype, const void *p)
{
    char buf[48];
    fmt_element(buf, sizeof buf, dtype, p);
    fputs(buf, f);
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
            memcpy(buf, a->s.data, len);
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
            put_element(f, ER_DTYPE_INT64, &lv);
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
    case ER_STORE_CONST: fprintf(f, "er_w%d", s->symbol); break;
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

static void put_const_array(FILE *f, const er_graph *g, er_tensor *s, int64_t *bytes)
{
    fputs("/* ", f);
    put_comment_text(f, s->name);
    fprintf(f, " %s", er_dtype_name(s->dtype));
    put_dims(f, s);
    fputs(" */\n", f);
    int64_t n = s->count ? s->count : 1;
    fprintf(f, "static const %s er_w%d[%lld] ER_ALIGNED = {", er_dtype_ctype(s->dtype), s->symbol, (long long)n);
    size_t size = er_dtype_size(s->dtype);
    const unsigned char *data = er_const_data((er_graph *)g, s);
    if (!s->count) {
        fputs("0};\n", f);
        return;
    }
    int col = 1000;
    char buf[48];
    for (int64_t i = 0; i < s->count; i++) {
        int len = fmt_element(buf, sizeof buf, s->dtype, data + (size_t)i * size);
        if (col + len > 110) {
            fputs("\n   ", f);
            col = 3;
        }
        fputc(' ', f);
        fputs(buf, f);
        if (i + 1 < s->count) fputc(',', f);
        col += len + 2;
    }
    fputs("\n};\n", f);
    *bytes += s->count * (int64_t)size;
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

/* Multiply-adds of one run of node n (Conv, Gemm, MatMul), else 0. */
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

int er_emit_c(er_graph *g, const er_emit_options *o, FILE *f, FILE *h, er_emit_stats *stats)
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
          "#include \"er_model.h\"\n",
          f);
    fputs("#include ", f);
    put_string(f, o->header_file);
    fputs("\n\n#if defined(__GNUC__)\n#define ER_ALIGNED __attribute__((aligned(64)))\n#else\n#define ER_ALIGNED\n"
          "#endif\n\n",
          f);

    /* Constants. */
    fputs("/* ---- constants ---- */\n\n", f);
    for (int32_t k = 0; k < n_const; k++)
        for (int32_t i = 0; i < g->tensors.count; i++) {
            er_tensor *s = er_t(g, i);
            if (s->store == ER_STORE_CONST && s->symbol == k) put_const_array(f, g, s, &stats->weight_bytes);
        }
    fputs("\n/* ---- buffers ---- */\n\n", f);
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
    /* What the model occupies in linear memory before anything runs: the
       link sizes a module's initial memory from it. */
    fprintf(h, "#define %s_STATIC_BYTES %lld\n\n#endif\n", guard,
            (long long)(stats->weight_bytes + stats->lazy_bytes + o->arena_bytes));
    return ferror(f) || ferror(h) ? er_fail("write error") : 0;
}
