/* er_wasi_main.c - the entry point of a model as a WASI command (NAME.wasi.wasm).

   WHAT THIS IS
     The same runtime and model as NAME.wasm, behind main() instead of the
     exports of edgerun.h, for runtimes that run WASI preview 1 commands
     (wasmtime, wasm3, wasmer, node:wasi, edge platforms):
       wasmtime run resnet20-cifar10.wasi.wasm < request.json
     It reads one request (edgerun.h's JSON) from stdin to its end, runs it
     with er_runtime_run and writes the response JSON to stdout: exit
     status 0 for a response, 1 for an error JSON (also on stdout, the
     codes of edgerun.h). The response is byte for byte what er_run returns
     in the browser module for the same request (tests/js/wasi.test.mjs).

   IMPORTS
     Only wasi_snapshot_preview1: fd_read (stdin), fd_write (stdout),
     clock_time_get (the "ms" timings) and proc_exit (the status). The
     module's memory grows by memory.grow; emscripten would tell its JS glue
     through env.emscripten_notify_memory_growth, so this file defines that
     hook as a no-op (a WASI host has no views to refresh) and the module
     imports nothing from env.

   LIMITS
     A request over ER_WASI_MAX_REQUEST bytes is refused with E_LIMIT
     before it is parsed; a read error is E_LIMIT too, naming errno.
     Not part of libedgerun-runtime.a (runtime.mk leaves it out): the
     browser module has no main. */
#define _POSIX_C_SOURCE 200809L /* read, write under -std=c99 */
#include "er_runtime.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* 256 MiB of JSON: a 12 MP photo's base64 is about 6 MiB, so this only stops
   a runaway stream before it exhausts wasm32's 2 GB (or the host's memory). */
#define ER_WASI_MAX_REQUEST (256u << 20)

/* Called by emscripten's sbrk after memory.grow; nothing to refresh here. */
void emscripten_notify_memory_growth(size_t memory_index);
void emscripten_notify_memory_growth(size_t memory_index)
{
    (void)memory_index;
}

/* Write all n bytes of s to fd; 0 on success. */
static int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read stdin to its end into a new buffer (*out, *len; the caller frees).
   ER_OK, or E_LIMIT / E_MEMORY with err filled in and *out NULL. */
static er_code read_request(char **out, size_t *len, er_error *err)
{
    size_t cap = 64 * 1024, n = 0;
    char *buf = er_mem_alloc(cap);
    *out = NULL;
    *len = 0;
    if (!buf) return er_fail(err, ER_E_MEMORY, "out of memory for a %zu-byte request buffer", cap);
    for (;;) {
        if (n == cap) {
            if (cap >= ER_WASI_MAX_REQUEST) {
                er_mem_free(buf);
                return er_fail(err, ER_E_LIMIT, "the request is over %u bytes", ER_WASI_MAX_REQUEST);
            }
            size_t grown = cap * 2 > ER_WASI_MAX_REQUEST ? ER_WASI_MAX_REQUEST : cap * 2;
            char *p = er_mem_realloc(buf, grown);
            if (!p) {
                er_mem_free(buf);
                return er_fail(err, ER_E_MEMORY, "out of memory reading a request of over %zu bytes", n);
            }
            buf = p;
            cap = grown;
        }
        ssize_t r = read(STDIN_FILENO, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            er_mem_free(buf);
            return er_fail(err, ER_E_LIMIT, "cannot read the request from stdin after %zu bytes (errno %d)", n, e);
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    *out = buf;
    *len = n;
    return ER_OK;
}

int main(void)
{
    static const char no_memory[] =
        "{\"error\":{\"code\":\"E_MEMORY\",\"message\":\"out of memory for the response\"}}";
    static const char error_prefix[] = "{\"error\":";
    er_error err;
    char *request = NULL, *response;
    size_t len = 0;

    memset(&err, 0, sizeof err);
    if (read_request(&request, &len, &err) == ER_OK) {
        response = er_runtime_run(request, len);
        er_mem_free(request);
    } else {
        er_buf b = {0};
        er_buf_str(&b, "{\"error\":{\"code\":");
        er_buf_json_string(&b, er_code_name(err.code));
        er_buf_str(&b, ",\"message\":");
        er_buf_json_string(&b, err.message);
        er_buf_str(&b, "}}");
        response = er_buf_finish(&b);
    }
    const char *out = response ? response : no_memory;
    int failed = strncmp(out, error_prefix, sizeof error_prefix - 1) == 0;
    int rc = write_all(STDOUT_FILENO, out, strlen(out));
    er_mem_free(response);
    return rc != 0 || failed ? 1 : 0;
}
