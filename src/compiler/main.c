/* main.c - edgerun-compile: ONNX model -> one specialised C file, its header and its weight blob.

   usage: edgerun-compile MODEL.onnx -o OUT.c [--name NAME] [--labels LABELS.txt]
                          [--norm mR,sR,mG,sG,mB,sB] [--weights fp32|fp16|int8]
                          [--values-from DIR] [--reference] [--quiet]
                          [--profile] [--algo NODE=ALGO[,NODE=ALGO...]]...
          edgerun-compile --list-ops MODEL.onnx

   Exit status: 0 on success; 2 when the model (or an option) is malformed or
   unsupported, with one line on stderr naming the file and the problem; 1
   when an output file cannot be written. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emit.h"
#include "ops.h"
#include "sha256.h"

#define MAX_MODEL_BYTES ((size_t)2 << 30)
#define MAX_LABELS 100000

static void usage(FILE *f)
{
    fputs("usage: edgerun-compile MODEL.onnx -o OUT.c [--name NAME] [--labels LABELS.txt]\n"
          "                       [--norm mean_R,std_R,mean_G,std_G,mean_B,std_B] [--weights fp32|fp16|int8]\n"
          "                       [--values-from DIR] [--reference] [--quiet] [--profile] [--algo NODE=ALGO[,...]]...\n"
          "       edgerun-compile --list-ops MODEL.onnx\n"
          "Writes OUT.c and OUT.h, the model as C99 calling the edgerun kernels (src/kernels), and\n"
          "OUT.weights, the bytes of its constants, which OUT.c links in (compile it with -I its directory).\n"
          "  --name       model name recorded in the output (default: the file name)\n"
          "  --labels     class names, one per line, for the model's output\n"
          "  --norm       per-channel normalisation the model expects on [0,1] pixels\n"
          "  --weights    how the module stores its weights: fp32 (default, exact); fp16 (IEEE half,\n"
          "               half the size); int8 (Conv/Gemm/MatMul weights symmetric per output channel,\n"
          "               a quarter). Compact weights are restored to float32 once, at initialisation\n"
          "  --values-from  take graph inputs that decide shapes (Reshape's shape, Slice's starts,\n"
          "               Resize's scales...) from DIR/input_<i>.pb and compile them in as constants\n"
          "  --reference  use only the plain __scalar reference kernels\n"
          "  --profile    time every node; the module exports er_profile_run (make model PROFILE=1)\n"
          "  --algo       run node NODE (its ONNX name; * for every node it applies to) with algorithm\n"
          "               ALGO instead of the cheapest estimate. Conv: reference, depthwise, gemm1x1,\n"
          "               im2col-gemm, winograd2x2, winograd4x4. Gemm/MatMul: reference, packed-gemm\n",
          f);
}

static int read_labels(er_pool *pool, const char *path, const char ***labels, int32_t *count)
{
    size_t len;
    er_diag_set_file(path);
    char *text = (char *)er_read_file(pool, path, 1 << 24, &len);
    if (!text) return -1;
    text[len] = 0;
    if (memchr(text, 0, len)) return er_fail("labels file contains a NUL byte");
    const char **list = er_alloc_array(pool, MAX_LABELS, sizeof *list);
    if (!list) return -1;
    int32_t n = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        char *next = end ? end + 1 : line + strlen(line);
        if (!end) end = line + strlen(line);
        if (end > line && end[-1] == '\r') end--;
        if (n == MAX_LABELS) return er_fail("more than %d labels", MAX_LABELS);
        list[n++] = er_strndup(pool, line, (size_t)(end - line));
        line = next;
    }
    while (n > 0 && !list[n - 1][0]) n--; /* a trailing empty line */
    if (!n) return er_fail("no labels in the file");
    *labels = list;
    *count = n;
    return 0;
}

static int parse_norm(const char *s, float norm[6])
{
    for (int i = 0; i < 6; i++) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno || (i < 5 && *end != ',') || (i == 5 && *end))
            return er_fail("--norm needs 6 comma-separated numbers mean_R,std_R,mean_G,std_G,mean_B,std_B");
        if (i % 2 && !(v > 0)) return er_fail("--norm: std %g must be positive", v);
        norm[i] = (float)v;
        s = end + 1;
    }
    return 0;
}

