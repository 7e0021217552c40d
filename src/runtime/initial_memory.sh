#!/bin/sh
# initial_memory.sh MODEL.h - the initial linear memory, in bytes, for a model
# module: the model's static data (MODEL_STATIC_BYTES in the header the
# compiler writes next to MODEL.c: weights and arena) plus 12 MiB for the
# 5 MiB stack and a first heap, rounded up to 64 KiB pages, and never less
# than emcc's default of 16 MiB. wasm-ld refuses a module whose data does
# not fit in its initial memory; beyond it, memory grows on demand.
# A missing header (the hand-written fixtures) gives the default.
static=$(sed -n 's/^#define [A-Z0-9_]*_STATIC_BYTES \([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null | head -n 1)
bytes=$(( ( ${static:-0} + 12582912 + 65535 ) / 65536 * 65536 ))
[ "$bytes" -ge 16777216 ] || bytes=16777216
echo "$bytes"
