/* er_clock.c - er_now_ms, the runtime's one clock.

   A file of its own so that what times itself (the protocol, the streamed
   JPEG decode) links without pulling in the rest; in wasm it is WASI's
   clock_time_get, the only clock the module imports. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */
#include "er_runtime.h"

#include <time.h>

double er_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0.0;
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