static int list_ops(er_pool *pool, const char *path)
{
    size_t len;
    er_diag_set_file(path);
    uint8_t *data = er_read_file(pool, path, MAX_MODEL_BYTES, &len);
    onnx_model *m = data ? onnx_read_model(pool, data, len) : NULL;
    if (!m) return -1;
    const char *seen[512];
    int n = 0;
    for (int32_t i = 0; i < m->graph->n_nodes; i++) {
        const char *op = m->graph->nodes[i].op_type;
        int dup = 0;
        for (int k = 0; k < n && !dup; k++) dup = !strcmp(seen[k], op);
        if (!dup && n < 512) seen[n++] = op;
    }
    for (int k = 0; k < n; k++) printf("%s\n", seen[k]);
    return 0;
}

/* "NODE=ALGO[,NODE=ALGO...]" appended to *choices. */
static int parse_algo(er_pool *pool, const char *arg, er_algo_choice **choices, int32_t *n)
{
    for (const char *s = arg; *s;) {
        const char *end = strchr(s, ','), *eq = strchr(s, '=');
        if (!end) end = s + strlen(s);
        if (!eq || eq >= end || eq == s || eq + 1 == end)
            return er_fail("--algo needs NODE=ALGO[,NODE=ALGO...], got '%s'", arg);
        er_algo_choice *grown = er_alloc_array(pool, *n + 1, sizeof *grown);
        if (!grown) return -1;
        if (*n) memcpy(grown, *choices, (size_t)*n * sizeof *grown);
        grown[*n].node = er_strndup(pool, s, (size_t)(eq - s));
        grown[*n].algo = er_strndup(pool, eq + 1, (size_t)(end - eq - 1));
        grown[*n].used = 0;
        if (!grown[*n].node || !grown[*n].algo) return -1;
        *choices = grown;
        (*n)++;
        s = *end ? end + 1 : end;
    }
    return 0;
}

static const char *base_name(er_pool *pool, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    const char *dot = strrchr(b, '.');
    return er_strndup(pool, b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A file name the generated C can quote to the assembler as it is. */
static int plain_file_name(const char *name)
{
    if (!*name) return 0;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
              *c == '_' || *c == '-' || *c == '+'))
            return 0;
    return 1;
}

/* Write the C file, its header and its weight blob through temporaries,
   renamed only on success (the C file last), so that make never sees half a
   model, nor a C file newer than its blob. */
