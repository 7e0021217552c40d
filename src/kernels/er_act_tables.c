/* The micro-kernels' activation-instance tables with every instance, for
   the programs that call kernels directly (the compiler, the kernel tests,
   the fuzz targets). A model's generated C defines its own, with only the
   instances it can call (ER_ACT_TABLES, er_micro.h). These are weak, so
   that the model's win where both are linked (the fuzz targets link every
   kernel object); from the kernel archive the linker does not take this
   file into a model at all, since the model defined every table first. */
#define ER_ACT_TABLE_ATTR __attribute__((weak))
#include "er_micro.h"

ER_ACT_TABLES(1, 1, 1, 1, 1)
