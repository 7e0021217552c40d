/* er_memory.c - the one allocator of the runtime, stb_image and cJSON.

   Routing every allocation through here buys two things the tests rely on:
   a live-block count (a request must give back everything it took, so a
   warm module never grows) and fault injection (every allocation failure
   path must end in E_MEMORY with the module still usable). Both cost one
   counter update per allocation. */
#include "er_runtime.h"

#include <stdlib.h>

static size_t live_blocks, failures;
static uint32_t fail_countdown;

/* True when this allocation is the one er_mem_fail_after asked to fail. */
static int injected_failure(void)
{
    if (fail_countdown == 0) return 0;
    return --fail_countdown == 0;
}

void *er_mem_alloc(size_t n)
{
    void *p = injected_failure() ? NULL : malloc(n ? n : 1); /* non-NULL for n = 0 too */
    if (p)
        live_blocks++;
    else
        failures++;
    return p;
}

void *er_mem_realloc(void *p, size_t n)
{
    if (!p) return er_mem_alloc(n);
    void *q = injected_failure() ? NULL : realloc(p, n ? n : 1);
    if (!q) failures++;
    return q;
}

void er_mem_free(void *p)
{
    if (!p) return;
    live_blocks--;
    free(p);
}

size_t er_mem_live_blocks(void)
{
    return live_blocks;
}

size_t er_mem_failures(void)
{
    return failures;
}

uint32_t er_mem_fail_after(uint32_t n)
{
    uint32_t pending = fail_countdown;
    fail_countdown = n;
    return pending;
}