static int write_outputs(er_pool *pool, er_graph *g, er_emit_options *o, const char *c_path, er_emit_stats *stats)
{
    size_t n = strlen(c_path);
    if (n < 3 || strcmp(c_path + n - 2, ".c")) return er_fail("output file %s must end in .c", c_path);
    char *h_path = er_strdup(pool, c_path);
    char *w_path = er_sprintf(pool, "%.*s.weights", (int)(n - 2), c_path);
    char *c_tmp = er_sprintf(pool, "%s.tmp", c_path);
    char *h_tmp = er_sprintf(pool, "%s.h.tmp", c_path);
    char *w_tmp = er_sprintf(pool, "%s.weights.tmp", c_path);
    if (!h_path || !w_path || !c_tmp || !h_tmp || !w_tmp) return -1;
    h_path[n - 1] = 'h';
    const char *slash = strrchr(h_path, '/');
    o->header_file = slash ? slash + 1 : h_path;
    slash = strrchr(w_path, '/');
    o->blob_file = slash ? slash + 1 : w_path;
    if (!plain_file_name(o->blob_file))
        return er_fail("output file name %s: use letters, digits and . _ - + only (the C quotes it to the assembler)",
                       o->blob_file);
    FILE *fc = fopen(c_tmp, "w"), *fh = fopen(h_tmp, "w"), *fw = fopen(w_tmp, "wb");
    int rc = -1;
    if (!fc || !fh || !fw) {
        er_fail("cannot write %s: %s", !fc ? c_tmp : !fh ? h_tmp : w_tmp, strerror(errno));
        goto fail;
    }
    if (er_emit_c(g, o, fc, fh, fw, stats)) goto fail;
    int bad = fclose(fc) | fclose(fh) | fclose(fw);
    fc = fh = fw = NULL;
    if (bad) {
        er_fail("write error on %s", c_path);
        goto fail;
    }
    if (rename(w_tmp, w_path) || rename(h_tmp, h_path) || rename(c_tmp, c_path)) {
        er_fail("cannot rename to %s: %s", c_path, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (fc) fclose(fc);
    if (fh) fclose(fh);
    if (fw) fclose(fw);
    remove(c_tmp);
    remove(h_tmp);
    remove(w_tmp);
    return rc;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *out_path = NULL, *name = NULL, *labels_path = NULL, *norm_arg = NULL,
               *values_dir = NULL, *weights = "fp32";
    int reference = 0, quiet = 0, want_list = 0, profile = 0, status = 2;
    er_algo_choice *algo_forced = NULL;
    int32_t n_algo_forced = 0;
    er_pool *pool = er_pool_new();
    if (!pool) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (!strcmp(a, "-o")) slot = &out_path;
        else if (!strcmp(a, "--name")) slot = &name;
        else if (!strcmp(a, "--labels")) slot = &labels_path;
        else if (!strcmp(a, "--norm")) slot = &norm_arg;
        else if (!strcmp(a, "--values-from")) slot = &values_dir;
        else if (!strcmp(a, "--weights")) slot = &weights;
        else if (!strcmp(a, "--reference")) reference = 1;
        else if (!strcmp(a, "--profile")) profile = 1;
        else if (!strcmp(a, "--algo")) {
            er_diag_set_file("--algo");
            if (++i >= argc) {
                fprintf(stderr, "edgerun-compile: --algo needs a value\n");
                goto done;
            }
            if (parse_algo(pool, argv[i], &algo_forced, &n_algo_forced)) goto done;
        }
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "--list-ops")) want_list = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            er_pool_free(pool);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "edgerun-compile: unknown option %s\n", a);
            usage(stderr);
            goto done;
        } else if (!model_path) {
            model_path = a;
        } else {
            fprintf(stderr, "edgerun-compile: unexpected argument %s\n", a);
            goto done;
        }
        if (slot) {
            if (++i >= argc) {
                fprintf(stderr, "edgerun-compile: %s needs a value\n", a);
                goto done;
            }
            *slot = argv[i];
        }
    }
    if (!model_path || (!out_path && !want_list)) {
        usage(stderr);
        goto done;
    }
    if (strcmp(weights, "fp32") && strcmp(weights, "fp16") && strcmp(weights, "int8")) {
        fprintf(stderr, "edgerun-compile: --weights %s: use fp32, fp16 or int8\n", weights);
        goto done;
    }
    if (want_list) {
        status = list_ops(pool, model_path) ? 2 : 0;
        goto done;
    }

    double t0 = now_s();
    er_emit_options o = {0};
    o.profile = profile;
    const char **labels = NULL;
    if (labels_path && read_labels(pool, labels_path, &labels, &o.n_labels)) goto done;
    o.labels = labels;
    er_diag_set_file("--norm");
    if (norm_arg && parse_norm(norm_arg, o.norm)) goto done;
    o.has_norm = norm_arg != NULL;

    er_diag_set_file(model_path);
    size_t len = 0;
    uint8_t *data = er_read_file(pool, model_path, MAX_MODEL_BYTES, &len);
    if (!data) goto done;
    char sha[65];
    er_sha256_hex(data, len, sha);
    onnx_model *m = onnx_read_model(pool, data, len);
    if (!m) goto done;
    er_graph *g = er_import(pool, model_path, m);
    if (!g) goto done;
    g->reference_kernels = reference;
    g->algo_forced = algo_forced;
    g->n_algo_forced = n_algo_forced;
    g->values_dir = values_dir;
    int32_t n_nodes = g->nodes.count;
    if (er_infer_and_fold(g) || er_fuse(g) || (!strcmp(weights, "int8") && er_weights_int8(g)) || er_choose_layouts(g) ||
        er_lower(g) ||
        (!strcmp(weights, "fp16") && er_weights_fp16(g)) || er_plan(g, &o.arena_bytes, &o.unshared_bytes))
        goto done;
    if (o.n_labels) {
        er_tensor *out = er_t(g, g->outputs[0]);
        if (out->count != o.n_labels) {
            er_diag_set_file(labels_path);
            er_fail("%d labels, but output '%s' has %lld values", o.n_labels, out->name, (long long)out->count);
            goto done;
        }
    }
    o.name = name ? name : base_name(pool, model_path);
    o.source = model_path;
    o.sha256 = sha;
    er_emit_stats stats;
    if (write_outputs(pool, g, &o, out_path, &stats)) {
        status = 1;
        goto done;
    }
    if (!quiet)
        printf("edgerun-compile: %s: %d nodes (%d folded, %d fused) -> %d kernel calls; weights %lld bytes; "
               "arena %lld bytes; %.2f s\n",
               o.name, n_nodes, g->n_folded, g->n_fused, stats.n_calls, (long long)stats.weight_bytes,
               (long long)o.arena_bytes, now_s() - t0);
    status = 0;
done:
    if (status && er_diag_message()) fprintf(stderr, "edgerun-compile: %s\n", er_diag_message());
    er_pool_free(pool);
    return status;
}
